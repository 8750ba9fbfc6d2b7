package org.fusefs.memory.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/**
 * Several threads allocate and free blocks of mixed orders and types at once. Each thread stamps
 * every frame of its blocks with its own id and the pfn and checks the stamps before freeing,
 * so a frame handed to two threads at once is caught; a background thread drains the per-CPU
 * lists and reads figures meanwhile. Afterwards every frame is free and all largest blocks are
 * back.
 */
class ConcurrentStressTest {
    static final int THREADS = 4;
    static final int STEPS = 40_000;

    @Test
    void threadsNeverShareAFrameAndEverythingComesBack() throws Exception {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(32L << 20).build())) {
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            CyclicBarrier start = new CyclicBarrier(THREADS + 1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long seed = 100 + t;
                int id = t + 1;
                Thread th = new Thread(() -> {
                    int step = 0;
                    try {
                        start.await();
                        Random rnd = new Random(seed);
                        List<Page> held = new ArrayList<>();
                        for (step = 0; step < STEPS; step++) {
                            if (!held.isEmpty() && (rnd.nextInt(100) < 48 || held.size() > 400)) {
                                Page p = held.remove(rnd.nextInt(held.size()));
                                check(p, id);
                                m.freePages(p);
                            } else {
                                int order = rnd.nextInt(8) == 0 ? rnd.nextInt(6) : 0;
                                Page p = m.allocPages(order, MigrateType.values()[rnd.nextInt(3)]);
                                if (p != null) {
                                    stamp(p, id);
                                    held.add(p);
                                }
                            }
                        }
                        for (Page p : held) {
                            check(p, id);
                            m.freePages(p);
                        }
                    } catch (Throwable e) {
                        errors.add(new AssertionError("thread " + id + " seed " + seed + " step " + step, e));
                    }
                }, "stress-" + id);
                threads.add(th);
                th.start();
            }
            Thread drainer = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    m.drainAllPages();
                    m.meminfo();
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
            assertEquals(m.totalPages(), m.nrFreePages());
            assertEquals(m.totalPages(), m.allocator().checkInvariants());
            assertTrue(m.buddyinfo().trim().endsWith(" " + m.totalPages() / 1024), m.buddyinfo());
        }
    }

    private static void stamp(Page p, int id) {
        for (int i = 0; i < 1 << p.order(); i++) {
            long mark = (long) id << 40 | (p.pfn() + i);
            byte[] b = longBytes(mark);
            p.copyFrom(b, 0, i * Page.SIZE, 8);
        }
    }

    private static void check(Page p, int id) {
        byte[] b = new byte[8];
        for (int i = 0; i < 1 << p.order(); i++) {
            p.copyTo(i * Page.SIZE, b, 0, 8);
            long expect = (long) id << 40 | (p.pfn() + i);
            if (!java.util.Arrays.equals(b, longBytes(expect))) {
                throw new AssertionError("frame " + (p.pfn() + i) + " was written by someone else");
            }
        }
    }

    private static byte[] longBytes(long v) {
        return java.nio.ByteBuffer.allocate(8).putLong(v).array();
    }
}
