package org.fusefs.extent.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.fusefs.block.loop.ImageFileDevice;
import org.fusefs.extent.ExtentFs;
import org.fusefs.extent.MkfsOptions;
import org.fusefs.extent.OpenFile;
import org.fusefs.extent.Vfs;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.pagecache.PageCache;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.OpenFlags;

/**
 * Times FALLOC_FL_COLLAPSE_RANGE and FALLOC_FL_INSERT_RANGE of 1 MiB in the middle of files of
 * 64 MiB, 1 GiB and 16 GiB on a sparse image file. Each file is preallocated over its whole size
 * (unwritten extents of at most 32767 blocks) and holds 8 MiB of written data spread over it, so
 * the files differ in size and extent count but not in cached or written data.
 *
 * <p>Usage: {@code CollapseBenchmark [image-path] [rounds]}; prints one line per file with the
 * median and minimum time of a collapse and of an insert, and the file's extent count; then the
 * time and extent count of a 1 GiB sequential write.
 */
public final class CollapseBenchmark {
    private static final long MIB = 1L << 20;

    private CollapseBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path image = args.length > 0 ? Path.of(args[0]) : Files.createTempFile("collapse-bench", ".img");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 21;
        // The first 64 MiB file warms up the JIT and is not reported.
        long[] sizes = {64 * MIB, 64 * MIB, 1024 * MIB, 16384 * MIB};
        long capacity = 20L << 30;
        Files.deleteIfExists(image);
        try (PhysicalMemory mem = PhysicalMemory.create(MemoryConfig.builder().bytes(256 * MIB).build());
                PageCache cache = new PageCache(mem);
                ImageFileDevice dev = ImageFileDevice.create(image,
                        ImageFileDevice.Options.defaults().withCapacity(capacity))) {
            ExtentFs fs = ExtentFs.mkfs(dev, mem, cache, MkfsOptions.defaults().withInodes(1024).withUuidSeed(1));
            System.out.printf("image %s (sparse, %d GiB), %d rounds per figure%n", image, capacity >> 30, rounds);
            System.out.printf("%-10s %8s %14s %14s %14s %14s%n", "file", "extents", "collapse med", "collapse min",
                    "insert med", "insert min");
            byte[] chunk = new byte[(int) MIB];
            new Random(5).nextBytes(chunk);
            for (int s = 0; s < sizes.length; s++) {
                long size = sizes[s];
                String name = "f" + s;
                OpenFile f = fs.create(Vfs.ROOT_INO, name, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
                fs.fallocate(f, 0, 0, size);
                for (int k = 0; k < 8; k++) {
                    fs.write(f, (size / 8) * k, chunk, 0, chunk.length);
                }
                fs.fsync(f, false);
                long mid = size / 2;
                long[] collapse = new long[rounds];
                long[] insert = new long[rounds];
                for (int k = 0; k < rounds; k++) {
                    long t0 = System.nanoTime();
                    fs.fallocate(f, FallocFlag.COLLAPSE_RANGE, mid, MIB);
                    long t1 = System.nanoTime();
                    fs.fallocate(f, FallocFlag.INSERT_RANGE, mid, MIB);
                    long t2 = System.nanoTime();
                    collapse[k] = t1 - t0;
                    insert[k] = t2 - t1;
                }
                int extents = fs.extentCount(f.ino());
                Arrays.sort(collapse);
                Arrays.sort(insert);
                if (s == 0) {
                    fs.release(f);
                    fs.unlink(Vfs.ROOT_INO, name);
                    continue;
                }
                System.out.printf("%-10s %8d %11.1f us %11.1f us %11.1f us %11.1f us%n", (size / MIB) + " MiB",
                        extents, collapse[rounds / 2] / 1e3, collapse[0] / 1e3, insert[rounds / 2] / 1e3,
                        insert[0] / 1e3);
                fs.release(f);
            }
            // Delayed allocation at writeback: a 1 GiB sequential write should end in a handful of extents.
            OpenFile seq = fs.create(Vfs.ROOT_INO, "seq", 0644, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0, 0);
            long t0 = System.nanoTime();
            for (long pos = 0; pos < 1024 * MIB; pos += MIB) {
                fs.write(seq, pos, chunk, 0, chunk.length);
            }
            fs.fsync(seq, false);
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("sequential write of 1 GiB in 1 MiB writes: %.1f s, %d extents%n", secs,
                    fs.extentCount(seq.ino()));
            fs.release(seq);
            fs.unmount();
        } finally {
            Files.deleteIfExists(image);
        }
    }
}
