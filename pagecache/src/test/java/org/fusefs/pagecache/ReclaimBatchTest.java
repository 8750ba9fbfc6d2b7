package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.junit.jupiter.api.Test;

/** Reclaim a batch at a time: what it frees, what it puts back, and streaming through a small core. */
class ReclaimBatchTest {

    /** A file whose page {@code i} holds {@link ReclaimTest#pattern} of (seed, i); reads only. */
    static final class PatternFile implements AddressSpaceOperations {
        final long seed;

        PatternFile(long seed) {
            this.seed = seed;
        }

        @Override
        public void readPage(AddressSpace mapping, Page page) {
            byte[] b = new byte[Page.SIZE];
            ReclaimTest.pattern(b, seed, page.index());
            page.copyFrom(b, 0, 0, Page.SIZE);
        }

        @Override
        public void writePages(AddressSpace mapping, List<Page> pages) {
        }

        @Override
        public long directIO(AddressSpace mapping, DioArgs args) {
            return args.length();
        }
    }

    @Test
    void aBatchFreesTheCleanPagesAndPutsDirtyLockedAndReferencedOnesBack() throws IOException {
        try (Fixture f = new Fixture()) {
            AddressSpace as = f.cache.newAddressSpace(new TestStore(), "mixed");
            byte[] b = new byte[Page.SIZE];
            // 64 pages: readahead brings in no others; LRU order is index order.
            int size = 64 * Page.SIZE;
            for (int i = 0; i < 64; i++) {
                as.read((long) i * Page.SIZE, b, 0, Page.SIZE, size);
            }
            for (int i = 0; i < 8; i++) {
                as.write((long) i * Page.SIZE, b, 0, 16, size);
            }
            for (int i = 20; i < 30; i++) {
                as.read((long) i * Page.SIZE, b, 0, Page.SIZE, size);
            }
            Page locked = as.findLockPage(10);
            assertNotNull(locked);
            try {
                // The referenced pages lose their mark on the first pass and go on the second;
                // the dirty and the locked ones stay however often they are scanned.
                assertEquals(55, f.cache.reclaim(64));
                assertEquals(9, as.nrPages());
                assertEquals(8, as.nrDirty());
                assertEquals(9, f.cache.lru.size(), "every page not freed is back on the LRU");
                for (int i = 0; i < 64; i++) {
                    boolean kept = i < 8 || i == 10;
                    assertEquals(kept, as.findPage(i) != null, "page " + i);
                    if (kept) {
                        assertTrue(as.findPage(i).test(PageFlag.LRU), "page " + i + " on the LRU");
                    }
                }
            } finally {
                PageWait.unlock(locked);
            }
            assertEquals(1, f.cache.reclaim(64), "the unlocked page goes now");
            assertEquals(8, f.cache.stats().cached());
            assertEquals(f.cache.stats().cached(), f.cache.lru.size());
        }
    }

    @Test
    void pagesOfSeveralFilesInOneBatchAreAllFreed() throws IOException {
        try (Fixture f = new Fixture()) {
            AddressSpace[] files = new AddressSpace[3];
            for (int k = 0; k < files.length; k++) {
                files[k] = f.cache.newAddressSpace(new TestStore(), "f" + k);
            }
            byte[] b = new byte[Page.SIZE];
            int size = 40 * Page.SIZE;
            // Interleaved, so that a batch holds runs of one page of each file; descending, so
            // that readahead does not bring in whole windows of one file.
            for (int i = 39; i >= 0; i--) {
                for (AddressSpace as : files) {
                    as.read((long) i * Page.SIZE, b, 0, Page.SIZE, size);
                }
            }
            long cached = f.cache.stats().cached();
            assertEquals(120, cached);
            assertEquals(120, f.cache.reclaim(1000));
            for (AddressSpace as : files) {
                assertEquals(0, as.nrPages(), as.toString());
            }
            assertEquals(0, f.cache.stats().cached());
            assertEquals(0, f.cache.lru.size());
        }
    }

    @Test
    void readersAndAWriterOfFilesFourTimesTheCoreNeverFailAnAllocation() throws Exception {
        long seed = 4242;
        PageCacheConfig cfg = PageCacheConfig.builder().dirtyExpire(Duration.ofMillis(50))
                .workerIdle(Duration.ofMillis(100)).build();
        try (Fixture f = new Fixture(16L << 20, cfg)) {
            long total = f.memory.totalPages();
            long fileBytes = 64L << 20;
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                long s = seed + r;
                AddressSpace as = f.cache.newAddressSpace(new PatternFile(s), "reader-" + r);
                threads.add(new Thread(() -> {
                    byte[] got = new byte[128 << 10];
                    byte[] want = new byte[Page.SIZE];
                    try {
                        for (long pos = 0; pos < fileBytes; pos += got.length) {
                            int n = as.read(pos, got, 0, got.length, fileBytes);
                            if (n != got.length) {
                                errors.add("seed " + s + ": short read " + n + " at " + pos);
                                return;
                            }
                            for (int k = 0; k < got.length; k += Page.SIZE) {
                                long index = (pos + k) >>> Page.SHIFT;
                                ReclaimTest.pattern(want, s, index);
                                if (!java.util.Arrays.equals(got, k, k + Page.SIZE, want, 0, Page.SIZE)) {
                                    errors.add("seed " + s + ": page " + index + " differs");
                                    return;
                                }
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        errors.add("seed " + s + " at reader: " + e);
                    }
                }, "reader-" + r));
            }
            TestStore sink = new TestStore();
            AddressSpace w = f.cache.newAddressSpace(sink, "writer");
            long writeBytes = 32L << 20;
            threads.add(new Thread(() -> {
                byte[] buf = new byte[Page.SIZE];
                try {
                    for (long pos = 0; pos < writeBytes; pos += Page.SIZE) {
                        ReclaimTest.pattern(buf, seed + 9, pos >>> Page.SHIFT);
                        w.write(pos, buf, 0, buf.length, pos);
                    }
                } catch (IOException | RuntimeException e) {
                    errors.add("seed " + seed + " at writer: " + e);
                }
            }, "writer"));
            long maxCached = 0;
            for (Thread t : threads) {
                t.start();
            }
            boolean running = true;
            while (running) {
                maxCached = Math.max(maxCached, f.cache.stats().cached());
                running = false;
                for (Thread t : threads) {
                    t.join(1);
                    running |= t.isAlive();
                }
            }
            assertTrue(errors.isEmpty(), errors.toString());
            f.cache.syncAll();
            PageCacheStats st = f.cache.stats();
            System.out.println("streaming through " + total + " frames: max cached " + maxCached + "\n" + st.render());
            assertTrue(maxCached <= total, "cached " + maxCached + " > frames " + total);
            assertTrue(st.reclaimed() >= 2 * fileBytes / Page.SIZE - total, "reclaimed only " + st.reclaimed());
            assertEquals(st.cached(), f.cache.lru.size(), "every cached page is on the LRU once quiet");
            byte[] want = new byte[Page.SIZE];
            for (long i = 0; i < writeBytes / Page.SIZE; i += 97) {
                ReclaimTest.pattern(want, seed + 9, i);
                assertArrayEquals(want, sink.deviceBytes(i * Page.SIZE, Page.SIZE), "written page " + i);
            }
        }
    }
}
