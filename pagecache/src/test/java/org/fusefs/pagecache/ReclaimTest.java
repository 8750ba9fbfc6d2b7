package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

class ReclaimTest {

    static void pattern(byte[] buf, long seed, long index) {
        long x = seed * 0x9E3779B97F4A7C15L + index;
        for (int i = 0; i < buf.length; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            for (int k = 0; k < 8; k++) {
                buf[i + k] = (byte) (x >>> (8 * k));
            }
        }
    }

    @Test
    void writingFourTimesMemoryStaysWithinMemoryAndReadsBack() throws IOException {
        long seed = 20261121;
        PageCacheConfig cfg = PageCacheConfig.builder().dirtyExpire(Duration.ofSeconds(30))
                .workerIdle(Duration.ofMillis(200)).build();
        try (Fixture f = new Fixture(64L << 20, cfg)) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "big");
            long pages = (256L << 20) / Page.SIZE;
            long total = f.memory.totalPages();
            byte[] buf = new byte[Page.SIZE];
            long maxCached = 0;
            long maxDirty = 0;
            long minFree = Long.MAX_VALUE;
            long size = 0;
            long t0 = System.nanoTime();
            for (long i = 0; i < pages; i++) {
                pattern(buf, seed, i);
                as.write(size, buf, 0, buf.length, size);
                size += buf.length;
                PageCacheStats now = f.cache.stats();
                maxCached = Math.max(maxCached, now.cached());
                maxDirty = Math.max(maxDirty, now.dirty());
                minFree = Math.min(minFree, f.memory.nrFreePages());
            }
            PageCacheStats st = f.cache.stats();
            System.out.println("reclaim: seed " + seed + ", max cached " + maxCached + " of " + total
                    + " frames, min free " + minFree + ", write phase " + (System.nanoTime() - t0) / 1_000_000
                    + " ms\n" + st.render());
            assertTrue(maxCached <= total, "cached " + maxCached + " > frames " + total);
            assertTrue(maxDirty <= st.dirtyLimit() + 1, "dirty " + maxDirty + " over the limit " + st.dirtyLimit());
            assertTrue(st.reclaimed() >= pages - total, "reclaimed only " + st.reclaimed());
            assertTrue(st.throttled() > 0 || st.writtenBack() > 0);
            f.cache.syncAll();
            byte[] got = new byte[Page.SIZE];
            long t1 = System.nanoTime();
            for (long i = 0; i < pages; i++) {
                pattern(buf, seed, i);
                assertEquals(Page.SIZE, as.read(i * Page.SIZE, got, 0, Page.SIZE, size));
                assertArrayEquals(buf, got, "seed " + seed + " page " + i);
            }
            assertTrue(f.cache.stats().misses() > 0);
            System.out.println("reclaim: read-back phase " + (System.nanoTime() - t1) / 1_000_000 + " ms");
        }
    }

    @Test
    void theAllocatorGetsPagesBackThroughTheShrinker() throws IOException {
        try (Fixture f = new Fixture(16L << 20, PageCacheConfig.defaults())) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "clean");
            long total = f.memory.totalPages();
            byte[] got = new byte[Page.SIZE];
            // Fill the cache with clean pages by reading a sparse (all zero) file.
            long n = total - f.memory.highWatermarkPages() - 16;
            for (long i = 0; i < n; i++) {
                as.read(i * Page.SIZE, got, 0, Page.SIZE, total * Page.SIZE);
            }
            long cachedBefore = as.nrPages();
            // Take every free frame, then more: the allocator must ask the page cache.
            java.util.List<Page> taken = new java.util.ArrayList<>();
            Page p;
            while (taken.size() < total - 8 && (p = f.memory.allocPage(MigrateType.UNMOVABLE)) != null) {
                taken.add(p);
            }
            assertTrue(taken.size() > total - cachedBefore, "allocator got " + taken.size() + " of " + total
                    + " frames with " + cachedBefore + " cached");
            assertTrue(as.nrPages() < cachedBefore);
            for (Page t : taken) {
                f.memory.freePages(t);
            }
        }
    }

    @Test
    void aHighOrderAllocationGetsAWholeBlockFromFewReclaimedPages() throws IOException {
        try (Fixture f = new Fixture(16L << 20, PageCacheConfig.defaults())) {
            AddressSpace as = f.cache.newAddressSpace(new TestStore(), "blocks");
            long total = f.memory.totalPages();
            byte[] got = new byte[Page.SIZE];
            long n = total - 256;
            for (long i = 0; i < n; i++) {
                as.read(i * Page.SIZE, got, 0, Page.SIZE, total * Page.SIZE);
            }
            // Every other page read again: LRU order alone would free scattered frames first.
            for (long i = 0; i < n; i += 2) {
                as.read(i * Page.SIZE, got, 0, Page.SIZE, total * Page.SIZE);
            }
            java.util.List<Page> taken = new java.util.ArrayList<>();
            while (f.memory.nrFreePages() > 0) {
                taken.add(f.memory.allocPage(MigrateType.UNMOVABLE));
            }
            long before = f.cache.stats().reclaimed();
            Page block = f.memory.allocPages(4, MigrateType.MOVABLE);
            long reclaimed = f.cache.stats().reclaimed() - before;
            System.out.println("order-4 allocation reclaimed " + reclaimed + " pages");
            assertTrue(block != null, "order-4 allocation failed with " + as.nrPages() + " clean cached pages");
            assertTrue(reclaimed <= 48, "reclaimed " + reclaimed + " pages for one 16-page block");
            f.memory.freePages(block);
            for (Page t : taken) {
                f.memory.freePages(t);
            }
        }
    }

    @Test
    void aShrinkerRequestThatMeetsDirtyPagesStartsWriteback() throws Exception {
        PageCacheConfig cfg = PageCacheConfig.builder().dirtyExpire(Duration.ofSeconds(60))
                .workerIdle(Duration.ofMillis(200)).build();
        try (Fixture f = new Fixture(16L << 20, cfg)) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "dirty");
            as.write(0, new byte[64 * Page.SIZE], 0, 64 * Page.SIZE, 0);
            Thread.sleep(100);
            assertEquals(64, as.nrDirty(), "nothing written before the expire time");
            // What the allocator does when it runs short.
            assertEquals(0, new Reclaim(f.cache).shrink(32, 0), "all pages dirty: nothing to free yet");
            WritebackTest.waitFor(() -> as.nrDirty() == 0 && as.nrWriteback() == 0, 5000, "writeback woken by reclaim");
            assertEquals(32, new Reclaim(f.cache).shrink(32, 0));
        }
    }

    @Test
    void readReferencedPagesSurviveAColdScan() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace hot = f.cache.newAddressSpace(store, "hot");
            AddressSpace cold = f.cache.newAddressSpace(new TestStore(), "cold");
            byte[] b = new byte[Page.SIZE];
            // Files of 64 pages, so that readahead brings in no others.
            int size = 64 * Page.SIZE;
            for (int i = 0; i < 64; i++) {
                hot.read(i * Page.SIZE, b, 0, Page.SIZE, size);
            }
            for (int i = 0; i < 64; i++) {
                cold.read(i * Page.SIZE, b, 0, Page.SIZE, size);
            }
            // A second read marks the hot pages referenced.
            for (int i = 0; i < 64; i++) {
                hot.read(i * Page.SIZE, b, 0, Page.SIZE, size);
            }
            assertEquals(64, f.cache.reclaim(64));
            assertEquals(64, hot.nrPages(), "referenced pages got a second chance");
            assertEquals(0, cold.nrPages());
        }
    }

    @Test
    void dropCachesLeavesDirtyPages() throws IOException {
        try (Fixture f = new Fixture()) {
            AddressSpace as = f.cache.newAddressSpace(new TestStore(), "drop");
            byte[] b = new byte[Page.SIZE];
            // A file of 100 pages, so that readahead brings in no others.
            int size = 100 * Page.SIZE;
            for (int i = 0; i < 100; i++) {
                as.read(i * Page.SIZE, b, 0, Page.SIZE, size);
                as.read(i * Page.SIZE, b, 0, Page.SIZE, size);
            }
            as.write(0, b, 0, 10, size);
            assertEquals(99, f.cache.dropCaches());
            assertEquals(1, as.nrPages());
            assertEquals(1, f.cache.stats().cached());
        }
    }
}
