package org.fusefs.pagecache;

import static org.fusefs.pagecache.FilemapTest.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.junit.jupiter.api.Test;

class TruncateTest {

    @Test
    void truncateDropsDirtyAndMappedPagesAndZeroesPartialEdges() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "punch");
            RecordingUnmapper vma = new RecordingUnmapper();
            as.addUnmapper(vma);
            long size = 8 * Page.SIZE;
            as.write(0, filled((int) size, (byte) 1), 0, (int) size, 0);
            as.findPage(3).set(PageFlag.MAPPED);
            long freeBefore = f.memory.nrFreePages();
            // Punch [1.5 pages, 5.5 pages): pages 2..4 go, pages 1 and 5 are zeroed in part.
            long start = Page.SIZE + Page.SIZE / 2;
            long end = 5 * Page.SIZE + Page.SIZE / 2 - 1;
            as.truncateRange(start, end, false);
            assertEquals(5, as.nrPages());
            assertNull(as.findPage(2));
            assertNull(as.findPage(3));
            assertNull(as.findPage(4));
            assertNotNull(as.findPage(1));
            assertTrue(vma.covered(2) && vma.covered(3) && vma.covered(4), "unmapper told");
            assertEquals(freeBefore + 3, f.memory.nrFreePages());
            assertEquals(5, as.nrDirty());
            assertEquals(5, f.cache.stats().dirty());
            byte[] got = new byte[(int) size];
            as.read(0, got, 0, got.length, size);
            for (int i = 0; i < size; i++) {
                byte want = i >= start && i <= end ? 0 : (byte) 1;
                assertEquals(want, got[i], "byte " + i);
            }
            // The dropped dirty pages were never written.
            as.writeAndWait(0, Long.MAX_VALUE);
            assertNull(store.writesPerIndex.get(3L));
            assertEquals(5, store.pagesWritten.get());
        }
    }

    @Test
    void truncateWithWriteBackFirstPersistsDirtyData() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "collapse");
            as.write(0, filled(4 * Page.SIZE, (byte) 6), 0, 4 * Page.SIZE, 0);
            as.truncateRange(Page.SIZE, Long.MAX_VALUE, true);
            assertEquals(1, as.nrPages());
            // Pages 1..3 are in the range; page 0 stays dirty in the cache.
            assertEquals(3, store.pagesWritten.get());
            assertEquals(1, as.nrDirty());
            assertEquals(6, store.deviceBytes(3 * Page.SIZE, 1)[0]);
        }
    }

    @Test
    void truncateWaitsForWritebackInFlight() throws Exception {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "wbwait");
            as.write(0, filled(2 * Page.SIZE, (byte) 1), 0, 2 * Page.SIZE, 0);
            store.writeGate = new java.util.concurrent.CountDownLatch(1);
            store.writeEntered = new java.util.concurrent.CountDownLatch(1);
            Thread syncer = new Thread(() -> {
                try {
                    as.writeAndWait(0, Long.MAX_VALUE);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            syncer.start();
            store.writeEntered.await();
            assertTrue(as.findPage(0).test(PageFlag.WRITEBACK));
            Thread truncator = new Thread(() -> {
                try {
                    as.truncateRange(0, Long.MAX_VALUE, false);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            truncator.start();
            truncator.join(200);
            assertTrue(truncator.isAlive(), "truncate must wait for writeback");
            assertEquals(2, as.nrPages());
            store.writeGate.countDown();
            truncator.join(5000);
            syncer.join(5000);
            assertFalse(truncator.isAlive());
            assertEquals(0, as.nrPages());
            assertEquals(0, f.cache.stats().writeback());
        }
    }

    @Test
    void invalidateCleanSkipsDirtyMappedAndLockedPages() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "inval");
            byte[] b = new byte[Page.SIZE];
            for (int i = 0; i < 6; i++) {
                as.read(i * Page.SIZE, b, 0, Page.SIZE, 6 * Page.SIZE);
            }
            as.write(0, filled(10, (byte) 1), 0, 10, 6 * Page.SIZE);
            as.findPage(1).set(PageFlag.MAPPED);
            Page locked = as.findLockPage(2);
            // Page 5 is only partly inside the range and stays.
            assertEquals(2, as.invalidateClean(0, 5 * Page.SIZE + 10));
            PageWait.unlock(locked);
            assertNotNull(as.findPage(0));
            assertNotNull(as.findPage(1));
            assertNotNull(as.findPage(2));
            assertNull(as.findPage(3));
            assertNull(as.findPage(4));
            assertNotNull(as.findPage(5));
        }
    }
}
