package org.fusefs.pagecache;

import java.util.ArrayList;
import java.util.List;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;

/**
 * One batch of dirty pages of an address space to write back, collected in index order and
 * written by one {@code writePages} call ({@code write_cache_pages} with a folio batch).
 *
 * <p>Deferred work: between {@link #collect} and {@link #submit} the pages may be truncated,
 * reclaimed or reused by another file. Each entry keeps the page, its index and the cache
 * generation the page got when it entered the address space; {@code submit} writes an entry
 * only if, with the page locked, the same page with the same generation is still at that index
 * and still dirty. A page truncated while queued is therefore never written.
 */
final class WritebackBatch {
    private final AddressSpace as;
    private final Page[] pages;
    private final long[] indexes;
    private final long[] generations;
    // Tagged indexes as gathered, before the pages are looked up; reused by every collect.
    private final long[] gathered;
    private int size;
    private long lastGathered;
    // Pages the last submit handed to writePages.
    private int submitted;

    WritebackBatch(AddressSpace as, int capacity) {
        this.as = as;
        this.pages = new Page[capacity];
        this.indexes = new long[capacity];
        this.generations = new long[capacity];
        this.gathered = new long[capacity];
    }

    int size() {
        return size;
    }

    /** The last index {@link #collect} looked at; the next collect starts after it. */
    long lastGathered() {
        return lastGathered;
    }

    /** Collects up to the batch's capacity of dirty pages in {@code [first, last]}; returns how many. */
    int collect(long first, long last) {
        size = 0;
        long[] idx = gathered;
        int n = as.tree.gatherTagged(PageTree.Tag.DIRTY, first, last, idx, idx.length);
        PageCache cache = as.cache();
        if (n > 0) {
            lastGathered = idx[n - 1];
        }
        for (int i = 0; i < n; i++) {
            Page p = as.tree.get(idx[i]);
            if (p != null) {
                pages[size] = p;
                indexes[size] = idx[i];
                generations[size] = cache.generation(p);
                size++;
            }
        }
        return n;
    }

    /**
     * Locks, checks and writes the collected pages. With {@code sync} it waits for locked pages
     * (fsync, WB_SYNC_ALL); without it skips them (background, WB_SYNC_NONE). Returns the errno
     * of a failed write, or {@code null}; the error is also recorded in the error sequence.
     */
    Errno submit(boolean sync) {
        PageCache cache = as.cache();
        List<Page> locked = new ArrayList<>(size);
        submitted = 0;
        // Ascending index order: the only place several page locks are held at once.
        for (int i = 0; i < size; i++) {
            Page p = sync ? as.findLockPage(indexes[i]) : tryLockAt(indexes[i]);
            if (p == null) {
                continue;
            }
            if (p != pages[i] || cache.generation(p) != generations[i] || !p.test(PageFlag.DIRTY)) {
                PageWait.unlock(p);
                continue;
            }
            p.clear(PageFlag.DIRTY);
            p.set(PageFlag.WRITEBACK);
            locked.add(p);
        }
        if (locked.isEmpty()) {
            return null;
        }
        // The tags follow the flags of the whole batch in one step. Until then a page is still
        // tagged DIRTY, so that whoever looks (fsync, truncate) finds it and waits on its lock:
        // every page of the batch always has one of the two tags.
        synchronized (as.tree) {
            for (Page p : locked) {
                as.tree.untagLocked(PageTree.Tag.DIRTY, p.index());
                as.tree.tagLocked(PageTree.Tag.WRITEBACK, p.index());
            }
        }
        cache.dirtyChanged(-locked.size());
        cache.writebackChanged(locked.size());
        submitted = locked.size();
        Errno err = null;
        try {
            as.ops().writePages(as, locked);
        } catch (ErrnoException e) {
            err = e.errno();
        } catch (java.io.IOException | RuntimeException e) {
            err = Errno.EIO;
        } finally {
            if (err != null) {
                // As the kernel: the pages stay clean (the data is lost), the error goes to errseq.
                as.errseq.set(err);
                cache.writebackErrors.incrementAndGet();
            }
            // Also on an Error thrown by the owner: never leave pages locked under writeback.
            synchronized (as.tree) {
                for (Page p : locked) {
                    as.tree.untagLocked(PageTree.Tag.WRITEBACK, p.index());
                }
            }
            for (Page p : locked) {
                PageWait.clearAndWake(p, PageFlag.WRITEBACK);
                PageWait.unlock(p);
            }
        }
        cache.writebackChanged(-locked.size());
        cache.writtenBack.addAndGet(locked.size());
        cache.writeback.wakeThrottled();
        return err;
    }

    private Page tryLockAt(long index) {
        synchronized (as.tree) {
            Page p = as.tree.get(index);
            return p != null && PageWait.trylock(p) ? p : null;
        }
    }

    /**
     * Writes back dirty pages with index in {@code [first, last]}, at most {@code maxPages}
     * (rounded up to a batch). Returns the first errno met, or {@code null}.
     */
    static Errno writeRange(AddressSpace as, long first, long last, boolean sync, long maxPages) {
        Errno[] err = new Errno[1];
        run(as, first, last, sync, maxPages, err);
        return err[0];
    }

    /** As {@link #writeRange}, but returns how many pages were handed to {@code writePages}. */
    static long run(AddressSpace as, long first, long last, boolean sync, long maxPages, Errno[] firstErr) {
        WritebackBatch b = new WritebackBatch(as, as.cache().config().writebackBatch());
        long cursor = first;
        long written = 0;
        while (written < maxPages && cursor <= last) {
            int n = b.collect(cursor, last);
            if (n == 0) {
                break;
            }
            long lastSeen = b.lastGathered();
            Errno e = b.submit(sync);
            if (e != null && firstErr[0] == null) {
                firstErr[0] = e;
            }
            written += b.submitted;
            if (lastSeen == Long.MAX_VALUE) {
                break;
            }
            cursor = lastSeen + 1;
        }
        return written;
    }
}
