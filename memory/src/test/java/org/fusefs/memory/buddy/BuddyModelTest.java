package org.fusefs.memory.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Randomized allocate/free against a naive bitmap of allocated frames: every block handed out
 * must be aligned, inside memory and wholly free in the model; the free count must match; the
 * free lists must stay consistent. A failure names the seed and the step.
 */
class BuddyModelTest {

    @ParameterizedTest(name = "seed {0}, grouping {1}, {2} MiB")
    @CsvSource({"1, true, 8", "2, false, 8", "3, true, 16", "4, false, 16", "5, true, 12", "6, true, 4"})
    void matchesBitmapModel(long seed, boolean grouping, int mib) {
        MemoryConfig config = MemoryConfig.builder().bytes((long) mib << 20).mobilityGrouping(grouping)
                .reservedPages(seed % 2 == 0 ? 0 : 5).build();
        try (PhysicalMemory m = PhysicalMemory.create(config)) {
            Random rnd = new Random(seed);
            BuddyAllocator a = m.allocator();
            int total = (int) m.totalPages();
            BitSet used = new BitSet(total);
            used.set(0, config.reservedPages());
            List<Page> held = new ArrayList<>();
            int step = 0;
            try {
                for (step = 0; step < 30_000; step++) {
                    int op = rnd.nextInt(100);
                    if (op < 45 && !held.isEmpty()) {
                        Page p = held.remove(rnd.nextInt(held.size()));
                        int pfn = (int) p.pfn();
                        int n = 1 << p.order();
                        if (used.nextClearBit(pfn) < pfn + n) {
                            fail("freeing a block the model says is not allocated");
                        }
                        m.freePages(p);
                        used.clear(pfn, pfn + n);
                    } else if (op < 47) {
                        m.drainAllPages();
                    } else {
                        int order = rnd.nextInt(3) == 0 ? rnd.nextInt(MemoryConfig.MAX_ORDER + 1) : rnd.nextInt(2);
                        MigrateType type = MigrateType.values()[rnd.nextInt(3)];
                        Page p = m.allocPages(order, type);
                        if (p == null) {
                            m.drainAllPages();
                            if (hasFreeAlignedBlock(used, total, order)) {
                                fail("order " + order + " allocation failed with a free aligned block in the model");
                            }
                            continue;
                        }
                        int pfn = (int) p.pfn();
                        int n = 1 << order;
                        assertEquals(order, p.order());
                        if (pfn % n != 0 || pfn + n > total) {
                            fail("block pfn " + pfn + " order " + order + " misaligned or outside memory");
                        }
                        int clash = used.nextSetBit(pfn);
                        if (clash >= 0 && clash < pfn + n) {
                            fail("frame " + clash + " handed out twice (block pfn " + pfn + " order " + order + ")");
                        }
                        used.set(pfn, pfn + n);
                        held.add(p);
                    }
                    if (step % 500 == 0) {
                        assertEquals(total - used.cardinality(), m.nrFreePages(), "free count");
                        a.checkInvariants();
                    }
                }
                for (Page p : held) {
                    m.freePages(p);
                }
                m.drainAllPages();
                assertEquals(total - config.reservedPages(), a.checkInvariants());
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + " step " + step + ": " + e.getMessage(), e);
            }
        }
    }

    /** With everything drained, a free aligned block in the model must be findable by the buddy allocator. */
    private static boolean hasFreeAlignedBlock(BitSet used, int total, int order) {
        int n = 1 << order;
        for (int pfn = 0; pfn + n <= total; pfn += n) {
            int next = used.nextSetBit(pfn);
            if (next < 0 || next >= pfn + n) {
                return true;
            }
        }
        return false;
    }
}
