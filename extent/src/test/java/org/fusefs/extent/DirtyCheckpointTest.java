package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.pagecache.PageCache;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/**
 * Checkpoints encode only the inodes marked dirty ({@link DirtyInodes}): a change that escapes the
 * mark is left out of the checkpoint and lost at a crash. A seeded workload over many files
 * changes a few of them between fsyncs (write, truncate, O_TRUNC, setattr, times, xattrs,
 * fallocate, rename, link, unlink, create, symlink, mkdir, rmdir) and leaves the rest alone; after
 * each fsync the device as it is (a power cut right after fsync returned) is mounted and every
 * file compared with what the live filesystem showed at the fsync (attributes with times, xattrs,
 * symlink targets, names) and with a model of every regular file's contents. Every few rounds the
 * live filesystem itself is cut off and mounted again, so checkpoints after a mount (which encode
 * every inode) and the incremental ones after them both run. The live filesystem also checks at
 * each checkpoint that every inode left out encodes as last written ({@link ExtentFs#verifyClean}).
 */
class DirtyCheckpointTest {
    private static final long DEV_BYTES = 64L << 20;
    private static final int FILES = 120;
    private static final int DIRS = 4;
    private static final int ROUNDS = 70;
    private static final int MAX_FILE = 48 << 10;

    /** The live filesystem over a crashable device, and the model of file contents by inode. */
    private static final class World {
        final TestDevice disk;
        final PhysicalMemory mem;
        final Random rnd;
        final Map<Long, byte[]> contents = new HashMap<>();
        final List<String> dirs = new ArrayList<>();
        int created;
        CrashDevice dev;
        PageCache cache;
        ExtentFs fs;

        World(TestDevice disk, PhysicalMemory mem, long seed) {
            this.disk = disk;
            this.mem = mem;
            this.rnd = new Random(seed);
        }

        void mount() throws IOException {
            dev = new CrashDevice(disk);
            cache = new PageCache(mem);
            fs = ExtentFs.mount(dev, mem, cache);
            fs.verifyClean = true;
        }

        /** A power cut: nothing more reaches the disk, the filesystem object is dropped. */
        void kill() {
            dev.kill();
            cache.dropCaches();
            cache.close();
        }
    }

    @Test
    void everyChangedInodeReachesTheCheckpoint() throws Exception {
        try (PhysicalMemory mem = PhysicalMemory.create(MemoryConfig.builder().bytes(96L << 20).build())) {
            for (long seed : new long[] {7, 1234}) {
                run(mem, seed);
            }
        }
    }

    /**
     * Threads change their own files (write, setattr, times, xattrs, reads moving atime, rename,
     * create, unlink) while others fsync and fsyncdir: no thread waits forever at the gate of a
     * running checkpoint, and once they stop, one more fsync leaves an image equal to the live
     * filesystem (a change made while a checkpoint ran, atime included, went into a later one).
     */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void changesDuringCheckpointsReachALaterOne() throws Exception {
        try (PhysicalMemory mem = PhysicalMemory.create(MemoryConfig.builder().bytes(96L << 20).build())) {
            long seed = 99;
            TestDevice disk = freshImage(mem, "dirtyconc", seed);
            World w = new World(disk, mem, seed);
            w.mount();
            w.fs.verifyClean = false; // it reads clean inodes while reads move their atime
            try {
                ExtentFs fs = w.fs;
                populate(w);
                fs.sync();
                java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.atomic.AtomicLong fsyncs = new java.util.concurrent.atomic.AtomicLong();
                List<java.util.concurrent.Callable<Void>> tasks = new ArrayList<>();
                for (int t = 0; t < DIRS; t++) {
                    int id = t;
                    tasks.add(() -> {
                        Random r = new Random(seed * 31 + id);
                        long dir = dirIno(fs, "/d" + id);
                        byte[] b = new byte[5000];
                        for (int step = 0; step < 400 && !stop.get(); step++) {
                            List<DirEntry> names = new ArrayList<>();
                            fs.readdir(dir, 0, e -> {
                                if (e.name().startsWith("f") || e.name().startsWith("c")) {
                                    names.add(e);
                                }
                                return true;
                            });
                            DirEntry e = names.get(r.nextInt(names.size()));
                            long ino = e.ino();
                            switch (r.nextInt(8)) {
                                case 0 -> {
                                    OpenFile f = fs.open(ino, OpenFlags.O_RDWR);
                                    try {
                                        r.nextBytes(b);
                                        fs.write(f, r.nextInt(MAX_FILE), b, 0, 1 + r.nextInt(b.length));
                                    } finally {
                                        fs.release(f);
                                    }
                                }
                                case 1 -> fs.setattr(ino, r.nextBoolean() ? SetAttr.mode(r.nextInt(01000))
                                        : SetAttr.times(r.nextLong() >>> 4, null), null);
                                case 2 -> fs.setxattr(ino, "user.c" + r.nextInt(2), new byte[r.nextInt(100)], 0);
                                case 3 -> {
                                    OpenFile f = fs.open(ino, OpenFlags.O_RDONLY);
                                    try {
                                        fs.read(f, 0, b, 0, 100);
                                    } finally {
                                        fs.release(f);
                                    }
                                }
                                case 4 -> fs.rename(dir, e.name(), dir, "c" + id + "-" + step, 0);
                                case 5 -> {
                                    fs.unlink(dir, e.name());
                                    OpenFile f = fs.create(dir, "c" + id + "-" + step, 0644,
                                            OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
                                    fs.write(f, 0, b, 0, r.nextInt(b.length));
                                    fs.release(f);
                                }
                                default -> {
                                    OpenFile f = fs.open(ino, OpenFlags.O_RDONLY | OpenFlags.O_NOATIME);
                                    try {
                                        fs.fsync(f, r.nextBoolean());
                                        fsyncs.incrementAndGet();
                                    } finally {
                                        fs.release(f);
                                    }
                                }
                            }
                        }
                        return null;
                    });
                }
                tasks.add(() -> {
                    try {
                        for (int k = 0; k < 200 && !stop.get(); k++) {
                            fs.fsyncdir(Vfs.ROOT_INO, false);
                            fsyncs.incrementAndGet();
                        }
                    } finally {
                        stop.set(true);
                    }
                    return null;
                });
                java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(tasks.size());
                try {
                    for (java.util.concurrent.Future<Void> f : ex.invokeAll(tasks)) {
                        f.get();
                    }
                } finally {
                    ex.shutdownNow();
                }
                assertTrue(fsyncs.get() > 100, "only " + fsyncs.get() + " fsyncs ran");
                // Everything is quiet: the last fsync commits what the checkpoints during the run left over.
                fs.fsyncdir(Vfs.ROOT_INO, false);
                TreeMap<String, String> live = snapshotOf(fs);
                TestDevice copy = disk.snapshot("copy");
                PageCache cache = new PageCache(mem);
                try {
                    ExtentFs img = ExtentFs.mount(copy, mem, cache);
                    try {
                        assertEquals(live, snapshotOf(img), "seed " + seed + ": the image after the last fsync");
                    } finally {
                        img.unmount();
                    }
                } finally {
                    cache.dropCaches();
                    cache.close();
                }
            } finally {
                w.fs.unmount();
                w.cache.close();
            }
        }
    }

    /** A device whose writes fail with an I/O error once {@link #failAfter} writes have passed. */
    private static final class FailingDevice implements org.fusefs.block.BlockDevice {
        private final TestDevice below;
        private final java.util.concurrent.atomic.AtomicLong left = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);

        FailingDevice(TestDevice below) {
            this.below = below;
        }

        void failAfter(long writes) {
            left.set(writes);
        }

        @Override
        public String name() {
            return below.name();
        }

        @Override
        public long capacity() {
            return below.capacity();
        }

        @Override
        public void submit(org.fusefs.block.Bio bio) {
            if (bio.op() == org.fusefs.block.ReqOp.WRITE && left.getAndDecrement() <= 0) {
                bio.complete(org.fusefs.block.BlkStatus.IOERR, name() + ": injected write error");
                return;
            }
            below.submit(bio);
        }

        @Override
        public void close() {
        }
    }

    /**
     * A checkpoint that fails part way (a write error in the journal or in place) leaves marks it
     * had taken: the next checkpoint encodes every inode, and the image after it matches the live
     * filesystem; the incremental ones after that too.
     */
    @Test
    void aFailedCheckpointIsFollowedByAFullOne() throws Exception {
        try (PhysicalMemory mem = PhysicalMemory.create(MemoryConfig.builder().bytes(96L << 20).build())) {
            for (int failAt = 0; failAt < 6; failAt++) {
                long seed = 500 + failAt;
                TestDevice disk = new TestDevice("dirtyfail" + failAt, DEV_BYTES);
                FailingDevice dev = new FailingDevice(disk);
                PageCache cache = new PageCache(mem);
                World w = new World(disk, mem, seed);
                w.cache = cache;
                w.fs = ExtentFs.mkfs(dev, mem, cache, MkfsOptions.defaults().withUuidSeed(seed));
                try {
                    populate(w);
                    w.fs.sync();
                    w.fs.verifyClean = true;
                    for (int k = 0; k < 4; k++) {
                        step(w);
                    }
                    // File data first, so that the error hits the checkpoint's writes (a data
                    // page whose writeback fails is another matter: Linux's fsyncgate).
                    for (String path : files(w)) {
                        long ino = w.fs.lookup(dirIno(w.fs, parent(path)), name(path)).ino();
                        w.fs.mapping(ino).writeAndWait(0, Long.MAX_VALUE);
                    }
                    dev.failAfter(failAt);
                    String where = "seed " + seed + ", write error after " + failAt + " writes of the checkpoint";
                    try {
                        fsync(w);
                        throw new AssertionError(where + ": fsync succeeded");
                    } catch (ErrnoException e) {
                        assertEquals(org.fusefs.uapi.Errno.EIO, e.errno(), where);
                    }
                    dev.failAfter(Long.MAX_VALUE);
                    for (int round = 0; round < 4; round++) {
                        for (int k = 0; k < 3; k++) {
                            step(w);
                        }
                        fsync(w);
                        check(w, where + ", round " + round + " after it");
                    }
                } finally {
                    dev.failAfter(Long.MAX_VALUE);
                    w.fs.unmount();
                    cache.close();
                }
            }
        }
    }

    /** What {@link #read} shows, with each regular file's contents checksum. */
    private static TreeMap<String, String> snapshotOf(ExtentFs fs) {
        TreeMap<String, String> out = read(fs);
        for (Map.Entry<String, String> e : out.entrySet()) {
            if (e.getValue().startsWith("reg")) {
                long ino = Long.parseLong(e.getValue().replaceAll(".* ino (\\d+) .*", "$1"));
                e.setValue(e.getValue() + " data " + FsTree.crc(contents(fs, ino)));
            }
        }
        return out;
    }

    /** A test device holding a freshly made, cleanly unmounted filesystem. */
    private static TestDevice freshImage(PhysicalMemory mem, String name, long seed) throws IOException {
        TestDevice disk = new TestDevice(name, DEV_BYTES);
        PageCache mkfsCache = new PageCache(mem);
        try {
            ExtentFs.mkfs(disk, mem, mkfsCache, MkfsOptions.defaults().withUuidSeed(seed)).unmount();
        } finally {
            mkfsCache.dropCaches();
            mkfsCache.close();
        }
        return disk;
    }

    private static void run(PhysicalMemory mem, long seed) throws Exception {
        TestDevice disk = freshImage(mem, "dirty" + seed, seed);
        World w = new World(disk, mem, seed);
        w.mount();
        try {
            populate(w);
            w.fs.sync();
            int checked = 0;
            for (int round = 0; round < ROUNDS; round++) {
                String where = "seed " + seed + " round " + round;
                int ops = 1 + w.rnd.nextInt(4);
                StringBuilder log = new StringBuilder();
                for (int k = 0; k < ops; k++) {
                    log.append(step(w)).append("; ");
                }
                where += " after " + log;
                fsync(w);
                checked += check(w, where);
                if (round % 10 == 9) {
                    // The live filesystem dies right after the fsync; the next one starts from the image.
                    TreeMap<String, String> before = expected(w, w.fs);
                    w.kill();
                    w.mount();
                    assertEquals(before, expected(w, w.fs), where + ", remounted");
                }
            }
            System.out.println("seed " + seed + ": " + ROUNDS + " checkpoints, " + checked + " file checks");
            assertTrue(checked > ROUNDS * FILES / 2, "seed " + seed + ": too few files checked (" + checked + ")");
        } finally {
            w.fs.unmount();
            w.cache.close();
        }
    }

    private static void populate(World w) {
        ExtentFs fs = w.fs;
        for (int d = 0; d < DIRS; d++) {
            fs.mkdir(Vfs.ROOT_INO, "d" + d, 0755, 0, 0);
            w.dirs.add("/d" + d);
        }
        for (int k = 0; k < FILES; k++) {
            String path = w.dirs.get(k % DIRS) + "/f" + k;
            create(w, path, 1 + w.rnd.nextInt(8000));
        }
        fs.symlink(dirIno(fs, "/d0"), "short", "target", 0, 0);
        fs.symlink(dirIno(fs, "/d1"), "long", "t".repeat(300), 0, 0);
    }

    private static void create(World w, String path, int size) {
        OpenFile f = w.fs.create(dirIno(w.fs, parent(path)), name(path), 0644,
                OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0, 0);
        try {
            byte[] b = new byte[size];
            w.rnd.nextBytes(b);
            w.fs.write(f, 0, b, 0, b.length);
            w.contents.put(f.ino(), b);
        } finally {
            w.fs.release(f);
        }
    }

    private static String parent(String path) {
        int s = path.lastIndexOf('/');
        return s == 0 ? "/" : path.substring(0, s);
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static long dirIno(ExtentFs fs, String path) {
        long ino = Vfs.ROOT_INO;
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                ino = fs.lookup(ino, part).ino();
            }
        }
        return ino;
    }

    /** The regular files by path, from a walk of the live filesystem. */
    private static List<String> files(World w) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : read(w.fs).entrySet()) {
            if (e.getValue().startsWith("reg")) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** One random change of one or two objects; returns what it did, for the failure message. */
    private static String step(World w) {
        ExtentFs fs = w.fs;
        Random r = w.rnd;
        List<String> files = files(w);
        String path = files.get(r.nextInt(files.size()));
        long ino = fs.lookup(dirIno(fs, parent(path)), name(path)).ino();
        byte[] c = w.contents.get(ino);
        int op = r.nextInt(18);
        switch (op) {
            case 0, 1 -> {
                int off = r.nextInt(MAX_FILE);
                byte[] b = new byte[1 + r.nextInt(9000)];
                r.nextBytes(b);
                OpenFile f = fs.open(ino, OpenFlags.O_RDWR);
                try {
                    fs.write(f, off, b, 0, b.length);
                } finally {
                    fs.release(f);
                }
                byte[] n = Arrays.copyOf(c, Math.max(c.length, off + b.length));
                System.arraycopy(b, 0, n, off, b.length);
                w.contents.put(ino, n);
                return "write " + path + " [" + off + ", +" + b.length + ")";
            }
            case 2 -> {
                int size = r.nextInt(MAX_FILE);
                fs.setattr(ino, SetAttr.size(size), null);
                w.contents.put(ino, Arrays.copyOf(c, size));
                return "truncate " + path + " to " + size;
            }
            case 3 -> {
                OpenFile f = fs.open(ino, OpenFlags.O_RDWR | OpenFlags.O_TRUNC);
                fs.release(f);
                w.contents.put(ino, new byte[0]);
                return "O_TRUNC " + path;
            }
            case 4 -> {
                int mode = r.nextInt(01000);
                fs.setattr(ino, r.nextBoolean() ? SetAttr.mode(mode) : SetAttr.owner(r.nextInt(100), r.nextInt(100)),
                        null);
                return "chmod/chown " + path;
            }
            case 5 -> {
                if (r.nextBoolean()) {
                    // chattr with the flags that restrict nothing the workload does.
                    int flags = (r.nextBoolean() ? InodeFlags.FS_NODUMP_FL : 0)
                            | (r.nextBoolean() ? InodeFlags.FS_NOATIME_FL : 0);
                    fs.setflags(ino, flags);
                    return "chattr " + path + " 0x" + Integer.toHexString(flags);
                }
                fs.setattr(ino, SetAttr.times(r.nextLong() >>> 4, r.nextLong() >>> 4), null);
                return "utimens " + path;
            }
            case 6 -> {
                byte[] v = new byte[r.nextInt(r.nextBoolean() ? 40 : 6000)];
                r.nextBytes(v);
                String n = "user.x" + r.nextInt(3);
                fs.setxattr(ino, n, v, 0);
                return "setxattr " + path + " " + n + " of " + v.length;
            }
            case 7 -> {
                List<String> names = fs.listxattr(ino);
                if (names.isEmpty()) {
                    return "no xattr on " + path;
                }
                fs.removexattr(ino, names.get(0));
                return "removexattr " + path + " " + names.get(0);
            }
            case 8 -> {
                int kind = r.nextInt(3);
                long off = r.nextInt(MAX_FILE);
                long len = 1 + r.nextInt(20000);
                OpenFile f = fs.open(ino, OpenFlags.O_RDWR);
                try {
                    if (kind == 0) {
                        fs.fallocate(f, r.nextBoolean() ? FallocFlag.KEEP_SIZE : 0, off, len);
                        // Without KEEP_SIZE the file grows, with zeros.
                        w.contents.put(ino, Arrays.copyOf(c, (int) fs.getattr(ino).size()));
                    } else {
                        int mode = kind == 1 ? FallocFlag.PUNCH_HOLE | FallocFlag.KEEP_SIZE : FallocFlag.ZERO_RANGE;
                        fs.fallocate(f, mode, off, len);
                        long size = fs.getattr(ino).size();
                        byte[] n = Arrays.copyOf(c, (int) size);
                        Arrays.fill(n, (int) Math.min(off, size), (int) Math.min(off + len, size), (byte) 0);
                        w.contents.put(ino, n);
                    }
                } finally {
                    fs.release(f);
                }
                return "fallocate kind " + kind + " " + path + " [" + off + ", +" + len + ")";
            }
            case 9 -> {
                String to = w.dirs.get(r.nextInt(w.dirs.size())) + "/f" + r.nextInt(FILES * 2);
                try {
                    long victim = -1;
                    try {
                        victim = fs.lookup(dirIno(fs, parent(to)), name(to)).ino();
                    } catch (ErrnoException e) {
                        // no file there
                    }
                    fs.rename(dirIno(fs, parent(path)), name(path), dirIno(fs, parent(to)), name(to), 0);
                    if (victim >= 0 && victim != ino && fs.inodes.get(victim) == null) {
                        w.contents.remove(victim);
                    }
                    return "rename " + path + " to " + to;
                } catch (ErrnoException e) {
                    return "rename " + path + " to " + to + ": " + e.errno();
                }
            }
            case 10 -> {
                String to = w.dirs.get(r.nextInt(w.dirs.size())) + "/h" + r.nextInt(1000);
                try {
                    fs.link(ino, dirIno(fs, parent(to)), name(to));
                    return "link " + path + " as " + to;
                } catch (ErrnoException e) {
                    return "link " + path + " as " + to + ": " + e.errno();
                }
            }
            case 11 -> {
                fs.unlink(dirIno(fs, parent(path)), name(path));
                if (fs.inodes.get(ino) == null) {
                    w.contents.remove(ino);
                }
                String fresh = w.dirs.get(r.nextInt(w.dirs.size())) + "/n" + w.created++;
                create(w, fresh, r.nextInt(6000));
                return "unlink " + path + ", create " + fresh;
            }
            case 12 -> {
                String d = w.dirs.get(r.nextInt(w.dirs.size())) + "/sub" + r.nextInt(1000);
                try {
                    fs.mkdir(dirIno(fs, parent(d)), name(d), 0700 + r.nextInt(070), 0, 0);
                    w.dirs.add(d);
                    return "mkdir " + d;
                } catch (ErrnoException e) {
                    return "mkdir " + d + ": " + e.errno();
                }
            }
            case 13 -> {
                if (w.dirs.size() <= DIRS) {
                    return "no directory to remove";
                }
                String d = w.dirs.get(DIRS + r.nextInt(w.dirs.size() - DIRS));
                try {
                    fs.rmdir(dirIno(fs, parent(d)), name(d));
                    w.dirs.remove(d);
                    return "rmdir " + d;
                } catch (ErrnoException e) {
                    return "rmdir " + d + ": " + e.errno();
                }
            }
            case 15 -> {
                // Unlinked while open: freed at release (evict under the shared namespace lock).
                OpenFile f = fs.open(ino, OpenFlags.O_RDWR);
                try {
                    fs.unlink(dirIno(fs, parent(path)), name(path));
                    fs.write(f, 0, new byte[] {1, 2, 3}, 0, 3);
                    if (r.nextBoolean()) {
                        // The orphan reaches a checkpoint; the release after frees a clean inode.
                        fs.fsync(f, false);
                    }
                } finally {
                    fs.release(f);
                }
                if (fs.inodes.get(ino) == null) {
                    w.contents.remove(ino);
                } else {
                    byte[] n = Arrays.copyOf(c, Math.max(c.length, 3));
                    n[0] = 1;
                    n[1] = 2;
                    n[2] = 3;
                    w.contents.put(ino, n);
                }
                return "open, unlink, write, release " + path;
            }
            case 16 -> {
                List<String> all = files(w);
                String other = all.get(r.nextInt(all.size()));
                try {
                    fs.rename(dirIno(fs, parent(path)), name(path), dirIno(fs, parent(other)), name(other),
                            Vfs.RENAME_EXCHANGE);
                    return "exchange " + path + " and " + other;
                } catch (ErrnoException e) {
                    return "exchange " + path + " and " + other + ": " + e.errno();
                }
            }
            case 17 -> {
                // A read moves atime (relatime: it is older than mtime after a write): marked without waiting.
                OpenFile f = fs.open(ino, OpenFlags.O_RDONLY);
                try {
                    fs.read(f, 0, new byte[100], 0, 100);
                } finally {
                    fs.release(f);
                }
                return "read " + path;
            }
            default -> {
                String d = w.dirs.get(r.nextInt(w.dirs.size()));
                String n = "s" + r.nextInt(1000);
                try {
                    fs.symlink(dirIno(fs, d), n, r.nextBoolean() ? path : "x".repeat(100 + r.nextInt(400)), 0, 0);
                    return "symlink " + d + "/" + n;
                } catch (ErrnoException e) {
                    return "symlink " + d + "/" + n + ": " + e.errno();
                }
            }
        }
    }

    /** fsync of a random file (or fsyncdir): commits everything changed before it. */
    private static void fsync(World w) {
        ExtentFs fs = w.fs;
        if (w.rnd.nextInt(4) == 0) {
            fs.fsyncdir(Vfs.ROOT_INO, false);
            return;
        }
        List<String> files = files(w);
        String path = files.get(w.rnd.nextInt(files.size()));
        OpenFile f = fs.open(fs.lookup(dirIno(fs, parent(path)), name(path)).ino(),
                OpenFlags.O_RDONLY | OpenFlags.O_NOATIME);
        try {
            fs.fsync(f, false);
        } finally {
            fs.release(f);
        }
    }

    /**
     * Mounts a copy of the disk as a power cut now would leave it and compares it with the live
     * filesystem and the model; returns the number of regular files compared.
     */
    private static int check(World w, String where) throws IOException {
        TreeMap<String, String> want = expected(w, w.fs);
        TestDevice copy = w.disk.snapshot("copy");
        PageCache cache = new PageCache(w.mem);
        try {
            ExtentFs fs;
            try {
                fs = ExtentFs.mount(copy, w.mem, cache);
            } catch (CorruptFsException e) {
                throw new AssertionError(where + ": mount refused the image after fsync: " + e.getMessage(), e);
            }
            try {
                TreeMap<String, String> got = expected(w, fs);
                if (!got.equals(want)) {
                    StringBuilder diff = new StringBuilder();
                    for (String p : want.keySet()) {
                        if (!want.get(p).equals(got.get(p))) {
                            diff.append("\n  ").append(p).append(": want ").append(want.get(p)).append("\n  ")
                                    .append(" ".repeat(p.length())).append("  got  ").append(got.get(p));
                        }
                    }
                    for (String p : got.keySet()) {
                        if (!want.containsKey(p)) {
                            diff.append("\n  ").append(p).append(": not expected, got ").append(got.get(p));
                        }
                    }
                    throw new AssertionError(where + ": the image after fsync differs:" + diff);
                }
            } finally {
                fs.unmount();
            }
        } finally {
            cache.dropCaches();
            cache.close();
        }
        int files = 0;
        for (String v : want.values()) {
            files += v.startsWith("reg") ? 1 : 0;
        }
        return files;
    }

    /**
     * What {@code fs} shows, each regular file's contents checked against the model (a mismatch is
     * part of the string, so it fails the comparison).
     */
    private static TreeMap<String, String> expected(World w, ExtentFs fs) {
        TreeMap<String, String> out = read(fs);
        for (Map.Entry<String, String> e : out.entrySet()) {
            if (e.getValue().startsWith("reg")) {
                long ino = Long.parseLong(e.getValue().replaceAll(".* ino (\\d+) .*", "$1"));
                byte[] want = w.contents.get(ino);
                byte[] got = contents(fs, ino);
                if (!Arrays.equals(want, got)) {
                    e.setValue(e.getValue() + " CONTENTS DIFFER FROM MODEL (want "
                            + (want == null ? "none" : FsTree.crc(want)) + ", got " + FsTree.crc(got) + ")");
                }
            }
        }
        return out;
    }

    private static byte[] contents(ExtentFs fs, long ino) {
        OpenFile f = fs.open(ino, OpenFlags.O_RDONLY | OpenFlags.O_NOATIME);
        try {
            byte[] b = new byte[(int) fs.getattr(ino).size()];
            int done = 0;
            while (done < b.length) {
                int n = fs.read(f, done, b, done, b.length - done);
                if (n <= 0) {
                    break;
                }
                done += n;
            }
            return Arrays.copyOf(b, done);
        } finally {
            fs.release(f);
        }
    }

    /** Every path with all its attributes (times included), xattrs and symlink target. */
    private static TreeMap<String, String> read(ExtentFs fs) {
        TreeMap<String, String> out = FsTree.read(fs, ino -> attrs(fs, ino));
        out.put("/", attrs(fs, Vfs.ROOT_INO));
        return out;
    }

    private static String attrs(ExtentFs fs, long ino) {
        InodeAttr a = fs.getattr(ino);
        StringBuilder sb = new StringBuilder();
        sb.append(FileMode.isReg(a.mode()) ? "reg" : FileMode.isDir(a.mode()) ? "dir" : "other")
                .append(" ino ").append(ino).append(" mode ").append(Integer.toOctalString(a.mode()))
                .append(" uid ").append(a.uid()).append(" gid ").append(a.gid()).append(" nlink ").append(a.nlink())
                .append(" size ").append(a.size()).append(" blocks ").append(a.blocks())
                .append(" atime ").append(a.atimeNs()).append(" mtime ").append(a.mtimeNs())
                .append(" ctime ").append(a.ctimeNs()).append(" gen ").append(a.generation())
                .append(" flags ").append(Integer.toHexString(fs.getflags(ino)));
        for (String x : fs.listxattr(ino)) {
            sb.append(" xattr ").append(x).append('=').append(FsTree.crc(fs.getxattr(ino, x)));
        }
        if (FileMode.isLnk(a.mode())) {
            sb.append(" -> ").append(fs.readlink(ino));
        }
        return sb.toString();
    }
}
