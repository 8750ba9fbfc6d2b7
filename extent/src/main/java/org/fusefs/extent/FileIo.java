package org.fusefs.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.fusefs.extent.alloc.NoSpaceException;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.DioArgs;
import org.fusefs.pagecache.SpliceRead;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.OpenFlags;

/**
 * read(2) and write(2) of regular files: buffered through the page cache, or direct for O_DIRECT
 * opens when offset and length are block aligned.
 *
 * <p>A buffered write allocates nothing: it promises space for the holes it covers (so ENOSPC is
 * reported by write, not lost at writeback) and marks them delayed; writeback allocates blocks for
 * whole runs of dirty pages, preferring to continue the file's previous extent, maps them unwritten
 * and converts them once the data is on the device. Blocks already allocated are marked pending
 * until then. That is ext4's delayed allocation with {@code dioread_nolock}: a crash or a dropped
 * page never exposes a block's earlier contents. A direct write allocates unwritten extents first.
 */
final class FileIo {
    private static final int BS = BlockIo.BLOCK_SIZE;

    private FileIo() {
    }

    private static boolean direct(OpenFileImpl f, long pos, int len) {
        return (f.flags() & OpenFlags.O_DIRECT) != 0 && pos % BS == 0 && len % BS == 0;
    }

    static int read(ExtentFs fs, OpenFileImpl f, long pos, int len, long address, ByteBuffer buf) {
        if (pos < 0 || len < 0) {
            throw new ErrnoException(Errno.EINVAL, "read at " + pos + " length " + len);
        }
        Inode i = f.inode;
        if (len == 0) {
            return 0;
        }
        i.invalidateLock.readLock().lock();
        try {
            long size = i.size;
            if (pos >= size) {
                return 0;
            }
            int n = (int) Math.min(len, size - pos);
            if ((f.flags() & OpenFlags.O_NOATIME) == 0) {
                touchAtime(fs, i);
            }
            if (direct(f, pos, len)) {
                return (int) directIO(fs, i, DioArgs.Rw.READ, pos, len, address, buf);
            }
            AddressSpace m = fs.mappingOf(i);
            if (buf != null) {
                ByteBuffer view = buf.duplicate();
                view.limit(view.position() + n);
                int got = m.read(pos, view, size);
                buf.position(buf.position() + got);
                return got;
            }
            return m.read(pos, address, n, size);
        } catch (IOException e) {
            throw ExtentFs.eio("read ino " + i.ino + " at " + pos, e);
        } finally {
            i.invalidateLock.readLock().unlock();
        }
    }

    /**
     * read(2) that lends the cached pages to {@code actor} instead of copying them out (see
     * {@link SpliceRead}); returns the bytes lent, or -1 without calling the actor when this read
     * bypasses the page cache (O_DIRECT), which the caller then serves with {@link #read}.
     */
    static int spliceRead(ExtentFs fs, OpenFileImpl f, long pos, int len, SpliceRead segments,
            SpliceRead.Actor actor) {
        if (pos < 0 || len < 0) {
            throw new ErrnoException(Errno.EINVAL, "read at " + pos + " length " + len);
        }
        if (direct(f, pos, len)) {
            return -1;
        }
        Inode i = f.inode;
        i.invalidateLock.readLock().lock();
        try {
            long size = i.size;
            if (pos < size && len > 0 && (f.flags() & OpenFlags.O_NOATIME) == 0) {
                touchAtime(fs, i);
            }
            return fs.mappingOf(i).spliceRead(pos, len, size, segments, actor);
        } catch (IOException e) {
            throw ExtentFs.eio("read ino " + i.ino + " at " + pos, e);
        } finally {
            i.invalidateLock.readLock().unlock();
        }
    }

    private static final long DAY_NS = 24L * 3600 * 1_000_000_000L;

    /**
     * relatime, Linux's default: a read moves atime only when it is older than mtime or ctime or a
     * day old. Written without the inode lock: racing readers store nearly the same time.
     */
    static void touchAtime(ExtentFs fs, Inode i) {
        if ((i.flags & InodeFlags.FS_NOATIME_FL) != 0) {
            return;
        }
        long a = i.atimeNs;
        if (a <= i.mtimeNs || a <= i.ctimeNs) {
            i.atimeNs = ExtentFs.now();
            fs.dirty.markTimes(i);
            fs.checkpoints.timesChanged();
        } else {
            long now = ExtentFs.now();
            if (now - a >= DAY_NS) {
                i.atimeNs = now;
                fs.dirty.markTimes(i);
                fs.checkpoints.timesChanged();
            }
        }
    }

    /**
     * Thrown by {@link #write} before it changes anything, when the space it needs is short but
     * blocks freed since the last checkpoint are waiting for one: the caller, holding no lock,
     * commits a checkpoint and writes again ({@code ext4_should_retry_alloc}).
     */
    static final class RetryAfterCheckpoint extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RetryAfterCheckpoint() {
            super("retry after checkpoint", null, false, false);
        }
    }

    /**
     * write(2). With {@code mayRetry}, space short while blocks wait for a checkpoint throws
     * {@link RetryAfterCheckpoint} instead of writing short or failing with ENOSPC.
     */
    static int write(ExtentFs fs, OpenFileImpl f, long pos, int len, long address, ByteBuffer buf,
            boolean mayRetry) {
        if (pos < 0 || len < 0) {
            throw new ErrnoException(Errno.EINVAL, "write at " + pos + " length " + len);
        }
        Inode i = f.inode;
        // Until the write ends well, count it as a change of metadata (a failed write may have
        // allocated, or grown the file part way).
        boolean timesOnly = false;
        i.lock.lock();
        try {
            // Before any page is dirtied or block promised (see DirtyInodes).
            fs.dirty.mark(i);
            InodeFlags.checkWrite(i);
            if ((f.flags() & OpenFlags.O_APPEND) != 0) {
                pos = i.size;
            }
            if (len == 0) {
                return 0;
            }
            if (pos >= ExtentFs.MAX_BYTES) {
                throw new ErrnoException(Errno.EFBIG, "write at " + pos + " >= s_maxbytes");
            }
            if (pos + len > ExtentFs.MAX_BYTES) {
                len = (int) (ExtentFs.MAX_BYTES - pos);
            }
            long first = pos / BS;
            long end = (pos + len + (long) BS - 1) / BS;
            long oldSize = i.size;
            boolean direct = direct(f, pos, len);
            boolean allocated = false;
            if (direct && i.mapping != null) {
                // Delayed blocks in the range get their blocks from writeback before the direct write maps them.
                fs.mappingOf(i).writeAndWait(pos, pos + len - 1);
            }
            i.dataSem.writeLock().lock();
            try {
                if (direct) {
                    if (mayRetry && MapBlocks.newBlocks(i, first, end) > fs.alloc.availBlocks()
                            && fs.checkpoints.shouldRetryAlloc()) {
                        throw new RetryAfterCheckpoint();
                    }
                    allocated = fs.mapBlocks.allocateHoles(i, first, end) > 0;
                } else {
                    long fit = fs.mapBlocks.fittingEnd(i, first, end);
                    if (fit < end && mayRetry && fs.checkpoints.shouldRetryAlloc()) {
                        throw new RetryAfterCheckpoint();
                    }
                    if (fit <= first) {
                        throw new NoSpaceException(fs.alloc.availBlocks() + " blocks available");
                    }
                    if (fit < end) {
                        // As Linux: write what fits, and ENOSPC only when nothing does.
                        len = (int) Math.min(len, fit * BS - pos);
                        end = fit;
                    }
                    fs.mapBlocks.reserveDelayed(i, first, end);
                    i.pending.add(first, end);
                }
            } catch (NoSpaceException e) {
                throw new ErrnoException(Errno.ENOSPC, "write ino " + i.ino + " [" + pos + ", +" + len + "): "
                        + e.getMessage());
            } finally {
                i.dataSem.writeLock().unlock();
            }
            if (pos > oldSize) {
                Truncate.zeroTailLocked(fs, i, oldSize);
            }
            int n;
            if (direct) {
                n = (int) directIO(fs, i, DioArgs.Rw.WRITE, pos, len, address, buf);
            } else {
                // Before any page is dirtied, and cleared only after the size covers them.
                i.writeEnd = pos + len;
                try {
                    if (buf != null) {
                        ByteBuffer view = buf.duplicate();
                        view.limit(view.position() + len);
                        n = fs.mappingOf(i).write(pos, view, oldSize);
                        buf.position(buf.position() + n);
                    } else {
                        n = fs.mappingOf(i).write(pos, address, len, oldSize);
                    }
                    if (pos + n > i.size) {
                        i.size = pos + n;
                    }
                } finally {
                    i.writeEnd = 0;
                }
            }
            if (pos + n > i.size) {
                i.size = pos + n;
            } else {
                // Within the file: blocks promised or allocated here are counted by writeback.
                timesOnly = !direct || !allocated;
            }
            long t = ExtentFs.now();
            i.mtimeNs = t;
            i.ctimeNs = t;
            return n;
        } catch (IOException e) {
            throw ExtentFs.eio("write ino " + i.ino + " at " + pos, e);
        } finally {
            i.lock.unlock();
            if (timesOnly) {
                fs.checkpoints.timesChanged();
            } else {
                fs.metadataChanged();
            }
        }
    }

    /** Direct I/O through temporary pages of simulated memory: used for O_DIRECT opens. */
    static long directIO(ExtentFs fs, Inode i, DioArgs.Rw rw, long pos, int len, long address, ByteBuffer buf) throws IOException {
        int n = (len + BlockIo.BLOCK_SIZE - 1) / BlockIo.BLOCK_SIZE;
        Page[] pages = new Page[n];
        try {
            for (int k = 0; k < n; k++) {
                pages[k] = fs.io.memory().allocPage(MigrateType.MOVABLE);
                if (pages[k] == null) {
                    throw new IOException("out of simulated memory for a direct I/O buffer");
                }
            }
            if (rw == DioArgs.Rw.WRITE) {
                copyBuffer(pages, len, address, buf, true);
            }
            long done = fs.mappingOf(i).directIO(new DioArgs(rw, pages, 0, len, pos));
            if (rw == DioArgs.Rw.READ) {
                copyBuffer(pages, (int) done, address, buf, false);
            }
            return done;
        } finally {
            for (Page p : pages) {
                if (p != null) {
                    fs.io.memory().freePages(p);
                }
            }
        }
    }

    private static void copyBuffer(Page[] pages, int len, long address, ByteBuffer buf, boolean toPages) {
        int done = 0;
        for (int k = 0; done < len; k++) {
            int c = Math.min(BlockIo.BLOCK_SIZE, len - done);
            if (buf != null) {
                if (toPages) {
                    pages[k].copyFrom(buf, 0, c);
                } else {
                    pages[k].copyTo(0, buf, c);
                }
            } else if (toPages) {
                pages[k].copyFrom(address + done, 0, c);
            } else {
                pages[k].copyTo(0, address + done, c);
            }
            done += c;
        }
    }
}
