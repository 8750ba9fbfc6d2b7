package org.fusefs.memory.stat;

import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.buddy.Zone;
import org.fusefs.memory.owner.PageOwnerTracker;

/**
 * Formats the zone's free lists as {@code /proc/buddyinfo} and {@code /proc/pagetypeinfo} do.
 *
 * <p>Mirrors {@code frag_show_print()}, {@code pagetypeinfo_showfree_print()} and
 * {@code pagetypeinfo_showblockcount_print()} of {@code mm/vmstat.c}. The simulated memory is
 * one node with one zone, called Normal.
 */
public final class VmStat {
    private static final String ZONE = "Normal";

    private VmStat() {
    }

    /** Returns buddyinfo: free blocks per order over all types. */
    public static String buddyinfo(Zone zone) {
        long[][] free = zone.freeBlocks();
        StringBuilder sb = new StringBuilder(String.format("Node %d, zone %8s ", 0, ZONE));
        for (long[] perType : free) {
            long n = 0;
            for (long v : perType) {
                n += v;
            }
            sb.append(String.format("%6d ", n));
        }
        return sb.append('\n').toString();
    }

    /** Returns pagetypeinfo: free blocks per type and order, and pageblocks per type. */
    public static String pagetypeinfo(Zone zone) {
        long[][] free = zone.freeBlocks();
        long[] blocks = zone.pageblockCounts();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("Page block order: %d%n", Zone.PAGEBLOCK_ORDER));
        sb.append(String.format("Pages per block:  %d%n%n", Zone.PAGEBLOCK_PAGES));
        sb.append(String.format("%-43s ", "Free pages count per migrate type at order"));
        for (int o = 0; o <= Zone.MAX_ORDER; o++) {
            sb.append(String.format("%6d ", o));
        }
        sb.append('\n');
        for (MigrateType t : MigrateType.values()) {
            sb.append(String.format("Node %4d, zone %8s, type %12s ", 0, ZONE, PageOwnerTracker.typeName(t)));
            for (int o = 0; o <= Zone.MAX_ORDER; o++) {
                sb.append(String.format("%6d ", free[o][t.ordinal()]));
            }
            sb.append('\n');
        }
        sb.append(String.format("%n%-23s", "Number of blocks type "));
        for (MigrateType t : MigrateType.values()) {
            sb.append(String.format("%12s ", PageOwnerTracker.typeName(t)));
        }
        sb.append(String.format("%nNode %d, zone %8s ", 0, ZONE));
        for (MigrateType t : MigrateType.values()) {
            sb.append(String.format("%12d ", blocks[t.ordinal()]));
        }
        return sb.append('\n').toString();
    }
}
