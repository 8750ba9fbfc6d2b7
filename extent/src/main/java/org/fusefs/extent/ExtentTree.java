package org.fusefs.extent;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The in-memory extent map of one inode: logical block to {@link Extent}, kept sorted, without
 * overlaps, with adjacent compatible extents merged.
 *
 * <p>Mirrors the operations of {@code fs/ext4/extents.c} ({@code ext4_find_extent},
 * {@code ext4_ext_insert_extent}, {@code ext4_ext_remove_space}, {@code ext4_split_extent},
 * {@code ext4_ext_shift_extents}, unwritten conversion). The on-device B-tree (root in the inode,
 * index and leaf blocks) is produced from this map by {@link ExtentTreeFormat}. Every operation
 * costs O(log n) plus the number of extents it touches, never the file size.
 *
 * <p>Not thread-safe: guarded by the owning inode's {@code dataSem}.
 */
final class ExtentTree {
    private final TreeMap<Long, Extent> map = new TreeMap<>();
    private long blocks;

    /** Returns the extent containing logical block {@code l}, or null for a hole. */
    Extent find(long l) {
        Map.Entry<Long, Extent> e = map.floorEntry(l);
        return e != null && e.getValue().contains(l) ? e.getValue() : null;
    }

    /** Returns the extent containing {@code l} or else the first one after it, or null. */
    Extent findFrom(long l) {
        Extent e = find(l);
        if (e != null) {
            return e;
        }
        Map.Entry<Long, Extent> n = map.higherEntry(l);
        return n == null ? null : n.getValue();
    }

    /** Returns the last extent that starts before {@code l}, or null. */
    Extent lastBefore(long l) {
        Map.Entry<Long, Extent> e = map.lowerEntry(l);
        return e == null ? null : e.getValue();
    }

    /** Returns the extents overlapping {@code [from, to)}, in order (a snapshot). */
    List<Extent> overlapping(long from, long to) {
        List<Extent> out = new ArrayList<>();
        Map.Entry<Long, Extent> first = map.floorEntry(from);
        Long start = first != null && first.getValue().end() > from ? first.getKey() : Long.valueOf(from);
        for (Extent e : map.subMap(start, true, to, false).values()) {
            out.add(e);
        }
        return out;
    }

    /** Number of blocks in {@code [from, to)} that no extent maps. */
    long holeBlocks(long from, long to) {
        long mapped = 0;
        for (Extent e : overlapping(from, to)) {
            mapped += Math.min(to, e.end()) - Math.max(from, e.lblk());
        }
        return (to - from) - mapped;
    }

    /** Inserts an extent over a range that must be unmapped; merges with its neighbours. */
    void insert(Extent e) {
        if (!overlapping(e.lblk(), e.end()).isEmpty()) {
            throw new IllegalStateException("extent " + e + " overlaps " + overlapping(e.lblk(), e.end()));
        }
        map.put(e.lblk(), e);
        blocks += e.len();
        mergeAround(e.lblk());
        mergeAround(e.end());
    }

    /** Unmaps {@code [from, to)}, splitting edge extents; returns the removed pieces (to be freed). */
    List<Extent> remove(long from, long to) {
        List<Extent> removed = new ArrayList<>();
        for (Extent e : overlapping(from, to)) {
            map.remove(e.lblk());
            blocks -= e.len();
            if (e.lblk() < from) {
                putRaw(e.slice(e.lblk(), from));
            }
            if (e.end() > to) {
                putRaw(e.slice(to, e.end()));
            }
            removed.add(e.slice(from, to));
        }
        return removed;
    }

    /**
     * Marks the mapped blocks of {@code [from, to)} unwritten or written; holes stay holes. Returns
     * whether any block changed state.
     */
    boolean setState(long from, long to, boolean unwritten) {
        boolean changed = false;
        for (Extent e : overlapping(from, to)) {
            if (e.unwritten() == unwritten) {
                continue;
            }
            changed = true;
            map.remove(e.lblk());
            blocks -= e.len();
            if (e.lblk() < from) {
                putRaw(e.slice(e.lblk(), from));
            }
            if (e.end() > to) {
                putRaw(e.slice(to, e.end()));
            }
            Extent mid = e.slice(from, to);
            putSplit(mid.lblk(), mid.pblk(), mid.len(), unwritten);
        }
        mergeAround(from);
        mergeAround(to);
        // Interior boundaries of converted pieces may now be mergeable too.
        for (Extent e : overlapping(from, to)) {
            mergeAround(e.end());
        }
        return changed;
    }

    /** Splits the extent straddling {@code at} so that an extent boundary lies at {@code at}. */
    void splitAt(long at) {
        Extent e = find(at);
        if (e != null && e.lblk() < at) {
            map.remove(e.lblk());
            map.put(e.lblk(), e.slice(e.lblk(), at));
            map.put(at, e.slice(at, e.end()));
        }
    }

    /**
     * Moves every extent at or after {@code from} down by {@code delta} blocks; the range
     * {@code [from - delta, from)} must be unmapped (collapse range).
     */
    void shiftLeft(long from, long delta) {
        if (delta <= 0 || delta > from) {
            throw new IllegalArgumentException("shift left by " + delta + " from " + from);
        }
        splitAt(from);
        if (!overlapping(from - delta, from).isEmpty()) {
            throw new IllegalStateException("collapse target [" + (from - delta) + ", " + from + ") is mapped");
        }
        NavigableMap<Long, Extent> tail = map.tailMap(from, true);
        List<Extent> moved = new ArrayList<>(tail.values());
        tail.clear();
        for (Extent e : moved) {
            map.put(e.lblk() - delta, e.movedTo(e.lblk() - delta));
        }
        mergeAround(from - delta);
    }

    /** Moves every extent at or after {@code from} up by {@code delta} blocks (insert range). */
    void shiftRight(long from, long delta) {
        if (delta <= 0) {
            throw new IllegalArgumentException("shift right by " + delta);
        }
        splitAt(from);
        NavigableMap<Long, Extent> tail = map.tailMap(from, true);
        List<Extent> moved = new ArrayList<>(tail.values());
        tail.clear();
        for (int i = moved.size() - 1; i >= 0; i--) {
            Extent e = moved.get(i);
            map.put(e.lblk() + delta, e.movedTo(e.lblk() + delta));
        }
    }

    /** Returns the first logical block after the last extent, 0 when empty. */
    long endBlock() {
        Map.Entry<Long, Extent> last = map.lastEntry();
        return last == null ? 0 : last.getValue().end();
    }

    /** Number of extents. */
    int size() {
        return map.size();
    }

    /** Number of mapped blocks. */
    long blocks() {
        return blocks;
    }

    /** All extents in logical order (a live view; do not modify the tree while iterating). */
    Collection<Extent> all() {
        return map.values();
    }

    /** Removes everything and returns the removed extents. */
    List<Extent> clear() {
        List<Extent> all = new ArrayList<>(map.values());
        map.clear();
        blocks = 0;
        return all;
    }

    /** Loads an extent from the device image, without merging (the image is already merged). */
    void load(Extent e) {
        Map.Entry<Long, Extent> prev = map.floorEntry(e.lblk());
        if (prev != null && prev.getValue().end() > e.lblk()) {
            throw new IllegalStateException("extent " + e + " overlaps " + prev.getValue());
        }
        putRaw(e);
    }

    private void putRaw(Extent e) {
        map.put(e.lblk(), e);
        blocks += e.len();
    }

    private void putSplit(long lblk, long pblk, int len, boolean unwritten) {
        int max = Extent.maxLen(unwritten);
        while (len > 0) {
            int n = Math.min(len, max);
            putRaw(new Extent(lblk, pblk, n, unwritten));
            lblk += n;
            pblk += n;
            len -= n;
        }
    }

    /** Merges the extents meeting at boundary {@code at} when they are compatible. */
    private void mergeAround(long at) {
        Extent right = map.get(at);
        if (right == null) {
            return;
        }
        Map.Entry<Long, Extent> le = map.lowerEntry(at);
        if (le == null) {
            return;
        }
        Extent left = le.getValue();
        if (left.mergeableWith(right)) {
            map.remove(at);
            map.put(left.lblk(), new Extent(left.lblk(), left.pblk(), left.len() + right.len(), left.unwritten()));
        }
    }
}
