package org.fusefs.block;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fusefs.block.brd.RamDisk;
import org.fusefs.block.loop.ImageFileDevice;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;

/**
 * Throughput of the block devices: sequential 128 KiB bios and random 4 KiB bios, with a queue
 * depth's worth of requests in flight. A program, not a test:
 * {@code java -cp ... org.fusefs.block.BlockBench [MiB]}.
 */
public final class BlockBench {
    private static final int INFLIGHT = 32;

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 512;
        long cap = mib << 20;
        try (PhysicalMemory memory = PhysicalMemory.create(MemoryConfig.builder().bytes(cap + (64L << 20)).build())) {
            Page[] pages = new Page[32 * INFLIGHT];
            for (int i = 0; i < pages.length; i++) {
                pages[i] = memory.allocPage(MigrateType.UNMOVABLE);
            }
            try (RamDisk ram = new RamDisk("ram0", cap, memory)) {
                run(ram, pages, cap);
            }
            Path dir = Files.createTempDirectory("blockbench");
            try {
                for (boolean direct : new boolean[] {false, true}) {
                    Path img = dir.resolve("bench.img");
                    try (ImageFileDevice dev = ImageFileDevice.create(img,
                            ImageFileDevice.Options.defaults().withCapacity(cap).withDirectIO(direct))) {
                        run(dev, pages, cap);
                    }
                    Files.delete(img);
                }
            } finally {
                Files.deleteIfExists(dir.resolve("bench.img"));
                Files.delete(dir);
            }
            for (Page p : pages) {
                memory.freePages(p);
            }
        }
    }

    private static void run(BlockDevice dev, Page[] pages, long cap) throws Exception {
        seq(dev, ReqOp.WRITE, pages, cap);
        seq(dev, ReqOp.READ, pages, cap);
        rand(dev, ReqOp.WRITE, pages, cap, 50_000);
        rand(dev, ReqOp.READ, pages, cap, 50_000);
    }

    private static void seq(BlockDevice dev, ReqOp op, Page[] pages, long cap) throws Exception {
        long t0 = System.nanoTime();
        List<Bio> window = new ArrayList<>();
        int slot = 0;
        for (long pos = 0; pos < cap; pos += 32 * Page.SIZE) {
            List<BioVec> vecs = new ArrayList<>(32);
            for (int i = 0; i < 32; i++) {
                vecs.add(new BioVec(pages[slot * 32 + i], 0, Page.SIZE));
            }
            slot = (slot + 1) % INFLIGHT;
            window.add(submit(dev, Bio.of(op, pos / 512, vecs)));
            drain(window, INFLIGHT);
        }
        drain(window, 0);
        flushAndReport(dev, "seq 128k " + op, cap, t0, cap / (32 * Page.SIZE));
    }

    private static void rand(BlockDevice dev, ReqOp op, Page[] pages, long cap, int n) throws Exception {
        Random r = new Random(5);
        long t0 = System.nanoTime();
        List<Bio> window = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long page = r.nextLong(cap / Page.SIZE);
            window.add(submit(dev, Bio.of(op, page * 8, List.of(new BioVec(pages[i % pages.length], 0, Page.SIZE)))));
            drain(window, INFLIGHT);
        }
        drain(window, 0);
        flushAndReport(dev, "rand 4k " + op, (long) n * Page.SIZE, t0, n);
    }

    private static Bio submit(BlockDevice dev, Bio bio) {
        dev.submit(bio);
        return bio;
    }

    private static void drain(List<Bio> window, int keep) throws Exception {
        while (window.size() > keep) {
            window.remove(0).await();
        }
    }

    private static void flushAndReport(BlockDevice dev, String what, long bytes, long t0, long ios) throws Exception {
        new Bio(ReqOp.FLUSH, 0, List.of(), 0, null).submitAndWait(dev);
        double s = (System.nanoTime() - t0) / 1e9;
        String label = dev instanceof ImageFileDevice img ? (img.directIO() ? "image O_DIRECT" : "image buffered")
                : dev.name();
        System.out.printf("%-16s %-16s %8.1f MiB/s %9.0f IOPS%n", label,
                what, bytes / s / (1 << 20), ios / s);
    }
}
