package org.fusefs.extent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;

/**
 * Where a file has data: lseek SEEK_DATA / SEEK_HOLE and the FIEMAP extent list.
 *
 * <p>Data means a written extent or a block whose dirty data waits in the page cache; an unwritten
 * (preallocated, never written) extent and a punched range are holes, as on ext4 and XFS
 * (shared/spec/fallocate.md, "SEEK_DATA / SEEK_HOLE on unwritten extents"). Reads the maps under
 * the inode's dataSem.
 */
final class FileMap {
    private static final int BS = BlockIo.BLOCK_SIZE;
    private final ExtentFs fs;

    FileMap(ExtentFs fs) {
        this.fs = fs;
    }

    long seekData(Inode i, long off) {
        long size = i.size;
        if (off < 0 || off >= size) {
            throw new ErrnoException(Errno.ENXIO, "SEEK_DATA at " + off + " of ino " + i.ino + " (size " + size + ")");
        }
        if (!i.isReg()) {
            return off;
        }
        long blk = off / BS;
        long found;
        i.dataSem.readLock().lock();
        try {
            found = -1;
            Extent e = i.extents.findFrom(blk);
            while (e != null && e.unwritten()) {
                e = i.extents.findFrom(e.end());
            }
            if (e != null) {
                found = Math.max(blk, e.lblk());
            }
            long p = i.pending.nextFrom(blk);
            if (p >= 0 && (found < 0 || p < found)) {
                found = p;
            }
        } finally {
            i.dataSem.readLock().unlock();
        }
        if (found < 0 || found * BS >= size) {
            throw new ErrnoException(Errno.ENXIO, "no data at or after " + off + " in ino " + i.ino);
        }
        return Math.max(off, found * BS);
    }

    long seekHole(Inode i, long off) {
        long size = i.size;
        if (off < 0 || off >= size) {
            throw new ErrnoException(Errno.ENXIO, "SEEK_HOLE at " + off + " of ino " + i.ino + " (size " + size + ")");
        }
        if (!i.isReg()) {
            return size;
        }
        long b = off / BS;
        i.dataSem.readLock().lock();
        try {
            while (b * BS < size) {
                Extent e = i.extents.find(b);
                if (e != null && !e.unwritten()) {
                    b = e.end();
                } else if (i.pending.contains(b)) {
                    b = i.pending.nextGap(b);
                } else {
                    break;
                }
            }
        } finally {
            i.dataSem.readLock().unlock();
        }
        return Math.min(size, Math.max(off, b * BS));
    }

    /** The extents over {@code [start, start+length)} after writing back the file's dirty pages. */
    List<FiemapExtent> fiemap(Inode i, long start, long length) {
        if (start < 0 || length < 0) {
            throw new ErrnoException(Errno.EINVAL, "fiemap [" + start + ", +" + length + ")");
        }
        if (!i.isReg()) {
            return List.of();
        }
        if (i.mapping != null) {
            try {
                i.mapping.writeAndWait(0, Long.MAX_VALUE);
            } catch (IOException e) {
                throw ExtentFs.eio("fiemap sync of ino " + i.ino, e);
            }
        }
        long from = start / BS;
        // FIEMAP callers ask for "everything" with a length of ~0; the rounding up must not overflow.
        long to = length == 0 || length > Long.MAX_VALUE - BS - start ? Truncate.END_LBLK
                : Math.min(Truncate.END_LBLK, (start + length + BS - 1) / BS);
        List<FiemapExtent> out = new ArrayList<>();
        i.dataSem.readLock().lock();
        try {
            long endBlock = i.extents.endBlock();
            for (Extent e : i.extents.overlapping(from, to)) {
                out.add(new FiemapExtent(e.lblk() * BS, e.pblk() * BS, (long) e.len() * BS, e.unwritten(),
                        e.end() == endBlock));
            }
        } finally {
            i.dataSem.readLock().unlock();
        }
        return out;
    }
}
