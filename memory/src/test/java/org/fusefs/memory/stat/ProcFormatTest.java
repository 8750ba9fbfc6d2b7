package org.fusefs.memory.stat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/** buddyinfo, pagetypeinfo and meminfo read like their /proc files. */
class ProcFormatTest {

    @Test
    void figuresFollowTheProcFormats() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(8L << 20).reservedPages(1).build())) {
            // 2048 frames, frame 0 reserved: one free block of each order 0..9 and one of order 10.
            assertEquals("Node 0, zone   Normal      1      1      1      1      1      1      1      1      1      1      1 \n",
                    m.buddyinfo());
            String pti = m.pagetypeinfo();
            assertTrue(pti.startsWith("Page block order: 10\nPages per block:  1024\n\n"), pti);
            assertTrue(pti.contains("Free pages count per migrate type at order       0      1"), pti);
            assertTrue(pti.contains("Node    0, zone   Normal, type      Movable      1      1"), pti);
            assertTrue(pti.contains("Number of blocks type     Unmovable      Movable  Reclaimable"), pti);
            assertTrue(pti.contains("Node 0, zone   Normal            0            2            0"), pti);

            Page p = m.allocPages(3, MigrateType.UNMOVABLE);
            String mi = m.meminfo();
            assertTrue(mi.startsWith("MemTotal:           8192 kB\nMemFree:            8156 kB\n"), mi);
            assertTrue(mi.contains("Reserved:              4 kB\n"), mi);
            assertTrue(mi.contains("Unmovable:            32 kB\n"), mi);
            assertTrue(mi.contains("HardwareCorrupted:     0 kB\n"), mi);
            m.freePages(p);
        }
    }
}
