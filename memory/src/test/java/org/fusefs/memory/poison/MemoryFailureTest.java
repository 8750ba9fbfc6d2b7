package org.fusefs.memory.poison;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.PageMapping;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.junit.jupiter.api.Test;

class MemoryFailureTest {

    /** An owner that drops its page as the page cache will: it records the loss and forgets the page. */
    static final class TestOwner implements PageMapping {
        final List<Page> failed = new ArrayList<>();
        final List<Page> pages = new ArrayList<>();

        @Override
        public MfResult memoryFailure(Page page) {
            assertTrue(page.test(PageFlag.HWPOISON) || page.order() > 0, "handed a page marked poisoned");
            failed.add(page);
            pages.remove(page);
            return page.test(PageFlag.DIRTY) ? MfResult.FAILED : MfResult.RECOVERED;
        }

        @Override
        public String describe() {
            return "test-owner";
        }
    }

    static PhysicalMemory memory() {
        return PhysicalMemory.create(MemoryConfig.builder().bytes(4L << 20).reservedPages(4).build());
    }

    /** Allocates every free frame and returns them; the caller frees them. */
    static List<Page> allocateAll(PhysicalMemory m) {
        List<Page> all = new ArrayList<>();
        Page p;
        while ((p = m.allocPage(MigrateType.MOVABLE)) != null) {
            all.add(p);
        }
        return all;
    }

    @Test
    void poisonedFreeFrameLeavesTheFreeListsForGood() {
        try (PhysicalMemory m = memory()) {
            long free = m.nrFreePages();
            long pfn = 777;
            assertEquals(MfResult.RECOVERED, m.poison(pfn));
            assertTrue(m.pfnToPage(pfn).test(PageFlag.HWPOISON));
            assertEquals(free - 1, m.nrFreePages());
            assertEquals(free - 1, m.allocator().checkInvariants());
            List<Page> all = allocateAll(m);
            assertEquals(free - 1, all.size());
            for (Page p : all) {
                assertNotEquals(pfn, p.pfn(), "poisoned frame handed out");
            }
            all.forEach(m::freePages);
            m.drainAllPages();
            assertEquals(free - 1, m.nrFreePages());
            assertEquals(MfResult.IGNORED, m.poison(pfn), "second poison is ignored");
            assertTrue(m.meminfo().contains("HardwareCorrupted:     4 kB"), m.meminfo());
        }
    }

    @Test
    void poisonedFrameOnAPerCpuListIsNeverHandedOut() {
        try (PhysicalMemory m = memory()) {
            Page p = m.allocPage(MigrateType.MOVABLE);
            long pfn = p.pfn();
            m.freePages(p); // now on this thread's per-CPU list
            assertEquals(MfResult.RECOVERED, m.poison(pfn));
            List<Page> all = allocateAll(m);
            all.forEach(q -> assertNotEquals(pfn, q.pfn()));
            all.forEach(m::freePages);
        }
    }

    @Test
    void allocatedFrameGoesToItsOwnerAndNeverComesBack() {
        try (PhysicalMemory m = memory()) {
            TestOwner owner = new TestOwner();
            Page clean = m.allocPage(MigrateType.MOVABLE);
            clean.setMapping(owner, 10);
            Page dirty = m.allocPage(MigrateType.MOVABLE);
            dirty.setMapping(owner, 11);
            dirty.set(PageFlag.DIRTY);
            owner.pages.add(clean);
            owner.pages.add(dirty);
            long free = m.nrFreePages();

            assertEquals(MfResult.RECOVERED, m.poison(clean.pfn()));
            assertEquals(MfResult.FAILED, m.poison(dirty.pfn()));
            assertEquals(List.of(clean, dirty), owner.failed);
            assertTrue(m.memoryFailure().recentActions().get(1).contains("dirty page cache page"),
                    m.memoryFailure().recentActions().toString());
            assertEquals(MfResult.IGNORED, m.poison(clean.pfn()));
            assertEquals(2, owner.failed.size(), "a second poison does not reach the owner");

            // The owner drops its reference later; the frames must not return to the free lists.
            m.freePages(clean);
            m.freePages(dirty);
            m.drainAllPages();
            assertEquals(free, m.nrFreePages());
            List<Page> all = allocateAll(m);
            for (Page p : all) {
                assertNotEquals(clean.pfn(), p.pfn());
                assertNotEquals(dirty.pfn(), p.pfn());
            }
            all.forEach(m::freePages);
        }
    }

    @Test
    void poisonInsideAHigherOrderBlockKeepsOnlyThatFrameOutOfUse() {
        try (PhysicalMemory m = memory()) {
            TestOwner owner = new TestOwner();
            Page head = m.allocPages(4, MigrateType.MOVABLE);
            head.setMapping(owner, 0);
            long free = m.nrFreePages();
            assertEquals(MfResult.RECOVERED, m.poison(head.pfn() + 5));
            assertSame(head, owner.failed.get(0), "the owner gets the block's head");
            m.freePages(head);
            m.drainAllPages();
            assertEquals(free + 15, m.nrFreePages());
            assertEquals(free + 15, m.allocator().checkInvariants());
        }
    }

    @Test
    void reservedFrameIsUnrecoverableAndUnownedPageFails() {
        try (PhysicalMemory m = memory()) {
            assertEquals(MfResult.FAILED, m.poison(2));
            assertTrue(m.memoryFailure().recentActions().get(0).contains("reserved kernel page"));
            assertEquals(MfResult.IGNORED, m.poison(2));
            assertTrue(m.meminfo().contains("Reserved:             16 kB"), m.meminfo());
            Page unowned = m.allocPage(MigrateType.UNMOVABLE);
            assertEquals(MfResult.FAILED, m.poison(unowned.pfn()));
            List<String> actions = m.memoryFailure().recentActions();
            assertTrue(actions.get(actions.size() - 1).contains("unknown page"), actions.toString());
            m.freePages(unowned);
            assertThrows(IllegalArgumentException.class, () -> m.poison(m.totalPages()));
        }
    }

    @Test
    void injectorPoisonsRandomFramesWithoutBreakingTheLists() {
        try (PhysicalMemory m = memory()) {
            int recovered = m.hwPoisonInjector().injectRandom(new java.util.Random(7), 50);
            assertTrue(recovered > 40, "most random frames are free: " + recovered);
            m.drainAllPages();
            assertEquals(m.nrFreePages(), m.allocator().checkInvariants());
            assertEquals(m.totalPages() - 4 - recovered, m.nrFreePages());
        }
    }

    @Test
    void poisonRacingWithAllocationNeverCorruptsTheLists() throws Exception {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(8L << 20).build())) {
            java.util.concurrent.ConcurrentLinkedQueue<Throwable> errors = new java.util.concurrent.ConcurrentLinkedQueue<>();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long seed = 10 + t;
                Thread w = new Thread(() -> {
                    java.util.Random rnd = new java.util.Random(seed);
                    List<Page> held = new ArrayList<>();
                    int step = 0;
                    try {
                        while (!stop.get()) {
                            step++;
                            if (!held.isEmpty() && rnd.nextBoolean()) {
                                m.freePages(held.remove(rnd.nextInt(held.size())));
                            } else {
                                Page p = m.allocPages(rnd.nextInt(4) == 0 ? rnd.nextInt(4) : 0, MigrateType.MOVABLE);
                                if (p != null) {
                                    held.add(p);
                                }
                            }
                        }
                        held.forEach(m::freePages);
                    } catch (Throwable e) {
                        errors.add(new AssertionError("worker seed " + seed + " step " + step, e));
                    }
                });
                workers.add(w);
                w.start();
            }
            java.util.Random rnd = new java.util.Random(99);
            java.util.Set<Long> poisoned = new java.util.HashSet<>();
            for (int i = 0; i < 200; i++) {
                long pfn = rnd.nextInt((int) m.totalPages());
                MfResult r = m.poison(pfn);
                assertEquals(poisoned.add(pfn) ? r : MfResult.IGNORED, r, "pfn " + pfn);
                assertNotEquals(MfResult.DELAYED, r, "pfn " + pfn);
                Thread.sleep(0, 100_000);
            }
            stop.set(true);
            for (Thread w : workers) {
                w.join();
            }
            if (!errors.isEmpty()) {
                AssertionError e = new AssertionError("workers failed");
                errors.forEach(e::addSuppressed);
                throw e;
            }
            m.drainAllPages();
            assertEquals(m.totalPages() - poisoned.size(), m.nrFreePages());
            assertEquals(m.nrFreePages(), m.allocator().checkInvariants());
            List<Page> all = allocateAll(m);
            for (Page p : all) {
                assertTrue(!poisoned.contains(p.pfn()), "poisoned frame " + p.pfn() + " handed out");
            }
            all.forEach(m::freePages);
        }
    }
}
