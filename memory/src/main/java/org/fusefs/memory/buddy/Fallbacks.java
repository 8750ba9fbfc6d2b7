package org.fusefs.memory.buddy;

/**
 * Where an allocation of one migrate type may take memory when its own lists are empty, and how
 * much it takes: Mel Gorman's stealing of the largest free block of another type.
 *
 * <p>Mirrors {@code fallbacks[]}, {@code __rmqueue_fallback()} and
 * {@code steal_suitable_fallback()} in {@code mm/page_alloc.c}. The order of fallbacks is a table,
 * not branches. All methods run with the zone lock held.
 */
final class Fallbacks {
    /** Indexed by {@link MigrateType#ordinal()}: the types to steal from, in order of preference. */
    private static final int[][] FALLBACKS = {
        /* UNMOVABLE   */ {MigrateType.RECLAIMABLE.ordinal(), MigrateType.MOVABLE.ordinal()},
        /* MOVABLE     */ {MigrateType.RECLAIMABLE.ordinal(), MigrateType.UNMOVABLE.ordinal()},
        /* RECLAIMABLE */ {MigrateType.UNMOVABLE.ordinal(), MigrateType.MOVABLE.ordinal()},
    };

    private final Zone zone;

    Fallbacks(Zone zone) {
        this.zone = zone;
    }

    /**
     * Takes a block of {@code order} for {@code start} from another type's lists, or returns -1.
     *
     * <p>Searches from the largest order down so that one steal takes a whole pageblock where it
     * can, which keeps types apart. A movable allocation that would only find small blocks does
     * not claim them; it takes the smallest suitable block instead, so that it does not break up
     * large blocks of other types for nothing.
     */
    int rmqueueFallback(int order, int start) {
        assert zone.lock.isHeldByCurrentThread();
        for (int o = Zone.MAX_ORDER; o >= order; o--) {
            int ft = findSuitableFallback(o, start);
            if (ft < 0) {
                continue;
            }
            if (!canSteal(o, start)) {
                break;
            }
            stealSuitableFallback(zone.freeListHead(o, ft), o, start);
            return zone.rmqueueSmallest(order, start);
        }
        for (int o = order; o <= Zone.MAX_ORDER; o++) {
            int ft = findSuitableFallback(o, start);
            if (ft >= 0) {
                int pfn = zone.freeListHead(o, ft);
                zone.moveFreeBlockLocked(pfn, start);
                return zone.rmqueueSmallest(order, start);
            }
        }
        return -1;
    }

    /** Returns the first fallback type of {@code start} with a free block of {@code order}, or -1. */
    private int findSuitableFallback(int order, int start) {
        for (int ft : FALLBACKS[start]) {
            if (zone.freeListHead(order, ft) >= 0) {
                return ft;
            }
        }
        return -1;
    }

    /**
     * Whether an allocation of {@code start} may claim the free pages of a pageblock in which it
     * found a block of {@code order}. Unmovable and reclaimable allocations always do, to keep
     * themselves together; movable ones only for large blocks.
     */
    static boolean canSteal(int order, int start) {
        if (order >= Zone.PAGEBLOCK_ORDER) {
            return true;
        }
        return order >= Zone.PAGEBLOCK_ORDER / 2
                || start == MigrateType.UNMOVABLE.ordinal()
                || start == MigrateType.RECLAIMABLE.ordinal();
    }

    /**
     * Moves the free block at {@code pfn} (and, for a block smaller than a pageblock, every free
     * block of its pageblock) to the lists of {@code start}; converts the pageblock when the
     * block is a whole pageblock or when at least half of the pageblock is free or already holds
     * pages compatible with {@code start}.
     */
    private void stealSuitableFallback(int pfn, int order, int start) {
        if (order >= Zone.PAGEBLOCK_ORDER) {
            zone.setPageblockTypeLocked(pfn, start);
            zone.moveFreeBlockLocked(pfn, start);
            return;
        }
        long[] counts = zone.moveFreePagesBlockLocked(pfn, start);
        long free = counts[0];
        long movable = counts[1];
        long alike = start == MigrateType.MOVABLE.ordinal()
                ? movable
                : Zone.PAGEBLOCK_PAGES - free - movable;
        if (free + alike >= Zone.PAGEBLOCK_PAGES / 2) {
            zone.setPageblockTypeLocked(pfn, start);
        }
    }
}
