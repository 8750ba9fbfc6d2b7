package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

class FilemapTest {

    @Test
    void partialPagesReadBackAndReachTheDevice() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "f");
            long seed = 42;
            Random rnd = new Random(seed);
            byte[] model = new byte[5 * Page.SIZE + 123];
            long size = 0;
            for (int step = 0; step < 200; step++) {
                int pos = rnd.nextInt(model.length - 1);
                int len = 1 + rnd.nextInt(Math.min(9000, model.length - pos));
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                assertEquals(len, as.write(pos, data, 0, len, size), "seed " + seed + " step " + step);
                System.arraycopy(data, 0, model, pos, len);
                size = Math.max(size, pos + len);
                int rpos = rnd.nextInt((int) size);
                int rlen = rnd.nextInt(10000);
                byte[] got = new byte[rlen];
                int n = as.read(rpos, got, 0, rlen, size);
                assertEquals(Math.min(rlen, size - rpos), n, "seed " + seed + " step " + step);
                assertArrayEquals(Arrays.copyOfRange(model, rpos, rpos + n), Arrays.copyOf(got, n),
                        "seed " + seed + " step " + step + " read " + rpos + "+" + rlen);
            }
            as.writeAndWait(0, Long.MAX_VALUE);
            assertArrayEquals(Arrays.copyOf(model, (int) size), store.deviceBytes(0, (int) size));
            // Dropped and read from the device again.
            as.truncateRange(0, Long.MAX_VALUE, false);
            assertEquals(0, as.nrPages());
            byte[] again = new byte[(int) size];
            assertEquals(size, as.read(0, again, 0, again.length, size));
            assertArrayEquals(Arrays.copyOf(model, (int) size), again);
        }
    }

    @Test
    void readsStopAtEndOfFile() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "eof");
            byte[] data = filled(100, (byte) 7);
            as.write(0, data, 0, 100, 0);
            byte[] got = new byte[8192];
            assertEquals(100, as.read(0, got, 0, got.length, 100));
            assertEquals(40, as.read(60, got, 0, got.length, 100));
            assertEquals(0, as.read(100, got, 0, got.length, 100));
            assertEquals(0, as.read(5000, got, 0, got.length, 100));
            assertEquals(0, as.read(0, got, 0, 0, 100));
            assertThrows(IllegalArgumentException.class, () -> as.read(-1, got, 0, 1, 100));
        }
    }

    @Test
    void writePastOldEndZeroesTheGapInsteadOfReadingStaleBytes() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            // Stale bytes on the device beyond the file's end must never show.
            store.blocks.put(0L, filled(Page.SIZE, (byte) 0x5A));
            AddressSpace as = f.cache.newAddressSpace(store, "gap");
            as.write(0, filled(50, (byte) 1), 0, 50, 0);
            // Old size 50: write at 3000 leaves [50, 3000) as a gap that must read zero.
            as.write(3000, filled(10, (byte) 2), 0, 10, 50);
            byte[] got = new byte[3010];
            assertEquals(3010, as.read(0, got, 0, 3010, 3010));
            for (int i = 0; i < 3010; i++) {
                byte want = i < 50 ? (byte) 1 : i < 3000 ? 0 : (byte) 2;
                assertEquals(want, got[i], "byte " + i);
            }
            // A new page past the old end is zeroed, not read.
            long readsBefore = store.pagesRead.get();
            as.write(3 * Page.SIZE + 10, filled(5, (byte) 3), 0, 5, 3010);
            assertEquals(readsBefore, store.pagesRead.get());
            byte[] p3 = new byte[Page.SIZE];
            as.read(3 * Page.SIZE, p3, 0, Page.SIZE, 4 * Page.SIZE);
            for (int i = 0; i < Page.SIZE; i++) {
                assertEquals(i >= 10 && i < 15 ? (byte) 3 : 0, p3[i], "byte " + i + " of page 3");
            }
        }
    }

    @Test
    void partialWriteInsideTheFileReadsThePageFirst() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            store.blocks.put(1L, filled(Page.SIZE, (byte) 9));
            AddressSpace as = f.cache.newAddressSpace(store, "rmw");
            as.write(Page.SIZE + 100, filled(10, (byte) 4), 0, 10, 2 * Page.SIZE);
            as.writeAndWait(0, Long.MAX_VALUE);
            byte[] dev = store.deviceBytes(Page.SIZE, Page.SIZE);
            for (int i = 0; i < Page.SIZE; i++) {
                assertEquals(i >= 100 && i < 110 ? (byte) 4 : (byte) 9, dev[i], "byte " + i);
            }
        }
    }

    @Test
    void nativeBufferAndPointerOverloadsAgree() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "kinds");
            byte[] data = new byte[3 * Page.SIZE + 77];
            new Random(7).nextBytes(data);
            ByteBuffer direct = ByteBuffer.allocateDirect(data.length);
            direct.put(data).flip();
            assertEquals(data.length, as.write(11, direct, 0));
            assertEquals(data.length, direct.position());
            long size = 11 + data.length;

            ByteBuffer heap = ByteBuffer.allocate(data.length);
            assertEquals(data.length, as.read(11, heap, size));
            assertArrayEquals(data, heap.array());

            Pointer ptr = Memory.allocateDirect(Runtime.getSystemRuntime(), data.length + 16);
            assertEquals(data.length, as.read(11, ptr, 16, data.length, size));
            byte[] viaPtr = new byte[data.length];
            ptr.get(16, viaPtr, 0, data.length);
            assertArrayEquals(data, viaPtr);

            // Write through a pointer, read through a native address.
            ptr.put(16, filled(data.length, (byte) 0x33), 0, data.length);
            as.write(11, ptr, 16, data.length, size);
            ByteBuffer out = ByteBuffer.allocateDirect(data.length);
            assertEquals(data.length, as.read(11, out, size));
            out.flip();
            byte[] back = new byte[data.length];
            out.get(back);
            assertArrayEquals(filled(data.length, (byte) 0x33), back);
            assertTrue(f.cache.stats().hits() > 0);
        }
    }

    @Test
    void readErrorIsReportedAndRetried() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            store.blocks.put(0L, filled(Page.SIZE, (byte) 1));
            AddressSpace as = f.cache.newAddressSpace(store, "rerr");
            store.failReads.set(1);
            byte[] got = new byte[10];
            assertThrows(IOException.class, () -> as.read(0, got, 0, 10, Page.SIZE));
            assertEquals(10, as.read(0, got, 0, 10, Page.SIZE));
            assertArrayEquals(filled(10, (byte) 1), got);
        }
    }

    @Test
    void anErrorAfterSomeBytesGivesAShortCount() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            AddressSpace as = f.cache.newAddressSpace(store, "short");
            long size = 3 * Page.SIZE;
            byte[] got = new byte[(int) size];
            // Page 0 cached (readahead brought in the others: drop them); reading page 1 fails,
            // both in readahead and in the demand read that retries it.
            as.read(0, got, 0, Page.SIZE, size);
            as.invalidateClean(Page.SIZE, size - 1);
            assertEquals(1, as.nrPages());
            store.failReads.set(2);
            assertEquals(Page.SIZE, as.read(0, got, 0, got.length, size));
            // A write that must read page 2 first (partial, inside the file) stops after page 1.
            as.invalidateClean(2 * Page.SIZE, size - 1);
            store.failReads.set(1);
            assertEquals(Page.SIZE + 100, as.write(Page.SIZE - 100, filled(Page.SIZE + 200, (byte) 1), 0,
                    Page.SIZE + 200, size));
        }
    }

    static byte[] filled(int n, byte b) {
        byte[] a = new byte[n];
        Arrays.fill(a, b);
        return a;
    }
}
