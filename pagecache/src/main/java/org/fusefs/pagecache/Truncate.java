package org.fusefs.pagecache;

import java.io.IOException;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * Taking pages out of an address space by range ({@code mm/truncate.c}), in three strengths:
 * {@link #truncateRange} must remove (waits for locks and writeback, drops dirty data),
 * {@link #invalidateAndUnmap} writes dirty pages back and then removes (for direct I/O), and
 * {@link #invalidateClean} drops only what is idle and never sleeps.
 *
 * <p>Locks: one page lock at a time, taken with no tree lock held; unmappers are called before
 * any page lock is taken. The pages removed from one gathered batch go back to the allocator
 * together after their locks are dropped ({@code release_pages} of a folio batch).
 */
final class Truncate {
    private static final int BATCH = 64;

    private Truncate() {
    }

    /** Byte range {@code [start, end]}: drop whole pages, zero the partial edges. */
    static void truncateRange(AddressSpace as, long start, long end) {
        long startIdx = start >>> Page.SHIFT;
        long endIdx = end >>> Page.SHIFT;
        int startOff = (int) start & (Page.SIZE - 1);
        int endOff = (int) end & (Page.SIZE - 1);
        long firstWhole = startOff == 0 ? startIdx : startIdx + 1;
        long lastWhole = endOff == Page.SIZE - 1 ? endIdx : endIdx - 1;
        if (startIdx == endIdx && (startOff != 0 || endOff != Page.SIZE - 1)) {
            zeroPartial(as, startIdx, startOff, endOff - startOff + 1);
            return;
        }
        if (startOff != 0) {
            zeroPartial(as, startIdx, startOff, Page.SIZE - startOff);
        }
        if (endOff != Page.SIZE - 1) {
            zeroPartial(as, endIdx, 0, endOff + 1);
        }
        if (firstWhole > lastWhole) {
            return;
        }
        as.rmap.unmap(as, firstWhole, lastWhole);
        removeRange(as, firstWhole, lastWhole, false);
    }

    /**
     * Removes every page of {@code [first, last]}, each under its lock once its writeback ended.
     * With {@code keepRedirtied}, a page dirty again (through a mapping, since the caller wrote the
     * range back) stays and is counted. Returns the pages left.
     */
    private static long removeRange(AddressSpace as, long first, long last, boolean keepRedirtied) {
        Page[] pages = new Page[BATCH];
        long[] idx = new long[BATCH];
        Page[] removed = new Page[BATCH];
        long busy = 0;
        long cursor = first;
        for (;;) {
            int n = as.tree.gather(cursor, last, pages, idx);
            if (n == 0) {
                return busy;
            }
            int k = 0;
            try {
                for (int i = 0; i < n; i++) {
                    Page p = as.findLockPage(idx[i]);
                    if (p == null) {
                        continue;
                    }
                    PageWait.waitOnWriteback(p);
                    if (keepRedirtied && p.test(PageFlag.DIRTY)) {
                        PageWait.unlock(p);
                        busy++;
                        continue;
                    }
                    as.removeLockedPage(p);
                    PageWait.unlock(p);
                    removed[k++] = p;
                }
            } finally {
                as.cache().freePages(removed, k);
            }
            if (idx[n - 1] >= last) {
                return busy;
            }
            cursor = idx[n - 1] + 1;
        }
    }

    private static void zeroPartial(AddressSpace as, long index, int off, int len) {
        Page p = as.findLockPage(index);
        if (p == null) {
            return;
        }
        try {
            PageWait.waitOnWriteback(p);
            if (p.test(PageFlag.UPTODATE)) {
                p.zero(off, len);
            }
        } finally {
            PageWait.unlock(p);
        }
    }

    static long invalidateClean(AddressSpace as, long start, long end) {
        long first = (start + Page.SIZE - 1) >>> Page.SHIFT;
        long last = end == Long.MAX_VALUE ? Long.MAX_VALUE >>> Page.SHIFT : ((end + 1) >>> Page.SHIFT) - 1;
        if (first > last) {
            return 0;
        }
        Page[] pages = new Page[BATCH];
        long[] idx = new long[BATCH];
        Page[] removed = new Page[BATCH];
        long dropped = 0;
        long cursor = first;
        for (;;) {
            int n = as.tree.gather(cursor, last, pages, idx);
            if (n == 0) {
                return dropped;
            }
            int k = 0;
            try {
                for (int i = 0; i < n; i++) {
                    Page p;
                    synchronized (as.tree) {
                        p = as.tree.get(idx[i]);
                        if (p == null || !PageWait.trylock(p)) {
                            continue;
                        }
                    }
                    if (p.test(PageFlag.DIRTY) || p.test(PageFlag.WRITEBACK) || p.test(PageFlag.MAPPED)) {
                        PageWait.unlock(p);
                        continue;
                    }
                    as.removeLockedPage(p);
                    PageWait.unlock(p);
                    removed[k++] = p;
                }
            } finally {
                as.cache().freePages(removed, k);
            }
            dropped += k;
            if (idx[n - 1] >= last) {
                return dropped;
            }
            cursor = idx[n - 1] + 1;
        }
    }

    /** Every page overlapping {@code [start, end]}: write back, unmap, drop; returns pages left. */
    static long invalidateAndUnmap(AddressSpace as, long start, long end) throws IOException {
        long first = start >>> Page.SHIFT;
        long last = end >>> Page.SHIFT;
        as.writeAndWait(start, end);
        as.rmap.unmap(as, first, last);
        // A page dirtied again since the write-back above is left: EBUSY for the caller.
        return removeRange(as, first, last, true);
    }
}
