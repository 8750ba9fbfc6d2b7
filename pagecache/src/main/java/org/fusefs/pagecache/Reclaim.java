package org.fusefs.pagecache;

import org.fusefs.memory.PageMapping;
import org.fusefs.memory.Shrinker;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * Reclaim of clean page-cache pages from the LRU ({@code shrink_folio_list} of
 * {@code mm/vmscan.c}); also the page cache's {@link Shrinker} for the memory core.
 *
 * <p>A page is reclaimed only when it is clean, not under writeback, not mapped and its lock can
 * be taken without waiting; a page read since it was last scanned gets a second chance. Dirty
 * pages stay on the list for writeback to clean (the allocation path in {@link PageCache} starts
 * that writeback when reclaim finds nothing). Never sleeps, so the allocator may call it with
 * its own caller's locks held.
 */
final class Reclaim implements Shrinker {
    private static final int BATCH = 32;

    private final PageCache cache;

    Reclaim(PageCache cache) {
        this.cache = cache;
    }

    @Override
    public long shrink(long nrPages, int order) {
        return reclaim(nrPages);
    }

    /** Frees up to {@code nrPages} clean pages; returns how many were freed. */
    long reclaim(long nrPages) {
        Page[] batch = new Page[BATCH];
        long freed = 0;
        // Each page is looked at about twice at most: once to clear PG_referenced, once to free.
        long budget = 2 * cache.lru.size() + BATCH;
        while (freed < nrPages && budget > 0) {
            int n = cache.lru.isolate(batch, (int) Math.min(BATCH, budget));
            if (n == 0) {
                break;
            }
            budget -= n;
            for (int i = 0; i < n; i++) {
                Page p = batch[i];
                batch[i] = null;
                PageMapping m = p.mapping();
                if (!(m instanceof AddressSpace as) || as.cache() != cache) {
                    continue;
                }
                if (freed >= nrPages || p.testAndClear(PageFlag.REFERENCED)) {
                    as.putbackLru(p);
                    continue;
                }
                if (tryFree(as, p)) {
                    freed++;
                } else {
                    as.putbackLru(p);
                }
            }
        }
        if (freed > 0) {
            cache.reclaimed.addAndGet(freed);
        }
        return freed;
    }

    private static boolean tryFree(AddressSpace as, Page p) {
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
        as.cache().freePage(p);
        return true;
    }
}
