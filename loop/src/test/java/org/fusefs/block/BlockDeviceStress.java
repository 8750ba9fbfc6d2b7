package org.fusefs.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.fusefs.memory.page.Page;

/**
 * Many threads submitting a random mix of bios (some past the end) to one queue or device; checks
 * that every bio completes exactly once and that failures are exactly the out-of-range ones.
 */
public final class BlockDeviceStress {
    private BlockDeviceStress() {
    }

    /**
     * Runs {@code threads} submitters of {@code perThread} bios each against {@code submit}, over a
     * device of {@code capacitySectors}, with data in {@code page} (contents are not checked).
     */
    public static void run(int threads, int perThread, long seed, Consumer<Bio> submit, long capacitySectors,
            Page page) throws Exception {
        int total = threads * perThread;
        AtomicIntegerArray completions = new AtomicIntegerArray(total);
        AtomicIntegerArray expectFail = new AtomicIntegerArray(total);
        AtomicIntegerArray failed = new AtomicIntegerArray(total);
        CountDownLatch all = new CountDownLatch(total);
        AtomicReference<Throwable> broken = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        ReqOp[] ops = ReqOp.values();
        for (int t = 0; t < threads; t++) {
            int tid = t;
            ts.add(new Thread(() -> {
                Random r = new Random(seed * 31 + tid);
                try {
                    for (int i = 0; i < perThread; i++) {
                        int id = tid * perThread + i;
                        ReqOp op = ops[r.nextInt(ops.length)];
                        boolean past = r.nextInt(20) == 0 && op != ReqOp.FLUSH;
                        long sector = past ? capacitySectors - 4 : (r.nextLong(capacitySectors / 8 - 1)) * 8;
                        expectFail.set(id, past ? 1 : 0);
                        Bio bio = new Bio(op, sector, op.hasData() ? List.of(new BioVec(page, 0, Page.SIZE)) : List.of(),
                                Page.SIZE, b -> {
                                    completions.incrementAndGet(id);
                                    if (b.status() != BlkStatus.OK) {
                                        failed.set(id, 1);
                                    }
                                    all.countDown();
                                });
                        submit.accept(bio);
                    }
                } catch (Throwable e) {
                    broken.compareAndSet(null, e);
                }
            }, "stress-" + t));
        }
        ts.forEach(Thread::start);
        for (Thread t : ts) {
            t.join();
        }
        if (broken.get() != null) {
            throw new AssertionError("seed " + seed + ": submitter failed", broken.get());
        }
        assertTrue(all.await(60, TimeUnit.SECONDS), "seed " + seed + ": " + all.getCount() + " bios never completed");
        for (int id = 0; id < total; id++) {
            assertEquals(1, completions.get(id), "seed " + seed + ": bio " + id + " completions");
            assertEquals(expectFail.get(id), failed.get(id), "seed " + seed + ": bio " + id + " failed?");
        }
    }
}
