package org.fusefs.memory.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/** Grouping by mobility on and off. */
class GroupingTest {

    @Test
    void withGroupingTypesLandInTheirOwnPageblocks() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(16L << 20).build())) {
            Zone zone = m.allocator().zone();
            List<Page> held = new ArrayList<>();
            Set<Long> unmovableBlocks = new HashSet<>();
            Set<Long> movableBlocks = new HashSet<>();
            for (int i = 0; i < 3000; i++) {
                MigrateType t = i % 3 == 0 ? MigrateType.UNMOVABLE : MigrateType.MOVABLE;
                Page p = m.allocPage(t);
                assertNotNull(p);
                held.add(p);
                (t == MigrateType.UNMOVABLE ? unmovableBlocks : movableBlocks).add(p.pfn() >> Zone.PAGEBLOCK_ORDER);
                assertEquals(t, zone.pageblockType(p.pfn()), "page " + p + " in a pageblock of another type");
            }
            Set<Long> shared = new HashSet<>(unmovableBlocks);
            shared.retainAll(movableBlocks);
            assertTrue(shared.isEmpty(), "pageblocks holding both types: " + shared);
            assertEquals(1, unmovableBlocks.size(), "1000 unmovable pages fit one pageblock");
            long[] blocks = zone.pageblockCounts();
            assertEquals(1, blocks[MigrateType.UNMOVABLE.ordinal()]);
            assertTrue(m.pagetypeinfo().contains("Unmovable"), m.pagetypeinfo());
            held.forEach(m::freePages);
        }
    }

    @Test
    void unmovableStealsTheLargestFreeBlockAndConvertsItsPageblock() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(8L << 20).build())) {
            Zone zone = m.allocator().zone();
            assertEquals(2, zone.pageblockCounts()[MigrateType.MOVABLE.ordinal()]);
            Page p = m.allocPages(2, MigrateType.UNMOVABLE);
            assertEquals(MigrateType.UNMOVABLE, zone.pageblockType(p.pfn()));
            long[][] free = zone.freeBlocks();
            // The rest of the stolen pageblock is on the unmovable lists, split down to order 2.
            for (int o = 2; o < Zone.MAX_ORDER; o++) {
                assertEquals(1, free[o][MigrateType.UNMOVABLE.ordinal()], "order " + o);
            }
            assertEquals(1, free[Zone.MAX_ORDER][MigrateType.MOVABLE.ordinal()]);
            m.freePages(p);
            assertEquals(1, zone.freeBlocks()[Zone.MAX_ORDER][MigrateType.UNMOVABLE.ordinal()],
                    "freed block merges back onto its pageblock's list");
        }
    }

    @Test
    void withoutGroupingThereIsOneListAndTypesMix() {
        try (PhysicalMemory m = PhysicalMemory.create(
                MemoryConfig.builder().bytes(8L << 20).mobilityGrouping(false).build())) {
            Zone zone = m.allocator().zone();
            List<Page> held = new ArrayList<>();
            Set<Long> unmovableBlocks = new HashSet<>();
            Set<Long> movableBlocks = new HashSet<>();
            for (int i = 0; i < 1500; i++) {
                MigrateType t = i % 2 == 0 ? MigrateType.UNMOVABLE : MigrateType.MOVABLE;
                Page p = m.allocPage(t);
                held.add(p);
                assertEquals(t, p.migrateType(), "the page still records its requested type");
                (t == MigrateType.UNMOVABLE ? unmovableBlocks : movableBlocks).add(p.pfn() >> Zone.PAGEBLOCK_ORDER);
            }
            unmovableBlocks.retainAll(movableBlocks);
            assertTrue(!unmovableBlocks.isEmpty(), "without grouping both types share pageblocks");
            long[][] free = zone.freeBlocks();
            for (long[] perType : free) {
                assertEquals(0, perType[MigrateType.UNMOVABLE.ordinal()]);
                assertEquals(0, perType[MigrateType.RECLAIMABLE.ordinal()]);
            }
            assertEquals(2, zone.pageblockCounts()[MigrateType.MOVABLE.ordinal()]);
            held.forEach(m::freePages);
        }
    }

    @Test
    void movableTakesSmallBlocksOfAnotherTypeWithoutClaimingThePageblock() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(8L << 20).build())) {
            Zone zone = m.allocator().zone();
            List<Page> held = new ArrayList<>();
            Page p;
            while ((p = m.allocPage(MigrateType.UNMOVABLE)) != null) {
                held.add(p);
            }
            assertEquals(2, zone.pageblockCounts()[MigrateType.UNMOVABLE.ordinal()]);
            for (int i = 0; i < 10; i++) {
                m.freePages(held.remove(held.size() - 1 - i));
            }
            Page movable = m.allocPage(MigrateType.MOVABLE);
            assertNotNull(movable, "a movable page may come from an unmovable pageblock");
            assertEquals(MigrateType.UNMOVABLE, zone.pageblockType(movable.pfn()));
            assertEquals(2, zone.pageblockCounts()[MigrateType.UNMOVABLE.ordinal()],
                    "a few small free blocks do not convert a pageblock to movable");
            m.freePages(movable);
            held.forEach(m::freePages);
            m.drainAllPages();
            assertEquals(m.totalPages(), m.allocator().checkInvariants());
        }
    }
}
