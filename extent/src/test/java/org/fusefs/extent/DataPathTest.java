package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

class DataPathTest {
    private static final long ROOT = Vfs.ROOT_INO;

    static byte[] read(ExtentFs fs, OpenFile f, long pos, int len) {
        byte[] b = new byte[len];
        int n = fs.read(f, pos, b, 0, len);
        return Arrays.copyOf(b, n);
    }

    @Test
    void writeReadRemount() throws Exception {
        try (FsFixture fx = FsFixture.ram(64L << 20, 128L << 20)) {
            ExtentFs fs = fx.fs;
            OpenFile f = fs.create(ROOT, "a", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            byte[] data = new byte[3 * 4096 + 100];
            new Random(1).nextBytes(data);
            assertEquals(data.length, fs.write(f, 1000, data, 0, data.length));
            assertEquals(1000 + data.length, fs.getattr(f.ino()).size());
            assertArrayEquals(data, read(fs, f, 1000, data.length));
            assertArrayEquals(new byte[1000], read(fs, f, 0, 1000));
            assertEquals(0, read(fs, f, 1000 + data.length, 10).length);
            fs.fsync(f, false);
            assertEquals(1, fs.extentCount(f.ino()));
            assertTrue(!fs.fiemap(f.ino(), 0, 0).get(0).unwritten());
            // FIEMAP's "whole file" request is a length of ~0 (FIEMAP_MAX_OFFSET); it must not overflow.
            assertEquals(fs.fiemap(f.ino(), 0, 0), fs.fiemap(f.ino(), 0, Long.MAX_VALUE));
            assertEquals(fs.fiemap(f.ino(), 0, 0), fs.fiemap(f.ino(), 4096, Long.MAX_VALUE - 4096));
            fs.release(f);
            long ino = f.ino();
            ExtentFs g = fx.remount();
            OpenFile r = g.open(ino, OpenFlags.O_RDONLY);
            assertArrayEquals(data, read(g, r, 1000, data.length));
            g.release(r);
        }
    }

    @Test
    void truncateDownThenUpReadsZeros() throws Exception {
        try (FsFixture fx = FsFixture.ram(64L << 20, 128L << 20)) {
            ExtentFs fs = fx.fs;
            OpenFile f = fs.create(ROOT, "t", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            byte[] x = new byte[100];
            Arrays.fill(x, (byte) 'x');
            fs.write(f, 0, x, 0, 100);
            fs.fsync(f, false);
            fs.setattr(f.ino(), SetAttr.size(50), f);
            fs.setattr(f.ino(), SetAttr.size(100), f);
            byte[] got = read(fs, f, 0, 100);
            for (int k = 50; k < 100; k++) {
                assertEquals(0, got[k], "byte " + k);
            }
            fs.fsync(f, false);
            fs.release(f);
            ExtentFs g = fx.remount();
            OpenFile r = g.open(f.ino(), OpenFlags.O_RDONLY);
            got = read(g, r, 0, 100);
            assertEquals('x', got[49]);
            assertEquals(0, got[60]);
            g.release(r);
        }
    }

    @Test
    void sequentialWriteEndsInFewExtents() throws Exception {
        try (FsFixture fx = FsFixture.ram(128L << 20, 256L << 20)) {
            ExtentFs fs = fx.fs;
            OpenFile f = fs.create(ROOT, "seq", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0, 0);
            byte[] chunk = new byte[128 * 1024];
            new Random(3).nextBytes(chunk);
            long total = 64L << 20;
            for (long pos = 0; pos < total; pos += chunk.length) {
                fs.write(f, pos, chunk, 0, chunk.length);
            }
            fs.fsync(f, false);
            int n = fs.extentCount(f.ino());
            assertTrue(n <= 4, "64 MiB in " + n + " extents");
            fs.release(f);
        }
    }

    @Test
    void unlinkWhileOpenKeepsDataUntilRelease() throws Exception {
        try (FsFixture fx = FsFixture.ram(64L << 20, 128L << 20)) {
            ExtentFs fs = fx.fs;
            long free0 = fs.statfs().freeBlocks();
            OpenFile f = fs.create(ROOT, "u", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            byte[] d = new byte[40960];
            Arrays.fill(d, (byte) 7);
            fs.write(f, 0, d, 0, d.length);
            fs.unlink(ROOT, "u");
            assertArrayEquals(d, read(fs, f, 0, d.length));
            assertEquals(0, fs.getattr(f.ino()).nlink());
            fs.release(f);
            assertEquals(free0, fs.statfs().freeBlocks());
        }
    }

    @Test
    void delayedAllocationPromisesSpaceAtWriteAndAllocatesAtWriteback() throws Exception {
        try (FsFixture fx = FsFixture.ram(64L << 20, 128L << 20)) {
            ExtentFs fs = fx.fs;
            StatFs s0 = fs.statfs();
            OpenFile f = fs.create(ROOT, "da", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            byte[] d = new byte[10 * 4096];
            Arrays.fill(d, (byte) 3);
            fs.write(f, 0, d, 0, d.length);
            // nothing allocated yet, but the space is promised and counted
            assertEquals(0, fs.extentCount(f.ino()));
            assertEquals(s0.freeBlocks() - 10, fs.statfs().freeBlocks());
            assertEquals(s0.availBlocks() - 10, fs.statfs().availBlocks());
            assertEquals(80, fs.getattr(f.ino()).blocks());
            assertEquals(0, fs.seekData(f.ino(), 0));
            // rewriting the same range promises nothing more
            fs.write(f, 0, d, 0, d.length);
            assertEquals(s0.freeBlocks() - 10, fs.statfs().freeBlocks());
            fs.fsync(f, false);
            assertEquals(1, fs.extentCount(f.ino()));
            assertEquals(s0.freeBlocks() - 10, fs.statfs().freeBlocks());
            // truncating dirty, never-allocated data gives the promise back
            fs.write(f, 20 * 4096, d, 0, d.length);
            assertEquals(s0.freeBlocks() - 20, fs.statfs().freeBlocks());
            fs.setattr(f.ino(), SetAttr.size(10 * 4096), f);
            assertEquals(s0.freeBlocks() - 10, fs.statfs().freeBlocks());
            fs.release(f);
            fs.unlink(ROOT, "da");
            assertEquals(s0.freeBlocks(), fs.statfs().freeBlocks());
        }
    }

    @Test
    void fileUnlinkedWhileOpenAtUnmountIsFreedAtNextMount() throws Exception {
        try (FsFixture fx = FsFixture.ram(64L << 20, 128L << 20)) {
            ExtentFs fs = fx.fs;
            long free0 = fs.statfs().freeBlocks();
            OpenFile f = fs.create(ROOT, "orphan", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            fs.write(f, 0, new byte[65536], 0, 65536);
            fs.setxattr(f.ino(), "user.a", new byte[6000], 0);
            fs.unlink(ROOT, "orphan");
            fs.sync();
            ExtentFs g = fx.remount();
            NamespaceTest.assertErrno(org.fusefs.uapi.Errno.ENOENT, () -> g.getattr(f.ino()));
            assertEquals(free0, g.statfs().freeBlocks());
            g.mknod(ROOT, "after", 0100644, 0, 0, 0);
        }
    }

    @Test
    void readsMoveAtimeAsRelatime() throws Exception {
        try (FsFixture fx = FsFixture.ram(16L << 20, 64L << 20)) {
            ExtentFs fs = fx.fs;
            OpenFile f = fs.create(ROOT, "at", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            fs.write(f, 0, new byte[10], 0, 10);
            fs.setattr(f.ino(), SetAttr.times(1000L, 2000L), f);
            read(fs, f, 0, 10);
            long a1 = fs.getattr(f.ino()).atimeNs();
            assertTrue(a1 > 2000L, "atime older than mtime moves on read");
            read(fs, f, 0, 10);
            assertEquals(a1, fs.getattr(f.ino()).atimeNs(), "a recent atime newer than mtime stays");
            OpenFile na = fs.open(f.ino(), OpenFlags.O_RDONLY | OpenFlags.O_NOATIME);
            fs.setattr(f.ino(), SetAttr.times(1000L, 2000L), f);
            read(fs, na, 0, 10);
            assertEquals(1000L, fs.getattr(f.ino()).atimeNs(), "O_NOATIME");
            fs.release(na);
            fs.release(f);
        }
    }
}
