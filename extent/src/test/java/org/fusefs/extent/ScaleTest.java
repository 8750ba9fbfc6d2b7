package org.fusefs.extent;

import static org.fusefs.extent.NamespaceTest.assertErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/** Directories of 100,000 entries, files of a million extents, and the limits: ENOSPC and EFBIG. */
class ScaleTest {
    private static final long ROOT = Vfs.ROOT_INO;
    private static final int BS = 4096;

    @Test
    void directoryWithHundredThousandEntries() throws Exception {
        int n = 100_000;
        try (FsFixture f = new FsFixture(256L << 20, 64L << 20, MkfsOptions.defaults().withInodes(n + 100))) {
            ExtentFs fs = f.fs;
            long d = fs.mkdir(ROOT, "big", 0755, 0, 0).ino();
            for (int k = 0; k < n; k++) {
                fs.mknod(d, "entry-" + k, FileMode.S_IFREG | 0644, 0, 0, 0);
            }
            Random r = new Random(9);
            long t0 = System.nanoTime();
            for (int k = 0; k < 10_000; k++) {
                int x = r.nextInt(n);
                assertTrue(fs.lookup(d, "entry-" + x).ino() > 1);
            }
            long perLookupNs = (System.nanoTime() - t0) / 10_000;
            assertTrue(perLookupNs < 200_000, "lookup in a 100,000-entry directory took " + perLookupNs + " ns");
            // list in pages of 1000 while deleting every tenth entry not yet listed
            Set<String> seen = new HashSet<>();
            long[] cookie = {0};
            int deleted = 0;
            while (true) {
                int[] got = {0};
                fs.readdir(d, cookie[0], e -> {
                    if (got[0] == 1000) {
                        return false;
                    }
                    got[0]++;
                    assertTrue(seen.add(e.name()), "listed twice: " + e.name());
                    cookie[0] = e.nextOffset();
                    return true;
                });
                if (got[0] == 0) {
                    break;
                }
                for (int j = 0; j < 10; j++) {
                    int x = r.nextInt(n);
                    if (!seen.contains("entry-" + x) && exists(fs, d, "entry-" + x)) {
                        fs.unlink(d, "entry-" + x);
                        deleted++;
                    }
                }
            }
            assertEquals(n - deleted + 2, seen.size());
            ExtentFs g = f.remount();
            int[] count = {0};
            g.readdir(d, 0, e -> ++count[0] > 0);
            assertEquals(n - deleted + 2, count[0]);
            assertTrue(g.lookup(d, "entry-" + (n - 1)).ino() > 1 || deleted > 0);
        }
    }

    private static boolean exists(ExtentFs fs, long dir, String name) {
        try {
            fs.lookup(dir, name);
            return true;
        } catch (org.fusefs.uapi.ErrnoException e) {
            assertEquals(Errno.ENOENT, e.errno());
            return false;
        }
    }

    @Test
    void fileWithAMillionExtents() throws Exception {
        int n = 1_000_000;
        try (FsFixture f = new FsFixture(9L << 30, 64L << 20, MkfsOptions.defaults().withInodes(64))) {
            ExtentFs fs = f.fs;
            long ino = fs.mknod(ROOT, "frag", FileMode.S_IFREG | 0644, 0, 0, 0).ino();
            OpenFileImpl of = new OpenFileImpl(fs.inode(ino), OpenFlags.O_RDWR, null);
            for (int k = 0; k < n; k++) {
                fs.fallocate(of, FallocFlag.KEEP_SIZE, 2L * k * BS, BS);
            }
            assertEquals(n, fs.extentCount(ino));
            ExtentFs g = f.remount();
            assertEquals(n, g.extentCount(ino));
            List<FiemapExtent> m = g.fiemap(ino, 2L * 500_000 * BS, BS);
            assertEquals(1, m.size());
            assertTrue(m.get(0).unwritten());
            assertEquals((long) n * 8, g.getattr(ino).blocks());
        }
    }

    @Test
    void writeUntilNoSpaceThenFreeIt() throws Exception {
        try (FsFixture f = FsFixture.ram(16L << 20, 96L << 20)) {
            ExtentFs fs = f.fs;
            StatFs s0 = fs.statfs();
            OpenFile a = fs.create(ROOT, "fill", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0, 0);
            byte[] chunk = new byte[64 * 1024];
            new Random(2).nextBytes(chunk);
            long pos = 0;
            long lastPos = 0;
            int last = 0;
            Errno err = null;
            try {
                while (pos < (64L << 20)) {
                    int n = fs.write(a, pos, chunk, 0, chunk.length);
                    lastPos = pos;
                    last = n;
                    pos += n;
                }
            } catch (org.fusefs.uapi.ErrnoException e) {
                err = e.errno();
            }
            assertEquals(Errno.ENOSPC, err);
            // the write before ENOSPC was short: it wrote what fitted, to the last block
            assertEquals(0, fs.statfs().availBlocks());
            long end = pos;
            assertErrno(Errno.ENOSPC, () -> fs.fallocate(a, 0, end + (1 << 20), 1 << 20));
            fs.fsync(a, false);
            fs.release(a);
            ExtentFs g = f.remount();
            long ino = g.lookup(ROOT, "fill").ino();
            assertEquals(pos, g.getattr(ino).size());
            OpenFile r = g.open(ino, OpenFlags.O_RDONLY);
            assertTrue(last > 0 && last < chunk.length, "the last write before ENOSPC was short: " + last);
            assertArrayEquals(Arrays.copyOf(chunk, last), DataPathTest.read(g, r, lastPos, last));
            g.release(r);
            g.unlink(ROOT, "fill");
            assertEquals(s0.freeBlocks(), g.statfs().freeBlocks());
        }
    }

    @Test
    void fileSizeLimits() throws Exception {
        try (FsFixture f = FsFixture.ram(16L << 20, 96L << 20)) {
            ExtentFs fs = f.fs;
            long max = 17592186040320L;
            OpenFile a = fs.create(ROOT, "big", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            assertErrno(Errno.EFBIG, () -> fs.write(a, max, new byte[1], 0, 1));
            assertErrno(Errno.EFBIG, () -> fs.setattr(a.ino(), SetAttr.size(max + 1), a));
            assertErrno(Errno.EINVAL, () -> fs.setattr(a.ino(), SetAttr.size(-1), a));
            assertEquals(10, fs.write(a, max - 10, new byte[100], 0, 100));
            assertEquals(max, fs.getattr(a.ino()).size());
            fs.setattr(a.ino(), SetAttr.size(0), a);
            long d = fs.mkdir(ROOT, "d", 0755, 0, 0).ino();
            assertErrno(Errno.EISDIR, () -> fs.setattr(d, SetAttr.size(0), null));
            fs.release(a);
        }
    }
}
