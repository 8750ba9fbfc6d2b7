package org.fusefs.pagecache;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * Sequential-read detection and batched reads of missing pages for one address space, after
 * {@code mm/readahead.c} ({@code page_cache_sync_ra}, {@code page_cache_ra_unbounded},
 * {@code read_pages}). The state ({@code struct file_ra_state}) is kept per address space, not
 * per open file: readers of one file share one stream guess.
 *
 * <p>On a miss at page {@code i}, the read asks for the pages of the request (random or not) and,
 * when {@code i} continues the previous read, for a window that starts at {@link #INITIAL_PAGES}
 * and doubles up to {@link #MAX_PAGES}. Only pages not cached are read, never past the end of
 * file, in one {@link AddressSpaceOperations#readPages} call per run of consecutive missing pages.
 *
 * <p>Locks: takes the tree lock only to insert; holds the page locks of the pages it created
 * (no others) while their batch is read, then sets PG_uptodate and unlocks. Frames come from
 * {@link PageCache#tryAllocPage}, which neither reclaims nor waits, so readahead never sleeps
 * for memory while holding page locks; under memory pressure it simply reads less.
 */
final class Readahead {
    /** First window of a sequential stream: 128 KiB. */
    static final int INITIAL_PAGES = 32;
    /** Largest window and largest batch: 256 KiB. */
    static final int MAX_PAGES = 64;

    private final AddressSpace as;
    // Hints shared by concurrent readers without a lock (as file_ra_state): a lost update only
    // makes the next window less apt, never the data wrong.
    private volatile long prevIndex = -1;
    private volatile int window;

    Readahead(AddressSpace as) {
        this.as = as;
    }

    /** Records the last page index a read touched, for the next read's sequential check. */
    void recordRead(long lastIndex) {
        prevIndex = lastIndex;
    }

    /** The window the next sequential miss will start from (0: no stream). For tests. */
    int window() {
        return window;
    }

    /**
     * Called by a read that found page {@code index} not cached; {@code reqLast} is the last page
     * the request needs and {@code iSize} the file size the read was clipped to (> 0). Errors are
     * not reported here: pages that failed stay not uptodate and the demand read retries them.
     */
    void onMiss(long index, long reqLast, long iSize) {
        long prev = prevIndex;
        boolean sequential = index == prev + 1 || index == prev || (index == 0 && prev < 0);
        int w = 0;
        if (sequential) {
            int cur = window;
            w = cur == 0 ? INITIAL_PAGES : Math.min(cur * 2, MAX_PAGES);
        }
        window = w;
        long want = Math.max(w, reqLast - index + 1);
        long eofIndex = (iSize - 1) >>> Page.SHIFT;
        int count = (int) Math.min(Math.min(want, MAX_PAGES), eofIndex - index + 1);
        if (count <= 1) {
            return; // one page: the demand read does just that
        }
        readMissing(index, count);
    }

    /** Reads the pages of {@code [index, index + count)} that are not cached. */
    void readMissing(long index, int count) {
        PageCache cache = as.cache();
        List<Page> batch = new ArrayList<>(count);
        for (long i = index; i < index + count; i++) {
            if (as.tree.get(i) != null) {
                // A cached page splits the run: what precedes it goes as one batch.
                submit(batch);
                continue;
            }
            Page p = cache.tryAllocPage();
            if (p == null) {
                break;
            }
            p.setMapping(as, i);
            p.set(PageFlag.LOCKED);
            boolean added;
            synchronized (as.tree) {
                added = as.tree.insertIfAbsent(i, p) == null;
                if (added) {
                    cache.pageAdded(p);
                    cache.markReadahead(p);
                }
            }
            if (!added) {
                p.clear(PageFlag.LOCKED);
                cache.freePage(p);
                submit(batch);
                continue;
            }
            batch.add(p);
        }
        submit(batch);
    }

    /** Reads a batch of locked new pages, marks them uptodate if that worked, unlocks them all. */
    private void submit(List<Page> batch) {
        if (batch.isEmpty()) {
            return;
        }
        boolean ok = false;
        try {
            as.ops().readPages(as, batch);
            ok = true;
        } catch (IOException e) {
            // Readahead is a guess: the pages stay cached and not uptodate, and the read that
            // needs one of them calls readPage again and reports the error (as the kernel does).
        } finally {
            for (Page p : batch) {
                if (ok) {
                    p.set(PageFlag.UPTODATE);
                }
                PageWait.unlock(p);
            }
            if (ok) {
                as.cache().misses.add(batch.size());
            }
            batch.clear();
        }
    }
}
