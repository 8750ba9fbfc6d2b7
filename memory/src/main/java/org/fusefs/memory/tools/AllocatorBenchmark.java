package org.fusefs.memory.tools;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.CyclicBarrier;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;

/**
 * Measures allocate+free pairs per second: order 0 on one and two threads, order 3 and order 10
 * on one thread; then the cost of freeing many order-0 pages one at a time and in batches. Each
 * figure is the best of several timed rounds after warm-up rounds.
 *
 * <p>Besides wall-clock pairs per second, it prints pairs per CPU-second (each thread's own CPU
 * time), which shows whether threads slow each other down even when the machine is busy with
 * other work and two threads cannot both run all the time.
 *
 * <p>Usage: {@code AllocatorBenchmark [memoryMiB] [seconds-per-round] [rounds]} (defaults 256, 1, 5).
 */
public final class AllocatorBenchmark {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final int WARMUP_ROUNDS = 3;
    private static int rounds = 5;
    /** Blocks each thread keeps allocated, so the lists are not trivially empty or full. */
    private static final int WORKING_SET = 16;

    private AllocatorBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 256;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 1.0;
        rounds = args.length > 2 ? Integer.parseInt(args[2]) : rounds;
        long nanos = (long) (seconds * 1e9);
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(mib << 20).build())) {
            System.out.printf("memory %d MiB, %d frames, %d processors, round %.1f s, best of %d after %d warm-up%n",
                    mib, m.totalPages(), Runtime.getRuntime().availableProcessors(), seconds, rounds, WARMUP_ROUNDS);
            double[] one = run(m, 0, 1, nanos);
            print("order-0  1 thread ", one);
            double[] two = run(m, 0, 2, nanos);
            print("order-0  2 threads", two);
            System.out.printf("order-0  2 threads / 1 thread: %.2fx wall clock, %.2fx per CPU-second%n",
                    two[0] / one[0], two[1] / one[1]);
            try (PhysicalMemory shared = PhysicalMemory.create(MemoryConfig.builder().bytes(mib << 20).build(), 1)) {
                double[] one1 = run(shared, 0, 1, nanos);
                double[] two1 = run(shared, 0, 2, nanos);
                print("order-0  2 threads, one shared per-CPU slot (for contrast)", two1);
                System.out.printf("  shared slot, 2 threads / 1 thread: %.2fx wall clock, %.2fx per CPU-second%n",
                        two1[0] / one1[0], two1[1] / one1[1]);
            }
            print("order-3  1 thread ", run(m, 3, 1, nanos));
            print("order-10 1 thread ", run(m, 10, 1, nanos));
            int n = (int) Math.min(m.totalPages() / 2, 1 << 16);
            double single = freeCost(m, n, 1);
            double batched = freeCost(m, n, 32);
            System.out.printf("order-0 free of %d pages: %.1f CPU-ns/page one at a time, %.1f in batches of 32"
                    + " (%.2fx)%n", n, single, batched, single / batched);
        }
    }

    /**
     * Returns the best CPU-ns per page of freeing {@code n} order-0 pages, allocated just before
     * in ascending frames (as a streaming reader leaves them), one at a time ({@code batch} 1) or
     * with {@link PhysicalMemory#freePages(Page[], int)} in batches of {@code batch}.
     */
    static double freeCost(PhysicalMemory m, int n, int batch) {
        Page[] pages = new Page[n];
        Page[] chunk = new Page[batch];
        double best = Double.MAX_VALUE;
        // Rounds are short (milliseconds): warm up long enough for the JIT to compile the path.
        int warmup = 40;
        for (int round = 0; round < warmup + rounds; round++) {
            for (int i = 0; i < n; i++) {
                pages[i] = m.allocPage(MigrateType.MOVABLE);
            }
            long c0 = CPU.getCurrentThreadCpuTime();
            if (batch == 1) {
                for (Page p : pages) {
                    m.freePages(p);
                }
            } else {
                for (int i = 0; i < n; i += batch) {
                    int k = Math.min(batch, n - i);
                    System.arraycopy(pages, i, chunk, 0, k);
                    m.freePages(chunk, k);
                }
            }
            long cpu = CPU.getCurrentThreadCpuTime() - c0;
            if (round >= warmup) {
                best = Math.min(best, cpu / (double) n);
            }
            m.drainAllPages();
        }
        if (m.nrFreePages() != m.totalPages()) {
            throw new IllegalStateException("leak: " + m.nrFreePages() + " free of " + m.totalPages());
        }
        return best;
    }

    private static void print(String what, double[] r) {
        System.out.printf("%s: %,15.0f pairs/s wall clock, %,15.0f pairs per CPU-second per thread%n", what, r[0], r[1]);
    }

    /**
     * Returns the best wall-clock pairs per second over the timed rounds, and the best pairs per
     * CPU-second of one thread.
     */
    static double[] run(PhysicalMemory m, int order, int threads, long nanos) throws Exception {
        double best = 0;
        double bestCpu = 0;
        for (int round = 0; round < WARMUP_ROUNDS + rounds; round++) {
            long[] pairs = new long[threads];
            long[] cpu = new long[threads];
            CyclicBarrier start = new CyclicBarrier(threads + 1);
            Thread[] ts = new Thread[threads];
            for (int i = 0; i < threads; i++) {
                int id = i;
                ts[i] = new Thread(() -> {
                    long c0 = CPU.getCurrentThreadCpuTime();
                    pairs[id] = loop(m, order, nanos, start);
                    cpu[id] = CPU.getCurrentThreadCpuTime() - c0;
                }, "bench-" + order + "-" + i);
                ts[i].start();
            }
            start.await();
            long t0 = System.nanoTime();
            for (Thread t : ts) {
                t.join();
            }
            long elapsed = System.nanoTime() - t0;
            long total = 0;
            for (long p : pairs) {
                total += p;
            }
            if (round >= WARMUP_ROUNDS) {
                best = Math.max(best, total * 1e9 / elapsed);
                for (int i = 0; i < threads; i++) {
                    bestCpu = Math.max(bestCpu, pairs[i] * 1e9 / cpu[i]);
                }
            }
        }
        m.drainAllPages();
        if (m.nrFreePages() != m.totalPages()) {
            throw new IllegalStateException("leak: " + m.nrFreePages() + " free of " + m.totalPages());
        }
        return new double[] {best, bestCpu};
    }

    private static long loop(PhysicalMemory m, int order, long nanos, CyclicBarrier start) {
        Page[] ring = new Page[WORKING_SET];
        try {
            start.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        for (int i = 0; i < ring.length; i++) {
            ring[i] = m.allocPages(order, MigrateType.MOVABLE);
        }
        long pairs = 0;
        long deadline = System.nanoTime() + nanos;
        int slot = 0;
        // Check the clock every 1024 pairs so timing does not dominate.
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < 1024; i++) {
                m.freePages(ring[slot]);
                Page p = m.allocPages(order, MigrateType.MOVABLE);
                if (p == null) {
                    throw new IllegalStateException("allocation failed at order " + order);
                }
                ring[slot] = p;
                slot = (slot + 1) & (WORKING_SET - 1);
            }
            pairs += 1024;
        }
        for (Page p : ring) {
            m.freePages(p);
        }
        return pairs;
    }
}
