package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.pagecache.PageCache;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/**
 * Power cut at every write: a seeded workload with fsyncs on the way and a sync at the end
 * runs once to count its writes and record the state at each checkpoint; then once per write
 * number N with every write after the Nth dropped. The image below must mount and show exactly the
 * state of the last checkpoint committed before the cut or of the one in progress, never a mix.
 * Each cut runs again with a volatile write cache that also loses a random part of the writes made
 * since the last flush, which checks where the flushes are.
 */
class CrashConsistencyTest {
    private static final long DEV_BYTES = 32L << 20;
    private static final int STEPS = 36;
    /** fsyncs spread over the steps: several checkpoints, each writing what changed since the one before. */
    private static final int FSYNCS = 3;
    /** Runs per cut with a volatile write cache, each losing a different random part of the unflushed writes. */
    private static final int CACHE_SEEDS = 3;

    /** One run of the workload over a copy of the base image, with the power cut after {@code cut} writes. */
    private static final class Run {
        final List<TreeMap<String, String>> states = new ArrayList<>();
        /** Index in states of the checkpoint during which the first write was dropped; -1 if none was. */
        int cutDuring = -1;
        long writes;
    }

    private static Run run(TestDevice base, PhysicalMemory mem, long seed, long cut, long loseSeed, boolean record)
            throws IOException {
        CrashDevice dev = new CrashDevice(base);
        if (loseSeed >= 0) {
            dev.volatileCache(loseSeed);
        }
        PageCache cache = new PageCache(mem);
        Run out = new Run();
        try {
            ExtentFs fs = ExtentFs.mount(dev, mem, cache);
            if (record) {
                out.states.add(FsTree.read(fs));
            }
            dev.crashAfter(cut);
            Workload w = new Workload(fs, seed);
            int checkpoint = 0;
            for (int s = 0; s < STEPS; s++) {
                w.step();
                if (s % (STEPS / FSYNCS) == STEPS / FSYNCS - 1 && checkpoint < FSYNCS) {
                    if (record) {
                        out.states.add(FsTree.read(fs));
                    }
                    w.fsyncSome();
                    checkpoint++;
                    if (dev.dropped() > 0 && out.cutDuring < 0) {
                        out.cutDuring = checkpoint;
                    }
                }
            }
            if (record) {
                out.states.add(FsTree.read(fs));
            }
            fs.sync();
            checkpoint++;
            if (dev.dropped() > 0 && out.cutDuring < 0) {
                out.cutDuring = checkpoint;
            }
            out.writes = dev.writes();
            // The daemon is killed: nothing more reaches the device; the filesystem object is dropped.
            dev.kill();
        } finally {
            cache.dropCaches();
            cache.close();
        }
        return out;
    }

    private static TestDevice baseImage(PhysicalMemory mem, long seed) throws IOException {
        TestDevice dev = new TestDevice("crash" + seed, DEV_BYTES);
        PageCache cache = new PageCache(mem);
        try {
            ExtentFs fs = ExtentFs.mkfs(dev, mem, cache, MkfsOptions.defaults().withUuidSeed(seed));
            Workload w = new Workload(fs, seed);
            for (int k = 0; k < 40; k++) {
                w.step();
            }
            fs.unmount();
        } finally {
            cache.dropCaches();
            cache.close();
        }
        return dev;
    }

    @Test
    void everyPowerCutLeavesTheOldOrTheNewState() throws Exception {
        try (PhysicalMemory mem = PhysicalMemory.create(MemoryConfig.builder().bytes(64L << 20).build())) {
            for (long seed : new long[] {3, 17, 101}) {
                TestDevice base = baseImage(mem, seed);
                Run ref = run(base.snapshot("ref"), mem, seed + 1000, Long.MAX_VALUE, -1, true);
                assertEquals(-1, ref.cutDuring);
                assertEquals(FSYNCS + 2, ref.states.size());
                int newFromJournal = 0;
                for (long n = 0; n <= ref.writes; n++) {
                  // -1: writes reach the medium in order; else a write cache loses unflushed writes at random.
                  for (long lose = -1; lose < CACHE_SEEDS; lose++) {
                    String where = "seed " + seed + " cut after write " + n + " of " + ref.writes
                            + (lose < 0 ? "" : ", unflushed writes lost with seed " + lose);
                    TestDevice img = base.snapshot("img");
                    Run r = run(img, mem, seed + 1000, n, lose, false);
                    // 0: A (before), 1..FSYNCS: at each fsync, FSYNCS + 1: at the sync
                    List<Integer> allowed = r.cutDuring < 0 ? List.of(FSYNCS + 1) : List.of(r.cutDuring - 1, r.cutDuring);
                    PageCache cache = new PageCache(mem);
                    try {
                        ExtentFs fs;
                        try {
                            fs = ExtentFs.mount(img, mem, cache);
                        } catch (CorruptFsException e) {
                            throw new AssertionError(where + ": mount refused the image: " + e.getMessage(), e);
                        }
                        TreeMap<String, String> got = FsTree.read(fs);
                        int match = -1;
                        for (int s : allowed) {
                            if (got.equals(ref.states.get(s))) {
                                match = s;
                            }
                        }
                        if (match < 0) {
                            fail(where + ": state matches none of checkpoints " + allowed + "\n got " + got
                                    + "\n want " + ref.states.get(allowed.get(allowed.size() - 1))
                                    + (allowed.size() > 1 ? "\n or " + ref.states.get(allowed.get(0)) : ""));
                        }
                        if (r.cutDuring >= 0 && match == r.cutDuring && lose < 0) {
                            newFromJournal++;
                        }
                        if (n % 5 == 0 && lose < 0) {
                            // The recovered filesystem works on: a write, a clean unmount, a remount.
                            OpenFile f = fs.create(Vfs.ROOT_INO, "after", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT,
                                    0, 0);
                            fs.write(f, 0, new byte[10_000], 0, 10_000);
                            fs.release(f);
                            fs.unmount();
                            fs = ExtentFs.mount(img, mem, cache);
                            assertEquals(10_000, fs.getattr(fs.lookup(Vfs.ROOT_INO, "after").ino()).size(), where);
                        }
                        fs.unmount();
                    } finally {
                        cache.dropCaches();
                        cache.close();
                    }
                  }
                }
                // Some cuts fall after a commit and before its blocks were all in place: replay made them new.
                System.out.println("seed " + seed + ": " + ref.writes + " writes, " + newFromJournal + " cuts recovered the checkpoint in progress");
                assertTrue(newFromJournal > 0, "seed " + seed + ": no cut recovered a committed checkpoint");
            }
        }
    }
}
