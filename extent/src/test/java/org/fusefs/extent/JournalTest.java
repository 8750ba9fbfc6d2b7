package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.fusefs.block.BlockDevice;
import org.fusefs.block.brd.RamDisk;
import org.fusefs.block.loop.ImageFileDevice;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.pagecache.PageCache;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The journal and the durability it gives: fsync survives a killed daemon, freed blocks are not
 * reused before the commit that frees them, ENOSPC forces a checkpoint when freed blocks wait for
 * one, replay is idempotent, a torn transaction is ignored, an oversized one is written in place.
 */
class JournalTest {
    private static final int BS = 4096;
    private PhysicalMemory mem;
    private final List<PageCache> caches = new ArrayList<>();

    @BeforeEach
    void setUp() {
        mem = PhysicalMemory.create(MemoryConfig.builder().bytes(96L << 20).build());
    }

    @AfterEach
    void tearDown() {
        for (PageCache c : caches) {
            c.dropCaches();
            c.close();
        }
        mem.close();
    }

    private PageCache cache() {
        PageCache c = new PageCache(mem);
        caches.add(c);
        return c;
    }

    private static byte[] pattern(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static long createWith(ExtentFs fs, String name, byte[] data) {
        OpenFile f = fs.create(Vfs.ROOT_INO, name, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
        assertEquals(data.length, fs.write(f, 0, data, 0, data.length));
        fs.release(f);
        return f.ino();
    }

    private static byte[] contents(ExtentFs fs, String name) {
        long ino = fs.lookup(Vfs.ROOT_INO, name).ino();
        byte[] b = new byte[(int) fs.getattr(ino).size()];
        OpenFile f = fs.open(ino, OpenFlags.O_RDONLY);
        int done = 0;
        while (done < b.length) {
            int n = fs.read(f, done, b, done, b.length - done);
            assertTrue(n > 0, "short read of " + name + " at " + done);
            done += n;
        }
        fs.release(f);
        return b;
    }

    private static void assertAbsent(ExtentFs fs, String name) {
        ErrnoException e = assertThrows(ErrnoException.class, () -> fs.lookup(Vfs.ROOT_INO, name));
        assertEquals(Errno.ENOENT, e.errno());
    }

    /** Write, fsync, kill: the file is there; a file written after without fsync may not be, and the image mounts. */
    private void fsyncSurvivesKill(BlockDevice below, java.util.function.Supplier<BlockDevice> reopen)
            throws IOException {
        CrashDevice dev = new CrashDevice(below);
        ExtentFs fs = ExtentFs.mkfs(dev, mem, cache(), MkfsOptions.defaults().withUuidSeed(5));
        byte[] a = pattern(300_000, 1);
        long ino = createWith(fs, "a", a);
        OpenFile f = fs.open(ino, OpenFlags.O_RDWR);
        fs.fsync(f, false);
        // An overwrite in place changes no metadata that fdatasync must commit: the data alone, flushed.
        byte[] over = pattern(5000, 3);
        fs.write(f, 70_000, over, 0, over.length);
        fs.fsync(f, true);
        System.arraycopy(over, 0, a, 70_000, over.length);
        fs.release(f);
        createWith(fs, "b", pattern(50_000, 2));
        dev.kill(); // kill -9: the ExtentFs object is dropped without sync or unmount

        ExtentFs g = ExtentFs.mount(reopen.get(), mem, cache());
        assertArrayEquals(a, contents(g, "a"));
        assertAbsent(g, "b");
        g.unmount();
    }

    @Test
    void fsyncSurvivesAKilledDaemonOnARamDisk() throws IOException {
        try (RamDisk ram = new RamDisk("ram0", 32L << 20, mem)) {
            fsyncSurvivesKill(ram, () -> ram);
        }
    }

    @Test
    void fsyncSurvivesAKilledDaemonOnAnImageFile() throws IOException {
        Path dir = Files.createTempDirectory("journal");
        Path img = dir.resolve("fs.img");
        ImageFileDevice.Options opt = ImageFileDevice.Options.defaults().withCapacity(32L << 20);
        List<BlockDevice> open = new ArrayList<>();
        try {
            ImageFileDevice first = ImageFileDevice.create(img, opt);
            open.add(first);
            fsyncSurvivesKill(first, () -> {
                try {
                    // The daemon is gone: a new process opens the image file again.
                    ImageFileDevice again = ImageFileDevice.open(img, opt);
                    open.add(again);
                    return again;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        } finally {
            for (BlockDevice d : open) {
                d.close();
            }
            Files.deleteIfExists(img);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void fdatasyncOfAnOverwriteFlushesTheDataThroughAWriteCache() throws IOException {
        for (long seed = 0; seed < 8; seed++) {
            TestDevice below = new TestDevice("t", 32L << 20);
            CrashDevice dev = new CrashDevice(below);
            dev.volatileCache(seed);
            ExtentFs fs = ExtentFs.mkfs(dev, mem, cache(), MkfsOptions.defaults().withUuidSeed(6));
            byte[] a = pattern(8 * BS, 3);
            long ino = createWith(fs, "a", a);
            OpenFile f = fs.open(ino, OpenFlags.O_RDWR);
            fs.fsync(f, false);
            byte[] over = pattern(3 * BS, 4);
            fs.write(f, 2 * BS, over, 0, over.length);
            fs.fsync(f, true); // no checkpoint: the data blocks, then a flush
            System.arraycopy(over, 0, a, 2 * BS, over.length);
            fs.write(f, 0, new byte[BS], 0, BS); // not synced: may be lost or not
            dev.kill();
            ExtentFs g = ExtentFs.mount(below, mem, cache());
            byte[] got = contents(g, "a");
            assertArrayEquals(Arrays.copyOfRange(a, BS, a.length), Arrays.copyOfRange(got, BS, got.length),
                    "seed " + seed);
            g.unmount();
        }
    }

    @Test
    void fdatasyncAndFsyncdirCommitToo() throws IOException {
        TestDevice below = new TestDevice("t", 32L << 20);
        CrashDevice dev = new CrashDevice(below);
        ExtentFs fs = ExtentFs.mkfs(dev, mem, cache(), MkfsOptions.defaults().withUuidSeed(6));
        byte[] a = pattern(20_000, 3);
        long ino = createWith(fs, "a", a);
        OpenFile f = fs.open(ino, OpenFlags.O_RDONLY);
        fs.fsync(f, true);
        fs.release(f);
        long d = fs.mkdir(Vfs.ROOT_INO, "dir", 0755, 0, 0).ino();
        fs.symlink(d, "link", "a", 0, 0);
        fs.fsyncdir(d, false);
        dev.kill();
        ExtentFs g = ExtentFs.mount(below, mem, cache());
        assertArrayEquals(a, contents(g, "a"));
        long gd = g.lookup(Vfs.ROOT_INO, "dir").ino();
        assertEquals("a", g.readlink(g.lookup(gd, "link").ino()));
        g.unmount();
    }

    @Test
    void concurrentFsyncsAllSurviveAKill() throws Exception {
        TestDevice below = new TestDevice("t", 64L << 20);
        CrashDevice dev = new CrashDevice(below);
        ExtentFs fs = ExtentFs.mkfs(dev, mem, cache(), MkfsOptions.defaults().withUuidSeed(21));
        int threads = 4;
        int rounds = 25;
        int chunk = 3000;
        long[] acked = new long[threads];
        List<Thread> ts = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            int me = t;
            ts.add(new Thread(() -> {
                try {
                    OpenFile f = fs.create(Vfs.ROOT_INO, "t" + me, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
                    byte[] all = pattern(rounds * chunk, 100 + me);
                    for (int k = 0; k < rounds; k++) {
                        fs.write(f, (long) k * chunk, all, k * chunk, chunk);
                        fs.fsync(f, k % 2 == 0);
                        acked[me] = (long) (k + 1) * chunk; // published by join
                    }
                    fs.release(f);
                } catch (Throwable e) {
                    errors.add(e);
                }
            }));
        }
        ts.forEach(Thread::start);
        for (Thread t : ts) {
            t.join();
        }
        assertTrue(errors.isEmpty(), "errors: " + errors);
        dev.kill();
        ExtentFs g = ExtentFs.mount(below, mem, cache());
        for (int t = 0; t < threads; t++) {
            byte[] want = pattern(rounds * chunk, 100 + t);
            assertArrayEquals(Arrays.copyOf(want, (int) acked[t]), contents(g, "t" + t), "thread " + t);
        }
        g.unmount();
    }

    @Test
    void fsyncWithNothingChangedSinceTheLastCheckpointWritesNothing() throws IOException {
        CrashDevice dev = new CrashDevice(new TestDevice("t", 32L << 20));
        ExtentFs fs = ExtentFs.mkfs(dev, mem, cache(), MkfsOptions.defaults().withUuidSeed(7));
        long ino = createWith(fs, "a", pattern(20_000, 3));
        OpenFile f = fs.open(ino, OpenFlags.O_RDWR);
        fs.fsync(f, false);
        long w = dev.writes();
        fs.fsync(f, false);
        fs.fsyncdir(Vfs.ROOT_INO, false);
        assertEquals(w, dev.writes(), "nothing changed: no checkpoint");
        fs.setattr(ino, SetAttr.size(100), f);
        fs.fsync(f, true);
        assertTrue(dev.writes() > w, "a truncate is committed by fsync");
        w = dev.writes();
        fs.write(f, 100, new byte[10], 0, 10);
        fs.fsync(f, false);
        assertTrue(dev.writes() > w, "a write is committed by fsync");
        // Overwriting allocated, written blocks changes only times: fdatasync writes the data block alone.
        w = dev.writes();
        fs.write(f, 0, new byte[] {1, 2, 3}, 0, 3);
        fs.fsync(f, true);
        assertEquals(w + 1, dev.writes(), "fdatasync of an overwrite: one data block, no checkpoint");
        fs.fsync(f, false);
        assertTrue(dev.writes() > w + 1, "fsync commits the new mtime");
        fs.release(f);
        fs.unmount();
    }

    @Test
    void blocksFreedByTruncateAreNotReusedBeforeTheCommit() throws IOException {
        TestDevice below = new TestDevice("t", 32L << 20);
        CrashDevice dev = new CrashDevice(below);
        ExtentFs fs = ExtentFs.mkfs(dev, mem, cache(), MkfsOptions.defaults().withUuidSeed(8));
        byte[] a = pattern(40 * BS, 4);
        long ia = createWith(fs, "a", a);
        fs.sync();
        List<FiemapExtent> old = fs.fiemap(ia, 0, Long.MAX_VALUE);
        assertFalse(old.isEmpty());
        fs.setattr(ia, SetAttr.size(0), null);
        for (FiemapExtent o : old) {
            assertFalse(fs.alloc.anyFree(o.physical() / BS, o.length() / BS), "freed " + o + " not allocatable yet");
        }
        // Fill the rest of the free space but a little, so that the allocator must look for more.
        long ib = createWith(fs, "b", pattern(60 * BS, 5));
        fs.mapping(ib).writeAndWait(0, Long.MAX_VALUE); // b's data reaches the device; no checkpoint
        for (FiemapExtent e : fs.fiemap(ib, 0, Long.MAX_VALUE)) {
            for (FiemapExtent o : old) {
                boolean overlap = e.physical() < o.physical() + o.length() && o.physical() < e.physical() + e.length();
                assertFalse(overlap, "b's extent " + e + " reuses a's freed blocks " + o);
            }
        }
        dev.kill();
        ExtentFs g = ExtentFs.mount(below, mem, cache());
        assertArrayEquals(a, contents(g, "a"), "a as the last checkpoint left it");
        assertAbsent(g, "b");
        g.unmount();
    }

    @Test
    void noSpaceWithFreedBlocksWaitingForcesACheckpoint() throws IOException {
        try (RamDisk ram = new RamDisk("ram0", 16L << 20, mem)) {
            ExtentFs fs = ExtentFs.mkfs(ram, mem, cache(), MkfsOptions.defaults().withUuidSeed(9));
            long fill = fill(fs, "x");
            fs.sync();
            fs.unlink(Vfs.ROOT_INO, "x");
            assertTrue(fs.statfs().availBlocks() * BS >= fill, "unlinked blocks count as available");
            // The blocks of x wait for a checkpoint; the write forces one instead of failing.
            long again = fill(fs, "y");
            assertTrue(again >= fill - 4 * BS, "second fill " + again + " of " + fill);
            // fallocate too: free y without a checkpoint, then preallocate all of it.
            fs.unlink(Vfs.ROOT_INO, "y");
            OpenFile z = fs.create(Vfs.ROOT_INO, "z", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            fs.fallocate(z, 0, 0, again - again % BS);
            fs.release(z);
            fs.unmount();
            ExtentFs g = ExtentFs.mount(ram, mem, cache());
            assertEquals(again - again % BS, g.getattr(g.lookup(Vfs.ROOT_INO, "z").ino()).size());
            g.unmount();
        }
    }

    /** Writes a file until ENOSPC; returns its size. */
    private static long fill(ExtentFs fs, String name) {
        OpenFile f = fs.create(Vfs.ROOT_INO, name, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
        byte[] chunk = pattern(64 * 1024, 7);
        long pos = 0;
        try {
            while (true) {
                pos += fs.write(f, pos, chunk, 0, chunk.length);
            }
        } catch (ErrnoException e) {
            assertEquals(Errno.ENOSPC, e.errno());
        }
        fs.fsync(f, false);
        fs.release(f);
        assertTrue(pos > (8L << 20), name + " got only " + pos + " bytes");
        return pos;
    }

    /** An image whose journal holds a committed checkpoint (the daemon was killed right after it). */
    private TestDevice imageWithCommittedJournal(TreeMap<String, String> expect) throws IOException {
        TestDevice below = new TestDevice("t", 32L << 20);
        CrashDevice dev = new CrashDevice(below);
        ExtentFs fs = ExtentFs.mkfs(dev, mem, cache(), MkfsOptions.defaults().withUuidSeed(10));
        Workload w = new Workload(fs, 77);
        for (int k = 0; k < 30; k++) {
            w.step();
        }
        fs.sync();
        expect.putAll(FsTree.read(fs));
        dev.kill();
        Superblock sb = Superblock.decode("t", read(below, 0));
        Journal.Transaction t = new Journal(new BlockIo(below, mem), sb).read();
        assertNotNull(t, "the journal holds the last checkpoint");
        // As if the daemon died between the commit and the writes in place (all but the superblock,
        // which tells where the journal is): only replay can bring these blocks back.
        for (long b : t.targets()) {
            if (b != 0) {
                new BlockIo(below, mem).write(b, new byte[BS]);
            }
        }
        return below;
    }

    private byte[] read(BlockDevice dev, long block) throws IOException {
        byte[] b = new byte[BS];
        new BlockIo(dev, mem).read(block, b);
        return b;
    }

    @Test
    void replayCutAtEveryWriteThenReplayedAgainGivesTheSameImage() throws IOException {
        TreeMap<String, String> expect = new TreeMap<>();
        TestDevice base = imageWithCommittedJournal(expect);
        Superblock sb = Superblock.decode("t", read(base, 0));
        int txBlocks = new Journal(new BlockIo(base, mem), sb).read().targets().length;
        for (int cut = 0; cut <= txBlocks + 4; cut++) {
            TestDevice img = base.snapshot("img" + cut);
            CrashDevice dev = new CrashDevice(img);
            dev.crashAfter(cut);
            try {
                ExtentFs.mount(dev, mem, cache());
            } catch (CorruptFsException e) {
                // A cut replay may leave an image that only the next replay repairs; that is the point.
            }
            dev.kill();
            ExtentFs g = ExtentFs.mount(img, mem, cache());
            assertEquals(expect, FsTree.read(g), "replay cut after " + cut + " writes, then replayed again");
            g.unmount();
            // Clean now: the journal is empty and the image mounts as it is.
            Superblock after = Superblock.decode("t", read(img, 0));
            assertNull(new Journal(new BlockIo(img, mem), after).read(), "journal emptied by the clean unmount");
        }
    }

    @Test
    void tornTransactionIsIgnored() throws IOException {
        TreeMap<String, String> expect = new TreeMap<>();
        TestDevice base = imageWithCommittedJournal(expect);
        // Replay it once so that the image in place is the checkpoint, and the journal is empty.
        ExtentFs.mount(base, mem, cache()); // dropped without unmount: the mount itself wrote nothing more
        Superblock sb = Superblock.decode("t", read(base, 0));
        Journal j = new Journal(new BlockIo(base, mem), sb);
        assertNull(j.read());
        // A transaction that would zero the root's inode-table block and the superblock, cut in three ways.
        long[] targets = {sb.itableStart, 0};
        List<byte[]> garbage = List.of(new byte[BS], new byte[BS]);
        int d = Journal.descriptorsFor(targets.length);
        long commit = sb.journalStart + d + targets.length;
        for (int way = 0; way < 3; way++) {
            TestDevice img = base.snapshot("torn" + way);
            Journal ji = new Journal(new BlockIo(img, mem), sb);
            ji.write(sb.journalSeq + 1, targets, garbage);
            assertNotNull(ji.read(), "the whole transaction is valid");
            switch (way) {
                case 0 -> img.flip(commit, 100); // the commit block torn
                case 1 -> img.flip(sb.journalStart + d + 1, 7); // an image differs from the commit's CRC
                default -> new BlockIo(img, mem).write(commit, new byte[BS]); // the commit never written
            }
            assertNull(ji.read(), "torn way " + way);
            ExtentFs g = ExtentFs.mount(img, mem, cache());
            assertEquals(expect, FsTree.read(g), "torn way " + way);
            g.unmount();
        }
    }

    @Test
    void checkpointBiggerThanTheJournalIsWrittenInPlace() throws IOException {
        TestDevice below = new TestDevice("t", 32L << 20);
        ExtentFs fs = ExtentFs.mkfs(below, mem, cache(), MkfsOptions.defaults().withUuidSeed(11).withJournalBlocks(16));
        createWith(fs, "data", pattern(10_000, 12));
        fs.sync();
        assertNotNull(fs.journal.read(), "a checkpoint that fits is journaled");
        for (int k = 0; k < 400; k++) {
            fs.mknod(Vfs.ROOT_INO, "n" + k, org.fusefs.uapi.FileMode.S_IFREG | 0644, 0, 0, 0);
        }
        fs.sync(); // about 30 inode-table blocks: no room in 16 journal blocks
        assertNull(fs.journal.read(), "the journal was emptied before writing in place");
        TreeMap<String, String> expect = FsTree.read(fs);
        fs.unmount();
        ExtentFs g = ExtentFs.mount(below, mem, cache());
        assertEquals(expect, FsTree.read(g));
        // After the mount, a checkpoint writes only what changed: one name fits the journal again.
        g.mknod(Vfs.ROOT_INO, "one-more", org.fusefs.uapi.FileMode.S_IFREG | 0644, 0, 0, 0);
        g.sync();
        Journal.Transaction t = g.journal.read();
        assertNotNull(t, "a small change after mount is journaled");
        // The root's chain of 402 names (4 blocks), the free map, two inode-table blocks, the superblock.
        assertTrue(t.targets().length <= 8, "blocks in the transaction: " + Arrays.toString(t.targets()));
        g.unmount();
    }

    @Test
    void punchAndCollapseFreeDeferredToo() throws IOException {
        TestDevice below = new TestDevice("t", 32L << 20);
        CrashDevice dev = new CrashDevice(below);
        ExtentFs fs = ExtentFs.mkfs(dev, mem, cache(), MkfsOptions.defaults().withUuidSeed(13));
        byte[] a = pattern(64 * BS, 14);
        long ia = createWith(fs, "a", a);
        fs.sync();
        OpenFile f = fs.open(ia, OpenFlags.O_RDWR);
        fs.fallocate(f, FallocFlag.PUNCH_HOLE | FallocFlag.KEEP_SIZE, 0, 16 * BS);
        fs.fallocate(f, FallocFlag.COLLAPSE_RANGE, 16 * BS, 16 * BS);
        fs.release(f);
        assertEquals(32, fs.alloc.deferredBlocks(), "punched and collapsed blocks wait for the checkpoint");
        long ib = createWith(fs, "b", pattern(200 * BS, 15));
        fs.mapping(ib).writeAndWait(0, Long.MAX_VALUE);
        dev.kill();
        ExtentFs g = ExtentFs.mount(below, mem, cache());
        assertArrayEquals(a, contents(g, "a"));
        g.unmount();
    }
}
