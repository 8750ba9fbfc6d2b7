package org.fusefs.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.junit.jupiter.api.Test;

class PhysicalMemoryTest {
    static final long MIB = 1L << 20;

    static PhysicalMemory memory(long bytes, boolean grouping) {
        return PhysicalMemory.create(MemoryConfig.builder().bytes(bytes).mobilityGrouping(grouping).build());
    }

    static long orderTenBlocks(PhysicalMemory m) {
        String[] cols = m.buddyinfo().trim().split("\\s+");
        return Long.parseLong(cols[cols.length - 1]);
    }

    @Test
    void consecutiveOrderZeroAllocationsFromFreshMemoryAscend() {
        try (PhysicalMemory m = memory(8 * MIB, true)) {
            Page prev = m.allocPage(MigrateType.MOVABLE);
            int ascending = 0;
            for (int i = 0; i < 255; i++) {
                Page p = m.allocPage(MigrateType.MOVABLE);
                if (p.pfn() == prev.pfn() + 1) {
                    ascending++;
                }
                prev = p;
            }
            assertTrue(ascending >= 250, ascending + " of 255 consecutive allocations took the next frame");
        }
    }

    @Test
    void everyFrameIsPageAligned() {
        try (PhysicalMemory m = memory(8 * MIB, true)) {
            for (int i = 0; i < 64; i++) {
                Page p = m.allocPage(MigrateType.MOVABLE);
                assertEquals(0, p.address() % Page.SIZE, "frame address of " + p);
            }
        }
    }

    @Test
    void freePlusAllocatedEqualsTotalAndCoalescingRestoresAllLargestBlocks() {
        for (boolean grouping : new boolean[] {true, false}) {
            try (PhysicalMemory m = memory(32 * MIB, grouping)) {
                long total = m.totalPages();
                assertEquals(total / 1024, orderTenBlocks(m));
                Random rnd = new Random(42);
                List<Page> held = new ArrayList<>();
                long allocated = 0;
                for (int i = 0; i < 20_000; i++) {
                    if (!held.isEmpty() && rnd.nextInt(3) == 0) {
                        Page p = held.remove(rnd.nextInt(held.size()));
                        allocated -= 1L << p.order();
                        m.freePages(p);
                    } else {
                        int order = rnd.nextInt(4) == 0 ? rnd.nextInt(11) : 0;
                        Page p = m.allocPages(order, MigrateType.values()[rnd.nextInt(3)]);
                        if (p != null) {
                            held.add(p);
                            allocated += 1L << order;
                        }
                    }
                    if (i % 1000 == 0) {
                        assertEquals(total, m.nrFreePages() + allocated, "grouping " + grouping + " step " + i);
                    }
                }
                for (Page p : held) {
                    m.freePages(p);
                }
                m.drainAllPages();
                assertEquals(total, m.nrFreePages());
                assertEquals(total, m.allocator().checkInvariants());
                assertEquals(total / 1024, orderTenBlocks(m), m.buddyinfo());
            }
        }
    }

    @Test
    void noFrameIsHandedOutTwiceAndFullMemoryReturnsNull() {
        try (PhysicalMemory m = memory(16 * MIB, true)) {
            BitSet seen = new BitSet();
            List<Page> held = new ArrayList<>();
            Page p;
            while ((p = m.allocPage(MigrateType.MOVABLE)) != null) {
                assertTrue(!seen.get((int) p.pfn()), "pfn " + p.pfn() + " handed out twice");
                seen.set((int) p.pfn());
                held.add(p);
            }
            assertEquals(m.totalPages(), held.size());
            assertEquals(0, m.nrFreePages());
            assertNull(m.allocPages(3, MigrateType.UNMOVABLE));
            held.forEach(m::freePages);
            m.drainAllPages();
            assertEquals(m.totalPages(), m.nrFreePages());
        }
    }

    @Test
    void orderOutOfRangeNamesTheRange() {
        try (PhysicalMemory m = memory(4 * MIB, true)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.allocPages(11, MigrateType.MOVABLE));
            assertTrue(e.getMessage().contains("order 11 outside 0..10"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> m.allocPages(-1, MigrateType.MOVABLE));
            assertTrue(e.getMessage().contains("0..10"), e.getMessage());
        }
    }

    @Test
    void freeingAFreeOrNeverAllocatedFrameIsABadPage() {
        try (PhysicalMemory m = memory(4 * MIB, true)) {
            Page p = m.allocPage(MigrateType.MOVABLE);
            m.freePages(p);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.freePages(p));
            assertTrue(e.getMessage().startsWith("bad page: "), e.getMessage());
            assertTrue(e.getMessage().contains("pfn " + p.pfn() + " flags ["), e.getMessage());

            Page never = m.pfnToPage(m.totalPages() - 1);
            e = assertThrows(IllegalStateException.class, () -> m.freePages(never));
            assertTrue(e.getMessage().contains("pfn " + never.pfn()), e.getMessage());

            Page big = m.allocPages(3, MigrateType.UNMOVABLE);
            Page tail = m.pfnToPage(big.pfn() + 1);
            e = assertThrows(IllegalStateException.class, () -> m.freePages(tail));
            assertTrue(e.getMessage().startsWith("bad page: "), e.getMessage());
            tail.get();
            e = assertThrows(IllegalStateException.class, () -> m.freePages(tail));
            assertTrue(e.getMessage().contains("not the head"), e.getMessage());
            tail.put();
            m.freePages(big);
            m.drainAllPages();
            assertEquals(m.totalPages(), m.nrFreePages());
            assertEquals(m.totalPages(), m.allocator().checkInvariants());
        }
    }

    @Test
    void lockedOrReservedPagesCannotBeFreed() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(4 * MIB).reservedPages(8).build())) {
            assertEquals(m.totalPages() - 8, m.nrFreePages());
            Page reserved = m.pfnToPage(3);
            assertTrue(reserved.test(PageFlag.RESERVED));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.freePages(reserved));
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
            Page p = m.allocPage(MigrateType.MOVABLE);
            p.set(PageFlag.LOCKED);
            e = assertThrows(IllegalStateException.class, () -> m.freePages(p));
            assertTrue(e.getMessage().contains("locked"), e.getMessage());
            assertEquals(1, p.refcount(), "a refused free changes nothing");
            p.clear(PageFlag.LOCKED);
            p.set(PageFlag.DIRTY);
            m.freePages(p);
            assertEquals(0, p.flags(), "free clears owner flags");
        }
    }

    @Test
    void freeDropsOneReferenceAndFreesOnTheLast() {
        try (PhysicalMemory m = memory(4 * MIB, true)) {
            long free = m.nrFreePages();
            Page p = m.allocPages(2, MigrateType.MOVABLE);
            assertEquals(free - 4, m.nrFreePages());
            p.get();
            m.freePages(p);
            assertEquals(1, p.refcount());
            assertEquals(free - 4, m.nrFreePages());
            m.freePages(p);
            assertEquals(free, m.nrFreePages());
        }
    }

    @Test
    void allocationReturnsACleanHead() {
        try (PhysicalMemory m = memory(4 * MIB, true)) {
            Page p = m.allocPages(4, MigrateType.RECLAIMABLE);
            assertNotNull(p);
            assertEquals(4, p.order());
            assertEquals(1, p.refcount());
            assertEquals(MigrateType.RECLAIMABLE, p.migrateType());
            assertEquals(0, p.flags());
            assertEquals(0, p.pfn() % 16, "a block is aligned to its size");
            assertNull(p.mapping());
        }
    }
}
