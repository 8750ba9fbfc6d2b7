package org.fusefs.extent;

import java.util.ArrayList;
import java.util.List;
import org.fusefs.extent.alloc.BlockAllocator;
import org.fusefs.extent.alloc.NoSpaceException;

/**
 * Block mapping with allocation: turns holes of a file into unwritten extents, and gives freed
 * extents back to the allocator.
 *
 * <p>Mirrors {@code ext4_ext_map_blocks} with {@code EXT4_GET_BLOCKS_CREATE_UNWRIT_EXT}, and the
 * delayed-allocation reservations of {@code ext4_da_reserve_space}. The
 * caller holds the inode's {@code dataSem} for writing (then the allocator lock is taken inside).
 */
final class MapBlocks {
    private final BlockAllocator alloc;

    MapBlocks(BlockAllocator alloc) {
        this.alloc = alloc;
    }

    BlockAllocator allocator() {
        return alloc;
    }

    /**
     * Allocates unwritten extents for every hole of {@code [from, to)}: all of them or, when the
     * free space does not suffice, none.
     *
     * @return the number of blocks allocated
     */
    long allocateHoles(Inode inode, long from, long to) throws NoSpaceException {
        assert inode.dataSem.isWriteLockedByCurrentThread();
        List<long[]> holes = holes(inode.extents, from, to);
        long count = 0;
        for (long[] h : holes) {
            count += h[1] - h[0];
        }
        if (count == 0) {
            return 0;
        }
        // Delayed blocks among the holes were promised space at write(2); they take it now.
        long promised = 0;
        for (long[] h : holes) {
            promised += inode.delayed.count(h[0], h[1]);
        }
        List<long[]> pieces = alloc.allocateAll(goal(inode, holes.get(0)[0]), count, Extent.MAX_UNWRITTEN_LEN, false,
                promised);
        for (long[] h : holes) {
            inode.delayed.remove(h[0], h[1]);
        }
        int pi = 0;
        long pStart = pieces.get(0)[0];
        long pLeft = pieces.get(0)[1];
        for (long[] h : holes) {
            long l = h[0];
            while (l < h[1]) {
                if (pLeft == 0) {
                    pi++;
                    pStart = pieces.get(pi)[0];
                    pLeft = pieces.get(pi)[1];
                }
                int n = (int) Math.min(Math.min(pLeft, h[1] - l), Extent.MAX_UNWRITTEN_LEN);
                inode.extents.insert(new Extent(l, pStart, n, true));
                l += n;
                pStart += n;
                pLeft -= n;
            }
        }
        return count;
    }

    /** The unmapped ranges of {@code [from, to)} as {start, end} pairs. */
    static List<long[]> holes(ExtentTree tree, long from, long to) {
        List<long[]> out = new ArrayList<>();
        long at = from;
        for (Extent e : tree.overlapping(from, to)) {
            if (e.lblk() > at) {
                out.add(new long[] {at, e.lblk()});
            }
            at = Math.max(at, e.end());
        }
        if (at < to) {
            out.add(new long[] {at, to});
        }
        return out;
    }

    /** The physical block where data for logical block {@code lblk} would continue its neighbour. */
    static long goal(Inode inode, long lblk) {
        Extent prev = inode.extents.lastBefore(lblk);
        if (prev != null) {
            return prev.pblk() + prev.len() + (lblk - prev.end());
        }
        Extent next = inode.extents.findFrom(lblk);
        if (next != null && next.pblk() >= next.lblk() - lblk) {
            return next.pblk() - (next.lblk() - lblk);
        }
        return -1;
    }

    /**
     * Promises space for the holes of {@code [from, to)} that are not promised yet and marks them
     * delayed: buffered write(2) allocates nothing, writeback does ({@code ext4_da_write_begin}).
     */
    void reserveDelayed(Inode inode, long from, long to) throws NoSpaceException {
        assert inode.dataSem.isWriteLockedByCurrentThread();
        List<long[]> holes = holes(inode.extents, from, to);
        long need = 0;
        for (long[] h : holes) {
            need += (h[1] - h[0]) - inode.delayed.count(h[0], h[1]);
        }
        if (need == 0) {
            return;
        }
        alloc.reserveDelayed(need);
        for (long[] h : holes) {
            inode.delayed.add(h[0], h[1]);
        }
    }

    /** Blocks that allocating the holes of {@code [from, to)} would take beyond those already promised. */
    static long newBlocks(Inode inode, long from, long to) {
        long n = 0;
        for (long[] h : holes(inode.extents, from, to)) {
            n += (h[1] - h[0]) - inode.delayed.count(h[0], h[1]);
        }
        return n;
    }

    /**
     * The end of the longest prefix of {@code [from, to)} whose unpromised holes fit in the space
     * available now ({@code to} when all of it fits); for short writes at ENOSPC.
     */
    long fittingEnd(Inode inode, long from, long to) {
        long avail = alloc.availBlocks();
        if (newBlocks(inode, from, to) <= avail) {
            return to;
        }
        long need = 0;
        for (long[] h : holes(inode.extents, from, to)) {
            for (long b = h[0]; b < h[1]; b++) {
                if (!inode.delayed.contains(b)) {
                    if (++need > avail) {
                        return b;
                    }
                }
            }
        }
        return to;
    }

    /** Drops the delayed blocks of {@code [from, to)} (their cached data is gone) and their promise. */
    void dropDelayed(Inode inode, long from, long to) {
        assert inode.dataSem.isWriteLockedByCurrentThread();
        long n = inode.delayed.remove(from, to);
        if (n > 0) {
            alloc.releaseDelayed(n);
        }
    }

    /**
     * Returns the blocks of removed extents to the allocator, deferred: the image on the device may
     * still map them until the next checkpoint commits, so they are not reused before.
     */
    void free(List<Extent> removed) {
        for (Extent e : removed) {
            alloc.freeDeferred(e.pblk(), e.len());
        }
    }
}
