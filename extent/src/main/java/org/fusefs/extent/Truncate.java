package org.fusefs.extent;

import java.io.IOException;
import java.util.List;
import org.fusefs.pagecache.AddressSpace;

/**
 * Size changes of a regular file: shrinking drops cached pages and frees blocks past the new end;
 * growing zeroes the tail of the old last block so that no earlier bytes become visible.
 *
 * <p>Mirrors {@code ext4_truncate} and the zeroing of {@code ext4_block_truncate_page}. All entry
 * points expect the inode lock held.
 */
final class Truncate {
    /** One past the last logical block any file can have. */
    static final long END_LBLK = 1L << 40;
    private static final byte[] ZEROS = new byte[BlockIo.BLOCK_SIZE];

    private Truncate() {
    }

    static long blocksFor(long bytes) {
        return (bytes + BlockIo.BLOCK_SIZE - 1) / BlockIo.BLOCK_SIZE;
    }

    /** Sets the size of {@code i} to {@code newSize}, freeing or zeroing as needed. */
    static void setSizeLocked(ExtentFs fs, Inode i, long newSize) {
        assert i.lock.isHeldByCurrentThread();
        long old = i.size;
        if (newSize >= old) {
            zeroTailLocked(fs, i, old);
            i.size = newSize;
            return;
        }
        i.invalidateLock.writeLock().lock();
        try {
            i.size = newSize;
            AddressSpace m = i.mapping;
            if (m != null) {
                m.truncateRange(newSize, Long.MAX_VALUE, false);
            }
            long from = blocksFor(newSize);
            i.dataSem.writeLock().lock();
            try {
                List<Extent> removed = i.extents.remove(from, END_LBLK);
                i.pending.remove(from, END_LBLK);
                fs.mapBlocks.dropDelayed(i, from, END_LBLK);
                fs.mapBlocks.free(removed);
            } finally {
                i.dataSem.writeLock().unlock();
            }
        } catch (IOException e) {
            throw ExtentFs.eio("truncate ino " + i.ino, e);
        } finally {
            i.invalidateLock.writeLock().unlock();
        }
    }

    /**
     * Zeroes {@code [oldSize, end of its block)} through the page cache before the size grows past
     * it: whatever the block held beyond the old end (a shared mapping's stray bytes, stale data)
     * must read as zeros afterwards.
     */
    static void zeroTailLocked(ExtentFs fs, Inode i, long oldSize) {
        assert i.lock.isHeldByCurrentThread();
        int r = (int) (oldSize % BlockIo.BLOCK_SIZE);
        if (r == 0) {
            return;
        }
        long blk = oldSize / BlockIo.BLOCK_SIZE;
        boolean mapped;
        i.dataSem.readLock().lock();
        try {
            mapped = i.extents.find(blk) != null || i.pending.contains(blk);
        } finally {
            i.dataSem.readLock().unlock();
        }
        if (!mapped) {
            return;
        }
        try {
            fs.mappingOf(i).write(oldSize, ZEROS, 0, BlockIo.BLOCK_SIZE - r, oldSize);
        } catch (IOException e) {
            throw ExtentFs.eio("zero tail of ino " + i.ino, e);
        }
    }

    /** Zeroes bytes {@code [from, to)} that lie inside one block, through the page cache. */
    static void zeroPartialLocked(ExtentFs fs, Inode i, long from, long to) throws IOException {
        assert i.lock.isHeldByCurrentThread();
        if (from >= to) {
            return;
        }
        fs.mappingOf(i).write(from, ZEROS, 0, (int) (to - from), i.size);
    }
}
