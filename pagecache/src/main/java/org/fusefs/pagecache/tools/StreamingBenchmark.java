package org.fusefs.pagecache.tools;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.Out;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.AddressSpaceOperations;
import org.fusefs.pagecache.DioArgs;
import org.fusefs.pagecache.PageCache;
import org.fusefs.pagecache.PageCacheStats;

/**
 * Measures streaming through a memory core smaller than the file: a buffered write of a whole
 * file in 128 KiB chunks (dirty tagging, writeback batches, reclaim of written pages) and a
 * sequential read of another file that misses on every page (readahead, reclaim on the
 * allocation path). The "device" completes writes at once and fills only the first word of a page
 * it reads (the page's index, which the read phase checks), so the page cache's own bookkeeping
 * is what is measured, next to the one copy a buffered read or write must make.
 *
 * <p>Usage: {@code StreamingBenchmark [file-MiB] [rounds] [core-MiB]} (default 1024, 9, 256).
 * From the repository root:
 * <pre>
 * mvn -q -pl pagecache -am compile dependency:build-classpath -Dmdep.outputFile=/tmp/pc-cp.txt
 * java -cp pagecache/target/classes:$(cat /tmp/pc-cp.txt) org.fusefs.pagecache.tools.StreamingBenchmark
 * </pre>
 * Three rounds warm up the JIT and are not counted. Each phase prints
 * MiB/s, CPU-ms per MiB of the whole process (request thread, writeback workers, reclaim
 * threads, GC and JIT) and of the request thread alone; then the cost of reclaim alone, CPU time per
 * page of a drop_caches of the full core. The last lines give the medians.
 */
public final class StreamingBenchmark {
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final int CHUNK = 128 << 10;
    private static final int WARMUP_ROUNDS = 3;

    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;
    private static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    private StreamingBenchmark() {
    }

    /** clock_gettime: the JDK's process CPU time counts in jiffies, too coarse for a phase. */
    public interface LibC {
        int clock_gettime(int clockId, @Out long[] timespec);
    }

    private static long processCpuNanos() {
        long[] ts = new long[2];
        if (LIBC.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, ts) != 0) {
            throw new IllegalStateException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
        }
        return ts[0] * 1_000_000_000L + ts[1];
    }

    /** A device that takes writes at once and reads as one word per page (its index). */
    private static final class NullDevice implements AddressSpaceOperations {
        volatile long pagesWritten;

        @Override
        public void readPage(AddressSpace mapping, Page page) {
            // Only the first word: the rest keeps whatever the frame held, so that the figures
            // are the page cache's and not a memset's.
            IO.putLong(page.address(), page.index());
        }

        @Override
        public void writePages(AddressSpace mapping, List<Page> pages) {
            pagesWritten += pages.size();
        }

        @Override
        public long directIO(AddressSpace mapping, DioArgs args) {
            return args.length();
        }
    }

    /** One phase's figures. */
    private record Figure(double mibPerSec, double cpuMsPerMib, double reqCpuMsPerMib) {
    }

    public static void main(String[] args) throws IOException {
        long fileMib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        long coreMib = args.length > 2 ? Long.parseLong(args[2]) : 256;
        System.out.printf("streaming benchmark: %d MiB files through a %d MiB core, 128 KiB chunks, %d rounds"
                + " after %d warm-up rounds, %d CPUs%n", fileMib, coreMib, rounds, WARMUP_ROUNDS,
                Runtime.getRuntime().availableProcessors());
        try (PhysicalMemory mem = PhysicalMemory.create(MemoryConfig.builder().bytes(coreMib << 20).build());
                PageCache cache = new PageCache(mem)) {
            long buf = IO.allocateMemory(CHUNK, true);
            try {
                for (int i = 0; i < CHUNK; i += 8) {
                    IO.putLong(buf + i, i * 0x9E3779B97F4A7C15L);
                }
                for (int w = 0; w < WARMUP_ROUNDS; w++) {
                    round(cache, buf, fileMib, -1);
                }
                Figure[] writes = new Figure[rounds];
                Figure[] reads = new Figure[rounds];
                Figure[] drops = new Figure[rounds];
                for (int r = 0; r < rounds; r++) {
                    Figure[] f = round(cache, buf, fileMib, r);
                    writes[r] = f[0];
                    reads[r] = f[1];
                    drops[r] = f[2];
                }
                print("median write", median(writes));
                print("median read ", median(reads));
                System.out.printf("median reclaim %6.1f CPU-ns/page%n", median(drops).reqCpuMsPerMib() * 1e6);
                System.out.print(cache.stats().render());
            } finally {
                IO.freeMemory(buf);
            }
        }
    }

    private static Figure[] round(PageCache cache, long buf, long mib, int r) throws IOException {
        NullDevice dev = new NullDevice();
        AddressSpace w = cache.newAddressSpace(dev, "write-" + r);
        long bytes = mib << 20;
        Figure write = measure(mib, () -> {
            for (long pos = 0; pos < bytes; pos += CHUNK) {
                w.write(pos, buf, CHUNK, pos);
            }
            cache.syncAll();
        });
        AddressSpace rd = cache.newAddressSpace(dev, "read-" + r);
        long[] check = new long[1];
        Figure read = measure(mib, () -> {
            for (long pos = 0; pos < bytes; pos += CHUNK) {
                if (rd.read(pos, buf, CHUNK, bytes) != CHUNK) {
                    throw new IllegalStateException("short read at " + pos);
                }
                check[0] += IO.getLong(buf);
            }
        });
        long want = (bytes / CHUNK) * ((bytes / CHUNK - 1) * (CHUNK / Page.SIZE)) / 2;
        if (check[0] != want) {
            throw new IllegalStateException("read back " + check[0] + ", want " + want);
        }
        // Reclaim alone: every clean page of the core, as drop_caches does (the next round
        // starts from an empty core).
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long c0 = threads.getCurrentThreadCpuTime();
        long dropped = cache.dropCaches();
        double dropNs = (threads.getCurrentThreadCpuTime() - c0) / (double) Math.max(1, dropped);
        w.truncateRange(0, Long.MAX_VALUE, false);
        rd.truncateRange(0, Long.MAX_VALUE, false);
        if (r >= 0) {
            PageCacheStats st = cache.stats();
            System.out.printf("round %d: ", r);
            print("write", write);
            System.out.printf("         ");
            print("read ", read);
            System.out.printf("         reclaim %6.1f CPU-ns/page (drop_caches of %d pages)"
                    + " (pgsteal %d, written back %d, throttled %d)%n",
                    dropNs, dropped, st.reclaimed(), st.writtenBack(), st.throttled());
        }
        return new Figure[] {write, read, new Figure(0, dropNs / 1e6, dropNs / 1e6)};
    }

    private interface Phase {
        void run() throws IOException;
    }

    private static Figure measure(long mib, Phase phase) throws IOException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpu0 = processCpuNanos();
        long req0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        phase.run();
        long t = System.nanoTime() - t0;
        long req = threads.getCurrentThreadCpuTime() - req0;
        long cpu = processCpuNanos() - cpu0;
        return new Figure(mib * 1e9 / t, cpu / 1e6 / mib, req / 1e6 / mib);
    }

    private static Figure median(Figure[] fs) {
        double[] a = Arrays.stream(fs).mapToDouble(Figure::mibPerSec).sorted().toArray();
        double[] b = Arrays.stream(fs).mapToDouble(Figure::cpuMsPerMib).sorted().toArray();
        double[] c = Arrays.stream(fs).mapToDouble(Figure::reqCpuMsPerMib).sorted().toArray();
        return new Figure(a[a.length / 2], b[b.length / 2], c[c.length / 2]);
    }

    private static void print(String what, Figure f) {
        System.out.printf("%s %8.1f MiB/s  %6.3f CPU-ms/MiB (process)  %6.3f CPU-ms/MiB (request thread)%n",
                what, f.mibPerSec(), f.cpuMsPerMib(), f.reqCpuMsPerMib());
    }
}
