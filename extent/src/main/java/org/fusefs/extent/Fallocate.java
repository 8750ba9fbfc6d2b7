package org.fusefs.extent;

import java.io.IOException;
import java.util.List;
import org.fusefs.extent.alloc.NoSpaceException;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;

/**
 * fallocate(2): the checks of {@code vfs_fallocate} in Linux 6.18's order, then ext4's
 * per-mode checks and handlers (shared/spec/fallocate.md §2-§4).
 *
 * <p>Mirrors {@code ext4_fallocate}: {@link #fallocate} validates, takes the inode lock once,
 * updates the times as {@code file_modified} does, and dispatches; the handlers
 * ({@link #allocateRange}, {@link #punchHole}, {@link #zeroRange}, {@link #collapseRange},
 * {@link #insertRange}) assert the lock instead of taking it. Those that drop cached pages also
 * hold the inode's invalidate lock so that no read re-caches a page from an extent being edited.
 *
 * <p>Choices where Linux filesystems differ: out of space during preallocation (mode 0, KEEP_SIZE,
 * ZERO_RANGE) leaves the file as it was (the XFS / tmpfs behaviour, not ext4's partial
 * allocation); INSERT_RANGE ignores RLIMIT_FSIZE as ext4 does; UNSHARE_RANGE and WRITE_ZEROES are
 * EOPNOTSUPP as on ext4 over a device without unmap write-zeroes; mtime and ctime change before
 * the per-mode checks, so a collapse or insert refused for alignment or size still touches them, as
 * in 6.18.
 */
final class Fallocate {
    static final int MODE_MASK = FallocFlag.PUNCH_HOLE | FallocFlag.COLLAPSE_RANGE | FallocFlag.ZERO_RANGE
            | FallocFlag.INSERT_RANGE | FallocFlag.UNSHARE_RANGE | FallocFlag.WRITE_ZEROES;
    private static final int BS = BlockIo.BLOCK_SIZE;

    private final ExtentFs fs;

    Fallocate(ExtentFs fs) {
        this.fs = fs;
    }

    void fallocate(OpenFileImpl f, int mode, long offset, long len) {
        // vfs_fallocate, in order.
        if (offset < 0 || len <= 0) {
            throw new ErrnoException(Errno.EINVAL, "fallocate offset " + offset + " length " + len);
        }
        if ((mode & ~(MODE_MASK | FallocFlag.KEEP_SIZE)) != 0) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "fallocate mode 0x" + Integer.toHexString(mode));
        }
        int op = mode & MODE_MASK;
        boolean keep = (mode & FallocFlag.KEEP_SIZE) != 0;
        if (Integer.bitCount(op) > 1
                || (op == FallocFlag.PUNCH_HOLE && !keep)
                || (keep && (op == FallocFlag.COLLAPSE_RANGE || op == FallocFlag.INSERT_RANGE
                        || op == FallocFlag.WRITE_ZEROES))) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "fallocate mode 0x" + Integer.toHexString(mode));
        }
        if (f.released || !OpenFlags.writable(f.flags())) {
            throw new ErrnoException(Errno.EBADF, "fallocate on ino " + f.ino() + " not open for writing");
        }
        Inode i = f.inode;
        InodeFlags.checkFallocate(i, mode);
        int type = i.type();
        if (type == FileMode.S_IFIFO) {
            throw new ErrnoException(Errno.ESPIPE, "fallocate on a fifo");
        }
        if (type == FileMode.S_IFDIR) {
            throw new ErrnoException(Errno.EISDIR, "fallocate on a directory");
        }
        if (type != FileMode.S_IFREG) {
            throw new ErrnoException(Errno.ENODEV, "fallocate on a special file");
        }
        if (offset + len < 0 || offset + len > ExtentFs.MAX_BYTES) {
            throw new ErrnoException(Errno.EFBIG, "fallocate end " + offset + "+" + len + " beyond s_maxbytes");
        }
        // ext4_fallocate: modes it does not implement.
        if (op == FallocFlag.UNSHARE_RANGE || op == FallocFlag.WRITE_ZEROES) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "fallocate mode 0x" + Integer.toHexString(mode) + " on ext4");
        }
        i.lock.lock();
        try {
            fs.dirty.mark(i);
            fileModifiedLocked(i);
            switch (op) {
                case FallocFlag.ALLOCATE_RANGE -> allocateRange(i, offset, len, keep);
                case FallocFlag.PUNCH_HOLE -> punchHole(i, offset, len);
                case FallocFlag.COLLAPSE_RANGE -> collapseRange(i, offset, len);
                case FallocFlag.INSERT_RANGE -> insertRange(i, offset, len);
                case FallocFlag.ZERO_RANGE -> zeroRange(i, offset, len, keep);
                default -> throw new IllegalStateException("fallocate op 0x" + Integer.toHexString(op));
            }
        } catch (IOException e) {
            throw ExtentFs.eio("fallocate ino " + i.ino, e);
        } finally {
            i.lock.unlock();
        }
    }

    /** file_modified(): times, and the set-id bits go as on any write. */
    private static void fileModifiedLocked(Inode i) {
        long t = ExtentFs.now();
        i.mtimeNs = t;
        i.ctimeNs = t;
        int m = i.mode & ~FileMode.S_ISUID;
        if ((m & (FileMode.S_ISGID | 0010)) == (FileMode.S_ISGID | 0010)) {
            m &= ~FileMode.S_ISGID;
        }
        i.mode = m;
    }

    private static long floorBlk(long b) {
        return b / BS;
    }

    private static long ceilBlk(long b) {
        return (b + BS - 1) / BS;
    }

    private void allocate(Inode i, long fromBlk, long toBlk, String what) {
        i.dataSem.writeLock().lock();
        try {
            fs.mapBlocks.allocateHoles(i, fromBlk, toBlk);
        } catch (NoSpaceException e) {
            throw new ErrnoException(Errno.ENOSPC, what + " of ino " + i.ino + ": " + e.getMessage());
        } finally {
            i.dataSem.writeLock().unlock();
        }
    }

    /** Mode 0 and KEEP_SIZE: holes in the range become unwritten extents; all or nothing. */
    void allocateRange(Inode i, long off, long len, boolean keep) {
        assert i.lock.isHeldByCurrentThread();
        long end = off + len;
        boolean grows = !keep && end > i.size;
        if (grows) {
            // Check the space first: the tail must not be touched by a preallocation that fails.
            i.dataSem.readLock().lock();
            long need;
            try {
                need = MapBlocks.newBlocks(i, floorBlk(off), ceilBlk(end));
            } finally {
                i.dataSem.readLock().unlock();
            }
            if (need > fs.alloc.availBlocks()) {
                throw new ErrnoException(Errno.ENOSPC, "preallocation of " + need + " blocks, "
                        + fs.alloc.availBlocks() + " available");
            }
            Truncate.zeroTailLocked(fs, i, i.size);
        }
        allocate(i, floorBlk(off), ceilBlk(end), "preallocation");
        if (grows) {
            i.size = end;
        }
    }

    /** Whether block {@code b} holds data that reads can see (written, or dirty in the cache). */
    private static boolean hasData(Inode i, long b) {
        i.dataSem.readLock().lock();
        try {
            Extent e = i.extents.find(b);
            return (e != null && !e.unwritten()) || i.pending.contains(b);
        } finally {
            i.dataSem.readLock().unlock();
        }
    }

    /** Zeroes the parts of {@code [from, to)} that do not cover whole blocks. */
    private void zeroEdges(Inode i, long from, long to) throws IOException {
        long fb = floorBlk(from);
        long lb = floorBlk(to);
        if (fb == lb) {
            if (from % BS != 0 || to % BS != 0) {
                if (hasData(i, fb)) {
                    Truncate.zeroPartialLocked(fs, i, from, to);
                }
            }
            return;
        }
        if (from % BS != 0 && hasData(i, fb)) {
            Truncate.zeroPartialLocked(fs, i, from, (fb + 1) * BS);
        }
        if (to % BS != 0 && hasData(i, lb)) {
            Truncate.zeroPartialLocked(fs, i, lb * BS, to);
        }
    }

    /** PUNCH_HOLE|KEEP_SIZE: whole blocks freed, partial edge blocks zeroed. */
    void punchHole(Inode i, long off, long len) throws IOException {
        assert i.lock.isHeldByCurrentThread();
        long size = i.size;
        // ext4: nothing to do past the end of file; the range stops at the page holding EOF.
        if (off >= size) {
            return;
        }
        long end = off + len;
        if (end > size) {
            end = ceilBlk(size) * BS;
        }
        long fb = ceilBlk(off);
        long eb = floorBlk(end);
        AddressSpace m = fs.mappingOf(i);
        i.invalidateLock.writeLock().lock();
        try {
            zeroEdges(i, off, end);
            if (fb < eb) {
                m.truncateRange(fb * BS, eb * BS - 1, true);
                i.dataSem.writeLock().lock();
                try {
                    List<Extent> removed = i.extents.remove(fb, eb);
                    i.pending.remove(fb, eb);
                    fs.mapBlocks.dropDelayed(i, fb, eb);
                    fs.mapBlocks.free(removed);
                } finally {
                    i.dataSem.writeLock().unlock();
                }
            }
        } finally {
            i.invalidateLock.writeLock().unlock();
        }
        fs.invalidation().invalidate(i.ino, off, end - off);
    }

    /** ZERO_RANGE (optionally KEEP_SIZE): the range reads as zeros and stays allocated as unwritten. */
    void zeroRange(Inode i, long off, long len, boolean keep) throws IOException {
        assert i.lock.isHeldByCurrentThread();
        long end = off + len;
        boolean grows = !keep && end > i.size;
        long need;
        i.dataSem.readLock().lock();
        try {
            need = MapBlocks.newBlocks(i, floorBlk(off), ceilBlk(end));
        } finally {
            i.dataSem.readLock().unlock();
        }
        if (need > fs.alloc.availBlocks()) {
            throw new ErrnoException(Errno.ENOSPC, "zero range needs " + need + " blocks, "
                    + fs.alloc.availBlocks() + " available");
        }
        if (grows) {
            Truncate.zeroTailLocked(fs, i, i.size);
        }
        long fb = ceilBlk(off);
        long eb = floorBlk(end);
        AddressSpace m = fs.mappingOf(i);
        i.invalidateLock.writeLock().lock();
        try {
            allocate(i, floorBlk(off), ceilBlk(end), "zero range");
            zeroEdges(i, off, end);
            if (fb < eb) {
                m.truncateRange(fb * BS, eb * BS - 1, true);
                i.dataSem.writeLock().lock();
                try {
                    i.extents.setState(fb, eb, true);
                    i.pending.remove(fb, eb);
                } finally {
                    i.dataSem.writeLock().unlock();
                }
            }
        } finally {
            i.invalidateLock.writeLock().unlock();
        }
        if (grows) {
            i.size = end;
        }
        fs.invalidation().invalidate(i.ino, off, len);
    }

    /** Writes back and drops every cached page from the block holding {@code off} to the end. */
    private static void flushTail(AddressSpace m, long off) throws IOException {
        long start = floorBlk(off) * BS;
        m.writeAndWait(start, Long.MAX_VALUE);
        m.truncateRange(start, Long.MAX_VALUE, true);
    }

    /** COLLAPSE_RANGE: removes the range and shifts the extents after it down; no data is copied. */
    void collapseRange(Inode i, long off, long len) throws IOException {
        assert i.lock.isHeldByCurrentThread();
        if ((off | len) % BS != 0) {
            throw new ErrnoException(Errno.EINVAL, "collapse [" + off + ", +" + len + ") not block aligned");
        }
        if (off + len >= i.size) {
            throw new ErrnoException(Errno.EINVAL, "collapse end " + (off + len) + " reaches end of file " + i.size);
        }
        long fb = off / BS;
        long n = len / BS;
        AddressSpace m = fs.mappingOf(i);
        i.invalidateLock.writeLock().lock();
        try {
            flushTail(m, off);
            i.dataSem.writeLock().lock();
            try {
                List<Extent> removed = i.extents.remove(fb, fb + n);
                i.pending.remove(fb, Truncate.END_LBLK);
                fs.mapBlocks.dropDelayed(i, fb, Truncate.END_LBLK);
                i.extents.shiftLeft(fb + n, n);
                fs.mapBlocks.free(removed);
            } finally {
                i.dataSem.writeLock().unlock();
            }
            i.size = i.size - len;
        } finally {
            i.invalidateLock.writeLock().unlock();
        }
        fs.invalidation().invalidate(i.ino, off, 0);
    }

    /** INSERT_RANGE: shifts the extents from the offset up and leaves a hole; no data is copied. */
    void insertRange(Inode i, long off, long len) throws IOException {
        assert i.lock.isHeldByCurrentThread();
        if ((off | len) % BS != 0) {
            throw new ErrnoException(Errno.EINVAL, "insert [" + off + ", +" + len + ") not block aligned");
        }
        if (off >= i.size) {
            throw new ErrnoException(Errno.EINVAL, "insert at " + off + " at or past end of file " + i.size);
        }
        if (len > ExtentFs.MAX_BYTES - i.size) {
            throw new ErrnoException(Errno.EFBIG, "insert of " + len + " into " + i.size + " bytes exceeds s_maxbytes");
        }
        long fb = off / BS;
        long n = len / BS;
        long lastBlock;
        i.dataSem.readLock().lock();
        try {
            lastBlock = i.extents.endBlock();
        } finally {
            i.dataSem.readLock().unlock();
        }
        if (lastBlock + n > ExtentFs.MAX_BYTES / BS + 1) {
            throw new ErrnoException(Errno.EFBIG, "insert would move blocks past the largest logical block");
        }
        AddressSpace m = fs.mappingOf(i);
        i.invalidateLock.writeLock().lock();
        try {
            flushTail(m, off);
            i.dataSem.writeLock().lock();
            try {
                i.pending.remove(fb, Truncate.END_LBLK);
                fs.mapBlocks.dropDelayed(i, fb, Truncate.END_LBLK);
                i.extents.shiftRight(fb, n);
            } finally {
                i.dataSem.writeLock().unlock();
            }
            i.size = i.size + len;
        } finally {
            i.invalidateLock.writeLock().unlock();
        }
        fs.invalidation().invalidate(i.ino, off, 0);
    }
}
