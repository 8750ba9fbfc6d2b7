package org.fusefs.memory.buddy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.junit.jupiter.api.Test;

/**
 * The bulk free ({@link PhysicalMemory#freePages(Page[], int)}): what it leaves in the free lists
 * and counters, that it merges as single frees do, and what it does with a bad page in the middle
 * of a batch (leaves it, frees the rest, then throws).
 */
class BulkFreeTest {
    static final long MIB = 1L << 20;

    static PhysicalMemory memory(long bytes, boolean grouping) {
        return PhysicalMemory.create(MemoryConfig.builder().bytes(bytes).mobilityGrouping(grouping).build());
    }

    /** Takes every frame as an order-0 page; returns them indexed by pfn. */
    static Page[] exhaust(PhysicalMemory m) {
        Page[] byPfn = new Page[(int) m.totalPages()];
        Page p;
        while ((p = m.allocPage(MigrateType.MOVABLE)) != null) {
            byPfn[(int) p.pfn()] = p;
        }
        assertEquals(0, m.nrFreePages());
        return byPfn;
    }

    static long maxOrderBlocks(PhysicalMemory m) {
        long n = 0;
        for (long c : m.allocator().zone().freeBlocks()[Zone.MAX_ORDER]) {
            n += c;
        }
        return n;
    }

    @Test
    void bulkFreeOfEveryFrameOfAMaxOrderBlockGivesBackTheBlock() {
        int size = 1 << Zone.MAX_ORDER;
        for (String order : new String[] {"ascending", "descending", "shuffled"}) {
            try (PhysicalMemory m = memory(16 * MIB, true)) {
                Page[] byPfn = exhaust(m);
                List<Page> block = new ArrayList<>();
                for (int pfn = 3 * size; pfn < 4 * size; pfn++) {
                    block.add(byPfn[pfn]);
                }
                if (order.equals("descending")) {
                    Collections.reverse(block);
                } else if (order.equals("shuffled")) {
                    Collections.shuffle(block, new Random(7));
                }
                // One call with sixteen windows.
                m.freePages(block.toArray(new Page[0]), size);
                assertEquals(size, m.nrFreePages(), order);
                for (Page p : block) {
                    assertEquals(0, p.refcount(), order + ": " + p);
                }
                m.drainAllPages();
                assertEquals(size, m.allocator().checkInvariants(), order);
                assertEquals(1, maxOrderBlocks(m), order + "\n" + m.buddyinfo());
                Page again = m.allocPages(Zone.MAX_ORDER, MigrateType.MOVABLE);
                assertNotNull(again, order);
                assertEquals(3L * size, again.pfn(), order);
            }
        }
    }

    @Test
    void framesPastTheHighMarkAreMergedWithoutADrain() {
        int size = 1 << Zone.MAX_ORDER;
        try (PhysicalMemory m = memory(32 * MIB, true)) {
            Page[] byPfn = exhaust(m);
            Page[] two = new Page[2 * size];
            for (int i = 0; i < two.length; i++) {
                two[i] = byPfn[5 * size + i];
            }
            m.freePages(two, two.length);
            // At most one per-CPU list's worth stays on the slot; the rest reached the zone merged.
            long onSlots = m.allocator().nrPcpPages();
            assertTrue(onSlots < size, onSlots + " frames on per-CPU lists");
            assertEquals(2L * size - onSlots, m.allocator().checkInvariants());
            assertEquals(1, maxOrderBlocks(m), m.buddyinfo());
        }
    }

    /**
     * The same allocations in two memories, then the same random subset freed frame by frame in
     * one and in random batches in the other: after a drain the free blocks per order and type
     * must be identical, since merging gives a unique result.
     */
    @Test
    void bulkAndSingleFreesLeaveTheSameFreeLists() {
        for (boolean grouping : new boolean[] {true, false}) {
            long seed = grouping ? 11 : 12;
            try (PhysicalMemory single = memory(32 * MIB, grouping); PhysicalMemory bulk = memory(32 * MIB, grouping)) {
                Random rnd = new Random(seed);
                List<Page> a = new ArrayList<>();
                List<Page> b = new ArrayList<>();
                for (int i = 0; i < 6000; i++) {
                    int order = rnd.nextInt(5) == 0 ? rnd.nextInt(6) : 0;
                    MigrateType type = MigrateType.values()[rnd.nextInt(3)];
                    Page pa = single.allocPages(order, type);
                    Page pb = bulk.allocPages(order, type);
                    assertEquals(pa == null, pb == null, "seed " + seed + " step " + i);
                    if (pa != null) {
                        assertEquals(pa.pfn(), pb.pfn(), "seed " + seed + " step " + i);
                        a.add(pa);
                        b.add(pb);
                    }
                }
                Page[] batch = new Page[200];
                int i = 0;
                while (i < a.size()) {
                    int n = 1 + rnd.nextInt(batch.length);
                    int k = 0;
                    for (; i < a.size() && k < n; i++) {
                        if (rnd.nextInt(3) != 0) {
                            single.freePages(a.get(i));
                            batch[k++] = b.get(i);
                        }
                    }
                    bulk.freePages(batch, k);
                }
                single.drainAllPages();
                bulk.drainAllPages();
                assertEquals(single.nrFreePages(), bulk.nrFreePages(), "seed " + seed);
                assertEquals(single.allocator().checkInvariants(), bulk.allocator().checkInvariants(), "seed " + seed);
                long[][] fa = single.allocator().zone().freeBlocks();
                long[][] fb = bulk.allocator().zone().freeBlocks();
                for (int o = 0; o <= Zone.MAX_ORDER; o++) {
                    assertArrayEquals(fa[o], fb[o], "seed " + seed + " order " + o);
                }
                assertArrayEquals(single.allocator().allocatedPerType(), bulk.allocator().allocatedPerType(), "seed " + seed);
            }
        }
    }

    @Test
    void mixedOrdersTypesAndRepeatedEntries() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(16 * MIB).pageOwner(true).build())) {
            long total = m.totalPages();
            List<Page> batch = new ArrayList<>();
            long freed = 0;
            for (int i = 0; i < 90; i++) {
                int order = i % 4;
                Page p = m.allocPages(order, MigrateType.values()[i % 3]);
                batch.add(p);
                freed += 1L << order;
            }
            // Two references, both dropped in the batch: freed once.
            Page twice = m.allocPages(0, MigrateType.RECLAIMABLE);
            twice.get();
            batch.add(twice);
            batch.add(7, twice);
            freed += 1;
            // Two references, one dropped: stays allocated.
            Page kept = m.allocPages(2, MigrateType.UNMOVABLE);
            kept.get();
            batch.add(kept);
            Collections.shuffle(batch, new Random(3));
            assertEquals(92, m.pageOwner().size());
            long before = m.nrFreePages();

            m.freePages(batch.toArray(new Page[0]), batch.size());

            assertEquals(before + freed, m.nrFreePages());
            assertEquals(0, twice.refcount());
            assertEquals(1, kept.refcount());
            assertEquals(1, m.pageOwner().size(), "page_owner keeps only the block still held");
            assertNotNull(m.pageOwner().owner(kept.pfn()));
            long[] allocated = m.allocator().allocatedPerType();
            assertArrayEquals(new long[] {4, 0, 0}, allocated, "only the order-2 unmovable block is allocated");
            assertEquals(MigrateType.UNMOVABLE, MigrateType.values()[0]);
            m.freePages(new Page[] {kept}, 1);
            m.drainAllPages();
            assertEquals(total, m.allocator().checkInvariants());
            assertEquals(total >> Zone.MAX_ORDER, maxOrderBlocks(m), m.buddyinfo());
        }
    }

    @Test
    void aDoubleFreeInTheMiddleLeavesThatPageAndFreesTheRest() {
        try (PhysicalMemory m = memory(16 * MIB, true)) {
            Page[] batch = new Page[9];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = m.allocPages(i % 2, MigrateType.MOVABLE);
            }
            Page gone = batch[4];
            m.freePages(gone);
            long freeBefore = m.nrFreePages();

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.freePages(batch, batch.length));

            assertTrue(e.getMessage().startsWith("bad page: freeing a free or never allocated frame"), e.getMessage());
            assertTrue(e.getMessage().contains("pfn " + gone.pfn() + " "), e.getMessage());
            assertEquals(0, e.getSuppressed().length);
            long rest = 0;
            for (int i = 0; i < batch.length; i++) {
                if (i != 4) {
                    rest += 1L << (i % 2);
                    assertEquals(0, batch[i].refcount(), "entry " + i);
                }
            }
            assertEquals(freeBefore + rest, m.nrFreePages(), "the others were freed, the bad one not twice");
            m.drainAllPages();
            assertEquals(m.totalPages(), m.allocator().checkInvariants());
        }
    }

    @Test
    void aPageListedTwiceWithOneReferenceIsFreedOnceAndReported() {
        try (PhysicalMemory m = memory(16 * MIB, true)) {
            Page a = m.allocPage(MigrateType.MOVABLE);
            Page b = m.allocPage(MigrateType.MOVABLE);
            Page c = m.allocPages(3, MigrateType.UNMOVABLE);
            long free = m.nrFreePages();
            Page[] batch = {a, c, b, a, c};

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.freePages(batch, batch.length));

            assertTrue(e.getMessage().contains("pfn " + a.pfn() + " "), e.getMessage());
            assertEquals(1, e.getSuppressed().length, "the second entry of c is reported too");
            assertTrue(e.getSuppressed()[0].getMessage().contains("pfn " + c.pfn() + " "), e.getSuppressed()[0].getMessage());
            assertEquals(free + 10, m.nrFreePages());
            m.drainAllPages();
            assertEquals(m.totalPages(), m.allocator().checkInvariants());
        }
    }

    @Test
    void reservedLockedAndTailPagesAreLeftAndTheRestFreed() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(16 * MIB).reservedPages(4).build())) {
            Page reserved = m.pfnToPage(1);
            Page locked = m.allocPage(MigrateType.MOVABLE);
            locked.set(PageFlag.LOCKED);
            Page block = m.allocPages(2, MigrateType.MOVABLE);
            Page tail = m.pfnToPage(block.pfn() + 1);
            Page good1 = m.allocPage(MigrateType.MOVABLE);
            Page good2 = m.allocPages(1, MigrateType.MOVABLE);
            long free = m.nrFreePages();
            Page[] batch = {good1, reserved, locked, tail, good2};

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.freePages(batch, batch.length));

            assertTrue(e.getMessage().contains("pfn 1 "), e.getMessage());
            assertEquals(2, e.getSuppressed().length);
            assertTrue(e.getSuppressed()[0].getMessage().contains("flags set at free"), e.getSuppressed()[0].getMessage());
            assertTrue(e.getSuppressed()[1].getMessage().contains("pfn " + tail.pfn() + " "), e.getSuppressed()[1].getMessage());
            assertEquals(free + 3, m.nrFreePages());
            assertTrue(reserved.test(PageFlag.RESERVED));
            assertEquals(1, reserved.refcount());
            assertEquals(1, locked.refcount());
            assertEquals(1, block.refcount());
            locked.clear(PageFlag.LOCKED);
            m.freePages(new Page[] {locked, block}, 2);
            m.drainAllPages();
            assertEquals(m.totalPages() - 4, m.allocator().checkInvariants());
        }
    }

    @Test
    void aPoisonedPageInABatchGoesOfflineAndTheRestIsFreed() {
        try (PhysicalMemory m = memory(16 * MIB, true)) {
            Page[] batch = new Page[40];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = m.allocPages(i == 30 ? 2 : 0, MigrateType.MOVABLE);
            }
            // Allocated pages without an owner cannot be recovered: they stay allocated, poisoned.
            assertEquals(MfResult.FAILED, m.poison(batch[10].pfn()));
            assertEquals(MfResult.FAILED, m.poison(batch[30].pfn() + 1));
            long free = m.nrFreePages();

            m.freePages(batch, batch.length);

            assertEquals(free + 39 - 1 + 4 - 1, m.nrFreePages(), "every frame but the two poisoned ones");
            m.drainAllPages();
            assertEquals(m.totalPages() - 2, m.allocator().checkInvariants());
            assertEquals(2, m.allocator().zone().nrOffline());
            for (int i = 0; i < 2000; i++) {
                Page p = m.allocPage(MigrateType.MOVABLE);
                assertNotNull(p);
                assertTrue(p.pfn() != batch[10].pfn() && p.pfn() != batch[30].pfn() + 1, "poisoned frame handed out: " + p);
            }
        }
    }

    @Test
    void aFramePoisonedOnAPerCpuListAfterABulkFreeGoesOfflineAtTheDrain() {
        try (PhysicalMemory m = memory(16 * MIB, true)) {
            Page[] batch = new Page[8];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = m.allocPage(MigrateType.MOVABLE);
            }
            m.drainAllPages();
            m.freePages(batch, batch.length);
            assertEquals(batch.length, m.allocator().nrPcpPages(), "below the high mark: all on the slot");
            long free = m.nrFreePages();

            assertEquals(MfResult.RECOVERED, m.poison(batch[3].pfn()));

            // Memory failure drained the slot: the frame went offline there, not to the lists.
            assertEquals(0, m.allocator().nrPcpPages());
            assertEquals(1, m.allocator().zone().nrOffline());
            assertEquals(free - 1, m.nrFreePages());
            assertEquals(free - 1, m.allocator().checkInvariants());
        }
    }

    @Test
    void aForeignPageOrABadCountChangesNothing() {
        try (PhysicalMemory m = memory(8 * MIB, true); PhysicalMemory other = memory(8 * MIB, true)) {
            Page a = m.allocPage(MigrateType.MOVABLE);
            Page b = m.allocPage(MigrateType.MOVABLE);
            Page foreign = other.allocPage(MigrateType.MOVABLE);
            long free = m.nrFreePages();
            Page[] batch = {a, foreign, b};
            assertThrows(IllegalArgumentException.class, () -> m.freePages(batch, 3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.freePages(batch, 4));
            assertTrue(e.getMessage().contains("4"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.freePages(batch, -1));
            assertEquals(1, a.refcount());
            assertEquals(1, b.refcount());
            assertEquals(1, foreign.refcount());
            assertEquals(free, m.nrFreePages());
            assertThrows(NullPointerException.class, () -> m.freePages(new Page[] {a, null, b}, 3));
            assertEquals(1, a.refcount());
            m.freePages(batch, 0);
            assertEquals(free, m.nrFreePages());
            m.freePages(batch, 1);
            assertEquals(0, a.refcount());
            assertEquals(free + 1, m.nrFreePages());
        }
    }
}
