package org.fusefs.extent;

import java.util.Map;
import java.util.TreeMap;

/**
 * A set of logical blocks kept as disjoint, coalesced ranges {@code [start, end)}, with its size.
 *
 * <p>Used for an inode's pending blocks (data in the page cache not yet reflected as written
 * extents) and delayed blocks (reserved, not yet allocated): what the kernel's extent status tree
 * records. Not thread-safe: guarded by the owning inode's {@code dataSem}.
 */
final class BlockRangeSet {
    private final TreeMap<Long, Long> ranges = new TreeMap<>();
    private long size;

    /** Adds {@code [start, end)}; returns how many blocks were not members before. */
    long add(long start, long end) {
        if (start >= end) {
            return 0;
        }
        long before = count(start, end);
        long s = start;
        long e = end;
        Map.Entry<Long, Long> prev = ranges.floorEntry(s);
        if (prev != null && prev.getValue() >= s) {
            s = prev.getKey();
            e = Math.max(e, prev.getValue());
        }
        Map.Entry<Long, Long> next = ranges.ceilingEntry(s);
        while (next != null && next.getKey() <= e) {
            e = Math.max(e, next.getValue());
            ranges.remove(next.getKey());
            next = ranges.ceilingEntry(s);
        }
        ranges.put(s, e);
        long added = (end - start) - before;
        size += added;
        return added;
    }

    /** Removes {@code [start, end)}; returns how many members were removed. */
    long remove(long start, long end) {
        if (start >= end) {
            return 0;
        }
        long removed = count(start, end);
        if (removed == 0) {
            return 0;
        }
        Map.Entry<Long, Long> prev = ranges.lowerEntry(start);
        if (prev != null && prev.getValue() > start) {
            ranges.put(prev.getKey(), start);
            if (prev.getValue() > end) {
                ranges.put(end, prev.getValue());
                size -= removed;
                return removed;
            }
        }
        Map.Entry<Long, Long> e = ranges.ceilingEntry(start);
        while (e != null && e.getKey() < end) {
            ranges.remove(e.getKey());
            if (e.getValue() > end) {
                ranges.put(end, e.getValue());
                break;
            }
            e = ranges.ceilingEntry(start);
        }
        size -= removed;
        return removed;
    }

    /** Number of members in {@code [start, end)}. */
    long count(long start, long end) {
        long n = 0;
        Map.Entry<Long, Long> prev = ranges.lowerEntry(start);
        if (prev != null && prev.getValue() > start) {
            n += Math.min(end, prev.getValue()) - start;
        }
        for (Map.Entry<Long, Long> e : ranges.subMap(start, true, end, false).entrySet()) {
            n += Math.min(end, e.getValue()) - e.getKey();
        }
        return n;
    }

    boolean contains(long b) {
        Map.Entry<Long, Long> e = ranges.floorEntry(b);
        return e != null && e.getValue() > b;
    }

    /** Returns the first member at or after {@code b}, or -1. */
    long nextFrom(long b) {
        if (contains(b)) {
            return b;
        }
        Long k = ranges.higherKey(b);
        return k == null ? -1 : k;
    }

    /** Returns the first non-member at or after {@code b}. */
    long nextGap(long b) {
        Map.Entry<Long, Long> e = ranges.floorEntry(b);
        return e != null && e.getValue() > b ? e.getValue() : b;
    }

    /** Number of members. */
    long size() {
        return size;
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** Removes everything; returns how many members there were. */
    long clear() {
        long n = size;
        ranges.clear();
        size = 0;
        return n;
    }
}
