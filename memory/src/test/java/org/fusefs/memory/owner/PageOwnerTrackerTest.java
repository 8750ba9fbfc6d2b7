package org.fusefs.memory.owner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

class PageOwnerTrackerTest {

    private static Page allocateForCache(PhysicalMemory m) {
        return m.allocPage(MigrateType.MOVABLE);
    }

    private static Page allocateTable(PhysicalMemory m) {
        return m.allocPages(2, MigrateType.UNMOVABLE);
    }

    @Test
    void reportGroupsIdenticalChainsLargestFirst() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(8L << 20).pageOwner(true).build())) {
            List<Page> held = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                held.add(allocateForCache(m));
            }
            for (int i = 0; i < 3; i++) {
                held.add(allocateTable(m));
            }
            String report = m.pageOwnerReport();
            int five = report.indexOf("5 times: page allocated via order 0, type Movable");
            int three = report.indexOf("3 times: page allocated via order 2, type Unmovable");
            assertTrue(five >= 0 && three > five, report);
            String firstGroup = report.substring(five, three);
            assertTrue(firstGroup.contains("PageOwnerTrackerTest.allocateForCache("), firstGroup);
            assertTrue(firstGroup.contains("PageOwnerTrackerTest.reportGroupsIdenticalChainsLargestFirst("), firstGroup);
            assertTrue(!firstGroup.contains("BuddyAllocator"), "allocator frames are left out: " + firstGroup);
            assertTrue(firstGroup.contains("0x" + Long.toHexString(held.get(0).pfn())), firstGroup);
            assertTrue(report.substring(three).contains("PageOwnerTrackerTest.allocateTable("), report);

            PageOwner o = m.pageOwner().owner(held.get(5).pfn());
            assertNotNull(o);
            assertEquals(2, o.order());
            assertEquals(MigrateType.UNMOVABLE, o.type());
            assertTrue(o.tsNanos() > 0);

            m.freePages(held.remove(0));
            assertTrue(m.pageOwnerReport().contains("4 times: page allocated via order 0, type Movable"));
            held.forEach(m::freePages);
            assertEquals("", m.pageOwnerReport());
        }
    }

    @Test
    void offByDefaultAndSwitchableAtRunTime() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(4L << 20).build())) {
            Page before = m.allocPage(MigrateType.MOVABLE);
            assertNull(m.pageOwner().owner(before.pfn()));
            assertEquals("", m.pageOwnerReport());
            m.setPageOwner(true);
            Page during = m.allocPage(MigrateType.RECLAIMABLE);
            assertNotNull(m.pageOwner().owner(during.pfn()));
            assertTrue(m.pageOwnerReport().startsWith("1 times: page allocated via order 0, type Reclaimable"));
            m.setPageOwner(false);
            assertEquals(0, m.pageOwner().size());
            Page after = m.allocPage(MigrateType.MOVABLE);
            assertNull(m.pageOwner().owner(after.pfn()));
            m.freePages(before);
            m.freePages(during);
            m.freePages(after);
        }
    }
}
