package org.fusefs.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.fusefs.block.BlockDevice;
import org.fusefs.extent.alloc.BlockAllocator;
import org.fusefs.extent.alloc.NoSpaceException;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.PageCache;
import org.fusefs.pagecache.SpliceRead;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;

/**
 * The extent filesystem mounted on a block device: the {@link Vfs} file API over inodes, extent
 * trees, directories and a free-space map, with file data in the page cache.
 *
 * <p>Create one with {@link #mkfs} (format, then mount) or {@link #mount}; end it with
 * {@link #unmount} (or {@link #close}), which writes back every dirty page and all metadata.
 *
 * <p>Lock order (outermost first), as at the top of {@code mm/rmap.c}:
 * <pre>
 *   namespace lock (Namespace.ns: directory entries, nlink, rename)
 *     inode lock (Inode.lock: i_rwsem; size, attributes, fallocate, truncate, write)
 *       invalidate lock (Inode.invalidateLock: held shared by read, exclusive while pages are dropped
 *                        and extents edited, so a read cannot re-cache a page from a stale extent)
 *         page lock (the page cache's)
 *           Inode.dataSem (i_data_sem: extent tree, pending and delayed blocks; writeback and readpage take it)
 *             allocator lock (BlockAllocator), inode table lock (InodeTable)
 * </pre>
 * Leaf monitors outside the order, which call nothing out: an inode's own monitor (creating its
 * address space), the dirty-inode monitor (DirtyInodes: a mark waits on it while a checkpoint runs,
 * holding at most one inode lock or the namespace lock) and the lifecycle monitor (one checkpoint, sync or unmount at a time, taken before
 * all else).
 * Only the metadata writer holds two inode locks at once: those of the inodes marked dirty (all of
 * them after mount or a failed checkpoint), in inode order, under the namespace write lock; no other
 * thread takes a second inode lock or the namespace lock while holding an inode lock, so this
 * cannot deadlock. release() takes the namespace lock shared so that an eviction cannot run in the
 * middle of a metadata write.
 *
 * <p>Dirty marking ({@link DirtyInodes}), the rule that lets a checkpoint leave the other inodes
 * unlocked: every change of an inode's metadata calls {@code dirty.mark(inode)} before it changes
 * anything, right after taking the inode lock (setattr, write, O_TRUNC, fallocate, xattrs) or
 * under the namespace lock (namespace operations, eviction), holding no page lock, invalidate lock
 * or dataSem. While a checkpoint runs its gate is closed and the mark of a clean inode waits (with
 * only that inode's lock held, which the checkpoint does not take). A read moving atime marks
 * without waiting ({@code markTimes}). Writeback needs no mark: only write(2), which marks, dirties
 * pages.
 *
 * <p>Metadata lives in memory and reaches the device as checkpoints through the journal (see
 * the package documentation): at {@link #sync}, {@link #unmount}, {@link #fsync} and
 * {@link #fsyncdir} (which make everything before them durable), and when a write or fallocate short
 * of space needs the blocks freed since the last checkpoint. Checkpoints take the lifecycle monitor,
 * the namespace lock and the dirty inodes' locks, so they are forced only from the entry points, where
 * the caller holds none of them.
 */
public final class ExtentFs implements Vfs, AutoCloseable {
    static final int BS = BlockIo.BLOCK_SIZE;
    static final long MAX_BYTES = Superblock.MAX_BYTES;
    static final int NAME_MAX = 255;
    static final int LINK_MAX = 65000;

    final BlockIo io;
    final PageCache cache;
    final Superblock sb;
    final BlockAllocator alloc;
    final MapBlocks mapBlocks;
    final InodeTable inodes;
    final Namespace ns;
    final Fallocate fallocate;
    final Xattrs xattrs;
    final FileMap fileMap;
    /** Blocks of the free-space chain as last written; guarded by the lifecycle monitor. */
    long[] freeChainBlocks = new long[0];
    /** Contents of the free-space chain as last written, or null; guarded by the lifecycle monitor. */
    byte[] freeChainData;
    /**
     * The sealed inode-table blocks as the last completed checkpoint wrote them, or null when not
     * known (after mount, during a checkpoint, after a failed one); guarded by the lifecycle monitor.
     */
    byte[][] lastTable;
    final Journal journal;
    /** Sequence number of the last checkpoint written; guarded by the lifecycle monitor. */
    long journalSeq;
    /** The inodes changed since the last checkpoint: what the next one encodes. */
    final DirtyInodes dirty = new DirtyInodes();
    /**
     * Tests only: each incremental checkpoint checks that every inode it leaves out encodes as last
     * written (costs a walk of every inode; single-threaded use, see MetadataWriter).
     */
    volatile boolean verifyClean;
    /** When and whether to commit a checkpoint (fsync, space); counts metadata changes. */
    final Checkpoints checkpoints;
    final Object lifecycle = new Object();
    private volatile boolean mounted = true;
    private volatile InodeInvalidation invalidation = (ino, off, len) -> { };

    ExtentFs(BlockIo io, PageCache cache, Superblock sb, BlockAllocator alloc, InodeTable inodes) {
        this.io = io;
        this.cache = cache;
        this.sb = sb;
        this.alloc = alloc;
        this.mapBlocks = new MapBlocks(alloc);
        this.inodes = inodes;
        this.ns = new Namespace(this);
        this.fallocate = new Fallocate(this);
        this.xattrs = new Xattrs(this);
        this.fileMap = new FileMap(this);
        this.journal = new Journal(io, sb);
        this.checkpoints = new Checkpoints(this);
        this.journalSeq = sb.journalSeq;
    }

    /** Formats {@code dev} with default options and mounts it. */
    public static ExtentFs mkfs(BlockDevice dev, PhysicalMemory memory, PageCache cache) throws IOException {
        return mkfs(dev, memory, cache, MkfsOptions.defaults());
    }

    /** Formats {@code dev} (everything on it is lost) and mounts the new filesystem. */
    public static ExtentFs mkfs(BlockDevice dev, PhysicalMemory memory, PageCache cache, MkfsOptions options)
            throws IOException {
        Mkfs.format(new BlockIo(dev, memory), options);
        return mount(dev, memory, cache);
    }

    /**
     * Mounts the filesystem on {@code dev}: checks the superblock and every metadata block's
     * checksum and the consistency of the free-space map with the files.
     *
     * @throws CorruptFsException naming the device and the bad block when a check fails
     */
    public static ExtentFs mount(BlockDevice dev, PhysicalMemory memory, PageCache cache) throws IOException {
        return Mount.mount(new BlockIo(dev, memory), cache);
    }

    public PhysicalMemory memory() {
        return io.memory();
    }

    public PageCache pageCache() {
        return cache;
    }

    public BlockDevice device() {
        return io.device();
    }

    /** The filesystem UUID, 16 bytes. */
    public byte[] uuid() {
        return sb.uuid.clone();
    }

    public String label() {
        return sb.label;
    }

    /**
     * The page cache of regular file {@code ino} (created on first use): lets tools poison or
     * inspect the page caching a file offset.
     */
    public AddressSpace mapping(long ino) {
        Inode inode = inode(ino);
        if (!inode.isReg()) {
            throw new ErrnoException(Errno.EINVAL, "ino " + ino + " is not a regular file");
        }
        return mappingOf(inode);
    }

    /** The number of extents of file {@code ino} (figures for tools and benchmarks). */
    public int extentCount(long ino) {
        Inode inode = inode(ino);
        inode.dataSem.readLock().lock();
        try {
            return inode.extents.size();
        } finally {
            inode.dataSem.readLock().unlock();
        }
    }

    // ---- helpers shared by the file API classes -------------------------------------------------

    Inode inode(long ino) {
        checkMounted();
        Inode i = inodes.get(ino);
        if (i == null) {
            throw new ErrnoException(Errno.ENOENT, "no inode " + ino);
        }
        return i;
    }

    void checkMounted() {
        if (!mounted) {
            throw new ErrnoException(Errno.EIO, "filesystem on " + io.device().name() + " is unmounted");
        }
    }

    static long now() {
        Instant t = Instant.now();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    AddressSpace mappingOf(Inode inode) {
        AddressSpace m = inode.mapping;
        if (m == null) {
            synchronized (inode) {
                m = inode.mapping;
                if (m == null) {
                    m = cache.newAddressSpace(new FileAops(inode, io.device(), mapBlocks, this::metadataChanged),
                            "ino " + inode.ino);
                    inode.mapping = m;
                }
            }
        }
        return m;
    }

    InodeInvalidation invalidation() {
        return invalidation;
    }

    static ErrnoException eio(String what, IOException e) {
        if (e.getCause() instanceof NoSpaceException) {
            return new ErrnoException(Errno.ENOSPC, what + ": " + e.getMessage(), e);
        }
        return new ErrnoException(Errno.EIO, what + ": " + e.getMessage(), e);
    }

    InodeAttr attr(Inode i) {
        long blocks;
        long size = i.size;
        if (i.isReg()) {
            i.dataSem.readLock().lock();
            try {
                blocks = (i.extents.blocks() + i.delayed.size()) * (BS / 512);
            } finally {
                i.dataSem.readLock().unlock();
            }
        } else if (i.isDir()) {
            blocks = size / 512;
        } else {
            blocks = 0;
        }
        return new InodeAttr(i.ino, i.mode, i.nlink, i.uid, i.gid, i.rdev, size, blocks, BS,
                i.atimeNs, i.mtimeNs, i.ctimeNs, i.generation);
    }

    /**
     * Frees an inode nobody names or holds open: drops its pages, frees its blocks, releases its
     * number. Called with the inode lock held.
     */
    void evictIfUnusedLocked(Inode i) {
        assert i.lock.isHeldByCurrentThread();
        if (i.nlink > 0 || i.openCount > 0 || i.freed) {
            return;
        }
        // Under the namespace lock (or at mount): the checkpoint's gate is open; the next one
        // zeroes the slot.
        dirty.mark(i);
        i.freed = true;
        if (i.mapping != null) {
            try {
                i.mapping.truncateRange(0, Long.MAX_VALUE, false);
            } catch (IOException e) {
                throw eio("evict ino " + i.ino, e);
            }
        }
        i.dataSem.writeLock().lock();
        try {
            mapBlocks.free(i.extents.clear());
            i.pending.clear();
            mapBlocks.dropDelayed(i, 0, Truncate.END_LBLK);
        } finally {
            i.dataSem.writeLock().unlock();
        }
        for (long b : i.metaBlocks) {
            alloc.freeDeferred(b, 1);
        }
        i.metaBlocks = new long[0];
        inodes.release(i);
    }

    // ---- Vfs: names ----------------------------------------------------------------------------

    @Override
    public InodeAttr lookup(long dir, String name) {
        return ns.lookup(dir, name);
    }

    @Override
    public InodeAttr mknod(long dir, String name, int mode, long rdev, int uid, int gid) {
        try {
            return ns.mknod(dir, name, mode, rdev, uid, gid);
        } finally {
            metadataChanged();
        }
    }

    @Override
    public InodeAttr mkdir(long dir, String name, int mode, int uid, int gid) {
        try {
            return ns.mkdir(dir, name, mode, uid, gid);
        } finally {
            metadataChanged();
        }
    }

    @Override
    public InodeAttr symlink(long dir, String name, String target, int uid, int gid) {
        try {
            return ns.symlink(dir, name, target, uid, gid);
        } finally {
            metadataChanged();
        }
    }

    @Override
    public InodeAttr link(long ino, long newDir, String newName) {
        try {
            return ns.link(ino, newDir, newName);
        } finally {
            metadataChanged();
        }
    }

    @Override
    public void unlink(long dir, String name) {
        try {
            ns.unlink(dir, name);
        } finally {
            metadataChanged();
        }
    }

    @Override
    public void rmdir(long dir, String name) {
        try {
            ns.rmdir(dir, name);
        } finally {
            metadataChanged();
        }
    }

    @Override
    public void rename(long oldDir, String oldName, long newDir, String newName, int flags) {
        try {
            ns.rename(oldDir, oldName, newDir, newName, flags);
        } finally {
            metadataChanged();
        }
    }

    @Override
    public String readlink(long ino) {
        Inode i = inode(ino);
        if (!i.isLnk()) {
            throw new ErrnoException(Errno.EINVAL, "ino " + ino + " is not a symbolic link");
        }
        return new String(i.symlink, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void readdir(long dir, long offset, Predicate<DirEntry> sink) {
        ns.readdir(dir, offset, sink);
    }

    @Override
    public void fsyncdir(long dir, boolean datasync) {
        Inode i = inode(dir);
        if (!i.isDir()) {
            throw new ErrnoException(Errno.ENOTDIR, "ino " + dir + " is not a directory");
        }
        checkpoints.commit(datasync, "fsyncdir ino " + dir);
    }

    // ---- Vfs: attributes -----------------------------------------------------------------------

    @Override
    public InodeAttr getattr(long ino) {
        return attr(inode(ino));
    }

    @Override
    public InodeAttr setattr(long ino, SetAttr a, OpenFile file) {
        boolean timesOnly = a.size() == null && a.mode() == null && a.uid() == null && a.gid() == null;
        try {
            return setattrImpl(ino, a);
        } finally {
            if (timesOnly) {
                checkpoints.timesChanged();
            } else {
                metadataChanged();
            }
        }
    }

    private InodeAttr setattrImpl(long ino, SetAttr a) {
        Inode i = inode(ino);
        i.lock.lock();
        try {
            dirty.mark(i);
            if (a.size() != null) {
                if (i.isDir()) {
                    throw new ErrnoException(Errno.EISDIR, "truncate of directory " + ino);
                }
                if (!i.isReg()) {
                    throw new ErrnoException(Errno.EINVAL, "truncate of special file " + ino);
                }
                if (a.size() < 0) {
                    throw new ErrnoException(Errno.EINVAL, "negative size " + a.size());
                }
                if (a.size() > MAX_BYTES) {
                    throw new ErrnoException(Errno.EFBIG, "size " + a.size() + " > s_maxbytes " + MAX_BYTES);
                }
            }
            InodeFlags.checkSetattr(i, a);
            long t = now();
            boolean changed = false;
            if (a.size() != null) {
                if (a.size() != i.size) {
                    Truncate.setSizeLocked(this, i, a.size());
                }
                i.mtimeNs = t;
                changed = true;
            }
            if (a.mode() != null) {
                i.mode = (i.mode & FileMode.S_IFMT) | (a.mode() & FileMode.PERMISSION_BITS);
                changed = true;
            }
            if (a.uid() != null) {
                i.uid = a.uid();
                changed = true;
            }
            if (a.gid() != null) {
                i.gid = a.gid();
                changed = true;
            }
            if (a.atimeNs() != null) {
                i.atimeNs = a.atimeNs() == SetAttr.NOW ? t : a.atimeNs();
                changed = true;
            }
            if (a.mtimeNs() != null) {
                i.mtimeNs = a.mtimeNs() == SetAttr.NOW ? t : a.mtimeNs();
                changed = true;
            }
            if (changed) {
                i.ctimeNs = t;
            }
            return attr(i);
        } finally {
            i.lock.unlock();
        }
    }

    @Override
    public StatFs statfs() {
        checkMounted();
        long total = sb.blocksCount - sb.firstDataBlock;
        // Blocks freed since the last checkpoint count as free: an allocation that needs them
        // forces a checkpoint (ext4 counts them free at once too).
        long deferred = alloc.deferredBlocks();
        long free = alloc.unpromisedBlocks() + deferred;
        long avail = Math.max(0, alloc.freeBlocks() + deferred - alloc.reserve() - alloc.delayedBlocks());
        long fsid = 0;
        for (int k = 0; k < 8; k++) {
            fsid = (fsid << 8) | (sb.uuid[k] & 0xff);
        }
        return new StatFs(BS, total, free, avail, inodes.count(), inodes.count() - inodes.usedCount(),
                NAME_MAX, fsid);
    }

    // ---- Vfs: open files and data --------------------------------------------------------------

    @Override
    public OpenFile open(long ino, int flags) {
        Inode i = inode(ino);
        i.lock.lock();
        try {
            return openLocked(i, flags);
        } finally {
            i.lock.unlock();
            if ((flags & OpenFlags.O_TRUNC) != 0) {
                metadataChanged();
            }
        }
    }

    OpenFileImpl openLocked(Inode i, int flags) {
        assert i.lock.isHeldByCurrentThread();
        if (i.isDir() && OpenFlags.writable(flags)) {
            throw new ErrnoException(Errno.EISDIR, "ino " + i.ino + " is a directory");
        }
        if (i.freed) {
            throw new ErrnoException(Errno.ENOENT, "ino " + i.ino + " was deleted");
        }
        InodeFlags.checkOpen(i, flags);
        if ((flags & OpenFlags.O_TRUNC) != 0 && i.isReg() && OpenFlags.writable(flags) && i.size != 0) {
            dirty.mark(i);
            Truncate.setSizeLocked(this, i, 0);
            long t = now();
            i.mtimeNs = t;
            i.ctimeNs = t;
        }
        OpenFileImpl f = new OpenFileImpl(i, flags, i.isReg() ? mappingOf(i).sampleErrseq() : null);
        i.openCount++;
        return f;
    }

    @Override
    public OpenFile create(long dir, String name, int mode, int flags, int uid, int gid) {
        try {
            return ns.create(dir, name, mode, flags, uid, gid);
        } finally {
            metadataChanged();
        }
    }

    @Override
    public void release(OpenFile f) {
        OpenFileImpl of = (OpenFileImpl) f;
        Inode i = of.inode;
        // The namespace lock keeps an eviction out of a metadata write in progress.
        ns.ns.readLock().lock();
        i.lock.lock();
        try {
            if (of.released) {
                throw new IllegalStateException("ino " + i.ino + ": open file released twice");
            }
            of.released = true;
            i.openCount--;
            evictIfUnusedLocked(i);
        } finally {
            i.lock.unlock();
            ns.ns.readLock().unlock();
            metadataChanged();
        }
    }

    private static OpenFileImpl checkRead(OpenFile f) {
        return checkIo(f, OpenFlags.readable(f.flags()), "reading");
    }

    private static OpenFileImpl checkWrite(OpenFile f) {
        return checkIo(f, OpenFlags.writable(f.flags()), "writing");
    }

    /** The checks read(2) and write(2) make on a descriptor, in the kernel's order. */
    private static OpenFileImpl checkIo(OpenFile f, boolean modeAllows, String what) {
        OpenFileImpl of = (OpenFileImpl) f;
        if (of.released) {
            throw new ErrnoException(Errno.EBADF, "ino " + of.ino() + ": file already released");
        }
        if (!modeAllows) {
            throw new ErrnoException(Errno.EBADF, "ino " + of.ino() + " not open for " + what);
        }
        if (of.inode.isDir()) {
            throw new ErrnoException(Errno.EISDIR, "ino " + of.ino() + " is a directory");
        }
        if (!of.inode.isReg()) {
            throw new ErrnoException(Errno.EINVAL, "ino " + of.ino() + " is not a regular file");
        }
        return of;
    }

    @Override
    public int read(OpenFile f, long pos, long dstAddress, int len) {
        return FileIo.read(this, checkRead(f), pos, len, dstAddress, null);
    }

    @Override
    public int read(OpenFile f, long pos, ByteBuffer dst) {
        return FileIo.read(this, checkRead(f), pos, dst.remaining(), 0, dst);
    }

    @Override
    public int spliceRead(OpenFile f, long pos, int len, SpliceRead segments, SpliceRead.Actor actor) {
        return FileIo.spliceRead(this, checkRead(f), pos, len, segments, actor);
    }

    /** Reads into a byte array (tests and tools). */
    public int read(OpenFile f, long pos, byte[] dst, int off, int len) {
        return read(f, pos, ByteBuffer.wrap(dst, off, len));
    }

    @Override
    public int write(OpenFile f, long pos, long srcAddress, int len) {
        OpenFileImpl of = checkWrite(f);
        try {
            return FileIo.write(this, of, pos, len, srcAddress, null, true);
        } catch (FileIo.RetryAfterCheckpoint e) {
            checkpoints.forSpace("write ino " + of.ino());
            return FileIo.write(this, of, pos, len, srcAddress, null, false);
        }
    }

    @Override
    public int write(OpenFile f, long pos, ByteBuffer src) {
        OpenFileImpl of = checkWrite(f);
        try {
            return FileIo.write(this, of, pos, src.remaining(), 0, src, true);
        } catch (FileIo.RetryAfterCheckpoint e) {
            checkpoints.forSpace("write ino " + of.ino());
            return FileIo.write(this, of, pos, src.remaining(), 0, src, false);
        }
    }

    /** Writes from a byte array (tests and tools). */
    public int write(OpenFile f, long pos, byte[] src, int off, int len) {
        return write(f, pos, ByteBuffer.wrap(src, off, len));
    }

    @Override
    public void flush(OpenFile f) {
        // Nothing to do: close(2) reports write-back errors only through fsync on Linux local filesystems.
    }

    @Override
    public void fsync(OpenFile f, boolean datasync) {
        OpenFileImpl of = (OpenFileImpl) f;
        Inode i = of.inode;
        if (i.isReg()) {
            try {
                mappingOf(i).fsync(0, Long.MAX_VALUE, of.cursor);
            } catch (IOException e) {
                throw new ErrnoException(Errno.EIO, "fsync ino " + i.ino + ": " + e.getMessage(), e);
            }
        }
        // The file's blocks, size and name reach the device only with the metadata: commit all of
        // it; fdatasync leaves out a change of times alone, as Linux does.
        checkpoints.commit(datasync, (datasync ? "fdatasync" : "fsync") + " ino " + i.ino);
    }

    // ---- Vfs: xattrs ---------------------------------------------------------------------------

    @Override
    public byte[] getxattr(long ino, String name) {
        return xattrs.get(inode(ino), name);
    }

    @Override
    public List<String> listxattr(long ino) {
        return xattrs.list(inode(ino));
    }

    @Override
    public void setxattr(long ino, String name, byte[] value, int flags) {
        try {
            Inode i = inode(ino);
            InodeFlags.checkXattrChange(i);
            xattrs.set(i, name, value, flags);
        } finally {
            metadataChanged();
        }
    }

    @Override
    public void removexattr(long ino, String name) {
        try {
            Inode i = inode(ino);
            InodeFlags.checkXattrChange(i);
            xattrs.remove(i, name);
        } finally {
            metadataChanged();
        }
    }

    // ---- Vfs: inode flags ----------------------------------------------------------------------

    @Override
    public int getflags(long ino) {
        return inode(ino).flags;
    }

    @Override
    public void setflags(long ino, int flags) {
        InodeFlags.checkSettable(ino, flags);
        Inode i = inode(ino);
        // Both locks: the name checks read the flags under the namespace lock, the others under
        // the inode lock.
        ns.ns.writeLock().lock();
        i.lock.lock();
        try {
            dirty.mark(i);
            if (i.flags != flags) {
                i.flags = flags;
                i.ctimeNs = now();
            }
        } finally {
            i.lock.unlock();
            ns.ns.writeLock().unlock();
            metadataChanged();
        }
    }

    // ---- Vfs: fallocate and maps ---------------------------------------------------------------

    @Override
    public void fallocate(OpenFile f, int mode, long offset, long length) {
        try {
            try {
                fallocate.fallocate((OpenFileImpl) f, mode, offset, length);
            } catch (ErrnoException e) {
                // Every mode that can run out of space checks it before changing anything: retrying is safe.
                if (e.errno() != Errno.ENOSPC || !checkpoints.shouldRetryAlloc()) {
                    throw e;
                }
                checkpoints.forSpace("fallocate ino " + f.ino());
                fallocate.fallocate((OpenFileImpl) f, mode, offset, length);
            }
        } finally {
            metadataChanged();
        }
    }

    @Override
    public long seekData(long ino, long offset) {
        return fileMap.seekData(inode(ino), offset);
    }

    @Override
    public long seekHole(long ino, long offset) {
        return fileMap.seekHole(inode(ino), offset);
    }

    @Override
    public List<FiemapExtent> fiemap(long ino, long start, long length) {
        return fileMap.fiemap(inode(ino), start, length);
    }

    @Override
    public void setInodeInvalidation(InodeInvalidation listener) {
        this.invalidation = listener == null ? (ino, off, len) -> { } : listener;
    }

    // ---- lifecycle -----------------------------------------------------------------------------

    @Override
    public void sync() {
        checkMounted();
        try {
            synchronized (lifecycle) {
                writebackAll();
                MetadataWriter.write(this, Superblock.STATE_MOUNTED);
            }
        } catch (IOException e) {
            throw eio("sync of " + io.device().name(), e);
        }
    }

    /** Counts a change of metadata, after it is made (see {@link Checkpoints}). */
    void metadataChanged() {
        checkpoints.metadataChanged();
    }

    /** Writes back the dirty pages of every file of this filesystem (not of others sharing the cache). */
    private void writebackAll() throws IOException {
        for (Inode i : inodes.all()) {
            AddressSpace m = i.mapping;
            if (m != null) {
                m.writeAndWait(0, Long.MAX_VALUE);
            }
        }
    }

    /** Writes back every dirty page and all metadata, marks the filesystem clean and detaches it. */
    public void unmount() throws IOException {
        synchronized (lifecycle) {
            if (!mounted) {
                return;
            }
            writebackAll();
            MetadataWriter.write(this, Superblock.STATE_CLEAN);
            mounted = false;
            for (Inode i : inodes.all()) {
                if (i.mapping != null) {
                    i.mapping.truncateRange(0, Long.MAX_VALUE, false);
                }
            }
        }
    }

    /** Same as {@link #unmount}, with I/O failures as unchecked exceptions. */
    @Override
    public void close() {
        try {
            unmount();
        } catch (IOException e) {
            throw new IllegalStateException("unmount of " + io.device().name() + " failed: " + e.getMessage(), e);
        }
    }
}
