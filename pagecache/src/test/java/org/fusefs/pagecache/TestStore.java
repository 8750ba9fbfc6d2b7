package org.fusefs.pagecache;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.fusefs.memory.page.Page;

/**
 * A file laid over a sparse in-heap "device" of 4 KiB blocks, for tests: the owner of the data
 * behind an address space, with injectable errors and counters.
 */
final class TestStore implements AddressSpaceOperations {
    final ConcurrentHashMap<Long, byte[]> blocks = new ConcurrentHashMap<>();
    final AtomicInteger failWrites = new AtomicInteger();
    final AtomicInteger failReads = new AtomicInteger();
    final AtomicLong pagesWritten = new AtomicLong();
    final AtomicLong pagesRead = new AtomicLong();
    final AtomicLong writeCalls = new AtomicLong();
    final ConcurrentHashMap<Long, Integer> writesPerIndex = new ConcurrentHashMap<>();
    volatile CountDownLatch writeGate;
    volatile long writeDelayMillis;
    /**
     * The file size the owner knows, or -1: when set, readPage zeroes bytes past it, as the
     * AddressSpaceOperations contract asks (ext4 does the same in its read path). A filesystem
     * sets the smaller size before it truncates the page cache (truncate_setsize).
     */
    volatile long size = -1;
    volatile CountDownLatch writeEntered;
    final AtomicLong readPagesCalls = new AtomicLong();
    final AtomicLong pagesInBatches = new AtomicLong();
    final AtomicInteger maxBatch = new AtomicInteger();

    /** Fills blocks 0..pages-1 with bytes from {@code seed}; returns them as one array. */
    byte[] fillRandom(int pages, long seed) {
        byte[] all = new byte[pages * Page.SIZE];
        new java.util.Random(seed).nextBytes(all);
        for (int i = 0; i < pages; i++) {
            blocks.put((long) i, java.util.Arrays.copyOfRange(all, i * Page.SIZE, (i + 1) * Page.SIZE));
        }
        return all;
    }

    @Override
    public void readPages(AddressSpace mapping, List<Page> pages) throws IOException {
        readPagesCalls.incrementAndGet();
        pagesInBatches.addAndGet(pages.size());
        maxBatch.accumulateAndGet(pages.size(), Math::max);
        long prev = -1;
        for (Page p : pages) {
            if (p.index() <= prev || !p.test(org.fusefs.memory.page.PageFlag.LOCKED)
                    || p.test(org.fusefs.memory.page.PageFlag.UPTODATE)) {
                throw new IllegalStateException("readPages batch not sorted, unlocked or uptodate at " + p);
            }
            prev = p.index();
        }
        AddressSpaceOperations.super.readPages(mapping, pages);
    }

    @Override
    public void readPage(AddressSpace mapping, Page page) throws IOException {
        if (failReads.get() > 0 && failReads.getAndDecrement() > 0) {
            throw new IOException("injected read error at page " + page.index());
        }
        byte[] b = blocks.get(page.index());
        if (b == null) {
            page.zero(0, Page.SIZE);
        } else {
            page.copyFrom(b, 0, 0, Page.SIZE);
        }
        long sz = size;
        long pageStart = page.index() << Page.SHIFT;
        if (sz >= 0 && sz < pageStart + Page.SIZE) {
            int from = (int) Math.max(0, sz - pageStart);
            page.zero(from, Page.SIZE - from);
        }
        pagesRead.incrementAndGet();
    }

    @Override
    public void writePages(AddressSpace mapping, List<Page> pages) throws IOException {
        CountDownLatch entered = writeEntered;
        if (entered != null) {
            entered.countDown();
        }
        CountDownLatch gate = writeGate;
        if (gate != null) {
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }
        if (writeDelayMillis > 0) {
            try {
                Thread.sleep(writeDelayMillis);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }
        writeCalls.incrementAndGet();
        if (failWrites.get() > 0 && failWrites.getAndDecrement() > 0) {
            throw new IOException("injected write error at page " + pages.get(0).index());
        }
        long prev = -1;
        for (Page p : pages) {
            if (p.index() <= prev) {
                throw new IllegalStateException("writePages not sorted: " + prev + " then " + p.index());
            }
            prev = p.index();
            byte[] b = new byte[Page.SIZE];
            p.copyTo(0, b, 0, Page.SIZE);
            blocks.put(p.index(), b);
            writesPerIndex.merge(p.index(), 1, Integer::sum);
        }
        pagesWritten.addAndGet(pages.size());
    }

    @Override
    public long directIO(AddressSpace mapping, DioArgs args) throws IOException {
        long pos = args.offset();
        int pi = 0;
        int po = args.firstPageOffset();
        long left = args.length();
        while (left > 0) {
            int n = (int) Math.min(left, Math.min(Page.SIZE - po, Page.SIZE - (pos & (Page.SIZE - 1))));
            long blk = pos >>> Page.SHIFT;
            int bo = (int) (pos & (Page.SIZE - 1));
            Page p = args.pages()[pi];
            if (args.rw() == DioArgs.Rw.READ) {
                byte[] b = blocks.get(blk);
                if (b == null) {
                    p.zero(po, n);
                } else {
                    p.copyFrom(b, bo, po, n);
                }
            } else {
                byte[] b = blocks.computeIfAbsent(blk, k -> new byte[Page.SIZE]);
                synchronized (b) {
                    p.copyTo(po, b, bo, n);
                }
            }
            pos += n;
            left -= n;
            po += n;
            if (po == Page.SIZE) {
                po = 0;
                pi++;
            }
        }
        return args.length();
    }

    byte[] deviceBytes(long pos, int len) {
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            byte[] b = blocks.get((pos + i) >>> Page.SHIFT);
            out[i] = b == null ? 0 : b[(int) ((pos + i) & (Page.SIZE - 1))];
        }
        return out;
    }
}
