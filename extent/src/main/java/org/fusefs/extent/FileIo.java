package org.fusefs.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.fusefs.extent.alloc.NoSpaceException;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.DioArgs;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.OpenFlags;

/**
 * read(2) and write(2) of regular files: buffered through the page cache, or direct for O_DIRECT
 * opens when offset and length are block aligned.
 *
 * <p>write allocates unwritten extents for the holes it covers before copying (so ENOSPC is
 * reported by write, not lost at writeback), marks the blocks pending, and writeback converts them
 * once the data is on the device: the ext4 {@code dioread_nolock} scheme, which never lets a crash
 * or a dropped page expose a block's earlier contents.
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
            if (direct(f, pos, len)) {
                return (int) fs.directIO(i, DioArgs.Rw.READ, pos, len, address, buf);
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

    static int write(ExtentFs fs, OpenFileImpl f, long pos, int len, long address, ByteBuffer buf) {
        if (pos < 0 || len < 0) {
            throw new ErrnoException(Errno.EINVAL, "write at " + pos + " length " + len);
        }
        Inode i = f.inode;
        i.lock.lock();
        try {
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
            long end = (pos + len + BS - 1) / BS;
            long oldSize = i.size;
            boolean direct = direct(f, pos, len);
            i.dataSem.writeLock().lock();
            try {
                fs.mapBlocks.allocateHoles(i, first, end);
                if (!direct) {
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
                n = (int) fs.directIO(i, DioArgs.Rw.WRITE, pos, len, address, buf);
            } else if (buf != null) {
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
            long t = ExtentFs.now();
            i.mtimeNs = t;
            i.ctimeNs = t;
            return n;
        } catch (IOException e) {
            throw ExtentFs.eio("write ino " + i.ino + " at " + pos, e);
        } finally {
            i.lock.unlock();
        }
    }
}
