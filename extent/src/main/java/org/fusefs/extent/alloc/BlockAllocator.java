package org.fusefs.extent.alloc;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The free-space map of a filesystem: free extents indexed by start and by size.
 *
 * <p>Plays the part of ext4's mballoc and XFS's by-block / by-size free-space B-trees
 * ({@code xfs_alloc.c}, bnobt and cntbt): a request first tries to continue at a goal block (the
 * block after the previous extent of the same file), then takes the start of the largest free
 * extent, so that a file written sequentially ends in few, long extents.
 *
 * <p>Blocks freed between two checkpoints are <em>deferred</em> ({@link #freeDeferred}): the image
 * on the device may still use them, so they are not allocated, to metadata or to data, until the
 * next checkpoint has committed and calls {@link #releaseDeferred} (jbd2 keeps freed blocks from
 * reuse until the transaction that frees them commits, for the same reason).
 *
 * <p>Locking: the allocator lock (this object's monitor) is the last lock in the filesystem's
 * order (inode lock, then page lock, then the inode's data semaphore, then this). Nothing is
 * called out of this class while it is held.
 */
public final class BlockAllocator {
    private record Free(long start, long len) {
    }

    private static final Comparator<Free> BY_SIZE =
            Comparator.comparingLong(Free::len).thenComparingLong(Free::start);

    // protected by this
    private final TreeMap<Long, Long> byStart = new TreeMap<>();
    private final TreeSet<Free> bySize = new TreeSet<>(BY_SIZE);
    private long free;
    private long reserve;
    /** Blocks promised to delayed allocations (written into the cache, allocated at writeback). */
    private long delalloc;
    /**
     * Blocks freed since the last checkpoint (jbd2's "freed but not yet committed" list): the
     * on-device image may still use them, so nothing is allocated from them until the checkpoint
     * that stops using them has committed; then {@link #releaseDeferred} frees them.
     */
    private final TreeMap<Long, Long> deferred = new TreeMap<>();
    private long deferredCount;

    private final long first;
    private final long end;

    /** Creates an allocator for blocks {@code [first, end)}, initially all in use. */
    public BlockAllocator(long first, long end) {
        if (first < 0 || end < first) {
            throw new IllegalArgumentException("bad allocator range [" + first + ", " + end + ")");
        }
        this.first = first;
        this.end = end;
    }

    /** Blocks kept back from data allocations for metadata written at sync. */
    public synchronized void setReserve(long blocks) {
        this.reserve = blocks;
    }

    public synchronized long reserve() {
        return reserve;
    }

    public synchronized long freeBlocks() {
        return free;
    }

    /** Free blocks that data allocations may use (neither reserved for metadata nor promised). */
    public synchronized long availBlocks() {
        return Math.max(0, free - reserve - delalloc);
    }

    /** Free blocks not promised to delayed allocations (statfs f_bfree, as ext4 reports it). */
    public synchronized long unpromisedBlocks() {
        return free - delalloc;
    }

    public synchronized long delayedBlocks() {
        return delalloc;
    }

    /**
     * Promises {@code n} blocks to data written into the cache, to be allocated at writeback
     * ({@code ext4_da_reserve_space}).
     *
     * @throws NoSpaceException when fewer than {@code n} blocks are available; nothing changes
     */
    public synchronized void reserveDelayed(long n) throws NoSpaceException {
        if (n < 0) {
            throw new IllegalArgumentException("reserve (" + n + ") must be >= 0");
        }
        if (n > free - reserve - delalloc) {
            throw new NoSpaceException("need " + n + " blocks, " + Math.max(0, free - reserve - delalloc) + " available");
        }
        delalloc += n;
    }

    /** Gives back a promise that will not be allocated (the cached data was dropped). */
    public synchronized void releaseDelayed(long n) {
        if (n < 0 || n > delalloc) {
            throw new IllegalStateException("releasing " + n + " delayed blocks of " + delalloc);
        }
        delalloc -= n;
    }

    public synchronized int freeExtentCount() {
        return byStart.size();
    }

    /** A snapshot of the free extents as {start, len} pairs in block order. */
    public synchronized List<long[]> freeExtents() {
        List<long[]> out = new ArrayList<>(byStart.size());
        for (Map.Entry<Long, Long> e : byStart.entrySet()) {
            out.add(new long[] {e.getKey(), e.getValue()});
        }
        return out;
    }

    /**
     * Allocates between 1 and {@code want} contiguous blocks, at {@code goal} when it is free.
     *
     * @return {start, len}
     * @throws NoSpaceException when no block is available to this kind of allocation
     */
    public synchronized long[] allocate(long goal, long want, boolean metadata) throws NoSpaceException {
        if (want <= 0) {
            throw new IllegalArgumentException("want (" + want + ") must be positive");
        }
        long avail = (metadata ? free : free - reserve) - delalloc;
        if (avail <= 0) {
            throw new NoSpaceException("no free block (free " + free + ", reserved " + reserve + ", promised "
                    + delalloc + ")");
        }
        want = Math.min(want, avail);
        if (goal >= first && goal < end) {
            Map.Entry<Long, Long> f = byStart.floorEntry(goal);
            if (f != null && f.getKey() + f.getValue() > goal) {
                long n = Math.min(want, f.getKey() + f.getValue() - goal);
                take(f.getKey(), f.getValue(), goal, n);
                return new long[] {goal, n};
            }
        }
        Free largest = bySize.last();
        long n = Math.min(want, largest.len());
        take(largest.start(), largest.len(), largest.start(), n);
        return new long[] {largest.start(), n};
    }

    /**
     * Allocates exactly {@code count} blocks as one or more pieces of at most {@code maxPiece}, or
     * nothing at all.
     *
     * @throws NoSpaceException when fewer than {@code count} blocks are available; nothing changes
     */
    public synchronized List<long[]> allocateAll(long goal, long count, long maxPiece, boolean metadata)
            throws NoSpaceException {
        return allocateAll(goal, count, maxPiece, metadata, 0);
    }

    /**
     * As {@link #allocateAll(long, long, long, boolean)}, where {@code promised} of the blocks were
     * promised by {@link #reserveDelayed} and now take their promise with them.
     */
    public synchronized List<long[]> allocateAll(long goal, long count, long maxPiece, boolean metadata,
            long promised) throws NoSpaceException {
        if (promised < 0 || promised > count || promised > delalloc) {
            throw new IllegalStateException("allocating " + count + " blocks with " + promised + " promised of "
                    + delalloc);
        }
        long avail = (metadata ? free : free - reserve) - delalloc + promised;
        if (count > avail) {
            throw new NoSpaceException("need " + count + " blocks, " + Math.max(0, avail) + " available");
        }
        delalloc -= promised;
        List<long[]> out = new ArrayList<>();
        long left = count;
        while (left > 0) {
            long[] p = allocate(goal, Math.min(left, maxPiece), true);
            out.add(p);
            left -= p[1];
            goal = p[0] + p[1];
        }
        return out;
    }

    /** Returns blocks to the free map, merging with neighbours; freeing a free block is a bug. */
    public synchronized void free(long start, long len) {
        if (overlaps(deferred, start, len)) {
            throw new IllegalStateException("double free: [" + start + ", +" + len + ") is deferred");
        }
        if (len <= 0 || start < first || start + len > end) {
            throw new IllegalArgumentException("free [" + start + ", +" + len + ") outside [" + first + ", " + end + ")");
        }
        Map.Entry<Long, Long> prev = byStart.floorEntry(start);
        if (prev != null && prev.getKey() + prev.getValue() > start) {
            throw new IllegalStateException("double free: [" + start + ", +" + len + ") overlaps free ["
                    + prev.getKey() + ", +" + prev.getValue() + ")");
        }
        Map.Entry<Long, Long> next = byStart.ceilingEntry(start);
        if (next != null && next.getKey() < start + len) {
            throw new IllegalStateException("double free: [" + start + ", +" + len + ") overlaps free ["
                    + next.getKey() + ", +" + next.getValue() + ")");
        }
        long s = start;
        long l = len;
        if (prev != null && prev.getKey() + prev.getValue() == start) {
            removeFree(prev.getKey(), prev.getValue());
            s = prev.getKey();
            l += prev.getValue();
        }
        if (next != null && next.getKey() == start + len) {
            removeFree(next.getKey(), next.getValue());
            l += next.getValue();
        }
        addFree(s, l);
        free += len;
    }

    /**
     * Frees blocks that the last written image may still use: they join the free map only at
     * {@link #releaseDeferred}, after the next checkpoint commits. Freeing a free or
     * already deferred block is a bug.
     */
    public synchronized void freeDeferred(long start, long len) {
        if (len <= 0 || start < first || start + len > end) {
            throw new IllegalArgumentException("free [" + start + ", +" + len + ") outside [" + first + ", " + end
                    + ")");
        }
        if (anyFree(start, len) || overlaps(deferred, start, len)) {
            throw new IllegalStateException("double free: [" + start + ", +" + len + ") is already free or deferred");
        }
        long s = start;
        long l = len;
        Map.Entry<Long, Long> prev = deferred.floorEntry(start);
        if (prev != null && prev.getKey() + prev.getValue() == start) {
            deferred.remove(prev.getKey());
            s = prev.getKey();
            l += prev.getValue();
        }
        Long nextLen = deferred.get(start + len);
        if (nextLen != null) {
            deferred.remove(start + len);
            l += nextLen;
        }
        deferred.put(s, l);
        deferredCount += len;
    }

    /** Blocks freed since the last checkpoint, not yet allocatable. */
    public synchronized long deferredBlocks() {
        return deferredCount;
    }

    /** Moves every deferred block into the free map (the checkpoint that stopped using them committed). */
    public synchronized void releaseDeferred() {
        Map<Long, Long> all = new TreeMap<>(deferred);
        deferred.clear();
        deferredCount = 0;
        for (Map.Entry<Long, Long> e : all.entrySet()) {
            free(e.getKey(), e.getValue());
        }
    }

    /**
     * The free map as the next image records it: free and deferred extents merged, as {start, len}
     * pairs in block order (both are free once that image has committed).
     */
    public synchronized List<long[]> freeAndDeferredExtents() {
        List<long[]> out = new ArrayList<>(byStart.size() + deferred.size());
        java.util.Iterator<Map.Entry<Long, Long>> a = byStart.entrySet().iterator();
        java.util.Iterator<Map.Entry<Long, Long>> b = deferred.entrySet().iterator();
        Map.Entry<Long, Long> x = a.hasNext() ? a.next() : null;
        Map.Entry<Long, Long> y = b.hasNext() ? b.next() : null;
        while (x != null || y != null) {
            Map.Entry<Long, Long> e;
            if (y == null || (x != null && x.getKey() < y.getKey())) {
                e = x;
                x = a.hasNext() ? a.next() : null;
            } else {
                e = y;
                y = b.hasNext() ? b.next() : null;
            }
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last[0] + last[1] == e.getKey()) {
                last[1] += e.getValue();
            } else {
                out.add(new long[] {e.getKey(), e.getValue()});
            }
        }
        return out;
    }

    private static boolean overlaps(TreeMap<Long, Long> m, long start, long len) {
        Map.Entry<Long, Long> f = m.floorEntry(start);
        if (f != null && f.getKey() + f.getValue() > start) {
            return true;
        }
        Long n = m.higherKey(start);
        return n != null && n < start + len;
    }

    /** Whether every block of {@code [start, start+len)} is free. */
    public synchronized boolean isFree(long start, long len) {
        Map.Entry<Long, Long> f = byStart.floorEntry(start);
        return f != null && f.getKey() + f.getValue() >= start + len;
    }

    /** Whether any block of {@code [start, start+len)} is free. */
    public synchronized boolean anyFree(long start, long len) {
        Map.Entry<Long, Long> f = byStart.floorEntry(start);
        if (f != null && f.getKey() + f.getValue() > start) {
            return true;
        }
        Long n = byStart.higherKey(start);
        return n != null && n < start + len;
    }

    private void take(long fStart, long fLen, long at, long n) {
        removeFree(fStart, fLen);
        if (at > fStart) {
            addFree(fStart, at - fStart);
        }
        long tail = fStart + fLen - (at + n);
        if (tail > 0) {
            addFree(at + n, tail);
        }
        free -= n;
    }

    private void removeFree(long s, long l) {
        byStart.remove(s);
        bySize.remove(new Free(s, l));
    }

    private void addFree(long s, long l) {
        byStart.put(s, l);
        bySize.add(new Free(s, l));
    }
}
