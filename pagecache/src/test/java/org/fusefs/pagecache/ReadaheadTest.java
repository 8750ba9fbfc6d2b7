package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.junit.jupiter.api.Test;

class ReadaheadTest {

    @Test
    void sequentialReadsAreBatched() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            int pages = 256;
            byte[] all = store.fillRandom(pages, 11);
            long size = (long) pages * Page.SIZE;
            store.size = size;
            AddressSpace as = f.cache.newAddressSpace(store, "seq");
            byte[] buf = new byte[Page.SIZE];
            for (int i = 0; i < pages; i++) {
                assertEquals(Page.SIZE, as.read((long) i * Page.SIZE, buf, 0, Page.SIZE, size));
                for (int k = 0; k < Page.SIZE; k++) {
                    if (buf[k] != all[i * Page.SIZE + k]) {
                        throw new AssertionError("page " + i + " byte " + k + " (seed 11)");
                    }
                }
            }
            // Every page read exactly once, all through batches: 32, then windows of 64.
            assertEquals(pages, store.pagesRead.get());
            assertEquals(pages, store.pagesInBatches.get());
            assertTrue(store.readPagesCalls.get() <= 5, "readPages calls: " + store.readPagesCalls.get());
            assertEquals(Readahead.MAX_PAGES, store.maxBatch.get());
            assertEquals(pages, as.nrPages());
        }
    }

    @Test
    void readaheadStopsAtEndOfFile() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            store.fillRandom(64, 12);
            long size = 25L * Page.SIZE + 5; // 26 pages
            store.size = size;
            AddressSpace as = f.cache.newAddressSpace(store, "eof");
            byte[] buf = new byte[1000];
            for (long pos = 0; pos < size; pos += buf.length) {
                as.read(pos, buf, 0, buf.length, size);
            }
            assertEquals(26, store.pagesRead.get());
            assertEquals(26, as.nrPages());
            assertEquals(1, store.readPagesCalls.get());
        }
    }

    @Test
    void randomReadsReadOnlyWhatTheyAskFor() throws IOException {
        long seed = 13;
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            int pages = 1024;
            byte[] all = store.fillRandom(pages, seed);
            long size = (long) pages * Page.SIZE;
            store.size = size;
            AddressSpace as = f.cache.newAddressSpace(store, "random");
            Random rnd = new Random(seed);
            Set<Long> touched = new HashSet<>();
            long prev = -10;
            byte[] buf = new byte[Page.SIZE];
            for (int step = 0; step < 200; step++) {
                long idx;
                do {
                    idx = 1 + rnd.nextInt(pages - 1);
                } while (Math.abs(idx - prev) <= 1);
                prev = idx;
                touched.add(idx);
                as.read(idx * Page.SIZE, buf, 0, Page.SIZE, size);
                for (int k = 0; k < Page.SIZE; k += 512) {
                    assertEquals(all[(int) idx * Page.SIZE + k], buf[k], "step " + step + " page " + idx + " seed " + seed);
                }
                assertEquals(touched.size(), store.pagesRead.get(), "step " + step + " seed " + seed);
            }
            assertEquals(0, store.readPagesCalls.get());
            assertEquals(touched.size(), as.nrPages());
            // A random read of several pages reads those pages in one batch, and no more.
            long before = store.pagesRead.get();
            long start = (prev + 500) % 1000 + 2; // not next to the previous read
            as.read(start * Page.SIZE + 10, new byte[5 * Page.SIZE], 0, 5 * Page.SIZE, size);
            long want = 0;
            for (long i = start; i <= start + 5; i++) {
                want += touched.contains(i) ? 0 : 1;
            }
            assertEquals(before + want, store.pagesRead.get());
        }
    }

    @Test
    void failedReadaheadLeavesPagesForARetryThatReportsTheError() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            byte[] all = store.fillRandom(64, 14);
            long size = 64L * Page.SIZE;
            store.size = size;
            AddressSpace as = f.cache.newAddressSpace(store, "err");
            store.failReads.set(1000);
            byte[] buf = new byte[Page.SIZE];
            assertThrows(IOException.class, () -> as.read(0, buf, 0, Page.SIZE, size));
            assertTrue(store.readPagesCalls.get() >= 1);
            for (long i = 0; i < 32; i++) {
                Page p = as.findPage(i);
                if (p != null) {
                    assertFalse(p.test(PageFlag.UPTODATE), "page " + i);
                    assertFalse(p.test(PageFlag.LOCKED), "page " + i);
                }
            }
            store.failReads.set(0);
            byte[] got = new byte[(int) size];
            assertEquals((int) size, as.read(0, got, 0, got.length, size));
            assertArrayEquals(all, got);
        }
    }
}
