package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/**
 * Sequential reads of a cold file go through readahead, that is through
 * {@link FileAops#readPages}: a file of several physically scattered extents, holes, an unwritten
 * extent and an unaligned end must read back exactly.
 */
class ReadaheadTest {
    private static final long ROOT = Vfs.ROOT_INO;
    private static final int K = 1024;

    @Test
    void coldSequentialReadOfScatteredFileIsExact() throws Exception {
        long seed = 21;
        try (FsFixture fx = FsFixture.ram(64L << 20, 128L << 20)) {
            ExtentFs fs = fx.fs;
            Random rnd = new Random(seed);
            OpenFile f = fs.create(ROOT, "ra", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            OpenFile o = fs.create(ROOT, "other", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            int size = 900 * K + 10000;
            byte[] model = new byte[size];
            for (int k = 0; k < 10; k++) {
                // 48 KiB of data, a 16 KiB hole; the other file's blocks land in between.
                byte[] chunk = new byte[48 * K];
                rnd.nextBytes(chunk);
                assertEquals(chunk.length, fs.write(f, k * 64L * K, chunk, 0, chunk.length));
                System.arraycopy(chunk, 0, model, k * 64 * K, chunk.length);
                byte[] junk = new byte[16 * K];
                rnd.nextBytes(junk);
                fs.write(o, k * 16L * K, junk, 0, junk.length);
                fs.fsync(f, false);
                fs.fsync(o, false);
            }
            fs.fallocate(f, 0, 700L * K, 100L * K); // unwritten: reads as zeros
            byte[] tail = new byte[10000];
            rnd.nextBytes(tail);
            fs.write(f, 900L * K, tail, 0, tail.length);
            System.arraycopy(tail, 0, model, 900 * K, tail.length);
            fs.fsync(f, false);
            assertEquals(size, fs.getattr(f.ino()).size());
            assertTrue(fs.extentCount(f.ino()) >= 12, "extents: " + fs.extentCount(f.ino()));
            long ino = f.ino();
            fs.release(f);
            fs.release(o);
            for (int chunkLen : new int[] {4096, 128 * K, 1000}) {
                ExtentFs g = fx.remount(); // a cold page cache
                OpenFile r = g.open(ino, OpenFlags.O_RDONLY);
                byte[] buf = new byte[chunkLen];
                long pos = 0;
                while (pos < size + chunkLen) {
                    int n = g.read(r, pos, buf, 0, chunkLen);
                    assertEquals((int) Math.max(0, Math.min(chunkLen, size - pos)), n, "read at " + pos);
                    for (int i = 0; i < n; i++) {
                        if (buf[i] != model[(int) pos + i]) {
                            throw new AssertionError("chunk " + chunkLen + ": byte " + (pos + i) + " is " + buf[i]
                                    + ", want " + model[(int) pos + i] + " (seed " + seed + ")");
                        }
                    }
                    pos += chunkLen;
                }
                g.release(r);
            }
        }
    }
}
