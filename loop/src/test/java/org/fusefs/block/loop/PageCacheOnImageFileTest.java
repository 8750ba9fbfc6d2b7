package org.fusefs.block.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.fusefs.block.BlockIo;
import org.fusefs.block.DeviceRangeFile;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.DioArgs;
import org.fusefs.pagecache.PageCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3's integration test: four times the memory core's size written through the page cache to
 * an image-file device, with used frames under the limit throughout, read back identical.
 */
class PageCacheOnImageFileTest {
    private static final long MIB = 1 << 20;
    private static final long MEMORY = 64 * MIB;
    private static final long FILE = 4 * MEMORY;
    private static final int CHUNK = (int) MIB;
    private static final long SEED = 20261121L;

    @TempDir
    Path dir;

    @Test
    void fourTimesMemoryThroughThePageCacheReadsBackTheSame() throws Exception {
        try (PhysicalMemory memory = PhysicalMemory.create(MemoryConfig.builder().bytes(MEMORY).build());
                ImageFileDevice dev = ImageFileDevice.create(dir.resolve("pc.img"),
                        ImageFileDevice.Options.defaults().withCapacity(FILE + MIB));
                PageCache cache = new PageCache(memory)) {
            long total = memory.totalPages();
            AtomicLong maxUsed = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Thread sampler = new Thread(() -> {
                while (!stop.get()) {
                    maxUsed.accumulateAndGet(total - memory.nrFreePages(), Math::max);
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
            }, "used-frames-sampler");
            sampler.setDaemon(true);
            sampler.start();

            DeviceRangeFile file = new DeviceRangeFile(dev, MIB, FILE);
            AddressSpace as = cache.newAddressSpace(file, "pc.img+1MiB");
            MessageDigest written = MessageDigest.getInstance("SHA-256");
            Random r = new Random(SEED);
            byte[] buf = new byte[CHUNK];
            for (long pos = 0; pos < FILE; pos += CHUNK) {
                r.nextBytes(buf);
                written.update(buf);
                int n = as.write(pos, buf, 0, CHUNK, pos);
                assertEquals(CHUNK, n, "seed " + SEED + ": short write at " + pos);
                maxUsed.accumulateAndGet(total - memory.nrFreePages(), Math::max);
            }
            as.writeAndWait(0, FILE - 1);

            MessageDigest cached = MessageDigest.getInstance("SHA-256");
            for (long pos = 0; pos < FILE; pos += CHUNK) {
                int n = as.read(pos, buf, 0, CHUNK, FILE);
                assertEquals(CHUNK, n, "seed " + SEED + ": short read at " + pos);
                cached.update(buf);
            }
            stop.set(true);
            sampler.join();

            // And the device itself holds the same bytes, read around the page cache.
            MessageDigest onDevice = MessageDigest.getInstance("SHA-256");
            BlockIo io = new BlockIo(dev, memory);
            for (long pos = 0; pos < FILE; pos += CHUNK) {
                io.read(MIB + pos, buf, 0, CHUNK);
                onDevice.update(buf);
            }

            byte[] want = written.digest();
            assertArrayEquals(want, cached.digest(), "seed " + SEED + ": read back through the page cache");
            assertArrayEquals(want, onDevice.digest(), "seed " + SEED + ": read from the image file device");
            System.out.printf("wrote %d MiB through %d MiB of memory; max used frames %d of %d%n",
                    FILE / MIB, MEMORY / MIB, maxUsed.get(), total);
            assertTrue(maxUsed.get() < total, "used frames reached the limit: " + maxUsed.get() + " of " + total);
        }
    }

    @Test
    void directIoThroughTheAddressSpaceBypassesAndStaysCoherent() throws Exception {
        try (PhysicalMemory memory = PhysicalMemory.create(MemoryConfig.builder().bytes(MEMORY).build());
                ImageFileDevice dev = ImageFileDevice.create(dir.resolve("dio.img"),
                        ImageFileDevice.Options.defaults().withCapacity(16 * MIB).withDirectIO(true));
                PageCache cache = new PageCache(memory)) {
            AddressSpace as = cache.newAddressSpace(new DeviceRangeFile(dev, 0, 16 * MIB), "dio.img");
            byte[] old = new byte[(int) MIB];
            new Random(SEED + 1).nextBytes(old);
            as.write(2 * MIB, old, 0, old.length, 16 * MIB);
            as.read(2 * MIB, new byte[4096], 0, 4096, 16 * MIB); // cached and dirty before the direct write

            byte[] data = new byte[64 * 4096 - 1024];
            new Random(SEED + 2).nextBytes(data);
            Page[] pages = new Page[64];
            try {
                for (int i = 0; i < pages.length; i++) {
                    pages[i] = memory.allocPage(MigrateType.UNMOVABLE);
                }
                put(pages, 512, data);
                long n = as.directIO(new DioArgs(DioArgs.Rw.WRITE, pages, 512, data.length, 2 * MIB + 4096));
                assertEquals(data.length, n);

                byte[] want = old.clone();
                System.arraycopy(data, 0, want, 4096, data.length);
                byte[] got = new byte[old.length];
                as.read(2 * MIB, got, 0, got.length, 16 * MIB);
                assertArrayEquals(want, got, "seed " + SEED + ": buffered read after a direct write");

                for (Page p : pages) {
                    p.zero(0, Page.SIZE);
                }
                long r = as.directIO(new DioArgs(DioArgs.Rw.READ, pages, 512, data.length, 2 * MIB + 4096));
                assertEquals(data.length, r);
                assertArrayEquals(data, get(pages, 512, data.length), "seed " + SEED + ": direct read back");
            } finally {
                for (Page p : pages) {
                    if (p != null) {
                        memory.freePages(p);
                    }
                }
            }
        }
    }

    private static void put(Page[] pages, int off, byte[] data) {
        int done = 0;
        for (int i = 0; done < data.length; i++) {
            int n = Math.min(data.length - done, Page.SIZE - off);
            pages[i].copyFrom(data, done, off, n);
            done += n;
            off = 0;
        }
    }

    private static byte[] get(Page[] pages, int off, int len) {
        byte[] out = new byte[len];
        int done = 0;
        for (int i = 0; done < len; i++) {
            int n = Math.min(len - done, Page.SIZE - off);
            pages[i].copyTo(off, out, done, n);
            done += n;
            off = 0;
        }
        return out;
    }
}
