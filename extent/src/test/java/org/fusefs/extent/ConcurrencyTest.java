package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/** Several threads on one file and on many files; the result is checked, then remounted and checked again. */
class ConcurrencyTest {
    private static final int BS = 4096;
    private static final long ROOT = Vfs.ROOT_INO;
    private static final int THREADS = 4;

    private static void runAll(List<java.util.concurrent.Callable<Void>> tasks) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(tasks.size());
        try {
            List<Future<Void>> fs = new ArrayList<>();
            for (var t : tasks) {
                fs.add(ex.submit(t));
            }
            for (Future<Void> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            ex.shutdownNow();
        }
    }

    /** Each thread owns a region of one shared file: writes, punches, zeroes and reads it back, while others do the same. */
    @Test
    void manyThreadsOnOneFile() throws Exception {
        try (FsFixture fx = FsFixture.ram(64L << 20, 128L << 20)) {
            ExtentFs fs = fx.fs;
            OpenFile f = fs.create(ROOT, "shared", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            int region = 64 * BS;
            byte[][] model = new byte[THREADS][region];
            List<java.util.concurrent.Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                tasks.add(() -> {
                    Random r = new Random(100 + id);
                    long base = (long) id * region;
                    byte[] m = model[id];
                    for (int step = 0; step < 1500; step++) {
                        int off = r.nextInt(region - 1);
                        int len = 1 + r.nextInt(Math.min(3 * BS, region - off));
                        switch (r.nextInt(5)) {
                            case 0, 1 -> {
                                byte[] b = new byte[len];
                                r.nextBytes(b);
                                fs.write(f, base + off, b, 0, len);
                                System.arraycopy(b, 0, m, off, len);
                            }
                            case 2 -> {
                                fs.fallocate(f, FallocFlag.PUNCH_HOLE | FallocFlag.KEEP_SIZE, base + off, len);
                                long size = fs.getattr(f.ino()).size();
                                // punch stops at end of file; bytes past it are not part of the region yet
                                int to = (int) Math.min(off + len, Math.max(0, size - base));
                                if (to > off) {
                                    Arrays.fill(m, off, to, (byte) 0);
                                }
                            }
                            case 3 -> {
                                fs.fallocate(f, FallocFlag.ZERO_RANGE | FallocFlag.KEEP_SIZE, base + off, len);
                                long size = fs.getattr(f.ino()).size();
                                int to = (int) Math.min(off + len, Math.max(0, size - base));
                                if (to > off) {
                                    Arrays.fill(m, off, to, (byte) 0);
                                }
                            }
                            default -> {
                                long size = fs.getattr(f.ino()).size(); // only grows: a later read sees at least this
                                byte[] got = DataPathTest.read(fs, f, base + off, len);
                                int valid = (int) Math.max(0, Math.min(len, size - base - off));
                                assertTrue(got.length >= valid, "thread " + id + " step " + step + " short read");
                                for (int k = 0; k < valid; k++) {
                                    if (got[k] != m[off + k]) {
                                        throw new AssertionError("thread " + id + " step " + step + ": byte "
                                                + (base + off + k) + " is " + got[k] + ", model " + m[off + k]);
                                    }
                                }
                            }
                        }
                        if (step % 300 == 0) {
                            fs.fsync(f, false);
                        }
                    }
                    return null;
                });
            }
            runAll(tasks);
            long size = fs.getattr(f.ino()).size();
            fs.release(f);
            ExtentFs g = fx.remount();
            OpenFile r = g.open(f.ino(), OpenFlags.O_RDONLY);
            for (int t = 0; t < THREADS; t++) {
                long base = (long) t * region;
                int valid = (int) Math.max(0, Math.min(region, size - base));
                byte[] got = DataPathTest.read(g, r, base, valid);
                assertArrayEquals(Arrays.copyOf(model[t], valid), got, "region " + t + " after remount");
            }
            g.release(r);
        }
    }

    /** Threads create, write, rename, link and delete files in their own and in a shared directory. */
    @Test
    void manyThreadsOnManyFiles() throws Exception {
        try (FsFixture fx = FsFixture.ram(64L << 20, 128L << 20)) {
            ExtentFs fs = fx.fs;
            long shared = fs.mkdir(ROOT, "shared", 0755, 0, 0).ino();
            List<java.util.concurrent.Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                tasks.add(() -> {
                    Random r = new Random(200 + id);
                    long mine = fs.mkdir(ROOT, "t" + id, 0755, 0, 0).ino();
                    for (int step = 0; step < 400; step++) {
                        String name = "f" + step;
                        OpenFile f = fs.create(mine, name, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
                        byte[] b = new byte[1 + r.nextInt(3 * BS)];
                        Arrays.fill(b, (byte) (id * 16 + step % 16));
                        fs.write(f, 0, b, 0, b.length);
                        fs.release(f);
                        switch (r.nextInt(4)) {
                            case 0 -> fs.unlink(mine, name);
                            case 1 -> fs.rename(mine, name, shared, "s" + id + "-" + step, 0);
                            case 2 -> fs.link(f.ino(), shared, "l" + id + "-" + step);
                            default -> {
                            }
                        }
                        // everyone also races on the same names in the shared directory
                        try {
                            fs.mknod(shared, "race" + (step % 8), 0100644, 0, 0, 0);
                        } catch (ErrnoException e) {
                            assertEquals(org.fusefs.uapi.Errno.EEXIST, e.errno());
                        }
                        try {
                            fs.unlink(shared, "race" + ((step + 3) % 8));
                        } catch (ErrnoException e) {
                            assertEquals(org.fusefs.uapi.Errno.ENOENT, e.errno());
                        }
                    }
                    return null;
                });
            }
            runAll(tasks);
            List<DirEntry> sharedEntries = new ArrayList<>();
            fs.readdir(shared, 0, sharedEntries::add);
            ExtentFs g = fx.remount();
            List<DirEntry> after = new ArrayList<>();
            g.readdir(shared, 0, after::add);
            assertEquals(sharedEntries.size(), after.size());
            for (DirEntry e : after) {
                if (e.name().startsWith("s") || e.name().startsWith("l")) {
                    int id = Integer.parseInt(e.name().substring(1, e.name().indexOf('-')));
                    int step = Integer.parseInt(e.name().substring(e.name().indexOf('-') + 1));
                    OpenFile f = g.open(e.ino(), OpenFlags.O_RDONLY);
                    byte[] b = DataPathTest.read(g, f, 0, 16);
                    assertEquals((byte) (id * 16 + step % 16), b[0], e.name());
                    g.release(f);
                }
            }
        }
    }

    /** sync() while other threads write, truncate, fallocate, create and delete: every image it writes mounts. */
    @Test
    void syncDuringChangesWritesConsistentImages() throws Exception {
        TestDevice dev = new TestDevice("syncdev", 64L << 20);
        try (FsFixture fx = new FsFixture(dev, 128L << 20, MkfsOptions.defaults().withUuidSeed(3))) {
            ExtentFs fs = fx.fs;
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<java.util.concurrent.Callable<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                tasks.add(() -> {
                    Random r = new Random(300 + id);
                    long dir = fs.mkdir(ROOT, "w" + id, 0755, 0, 0).ino();
                    OpenFile[] files = new OpenFile[5];
                    for (int k = 0; k < files.length; k++) {
                        files[k] = fs.create(dir, "f" + k, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
                    }
                    byte[] b = new byte[3 * BS];
                    for (int step = 0; !stop.get(); step++) {
                        OpenFile f = files[r.nextInt(files.length)];
                        r.nextBytes(b);
                        fs.write(f, r.nextInt(32) * (long) BS, b, 0, 1 + r.nextInt(b.length));
                        switch (r.nextInt(4)) {
                            case 0 -> fs.setattr(f.ino(), SetAttr.size(r.nextInt(16 * BS)), f);
                            case 1 -> fs.fallocate(f, FallocFlag.KEEP_SIZE, r.nextInt(32) * (long) BS, 4 * BS);
                            case 2 -> fs.fallocate(f, FallocFlag.PUNCH_HOLE | FallocFlag.KEEP_SIZE, 0, 8 * BS);
                            default -> fs.fsync(f, false);
                        }
                    }
                    for (OpenFile f : files) {
                        fs.release(f);
                    }
                    return null;
                });
            }
            tasks.add(() -> {
                try {
                    for (int k = 0; k < 12; k++) {
                        Thread.sleep(20);
                        fs.sync();
                        // Metadata blocks of the image just written stay untouched until the next sync.
                        TestDevice copy = dev.snapshot("snapshot" + k);
                        try (org.fusefs.pagecache.PageCache c = new org.fusefs.pagecache.PageCache(fx.mem)) {
                            ExtentFs.mount(copy, fx.mem, c).unmount();
                        }
                    }
                } finally {
                    stop.set(true);
                }
                return null;
            });
            runAll(tasks);
        }
    }
}
