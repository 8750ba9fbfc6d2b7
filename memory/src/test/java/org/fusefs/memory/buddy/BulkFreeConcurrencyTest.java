package org.fusefs.memory.buddy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.kenai.jffi.MemoryIO;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/**
 * One thread frees in batches ({@link PhysicalMemory#freePages(Page[], int)}) while another frees
 * one page at a time, both allocating blocks of mixed orders and types meanwhile, and a drainer
 * empties the per-CPU lists. Some blocks carry a second reference that is handed to the other
 * thread, so the last reference of a block is dropped by either path, racing with the other.
 * Every frame is stamped with its holder and pfn and checked before each drop, so a frame handed
 * out twice is caught. Afterwards every frame is free, merged into the largest blocks, and the
 * counters agree.
 */
class BulkFreeConcurrencyTest {
    static final int STEPS = 60_000;
    static final MemoryIO IO = MemoryIO.getInstance();

    /** A block whose head may have a second holder; stamped by its allocating thread. */
    record Held(Page page, long stamp) {
    }

    @Test
    void bulkAndSingleFreesRaceWithAllocationsAndEverythingComesBack() throws Exception {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(32L << 20).build())) {
            long total = m.totalPages();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            // Second references handed over: to the bulk thread [0], to the single thread [1].
            List<ConcurrentLinkedQueue<Held>> handoff = List.of(new ConcurrentLinkedQueue<>(), new ConcurrentLinkedQueue<>());
            CyclicBarrier start = new CyclicBarrier(3);
            // Both workers count down before the final frees, so that no handoff is left behind;
            // a failing worker counts down too, so that the other does not wait for ever.
            CountDownLatch done = new CountDownLatch(2);
            Thread[] threads = new Thread[2];
            for (int t = 0; t < 2; t++) {
                boolean bulk = t == 0;
                long seed = 500 + t;
                int id = t + 1;
                ConcurrentLinkedQueue<Held> mine = handoff.get(t);
                ConcurrentLinkedQueue<Held> theirs = handoff.get(1 - t);
                threads[t] = new Thread(() -> {
                    int step = 0;
                    boolean counted = false;
                    try {
                        start.await();
                        Random rnd = new Random(seed);
                        List<Held> held = new ArrayList<>();
                        Page[] batch = new Page[150];
                        for (step = 0; step < STEPS; step++) {
                            Held h;
                            while ((h = mine.poll()) != null) {
                                held.add(h);
                            }
                            if (!held.isEmpty() && (rnd.nextInt(100) < 48 || held.size() > 500)) {
                                if (bulk) {
                                    int n = Math.min(held.size(), 1 + rnd.nextInt(batch.length));
                                    for (int i = 0; i < n; i++) {
                                        Held x = held.remove(rnd.nextInt(held.size()));
                                        check(x);
                                        batch[i] = x.page();
                                    }
                                    m.freePages(batch, n);
                                    java.util.Arrays.fill(batch, 0, n, null);
                                } else {
                                    Held x = held.remove(rnd.nextInt(held.size()));
                                    check(x);
                                    m.freePages(x.page());
                                }
                            } else {
                                int order = rnd.nextInt(8) == 0 ? rnd.nextInt(5) : 0;
                                Page p = m.allocPages(order, MigrateType.values()[rnd.nextInt(3)]);
                                if (p != null) {
                                    Held x = new Held(p, (long) id << 48 | p.pfn() << 8 | (step & 0xff));
                                    stamp(x);
                                    held.add(x);
                                    if (rnd.nextInt(10) == 0) {
                                        p.get();
                                        theirs.add(x);
                                    }
                                }
                            }
                        }
                        counted = true;
                        done.countDown();
                        done.await();
                        Held h;
                        while ((h = mine.poll()) != null) {
                            held.add(h);
                        }
                        int n = 0;
                        for (Held x : held) {
                            check(x);
                            if (!bulk) {
                                m.freePages(x.page());
                                continue;
                            }
                            batch[n++] = x.page();
                            if (n == batch.length) {
                                m.freePages(batch, n);
                                n = 0;
                            }
                        }
                        if (bulk) {
                            m.freePages(batch, n);
                        }
                    } catch (Throwable e) {
                        if (!counted) {
                            done.countDown();
                        }
                        errors.add(new AssertionError((bulk ? "bulk" : "single") + " thread seed " + seed + " step " + step, e));
                    }
                }, bulk ? "bulk-free" : "single-free");
                threads[t].start();
            }
            Thread drainer = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    m.drainAllPages();
                    Thread.yield();
                }
            }, "drainer");
            drainer.start();
            start.await();
            for (Thread th : threads) {
                th.join();
            }
            drainer.interrupt();
            drainer.join();
            Failures.throwIfAny(errors, "thread(s)");
            m.drainAllPages();
            assertEquals(total, m.nrFreePages());
            assertEquals(total, m.allocator().checkInvariants());
            assertArrayEquals(new long[MigrateType.values().length], m.allocator().allocatedPerType());
            long maxBlocks = 0;
            for (long c : m.allocator().zone().freeBlocks()[Zone.MAX_ORDER]) {
                maxBlocks += c;
            }
            assertEquals(total >> Zone.MAX_ORDER, maxBlocks, m.buddyinfo());
        }
    }

    /**
     * Frames poisoned while one thread frees in batches and another one page at a time: every
     * poisoned frame ends out of use (whether it was free, on a per-CPU list, in a batch being
     * freed or still held), the lists stay consistent, and no poisoned frame is handed out again.
     */
    @Test
    void poisonRacingWithBulkFreesTakesEveryPoisonedFrameOutOfUse() throws Exception {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(8L << 20).build())) {
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread[] workers = new Thread[2];
            for (int t = 0; t < 2; t++) {
                boolean bulk = t == 0;
                long seed = 700 + t;
                workers[t] = new Thread(() -> {
                    Random rnd = new Random(seed);
                    List<Page> held = new ArrayList<>();
                    Page[] batch = new Page[100];
                    int step = 0;
                    try {
                        while (!stop.get()) {
                            step++;
                            if (!held.isEmpty() && rnd.nextInt(100) < 48) {
                                if (bulk) {
                                    int n = Math.min(held.size(), 1 + rnd.nextInt(batch.length));
                                    for (int i = 0; i < n; i++) {
                                        batch[i] = held.remove(held.size() - 1);
                                    }
                                    m.freePages(batch, n);
                                } else {
                                    m.freePages(held.remove(rnd.nextInt(held.size())));
                                }
                            } else {
                                Page p = m.allocPages(rnd.nextInt(6) == 0 ? rnd.nextInt(4) : 0, MigrateType.MOVABLE);
                                if (p != null) {
                                    held.add(p);
                                }
                            }
                        }
                        if (bulk) {
                            m.freePages(held.toArray(new Page[0]), held.size());
                        } else {
                            held.forEach(m::freePages);
                        }
                    } catch (Throwable e) {
                        errors.add(new AssertionError((bulk ? "bulk" : "single") + " worker seed " + seed + " step " + step, e));
                    }
                }, bulk ? "bulk-free" : "single-free");
                workers[t].start();
            }
            long seed = 99;
            Random rnd = new Random(seed);
            Set<Long> poisoned = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                long pfn = rnd.nextInt((int) m.totalPages());
                MfResult r = m.poison(pfn);
                assertEquals(poisoned.add(pfn) ? r : MfResult.IGNORED, r, "seed " + seed + " step " + i + " pfn " + pfn);
                Thread.sleep(0, 100_000);
            }
            stop.set(true);
            for (Thread w : workers) {
                w.join();
            }
            Failures.throwIfAny(errors, "worker(s)");
            m.drainAllPages();
            assertEquals(m.totalPages() - poisoned.size(), m.nrFreePages(), "poison seed " + seed);
            assertEquals(poisoned.size(), m.allocator().zone().nrOffline(), "poison seed " + seed);
            assertEquals(m.nrFreePages(), m.allocator().checkInvariants());
            List<Page> all = new ArrayList<>();
            Page p;
            while ((p = m.allocPage(MigrateType.MOVABLE)) != null) {
                assertTrue(!poisoned.contains(p.pfn()), "poisoned frame " + p.pfn() + " handed out");
                all.add(p);
            }
            assertEquals(m.totalPages() - poisoned.size(), all.size());
            m.freePages(all.toArray(new Page[0]), all.size());
        }
    }

    /** Writes the stamp into the first and last word of every frame of the block. */
    static void stamp(Held h) {
        Page p = h.page();
        long bytes = (long) Page.SIZE << p.order();
        IO.putLong(p.address(), h.stamp());
        IO.putLong(p.address() + bytes - 8, h.stamp());
    }

    static void check(Held h) {
        Page p = h.page();
        long bytes = (long) Page.SIZE << p.order();
        long first = IO.getLong(p.address());
        long last = IO.getLong(p.address() + bytes - 8);
        assertTrue(first == h.stamp() && last == h.stamp(),
                "block " + p + " stamped " + Long.toHexString(h.stamp()) + " holds " + Long.toHexString(first)
                        + " / " + Long.toHexString(last) + ": handed out twice");
        assertTrue(p.refcount() > 0, "held block with no reference: " + p);
    }
}
