package org.fusefs.pagecache;

import static org.fusefs.pagecache.FilemapTest.filled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.fusefs.uapi.Errno;
import org.junit.jupiter.api.Test;

class MemoryFailureTest {

    @Test
    void aCleanPageIsDroppedAndReadAgainFromTheDevice() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            store.blocks.put(0L, filled(Page.SIZE, (byte) 3));
            AddressSpace as = f.cache.newAddressSpace(store, "clean");
            Errseq.Cursor c = as.sampleErrseq();
            byte[] b = new byte[Page.SIZE];
            as.read(0, b, 0, Page.SIZE, Page.SIZE);
            Page p = as.findPage(0);
            assertEquals(MfResult.RECOVERED, f.memory.poison(p.pfn()));
            assertNull(as.findPage(0));
            assertTrue(p.test(PageFlag.HWPOISON));
            long reads = store.pagesRead.get();
            as.read(0, b, 0, Page.SIZE, Page.SIZE);
            assertEquals(reads + 1, store.pagesRead.get());
            assertArrayEquals(filled(Page.SIZE, (byte) 3), b);
            as.fsync(0, Long.MAX_VALUE, c);
            assertEquals(MfResult.IGNORED, f.memory.poison(p.pfn()), "second poison is ignored");
        }
    }

    @Test
    void aDirtyPageIsDroppedAndTheNextFsyncReportsEio() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "dirty");
            Errseq.Cursor c = as.sampleErrseq();
            as.write(0, filled(2 * Page.SIZE, (byte) 8), 0, 2 * Page.SIZE, 0);
            Page p = as.findPage(1);
            assertEquals(MfResult.RECOVERED, f.memory.poison(p.pfn()));
            assertNull(as.findPage(1));
            assertEquals(1, as.nrDirty());
            assertEquals(1, f.cache.stats().poisoned());
            WritebackException e = assertThrows(WritebackException.class, () -> as.fsync(0, Long.MAX_VALUE, c));
            assertEquals(Errno.EIO, e.errno());
            as.fsync(0, Long.MAX_VALUE, c);
            assertEquals(1, store.pagesWritten.get(), "only the healthy page reached the device");
        }
    }

    @Test
    void ioMeetingAPoisonedPageBeforeTheHandlerDropsItAndGoesOn() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            store.blocks.put(0L, filled(Page.SIZE, (byte) 4));
            AddressSpace as = f.cache.newAddressSpace(store, "race");
            Errseq.Cursor c = as.sampleErrseq();
            byte[] b = new byte[Page.SIZE];
            as.read(0, b, 0, Page.SIZE, 2 * Page.SIZE);
            as.write(Page.SIZE, filled(Page.SIZE, (byte) 9), 0, Page.SIZE, 2 * Page.SIZE);
            // The flag is set but the handler has not run yet (poison() does both in one call).
            Page clean = as.findPage(0);
            Page dirty = as.findPage(1);
            clean.set(PageFlag.HWPOISON);
            dirty.set(PageFlag.HWPOISON);
            as.read(0, b, 0, Page.SIZE, 2 * Page.SIZE);
            assertArrayEquals(filled(Page.SIZE, (byte) 4), b, "read from the device again");
            assertTrue(as.findPage(0) != clean);
            as.write(Page.SIZE, filled(10, (byte) 7), 0, 10, 2 * Page.SIZE);
            assertTrue(as.findPage(1) != dirty);
            assertEquals(2, f.cache.stats().poisoned());
            assertThrows(WritebackException.class, () -> as.fsync(0, Long.MAX_VALUE, c), "lost dirty data reported");
        }
    }

    @Test
    void aMappedPageIsUnmappedFirst() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "mapped");
            RecordingUnmapper vma = new RecordingUnmapper();
            as.addUnmapper(vma);
            byte[] b = new byte[Page.SIZE];
            as.read(5 * Page.SIZE, b, 0, Page.SIZE, 6 * Page.SIZE);
            Page p = as.findPage(5);
            p.set(PageFlag.MAPPED);
            assertEquals(MfResult.RECOVERED, f.memory.poison(p.pfn()));
            assertTrue(vma.covered(5));
            assertEquals(1, vma.calls.size());
            assertNull(as.findPage(5));
            assertEquals(0, as.nrPages());
        }
    }
}
