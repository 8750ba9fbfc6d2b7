package org.fusefs.extent;

import java.util.Map;
import java.util.TreeMap;

/**
 * A set of logical blocks kept as disjoint, coalesced ranges {@code [start, end)}.
 *
 * <p>Used for an inode's pending blocks: data written into the page cache over unwritten extents
 * that writeback has not yet converted (what the kernel's extent status tree records). Not
 * thread-safe: guarded by the owning inode's {@code dataSem}.
 */
final class BlockRangeSet {
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    void add(long start, long end) {
        if (start >= end) {
            return;
        }
        Map.Entry<Long, Long> prev = ranges.floorEntry(start);
        if (prev != null && prev.getValue() >= start) {
            start = prev.getKey();
            end = Math.max(end, prev.getValue());
        }
        Map.Entry<Long, Long> next = ranges.ceilingEntry(start);
        while (next != null && next.getKey() <= end) {
            end = Math.max(end, next.getValue());
            ranges.remove(next.getKey());
            next = ranges.ceilingEntry(start);
        }
        ranges.put(start, end);
    }

    void remove(long start, long end) {
        if (start >= end) {
            return;
        }
        Map.Entry<Long, Long> prev = ranges.lowerEntry(start);
        if (prev != null && prev.getValue() > start) {
            ranges.put(prev.getKey(), start);
            if (prev.getValue() > end) {
                ranges.put(end, prev.getValue());
                return;
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

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    void clear() {
        ranges.clear();
    }
}
