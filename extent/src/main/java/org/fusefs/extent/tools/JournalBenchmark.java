package org.fusefs.extent.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.fusefs.block.BlockDevice;
import org.fusefs.block.brd.RamDisk;
import org.fusefs.block.loop.ImageFileDevice;
import org.fusefs.extent.ExtentFs;
import org.fusefs.extent.MkfsOptions;
import org.fusefs.extent.OpenFile;
import org.fusefs.extent.Vfs;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.pagecache.PageCache;
import org.fusefs.uapi.OpenFlags;

/**
 * The cost of fsync now that it commits a journal checkpoint: a loop of small write+fsync (each
 * fsync one checkpoint) on a filesystem holding 10,000 files and on one with 10, then a loop of
 * overwrites with fdatasync (no checkpoint: the data block and a flush). Each on a RAM disk and on
 * a sparse image file (whose flush is the host's fdatasync).
 *
 * <p>Usage: {@code JournalBenchmark [image-dir] [files] [ops] [ram|image|both]}.
 */
public final class JournalBenchmark {
    private static final long MIB = 1L << 20;

    private JournalBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Path.of(System.getProperty("java.io.tmpdir"));
        int files = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int ops = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        String only = args.length > 3 ? args[3] : "both";
        try (PhysicalMemory mem = PhysicalMemory.create(MemoryConfig.builder().bytes(512 * MIB).build())) {
            for (String kind : new String[] {"ram disk", "image file"}) {
                if (!only.equals("both") && !kind.startsWith(only)) {
                    continue;
                }
                for (int n : new int[] {files, 10}) {
                    Path img = dir.resolve("journal-bench.img");
                    Files.deleteIfExists(img);
                    BlockDevice dev = kind.equals("ram disk") ? new RamDisk("ram0", 512 * MIB, mem)
                            : ImageFileDevice.create(img, ImageFileDevice.Options.defaults().withCapacity(512 * MIB));
                    try (PageCache cache = new PageCache(mem)) {
                        run(kind, dev, mem, cache, n, ops);
                    } finally {
                        dev.close();
                        Files.deleteIfExists(img);
                    }
                }
            }
        }
    }

    private static void run(String kind, BlockDevice dev, PhysicalMemory mem, PageCache cache, int files, int ops)
            throws Exception {
        ExtentFs fs = ExtentFs.mkfs(dev, mem, cache, MkfsOptions.defaults().withUuidSeed(1));
        byte[] small = new byte[1000];
        long[] inos = new long[files];
        for (int k = 0; k < files; k++) {
            OpenFile f = fs.create(Vfs.ROOT_INO, "file-" + k, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
            fs.write(f, 0, small, 0, small.length);
            fs.release(f);
            inos[k] = f.ino();
        }
        fs.sync();
        OpenFile f = fs.open(inos[files / 2], OpenFlags.O_RDWR);
        long[] each = new long[ops];
        // Warm-up (JIT), not counted.
        for (int k = 0; k < 100; k++) {
            fs.write(f, k % 4000, small, 0, 1);
            fs.fsync(f, false);
        }
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = cpu.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int k = 0; k < ops; k++) {
            long s = System.nanoTime();
            fs.write(f, (k * 7L) % 4000, small, 0, 100);
            fs.fsync(f, false);
            each[k] = System.nanoTime() - s;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpuUs = (cpu.getCurrentThreadCpuTime() - c0) / 1e3 / ops;
        Arrays.sort(each);
        System.out.printf("%-10s %6d files: write+fsync median %8.1f us, p99 %8.1f us, %7.0f ops/s over %d,"
                + " %8.1f us CPU each%n", kind, files, each[ops / 2] / 1e3, each[ops * 99 / 100] / 1e3, ops / secs, ops,
                cpuUs);
        // Overwrites of written blocks and fdatasync: no metadata to commit, the data and a flush.
        t0 = System.nanoTime();
        for (int k = 0; k < ops; k++) {
            long s = System.nanoTime();
            fs.write(f, (k * 7L) % 900, small, 0, 100);
            fs.fsync(f, true);
            each[k] = System.nanoTime() - s;
        }
        secs = (System.nanoTime() - t0) / 1e9;
        Arrays.sort(each);
        System.out.printf("%-10s %6d files: overwrite+fdatasync median %6.1f us, p99 %8.1f us, %7.0f ops/s%n",
                kind, files, each[ops / 2] / 1e3, each[ops * 99 / 100] / 1e3, ops / secs);
        fs.release(f);
        fs.unmount();
    }
}
