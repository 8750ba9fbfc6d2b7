package org.fusefs.pagecache;

import static org.fusefs.pagecache.FilemapTest.filled;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

class DirectIoTest {

    @Test
    void aDirtyPageIsWrittenBackBeforeADirectRead() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "dio-read");
            as.write(0, filled(2 * Page.SIZE, (byte) 0x11), 0, 2 * Page.SIZE, 0);
            Page buf = f.memory.allocPage(MigrateType.UNMOVABLE);
            try {
                long n = as.directIO(new DioArgs(DioArgs.Rw.READ, new Page[] {buf}, 512, 1024, Page.SIZE + 512));
                assertEquals(1024, n);
                byte[] got = new byte[1024];
                buf.copyTo(512, got, 0, 1024);
                assertArrayEquals(filled(1024, (byte) 0x11), got);
                assertEquals(0, as.nrDirty() - 1, "only the overlapping page was written back");
            } finally {
                f.memory.freePages(buf);
            }
        }
    }

    @Test
    void cachedPagesAreDroppedAroundADirectWrite() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "dio-write");
            RecordingUnmapper vma = new RecordingUnmapper();
            as.addUnmapper(vma);
            long size = 4 * Page.SIZE;
            as.write(0, filled((int) size, (byte) 1), 0, (int) size, 0);
            byte[] b = new byte[(int) size];
            as.read(0, b, 0, b.length, size);
            Page[] bufs = {f.memory.allocPage(MigrateType.UNMOVABLE), f.memory.allocPage(MigrateType.UNMOVABLE)};
            try {
                bufs[0].copyFrom(filled(Page.SIZE, (byte) 2), 0, 0, Page.SIZE);
                bufs[1].copyFrom(filled(Page.SIZE, (byte) 2), 0, 0, Page.SIZE);
                long n = as.directIO(new DioArgs(DioArgs.Rw.WRITE, bufs, 0, 2 * Page.SIZE, Page.SIZE));
                assertEquals(2 * Page.SIZE, n);
            } finally {
                f.memory.freePages(bufs[0]);
                f.memory.freePages(bufs[1]);
            }
            assertNull(as.findPage(1));
            assertNull(as.findPage(2));
            assertTrue(vma.covered(1) && vma.covered(2));
            as.read(0, b, 0, b.length, size);
            for (int i = 0; i < size; i++) {
                byte want = i >= Page.SIZE && i < 3 * Page.SIZE ? (byte) 2 : (byte) 1;
                assertEquals(want, b[i], "byte " + i);
            }
            // Pages 0 and 3 were written back first (dirty data around the range kept).
            as.writeAndWait(0, Long.MAX_VALUE);
            assertArrayEquals(filled(Page.SIZE, (byte) 1), store.deviceBytes(0, Page.SIZE));
            assertArrayEquals(filled(Page.SIZE, (byte) 2), store.deviceBytes(Page.SIZE, Page.SIZE));
        }
    }
}
