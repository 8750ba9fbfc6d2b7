package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/** O_DIRECT opens go to the device through AddressSpace.directIO and stay coherent with buffered opens. */
class DirectIoTest {
    private static final int BS = 4096;

    @Test
    void directAndBufferedSeeTheSameBytes() throws Exception {
        try (FsFixture fx = FsFixture.ram(64L << 20, 128L << 20)) {
            ExtentFs fs = fx.fs;
            OpenFile d = fs.create(Vfs.ROOT_INO, "dio", 0644,
                    OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_DIRECT, 0, 0);
            OpenFile b = fs.open(d.ino(), OpenFlags.O_RDWR);
            byte[] data = new byte[2 * BS];
            new Random(4).nextBytes(data);
            ByteBuffer direct = ByteBuffer.allocateDirect(2 * BS);
            direct.put(data).flip();
            assertEquals(2 * BS, fs.write(d, BS, direct));
            assertEquals(3 * BS, fs.getattr(d.ino()).size());
            // written on the device, not cached: the extent is already written
            assertFalse(fs.fiemap(d.ino(), BS, BS).get(0).unwritten());
            assertArrayEquals(data, DataPathTest.read(fs, b, BS, 2 * BS));
            assertArrayEquals(new byte[BS], DataPathTest.read(fs, b, 0, BS));
            // a buffered write, then a direct read of it: the cache is written back first
            byte[] x = new byte[100];
            Arrays.fill(x, (byte) 'x');
            fs.write(b, BS + 10, x, 0, 100);
            ByteBuffer in = ByteBuffer.allocateDirect(2 * BS);
            assertEquals(2 * BS, fs.read(d, BS, in));
            in.flip();
            byte[] got = new byte[2 * BS];
            in.get(got);
            System.arraycopy(x, 0, data, 10, 100);
            assertArrayEquals(data, got);
            // direct read over an unwritten extent and at the end of file
            fs.fallocate(d, FallocFlag.KEEP_SIZE, 3 * BS, 2 * BS);
            fs.setattr(d.ino(), SetAttr.size(4 * BS + 100), d);
            ByteBuffer tail = ByteBuffer.allocateDirect(2 * BS);
            assertEquals(BS + 100, fs.read(d, 3 * BS, tail));
            for (int k = 0; k < BS + 100; k++) {
                assertEquals(0, tail.get(k));
            }
            // unaligned direct write falls back to the buffered path
            assertEquals(3, fs.write(d, 5, new byte[] {1, 2, 3}, 0, 3));
            assertArrayEquals(new byte[] {1, 2, 3}, DataPathTest.read(fs, b, 5, 3));
            fs.release(d);
            fs.release(b);
            ExtentFs g = fx.remount();
            OpenFile r = g.open(d.ino(), OpenFlags.O_RDONLY);
            assertArrayEquals(data, DataPathTest.read(g, r, BS, 2 * BS));
            g.release(r);
        }
    }
}
