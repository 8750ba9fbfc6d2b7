package org.fusefs.pagecache;

import static org.fusefs.pagecache.FilemapTest.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.fusefs.uapi.Errno;
import org.junit.jupiter.api.Test;

class WritebackTest {

    @Test
    void writeAndWaitWritesOnlyTheRangeAndCleansIt() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "range");
            as.write(0, filled(10 * Page.SIZE, (byte) 1), 0, 10 * Page.SIZE, 0);
            assertEquals(10, as.nrDirty());
            as.writeAndWait(2 * Page.SIZE + 5, 4 * Page.SIZE);
            // Pages 2, 3 and 4 touch the range.
            assertEquals(3, store.pagesWritten.get());
            assertEquals(7, as.nrDirty());
            assertEquals(1, store.writeCalls.get(), "a run of consecutive pages is one writePages call");
            for (long i = 2; i <= 4; i++) {
                Page p = as.findPage(i);
                assertTrue(!p.test(PageFlag.DIRTY) && !p.test(PageFlag.WRITEBACK), p.toString());
            }
            f.cache.syncAll();
            assertEquals(0, as.nrDirty());
            assertEquals(10, store.pagesWritten.get());
            assertEquals(0, f.cache.stats().dirty());
        }
    }

    @Test
    void fsyncReportsAWritebackErrorOnceToEveryOpener() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "errseq");
            Errseq.Cursor a = as.sampleErrseq();
            Errseq.Cursor b = as.sampleErrseq();
            as.write(0, filled(3 * Page.SIZE, (byte) 1), 0, 3 * Page.SIZE, 0);
            store.failWrites.set(1);
            WritebackException e = assertThrows(WritebackException.class, () -> as.fsync(0, Long.MAX_VALUE, a));
            assertEquals(Errno.EIO, e.errno());
            // Seen once by a, so a's next fsync is clean; the pages were left clean (data lost).
            as.fsync(0, Long.MAX_VALUE, a);
            assertEquals(0, as.nrDirty());
            // An opener that arrives after the error was seen does not see it.
            Errseq.Cursor c = as.sampleErrseq();
            as.fsync(0, Long.MAX_VALUE, c);
            // b was open when it happened: it sees it once.
            assertThrows(WritebackException.class, () -> as.fsync(0, Long.MAX_VALUE, b));
            as.fsync(0, Long.MAX_VALUE, b);
            // A second error after both saw the first is reported to both again.
            as.write(0, filled(10, (byte) 2), 0, 10, 3 * Page.SIZE);
            store.failWrites.set(1);
            assertThrows(WritebackException.class, () -> as.writeAndWait(0, Long.MAX_VALUE));
            assertThrows(WritebackException.class, () -> as.checkAndAdvance(a));
            assertThrows(WritebackException.class, () -> as.checkAndAdvance(b));
            assertThrows(WritebackException.class, () -> as.checkAndAdvance(c));
            as.checkAndAdvance(a);
            assertEquals(2, f.cache.stats().writebackErrors());
        }
    }

    @Test
    void anErrorNobodySawIsReportedToALaterOpener() {
        Errseq seq = new Errseq();
        seq.set(Errno.ENOSPC);
        Errseq.Cursor late = seq.sample();
        assertEquals(Errno.ENOSPC, seq.checkAndAdvance(late));
        assertNull(seq.checkAndAdvance(late));
        Errseq.Cursor later = seq.sample();
        assertNull(seq.checkAndAdvance(later));
    }

    @Test
    void lazyWorkersStartOnDemandAndExitWhenIdle() throws Exception {
        PageCacheConfig cfg = PageCacheConfig.builder().dirtyExpire(Duration.ofMillis(20))
                .workerIdle(Duration.ofMillis(150)).maxWorkers(2).build();
        try (Fixture f = new Fixture(64L << 20, cfg)) {
            assertEquals(0, f.cache.stats().workersAlive(), "no worker before there is work");
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "lazy");
            as.write(0, filled(8 * Page.SIZE, (byte) 1), 0, 8 * Page.SIZE, 0);
            assertEquals(1, f.cache.stats().workersAlive(), "one worker started by the first dirty file");
            waitFor(() -> as.nrDirty() == 0 && store.pagesWritten.get() == 8, 5000, "background writeback");
            waitFor(() -> f.cache.stats().workersAlive() == 0, 5000, "idle worker exit");
            assertEquals(1, f.cache.stats().workersStarted());
            // More work later starts a worker again.
            as.write(0, filled(10, (byte) 2), 0, 10, 8 * Page.SIZE);
            waitFor(() -> as.nrDirty() == 0, 5000, "second background writeback");
            assertEquals(2, f.cache.stats().workersStarted());
            waitFor(() -> f.cache.stats().workersAlive() == 0, 5000, "second idle exit");
        }
    }

    @Test
    void neverMoreWorkersThanTheLimit() throws Exception {
        PageCacheConfig cfg = PageCacheConfig.builder().dirtyRatio(0.05).dirtyExpire(Duration.ZERO)
                .workerIdle(Duration.ofMillis(100)).maxWorkers(2).writebackBatch(8).build();
        try (Fixture f = new Fixture(64L << 20, cfg)) {
            AtomicLong maxAlive = new AtomicLong();
            java.util.List<TestStore> stores = new java.util.ArrayList<>();
            java.util.List<AddressSpace> files = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                TestStore s = new TestStore();
                s.writeDelayMillis = 1;
                stores.add(s);
                files.add(f.cache.newAddressSpace(s, "file" + i));
            }
            byte[] chunk = filled(4 * Page.SIZE, (byte) 1);
            long[] sizes = new long[files.size()];
            for (int round = 0; round < 200; round++) {
                for (int i = 0; i < files.size(); i++) {
                    files.get(i).write(sizes[i], chunk, 0, chunk.length, sizes[i]);
                    sizes[i] += chunk.length;
                    maxAlive.accumulateAndGet(f.cache.stats().workersAlive(), Math::max);
                }
            }
            f.cache.syncAll();
            System.out.println("workers: max alive " + maxAlive.get() + ", started " + f.cache.stats().workersStarted());
            assertTrue(maxAlive.get() <= 2, "alive " + maxAlive.get());
            assertTrue(maxAlive.get() >= 1);
            waitFor(() -> f.cache.stats().workersAlive() == 0, 5000, "idle exit");
        }
    }

    @Test
    void writersAreThrottledAtTheDirtyLimit() throws Exception {
        PageCacheConfig cfg = PageCacheConfig.builder().dirtyRatio(0.05).dirtyExpire(Duration.ofSeconds(60))
                .workerIdle(Duration.ofMillis(200)).writebackBatch(32).build();
        try (Fixture f = new Fixture(64L << 20, cfg)) {
            long limit = f.cache.stats().dirtyLimit();
            TestStore store = new TestStore();
            // A slow device (20 ms per 32 pages, 1,600 pages/s) so that the writer surely outruns
            // writeback, also on a loaded machine (at 5 ms a starved writer once failed to).
            store.writeDelayMillis = 20;
            AddressSpace as = f.cache.newAddressSpace(store, "throttle");
            AtomicLong maxDirty = new AtomicLong();
            byte[] chunk = filled(Page.SIZE, (byte) 5);
            long size = 0;
            for (int i = 0; i < 4 * limit; i++) {
                as.write(size, chunk, 0, chunk.length, size);
                size += chunk.length;
                maxDirty.accumulateAndGet(f.cache.stats().dirty(), Math::max);
            }
            assertTrue(f.cache.stats().throttled() > 0, "writer was never throttled: " + f.cache.stats());
            assertTrue(maxDirty.get() <= limit + 1, "dirty " + maxDirty.get() + " over limit " + limit);
            f.cache.syncAll();
            assertEquals(4 * limit, store.pagesWritten.get());
        }
    }

    @Test
    void oneHugeWriteIsThrottledToo() throws Exception {
        PageCacheConfig cfg = PageCacheConfig.builder().dirtyRatio(0.05).dirtyExpire(Duration.ofSeconds(60))
                .workerIdle(Duration.ofMillis(200)).build();
        try (Fixture f = new Fixture(16L << 20, cfg)) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "huge");
            long limit = f.cache.stats().dirtyLimit();
            AtomicLong maxDirty = new AtomicLong();
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            Thread sampler = new Thread(() -> {
                while (!done.get()) {
                    maxDirty.accumulateAndGet(f.cache.stats().dirty(), Math::max);
                    Thread.onSpinWait();
                }
            });
            sampler.start();
            // 32 MiB in one call: twice the memory.
            byte[] big = new byte[32 << 20];
            ReclaimTest.pattern(big, 5, 0);
            assertEquals(big.length, as.write(0, big, 0, big.length, 0));
            done.set(true);
            sampler.join();
            f.cache.syncAll();
            assertTrue(maxDirty.get() <= limit + 2, "dirty reached " + maxDirty.get() + ", limit " + limit);
            byte[] back = new byte[big.length];
            assertEquals(big.length, as.read(0, back, 0, back.length, big.length));
            assertTrue(java.util.Arrays.equals(big, back), "data read back differs");
        }
    }

    @Test
    void aPageTruncatedWhileQueuedForWritebackIsNotWritten() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "stale");
            as.write(0, filled(4 * Page.SIZE, (byte) 1), 0, 4 * Page.SIZE, 0);
            WritebackBatch batch = new WritebackBatch(as, 16);
            assertEquals(4, batch.collect(0, Long.MAX_VALUE));
            // Truncate pages 2 and 3, then page 3 is written again: a new page, a new generation.
            as.truncateRange(2 * Page.SIZE, Long.MAX_VALUE, false);
            as.write(3 * Page.SIZE, filled(Page.SIZE, (byte) 2), 0, Page.SIZE, 2 * Page.SIZE);
            assertNull(batch.submit(true));
            assertEquals(2, store.pagesWritten.get());
            assertEquals(null, store.writesPerIndex.get(2L));
            assertEquals(null, store.writesPerIndex.get(3L), "the page now at index 3 is not the one queued");
            assertEquals(1, as.nrDirty());
            as.writeAndWait(0, Long.MAX_VALUE);
            assertEquals(1, store.writesPerIndex.get(3L));
        }
    }

    static void waitFor(java.util.function.BooleanSupplier cond, long millis, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (!cond.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
