package org.fusefs.pagecache;

import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * The page cache's list of reclaim candidates, oldest first, with a second chance for pages
 * read since they were last looked at (PG_referenced).
 *
 * <p>Stands in for the file LRU lists of {@code mm/vmscan.c} (one list instead of active and
 * inactive). The links live in two arrays indexed by pfn, so adding or removing a page allocates
 * nothing. PG_lru says whether a page is on the list.
 *
 * <p>Locking: this object's monitor, taken inside an address space's tree lock when a page
 * enters or leaves the cache, and before the allocator's lock (which is never taken here).
 */
final class Lru {
    private static final int NONE = -1;

    private final PhysicalMemory memory;
    private final int head;
    // protected by this
    private final int[] next;
    // protected by this
    private final int[] prev;
    // protected by this
    private long size;

    Lru(PhysicalMemory memory) {
        this.memory = memory;
        int n = (int) memory.totalPages();
        this.head = n;
        this.next = new int[n + 1];
        this.prev = new int[n + 1];
        next[head] = head;
        prev[head] = head;
    }

    /** Adds {@code page} as the newest entry. */
    synchronized void add(Page page) {
        if (page.testAndSet(PageFlag.LRU)) {
            throw new IllegalStateException("page already on the LRU: " + page);
        }
        int pfn = (int) page.pfn();
        int last = prev[head];
        next[last] = pfn;
        prev[pfn] = last;
        next[pfn] = head;
        prev[head] = pfn;
        size++;
    }

    /** Removes {@code page} if it is on the list (it may be isolated by reclaim). */
    synchronized void del(Page page) {
        if (!page.testAndClear(PageFlag.LRU)) {
            return;
        }
        unlink((int) page.pfn());
    }

    /**
     * Takes up to {@code max} of the oldest pages off the list into {@code out}
     * ({@code isolate_lru_folios}); each leaves with PG_lru clear. Returns how many.
     */
    synchronized int isolate(Page[] out, int max) {
        int n = 0;
        while (n < max && next[head] != head) {
            int pfn = next[head];
            unlink(pfn);
            Page p = memory.pfnToPage(pfn);
            p.clear(PageFlag.LRU);
            out[n++] = p;
        }
        return n;
    }

    synchronized long size() {
        return size;
    }

    private void unlink(int pfn) {
        int a = prev[pfn];
        int b = next[pfn];
        next[a] = b;
        prev[b] = a;
        next[pfn] = NONE;
        prev[pfn] = NONE;
        size--;
    }
}
