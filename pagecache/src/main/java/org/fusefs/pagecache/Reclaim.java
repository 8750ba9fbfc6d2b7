package org.fusefs.pagecache;

import java.util.Arrays;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.Shrinker;
import org.fusefs.memory.buddy.BuddyAllocator;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * Reclaim of clean page-cache pages ({@code shrink_folio_list} of {@code mm/vmscan.c}); also the
 * page cache's {@link Shrinker} for the memory core.
 *
 * <p>A page is reclaimed only when it is clean, not under writeback, not mapped and its lock can
 * be taken without waiting; a page read since it was last scanned gets a second chance (see
 * {@link PageCache#markAccessed}). Dirty
 * pages stay on the LRU for writeback to clean (the allocation path in {@link PageCache} starts
 * that writeback when reclaim finds nothing). Never sleeps, so the allocator may call it with
 * its own caller's locks held.
 *
 * <p>For a request of order above 0 the shrinker first looks for aligned blocks whose every
 * frame is free or a reclaimable cache page and frees those pages, so that the buddy allocator
 * can merge a whole block (the idea of the kernel's old "lumpy reclaim"); LRU order follows.
 */
final class Reclaim implements Shrinker {
    private static final int BATCH = 32;
    // A page with any of these cannot be reclaimed now.
    private static final int BUSY = PageFlag.DIRTY.mask() | PageFlag.WRITEBACK.mask() | PageFlag.MAPPED.mask()
            | PageFlag.HWPOISON.mask();
    // Blocks looked at per call at most: a failing high-order allocation calls again and again.
    private static final long MAX_BLOCKS_PER_SCAN = 1024;

    private final PageCache cache;
    // protected by this: where the next block scan starts, so successive scans spread out
    private long blockCursor;

    Reclaim(PageCache cache) {
        this.cache = cache;
    }

    @Override
    public long shrink(long nrPages, int order) {
        long freed = order > 0 ? reclaimBlocks(nrPages, order) : 0;
        freed += freed < nrPages ? reclaim(nrPages - freed) : 0;
        if (freed < nrPages && cache.nrDirtyPages() > 0) {
            // Dirty pages cannot be freed now; have them written so that they can be soon.
            cache.writeback.wakeForReclaim();
        }
        return freed;
    }

    /**
     * Frees up to {@code nrPages} clean pages in LRU order; returns how many were freed. Works a
     * batch at a time ({@code shrink_folio_list}): one LRU-lock acquisition isolates up to
     * {@value #BATCH} pages, and each run of them from one address space is checked, locked and
     * taken out of its tree under one tree-lock acquisition; the frames go back to the allocator
     * after the locks are dropped, as one batch ({@code free_unref_folios}).
     */
    long reclaim(long nrPages) {
        Page[] batch = new Page[BATCH];
        Page[] freeList = new Page[BATCH];
        // The address space each candidate was in when looked at: a page may leave meanwhile.
        AddressSpace[] owners = new AddressSpace[BATCH];
        long freed = 0;
        // Scan in proportion to the request (as the kernel's scan priority does), and each page
        // about twice at most: once to clear PG_referenced, once to free. A list full of dirty
        // pages must not be walked whole for every page an allocation needs.
        long budget = Math.min(2 * cache.lru.size() + BATCH, Math.max(nrPages > (1L << 40) ? nrPages : 8 * nrPages, 256));
        while (freed < nrPages && budget > 0) {
            int n = cache.lru.isolate(batch, (int) Math.min(BATCH, budget));
            if (n == 0) {
                break;
            }
            budget -= n;
            // Second chances first, so that the runs below hold only candidates.
            int c = 0;
            for (int i = 0; i < n; i++) {
                Page p = batch[i];
                batch[i] = null;
                if (!(p.mapping() instanceof AddressSpace as) || as.cache() != cache) {
                    continue;
                }
                if (freed + c >= nrPages || cache.testAndClearAccessed(p)) {
                    as.putbackLru(p);
                } else {
                    owners[c] = as;
                    batch[c++] = p;
                }
            }
            int k = 0;
            for (int i = 0; i < c; ) {
                AddressSpace as = owners[i];
                int j = i + 1;
                while (j < c && owners[j] == as) {
                    j++;
                }
                k = removeRun(as, batch, i, j, freeList, k);
                i = j;
            }
            Arrays.fill(batch, 0, c, null);
            Arrays.fill(owners, 0, c, null);
            for (int i = 0; i < k; i++) {
                PageWait.unlock(freeList[i]);
            }
            if (k > 0) {
                cache.pagesRemoved(k);
                cache.freePages(freeList, k);
            }
            freed += k;
        }
        if (freed > 0) {
            cache.reclaimed.addAndGet(freed);
        }
        return freed;
    }

    /**
     * Under one tree-lock acquisition, takes the pages {@code run[from..to)} of {@code as} out of
     * its tree if each is still there, clean, unmapped, not under writeback and its lock free;
     * the removed pages go, locked, to {@code out} from {@code k}; the others go back on the LRU.
     * Returns the new end of {@code out}.
     */
    private int removeRun(AddressSpace as, Page[] run, int from, int to, Page[] out, int k) {
        synchronized (as.tree) {
            for (int i = from; i < to; i++) {
                Page p = run[i];
                if (p.mapping() != as || as.tree.get(p.index()) != p) {
                    continue; // left the cache meanwhile: not ours to put back
                }
                if ((p.flags() & BUSY) != 0 || !PageWait.trylock(p)) {
                    as.putbackLruLocked(p);
                    continue;
                }
                // Flags again under the page lock: dirtying and writeback need it.
                if ((p.flags() & BUSY) != 0) {
                    PageWait.unlock(p);
                    as.putbackLruLocked(p);
                    continue;
                }
                as.removeCleanLocked(p);
                out[k++] = p;
            }
        }
        return k;
    }

    /**
     * Frees the cache pages of aligned {@code 2^order} blocks that would then be wholly free;
     * scans each block of memory at most once per call. Returns pages freed.
     */
    long reclaimBlocks(long nrPages, int order) {
        PhysicalMemory memory = cache.memory();
        BuddyAllocator allocator = memory.allocator();
        long total = memory.totalPages();
        int size = 1 << order;
        long blocks = total >> order;
        if (blocks == 0) {
            return 0;
        }
        long start;
        synchronized (this) {
            start = blockCursor % blocks;
        }
        long freed = 0;
        Page[] candidates = new Page[size];
        long scan = Math.min(blocks, MAX_BLOCKS_PER_SCAN);
        long b = 0;
        for (; b < scan && freed < nrPages; b++) {
            long base = ((start + b) % blocks) << order;
            int n = 0;
            boolean usable = true;
            for (int i = 0; i < size && usable; i++) {
                BuddyAllocator.FrameState fs = allocator.classify((int) (base + i));
                switch (fs.kind()) {
                    case FREE, IN_FLIGHT -> { }
                    case ALLOCATED -> {
                        Page p = fs.head();
                        if (p != null && p.pfn() == base + i && p.order() == 0 && reclaimable(p)) {
                            candidates[n++] = p;
                        } else {
                            usable = false;
                        }
                    }
                    default -> usable = false;
                }
            }
            if (!usable || n == 0) {
                continue;
            }
            int k = 0;
            for (int i = 0; i < n; i++) {
                Page p = candidates[i];
                candidates[i] = null;
                if (p.mapping() instanceof AddressSpace as && as.cache() == cache && tryRemove(as, p)) {
                    candidates[k++] = p;
                }
            }
            if (k > 0) {
                cache.freePages(candidates, k);
                freed += k;
            }
        }
        synchronized (this) {
            blockCursor = (start + b) % blocks;
        }
        if (freed > 0) {
            cache.reclaimed.addAndGet(freed);
        }
        return freed;
    }

    private boolean reclaimable(Page p) {
        return p.mapping() instanceof AddressSpace as && as.cache() == cache
                && (p.flags() & (PageFlag.DIRTY.mask() | PageFlag.WRITEBACK.mask() | PageFlag.MAPPED.mask()
                        | PageFlag.LOCKED.mask() | PageFlag.HWPOISON.mask())) == 0;
    }

    /** Takes {@code p} out of {@code as} if it is idle and clean; the caller then frees it. */
    private static boolean tryRemove(AddressSpace as, Page p) {
        synchronized (as.tree) {
            if (p.mapping() != as || as.tree.get(p.index()) != p || !PageWait.trylock(p)) {
                return false;
            }
        }
        if (p.test(PageFlag.DIRTY) || p.test(PageFlag.WRITEBACK) || p.test(PageFlag.MAPPED)
                || p.test(PageFlag.HWPOISON)) {
            PageWait.unlock(p);
            return false;
        }
        as.removeLockedPage(p);
        PageWait.unlock(p);
        return true;
    }
}
