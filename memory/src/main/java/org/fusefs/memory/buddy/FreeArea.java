package org.fusefs.memory.buddy;

import java.util.Arrays;

/**
 * The free blocks of one order: a list head per migrate type and the number of blocks on each.
 *
 * <p>Mirrors {@code struct free_area}. The lists are threaded through the zone's per-frame link
 * arrays; this object holds only the heads and counts. Guarded by the zone lock.
 */
final class FreeArea {
    /** First frame of each list, or -1 when empty; indexed by migrate type. */
    final int[] head = new int[Zone.NR_TYPES];
    /** Blocks on each list. */
    final long[] nrFree = new long[Zone.NR_TYPES];

    FreeArea() {
        Arrays.fill(head, -1);
    }

    /** Returns the number of free blocks of this order over all types. */
    long total() {
        long n = 0;
        for (long v : nrFree) {
            n += v;
        }
        return n;
    }
}
