package org.fusefs.pagecache.tools;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.util.List;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.AddressSpaceOperations;
import org.fusefs.pagecache.DioArgs;
import org.fusefs.pagecache.PageCache;

/**
 * Measures the page cache's hot paths on one thread: page lookups on a hot address space and
 * buffered reads of cached pages (4 KiB and 128 KiB) into native memory, each next to a plain
 * native memcpy of the same size measured in the same run.
 *
 * <p>Usage: {@code PageCacheBenchmark [seconds-per-figure]} (default 2). From the repository root:
 * <pre>
 * mvn -q -pl pagecache -am compile dependency:build-classpath -Dmdep.outputFile=/tmp/pc-cp.txt
 * java -cp pagecache/target/classes:$(cat /tmp/pc-cp.txt) org.fusefs.pagecache.tools.PageCacheBenchmark
 * </pre>
 * Reads run over the whole 64 MiB file (bound by DRAM and by the order of the frames) and over
 * its first MiB (cache-hot: the cost of the page cache itself).
 */
public final class PageCacheBenchmark {
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final long FILE_PAGES = 16384; // 64 MiB cached
    private static final int ROUNDS = 5;
    private static volatile long sink;

    private PageCacheBenchmark() {
    }

    /** A file of zeros: every page reads as a hole. */
    private static final class ZeroFile implements AddressSpaceOperations {
        @Override
        public void readPage(AddressSpace mapping, Page page) {
            page.zero(0, Page.SIZE);
        }

        @Override
        public void writePages(AddressSpace mapping, List<Page> pages) {
        }

        @Override
        public long directIO(AddressSpace mapping, DioArgs args) {
            return args.length();
        }
    }

    public static void main(String[] args) throws IOException {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        long nanos = (long) (seconds * 1e9);
        try (PhysicalMemory mem = PhysicalMemory.create(MemoryConfig.builder().bytes(256L << 20).build());
                PageCache cache = new PageCache(mem)) {
            AddressSpace as = cache.newAddressSpace(new ZeroFile(), "bench");
            long size = FILE_PAGES * Page.SIZE;
            long dst = IO.allocateMemory(128 << 10, true);
            long src = IO.allocateMemory(128 << 10, true);
            // The same amount of memory as the cached file, for a memcpy that misses the CPU caches alike.
            long big = IO.allocateMemory(size, true);
            try {
                for (long i = 0; i < FILE_PAGES; i++) {
                    as.read(i * Page.SIZE, dst, Page.SIZE, size);
                }
                Page[] frames = new Page[(int) FILE_PAGES];
                for (int i = 0; i < FILE_PAGES; i++) {
                    frames[i] = as.findPage(i);
                }
                System.out.printf("page cache benchmark: %d cached pages (%d MiB), %.1f s per figure, best of %d rounds, one thread%n",
                        as.nrPages(), size >> 20, seconds, ROUNDS);
                lookups(as, nanos / 2); // warm-up
                double lps = 0;
                for (int r = 0; r < ROUNDS; r++) {
                    lps = Math.max(lps, lookups(as, nanos / ROUNDS));
                }
                System.out.printf("page lookups:            %8.1f M/s  (aim >= 20 M/s)%n", lps / 1e6);
                int ascending = 0;
                int descending = 0;
                for (int i = 1; i < FILE_PAGES; i++) {
                    ascending += frames[i].pfn() == frames[i - 1].pfn() + 1 ? 1 : 0;
                    descending += frames[i].pfn() == frames[i - 1].pfn() - 1 ? 1 : 0;
                }
                // Frame order decides how well the CPU prefetches across page boundaries.
                System.out.printf("frame of file page i+1 right after that of page i: %.0f%%, right before: %.0f%%%n",
                        100.0 * ascending / (FILE_PAGES - 1), 100.0 * descending / (FILE_PAGES - 1));
                // The whole file (DRAM-bound: larger than the CPU caches) and its first MiB (cache-hot).
                for (long ws : new long[] {size, 1L << 20}) {
                    System.out.printf("-- reads cycling over %d KiB of the file%n", ws >> 10);
                    for (int len : new int[] {4096, 128 << 10}) {
                        readFigure(as, frames, (int) (ws / Page.SIZE), dst, src, big, len, ws, nanos);
                    }
                }
                System.out.print(cache.stats().render());
            } finally {
                IO.freeMemory(dst);
                IO.freeMemory(src);
                IO.freeMemory(big);
            }
        }
    }

    private static void readFigure(AddressSpace as, Page[] frames, int nFrames, long dst, long src, long big,
            int len, long ws, long nanos) throws IOException {
        reads(as, dst, len, ws, nanos / 2);
        memcpy(src, dst, len, nanos / 2);
        memcpyWalk(big, ws, dst, len, nanos / 2);
        frameCopies(frames, nFrames, dst, len, nanos / 2);
        double r = 0;
        double m = 0;
        double w = 0;
        double f = 0;
        // Interleaved rounds, best of each: the machine is shared, a round may lose the CPU.
        for (int k = 0; k < ROUNDS; k++) {
            r = Math.max(r, reads(as, dst, len, ws, nanos / ROUNDS));
            m = Math.max(m, memcpy(src, dst, len, nanos / ROUNDS));
            w = Math.max(w, memcpyWalk(big, ws, dst, len, nanos / ROUNDS));
            f = Math.max(f, frameCopies(frames, nFrames, dst, len, nanos / ROUNDS));
        }
        System.out.printf("buffered read %7s: %6.2f GB/s | memcpy %7s: %6.2f GB/s from one hot buffer (read at %3.0f%%),"
                + " %6.2f GB/s walking %d KiB (%3.0f%%), %6.2f GB/s page by page over the same frames (%3.0f%%)%n",
                human(len), r / 1e9, human(len), m / 1e9, 100 * r / m, w / 1e9, ws >> 10, 100 * r / w,
                f / 1e9, 100 * r / f);
    }

    private static double lookups(AddressSpace as, long nanos) {
        long n = 0;
        long acc = 0;
        long mask = FILE_PAGES - 1;
        long start = System.nanoTime();
        long end = start + nanos;
        long idx = 0;
        while (true) {
            for (int i = 0; i < 4096; i++) {
                // A scattered walk over all cached indexes so the lookups are not one cache line.
                idx = (idx + 7919) & mask;
                acc += as.findPage(idx).pfn();
            }
            n += 4096;
            if ((n & 0xFFFF) == 0 && System.nanoTime() > end) {
                break;
            }
        }
        long t = System.nanoTime() - start;
        sink = acc;
        return n * 1e9 / t;
    }

    private static double reads(AddressSpace as, long dst, int len, long size, long nanos) throws IOException {
        long bytes = 0;
        long pos = 0;
        long start = System.nanoTime();
        long end = start + nanos;
        int iter = 0;
        while (true) {
            bytes += as.read(pos, dst, len, size);
            pos += len;
            if (pos + len > size) {
                pos = 0;
            }
            if ((++iter & 63) == 0 && System.nanoTime() > end) {
                break;
            }
        }
        return bytes * 1e9 / (System.nanoTime() - start);
    }

    private static double memcpy(long src, long dst, int len, long nanos) {
        long bytes = 0;
        long start = System.nanoTime();
        long end = start + nanos;
        int iter = 0;
        while (true) {
            IO.copyMemory(src, dst, len);
            bytes += len;
            if ((++iter & 63) == 0 && System.nanoTime() > end) {
                break;
            }
        }
        return bytes * 1e9 / (System.nanoTime() - start);
    }

    private static double memcpyWalk(long base, long size, long dst, int len, long nanos) {
        long bytes = 0;
        long pos = 0;
        long start = System.nanoTime();
        long end = start + nanos;
        int iter = 0;
        while (true) {
            IO.copyMemory(base + pos, dst, len);
            bytes += len;
            pos += len;
            if (pos + len > size) {
                pos = 0;
            }
            if ((++iter & 63) == 0 && System.nanoTime() > end) {
                break;
            }
        }
        return bytes * 1e9 / (System.nanoTime() - start);
    }

    /** The floor for a page cache over scattered frames: one native copy per page, nothing else. */
    private static double frameCopies(Page[] frames, int nFrames, long dst, int len, long nanos) {
        long bytes = 0;
        int next = 0;
        int perRead = len / Page.SIZE;
        long start = System.nanoTime();
        long end = start + nanos;
        int iter = 0;
        while (true) {
            for (int k = 0; k < perRead; k++) {
                frames[next].copyTo(0, dst + (long) k * Page.SIZE, Page.SIZE);
                next = next + 1 == nFrames ? 0 : next + 1;
            }
            bytes += len;
            if ((++iter & 63) == 0 && System.nanoTime() > end) {
                break;
            }
        }
        return bytes * 1e9 / (System.nanoTime() - start);
    }

    private static String human(int len) {
        return len >= 1024 ? (len >> 10) + " KiB" : len + " B";
    }
}
