package org.fusefs.memory.stat;

import org.fusefs.memory.buddy.BuddyAllocator;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.buddy.Zone;
import org.fusefs.memory.owner.PageOwnerTracker;

/**
 * Formats memory figures as {@code /proc/meminfo} does: total, free, reserved, poisoned, and per
 * migrate type what is allocated and what is free on the buddy lists.
 *
 * <p>Mirrors {@code meminfo_proc_show()} of {@code fs/proc/meminfo.c}; the per-type lines are
 * ours. Figures are read without stopping the allocator, so they may be off by in-flight pages.
 */
public final class MemInfo {
    private MemInfo() {
    }

    /** Returns the meminfo text. */
    public static String meminfo(BuddyAllocator allocator) {
        Zone zone = allocator.zone();
        long[][] free = zone.freeBlocks();
        long[] allocated = allocator.allocatedPerType();
        StringBuilder sb = new StringBuilder();
        line(sb, "MemTotal", zone.nrPages());
        line(sb, "MemFree", allocator.nrFreePages());
        line(sb, "PerCpuFree", allocator.nrPcpPages());
        line(sb, "Reserved", zone.nrReserved());
        for (MigrateType t : MigrateType.values()) {
            line(sb, PageOwnerTracker.typeName(t), allocated[t.ordinal()]);
        }
        for (MigrateType t : MigrateType.values()) {
            long pages = 0;
            for (int o = 0; o <= Zone.MAX_ORDER; o++) {
                pages += free[o][t.ordinal()] << o;
            }
            line(sb, "Free" + PageOwnerTracker.typeName(t), pages);
        }
        sb.append(String.format("HardwareCorrupted: %5d kB%n", allocator.nrHwPoisoned() * 4L));
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, long pages) {
        sb.append(String.format("%-16s%8d kB%n", name + ":", pages * 4));
    }
}
