package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/**
 * Writes and truncates of one file (under its inode lock, as the filesystem does) racing with
 * lock-free readers, background writeback and reclaim. The test's owner does what a filesystem
 * does on truncate: it lowers the size its readPage honours first, and after the page cache is
 * truncated it drops the device blocks past the new end and zeroes the tail of the last one.
 */
class TruncateRaceTest {
    static final int MAX_SIZE = 6 << 20;

    @Test
    void truncatesWritesReadsWritebackAndReclaimAgree() throws Exception {
        long seed = 4242;
        PageCacheConfig cfg = PageCacheConfig.builder().dirtyExpire(Duration.ZERO)
                .workerIdle(Duration.ofMillis(100)).writebackBatch(8).build();
        try (Fixture f = new Fixture(8L << 20, cfg)) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "race");
            ReentrantLock inode = new ReentrantLock();
            byte[] model = new byte[MAX_SIZE];
            long[] size = {0};
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread mutator = new Thread(() -> {
                Random rnd = new Random(seed);
                byte[] buf = new byte[256 << 10];
                int step = 0;
                try {
                    for (; step < 1500; step++) {
                        inode.lock();
                        try {
                            if (rnd.nextInt(8) == 0) {
                                long newSize = size[0] == 0 ? 0 : rnd.nextLong(size[0]);
                                // The size first: a reader racing in past it must read zeros.
                                store.size = newSize;
                                as.truncateRange(newSize, Long.MAX_VALUE, rnd.nextBoolean());
                                truncateDevice(store, newSize);
                                Arrays.fill(model, (int) newSize, MAX_SIZE, (byte) 0);
                                size[0] = newSize;
                            } else {
                                int pos = rnd.nextInt(MAX_SIZE - 1);
                                int len = 1 + rnd.nextInt(Math.min(buf.length, MAX_SIZE - pos));
                                byte v = (byte) (1 + rnd.nextInt(255));
                                Arrays.fill(buf, 0, len, v);
                                assertEquals(len, as.write(pos, buf, 0, len, size[0]));
                                Arrays.fill(model, pos, pos + len, v);
                                size[0] = Math.max(size[0], pos + len);
                                store.size = size[0];
                            }
                        } finally {
                            inode.unlock();
                        }
                    }
                } catch (Throwable t) {
                    errors.add("mutator seed " + seed + " step " + step + ": " + t);
                }
            });
            Thread reader = new Thread(() -> {
                Random rnd = new Random(seed + 1);
                byte[] buf = new byte[64 << 10];
                try {
                    while (!stop.get()) {
                        long s = size[0];
                        if (s > 0) {
                            as.read(rnd.nextLong(s), buf, 0, buf.length, s);
                        }
                    }
                } catch (Throwable t) {
                    errors.add("reader seed " + seed + ": " + t);
                }
            });
            mutator.start();
            reader.start();
            mutator.join(120_000);
            stop.set(true);
            reader.join(30_000);
            assertTrue(!mutator.isAlive() && !reader.isAlive(), "stuck");
            assertTrue(errors.isEmpty(), String.join("\n", errors));
            f.cache.syncAll();
            int n = (int) size[0];
            byte[] got = new byte[n];
            assertEquals(n, as.read(0, got, 0, n, n));
            assertArrayEquals(Arrays.copyOf(model, n), got, "cached view, seed " + seed);
            f.cache.dropCaches();
            as.truncateRange(0, Long.MAX_VALUE, false);
            assertEquals(n, as.read(0, got, 0, n, n));
            assertArrayEquals(Arrays.copyOf(model, n), got, "device view, seed " + seed);
            System.out.println("truncate race: final size " + n + "\n" + f.cache.stats().render());
        }
    }

    /** What the filesystem does to its blocks on truncate. */
    private static void truncateDevice(TestStore store, long newSize) {
        long keep = (newSize + Page.SIZE - 1) >>> Page.SHIFT;
        store.blocks.keySet().removeIf(k -> k >= keep);
        int tail = (int) (newSize & (Page.SIZE - 1));
        if (tail != 0) {
            byte[] b = store.blocks.get(newSize >>> Page.SHIFT);
            if (b != null) {
                byte[] z = Arrays.copyOf(b, Page.SIZE);
                Arrays.fill(z, tail, Page.SIZE, (byte) 0);
                store.blocks.put(newSize >>> Page.SHIFT, z);
            }
        }
    }
}
