package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/**
 * Several threads writing and reading two files, with a small memory so that reclaim and
 * writeback run all the time. Each page of a file belongs to one writer thread (by index), but all
 * writers share each file, under the file's inode lock as the filesystem will hold it. A page
 * only ever holds bytes "owner << 4 | version", so a reader can check any byte it sees.
 */
class ConcurrencyTest {
    static final int WRITERS = 4;
    static final int READERS = 2;
    static final int FILE_PAGES = 2048; // 8 MiB per file, two files, 8 MiB memory

    static final class File {
        final TestStore store = new TestStore();
        final AddressSpace as;
        final ReentrantLock inodeLock = new ReentrantLock();
        volatile long size;

        File(PageCache cache, String name) {
            as = cache.newAddressSpace(store, name);
        }
    }

    @Test
    void writersAndReadersOnSharedFilesUnderMemoryPressure() throws Exception {
        long seed = 77;
        PageCacheConfig cfg = PageCacheConfig.builder().dirtyExpire(Duration.ofMillis(5))
                .workerIdle(Duration.ofMillis(100)).writebackBatch(16).build();
        try (Fixture f = new Fixture(8L << 20, cfg)) {
            File[] files = {new File(f.cache, "a"), new File(f.cache, "b")};
            // versions[file][page]: the last version the owner wrote.
            int[][] versions = new int[2][FILE_PAGES];
            byte[][] models = new byte[2][FILE_PAGES * Page.SIZE];
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            AtomicLong readsChecked = new AtomicLong();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int owner = w;
                threads.add(new Thread(() -> {
                    Random rnd = new Random(seed + owner);
                    byte[] buf = new byte[Page.SIZE];
                    try {
                        for (int step = 0; step < 3000; step++) {
                            int fi = rnd.nextInt(2);
                            File file = files[fi];
                            // A page owned by this writer; sometimes a write of a part of it only.
                            int page = rnd.nextInt(FILE_PAGES / WRITERS) * WRITERS + owner;
                            int ver = versions[fi][page] % 15 + 1;
                            file.inodeLock.lock();
                            try {
                                // A partial write of a page somebody wrote before; else the whole page.
                                int off = versions[fi][page] != 0 && rnd.nextBoolean() ? rnd.nextInt(Page.SIZE) : 0;
                                int len = Page.SIZE - off;
                                long pos = (long) page * Page.SIZE + off;
                                java.util.Arrays.fill(buf, 0, len, (byte) (owner << 4 | ver));
                                file.as.write(pos, buf, 0, len, file.size);
                                System.arraycopy(buf, 0, models[fi], (int) pos, len);
                                file.size = Math.max(file.size, pos + len);
                                versions[fi][page] = ver;
                            } finally {
                                file.inodeLock.unlock();
                            }
                            if (step % 500 == 0) {
                                file.as.writeAndWait(0, Long.MAX_VALUE);
                            }
                        }
                    } catch (Throwable t) {
                        errors.add("writer " + owner + " seed " + seed + ": " + t);
                    }
                }));
            }
            for (int r = 0; r < READERS; r++) {
                int reader = r;
                threads.add(new Thread(() -> {
                    Random rnd = new Random(seed * 31 + reader);
                    byte[] buf = new byte[64 << 10];
                    try {
                        while (!stop.get()) {
                            File file = files[rnd.nextInt(2)];
                            long size = file.size;
                            if (size == 0) {
                                continue;
                            }
                            long pos = rnd.nextLong(size);
                            int n = file.as.read(pos, buf, 0, 1 + rnd.nextInt(buf.length), size);
                            for (int i = 0; i < n; i++) {
                                int owner = (int) (((pos + i) >>> Page.SHIFT) % WRITERS);
                                int b = buf[i] & 0xFF;
                                // Zero: a page nobody wrote yet (a hole below the size).
                                if (b != 0 && (b >>> 4) != owner) {
                                    errors.add("reader " + reader + " seed " + seed + ": byte at " + (pos + i)
                                            + " is " + b + ", owner " + owner);
                                    return;
                                }
                            }
                            readsChecked.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        errors.add("reader " + reader + " seed " + seed + ": " + t);
                    }
                }));
            }
            for (Thread t : threads) {
                t.start();
            }
            for (int w = 0; w < WRITERS; w++) {
                threads.get(w).join(120_000);
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
                assertTrue(!t.isAlive(), "thread stuck: " + t);
            }
            assertTrue(errors.isEmpty(), String.join("\n", errors));
            assertTrue(readsChecked.get() > 0);
            f.cache.syncAll();
            byte[] page = new byte[Page.SIZE];
            for (int fi = 0; fi < 2; fi++) {
                File file = files[fi];
                for (int p = 0; p < FILE_PAGES; p++) {
                    if ((long) p * Page.SIZE >= file.size) {
                        break;
                    }
                    int n = file.as.read((long) p * Page.SIZE, page, 0, Page.SIZE, file.size);
                    byte[] dev = file.store.deviceBytes((long) p * Page.SIZE, n);
                    for (int i = 0; i < n; i++) {
                        int want = models[fi][p * Page.SIZE + i] & 0xFF;
                        assertEquals(want, page[i] & 0xFF, "seed " + seed + " file " + fi + " page " + p + " byte " + i);
                        assertEquals(want, dev[i] & 0xFF, "device: seed " + seed + " file " + fi + " page " + p + " byte " + i);
                    }
                }
            }
            PageCacheStats st = f.cache.stats();
            System.out.println("concurrency: " + readsChecked.get() + " reads checked\n" + st.render());
            assertEquals(0, st.dirty());
        }
    }

}
