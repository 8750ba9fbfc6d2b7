package org.fusefs.memory.page;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Random;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.junit.jupiter.api.Test;

/** Page bytes to and from jnr pointers, byte buffers, arrays and other pages. */
class PageCopyTest {

    static byte[] pattern(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void copiesThroughDirectAndHeapPointers() {
        Runtime rt = Runtime.getSystemRuntime();
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(4L << 20).build())) {
            Page page = m.allocPage(MigrateType.MOVABLE);
            byte[] data = pattern(1, Page.SIZE);
            Pointer direct = Memory.allocateDirect(rt, Page.SIZE + 100);
            direct.put(100, data, 0, Page.SIZE);
            page.copyFrom(direct, 100, 0, Page.SIZE);
            byte[] back = new byte[Page.SIZE];
            page.copyTo(0, back, 0, Page.SIZE);
            assertArrayEquals(data, back);

            Pointer heap = Memory.allocate(rt, 600);
            page.copyTo(1000, heap, 50, 500);
            byte[] got = new byte[500];
            heap.get(50, got, 0, 500);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 1000, 1500), got);

            Pointer out = Memory.allocateDirect(rt, 16);
            page.copyTo(4090, out, 0, 6);
            byte[] tail = new byte[6];
            out.get(0, tail, 0, 6);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 4090, 4096), tail);
            assertThrows(IndexOutOfBoundsException.class, () -> page.copyTo(4090, out, 0, 7));
            assertThrows(IndexOutOfBoundsException.class, () -> page.copyTo(0, out, 10, 7));
            m.freePages(page);
        }
    }

    @Test
    void copiesThroughByteBuffersAndAcrossPages() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(4L << 20).build())) {
            Page a = m.allocPage(MigrateType.MOVABLE);
            Page b = m.allocPages(1, MigrateType.MOVABLE);
            byte[] data = pattern(2, Page.SIZE);
            ByteBuffer direct = ByteBuffer.allocateDirect(Page.SIZE);
            direct.put(data).flip();
            a.copyFrom(direct, 0, Page.SIZE);
            assertEquals(Page.SIZE, direct.position());

            ByteBuffer heap = ByteBuffer.allocate(Page.SIZE);
            a.copyTo(0, heap, Page.SIZE);
            assertArrayEquals(data, heap.array());

            b.copyFrom(a, 0, Page.SIZE, Page.SIZE); // into the second frame of an order-1 block
            ByteBuffer out = ByteBuffer.allocateDirect(Page.SIZE);
            b.copyTo(Page.SIZE, out, Page.SIZE);
            out.flip();
            byte[] got = new byte[Page.SIZE];
            out.get(got);
            assertArrayEquals(data, got);
            b.zero(Page.SIZE, 8);
            byte[] z = new byte[8];
            b.copyTo(Page.SIZE, z, 0, 8);
            assertArrayEquals(new byte[8], z);
            assertThrows(IndexOutOfBoundsException.class, () -> a.copyFrom(ByteBuffer.allocate(8), Page.SIZE - 4, 8));
            m.freePages(a);
            m.freePages(b);
        }
    }
}
