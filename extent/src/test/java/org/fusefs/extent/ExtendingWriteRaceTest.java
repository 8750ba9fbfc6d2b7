package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/**
 * An extending buffered write sets the file size after it has copied into the page cache, so
 * background writeback can meet its freshly dirtied pages past the size. Those pages must be
 * written, not cleaned as pages past the end of file: before {@link Inode#writeEnd} a 48 MiB copy
 * through the FUSE mount with a 32 MiB page cache read back runs of zero pages in 10 of 12 tries
 * (the pages were reclaimed clean, then read from holes).
 */
class ExtendingWriteRaceTest {
    private static final int CHUNK = 128 * 1024;

    @Test
    void pagesDirtiedPastTheOldSizeReachTheDevice() throws Exception {
        long seed = 41;
        // The RAM disk takes its pages from the same memory: room for all of it and the cache
        // (blocks freed by an unlink wait for the next checkpoint, so each round uses new ones).
        try (FsFixture fx = FsFixture.ram(128L << 20, 192L << 20)) {
            ExtentFs fs = fx.fs;
            byte[] data = new byte[24 << 20];
            new Random(seed).nextBytes(data);
            byte[] back = new byte[CHUNK];
            for (int round = 0; round < 3; round++) {
                OpenFile f = fs.create(Vfs.ROOT_INO, "f" + round, 0644,
                        OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
                // A flusher writes back without the inode lock, as the background workers do,
                // over and over while the file grows: it keeps landing between a chunk's copy and
                // the size update that follows it.
                AddressSpace as = fs.mapping(f.ino());
                AtomicBoolean done = new AtomicBoolean();
                AtomicReference<Throwable> failed = new AtomicReference<>();
                Thread flusher = new Thread(() -> {
                    try {
                        while (!done.get()) {
                            as.writeAndWait(0, Long.MAX_VALUE);
                        }
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                }, "flusher");
                flusher.start();
                try {
                    for (int off = 0; off < data.length; off += CHUNK) {
                        assertEquals(CHUNK, fs.write(f, off, data, off, CHUNK));
                    }
                } finally {
                    done.set(true);
                    flusher.join();
                }
                if (failed.get() != null) {
                    throw new AssertionError("flusher failed", failed.get());
                }
                fx.cache.dropCaches();
                for (int off = 0; off < data.length; off += CHUNK) {
                    assertEquals(CHUNK, fs.read(f, off, back, 0, CHUNK));
                    for (int k = 0; k < CHUNK; k++) {
                        if (back[k] != data[off + k]) {
                            throw new AssertionError("round " + round + ": byte " + (off + k) + " (page "
                                    + ((off + k) >> 12) + ") reads " + back[k] + ", wrote " + data[off + k]
                                    + " (seed " + seed + ")");
                        }
                    }
                }
                fs.release(f);
                fs.unlink(Vfs.ROOT_INO, "f" + round);
            }
        }
    }
}
