package org.fusefs.pagecache;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;

/**
 * The page cache of one memory core: address spaces, writeback workers, LRU and reclaim.
 *
 * <p>Pages come from the memory core as {@link MigrateType#MOVABLE} and the cache registers as a
 * {@link org.fusefs.memory.Shrinker} so that the allocator can ask for clean pages back. Taking a
 * page never fails while something is reclaimable: below the low watermark the cache reclaims up
 * to the high one (kswapd's job, done inline), and when an allocation still fails it reclaims,
 * writes dirty pages back and waits for writeback, and tries again.
 *
 * <p>Locking: see {@link AddressSpace} for the order. This class holds no lock of its own; its
 * counters are atomic.
 */
public final class PageCache implements AutoCloseable {
    private static final long OOM_WAIT_NANOS = 10_000_000_000L;

    private final PhysicalMemory memory;
    private final PageCacheConfig config;
    final Lru lru;
    final Writeback writeback;
    private final Reclaim reclaim;
    // Cache generation of the page in each frame, set when it enters an address space.
    private final AtomicLongArray generations;
    // Read since last scanned, per frame: stands in for PG_referenced (see markAccessed).
    // Per pfn: 0 not referenced, 1 referenced, READAHEAD_UNUSED brought in by readahead, not read yet.
    private final byte[] accessed;
    private static final byte READAHEAD_UNUSED = 2;
    private final AtomicLong nextGeneration = new AtomicLong();
    private final AtomicLong nrCached = new AtomicLong();
    private final AtomicLong nrDirty = new AtomicLong();
    private final AtomicLong nrWriteback = new AtomicLong();
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final AtomicLong reclaimed = new AtomicLong();
    final AtomicLong writtenBack = new AtomicLong();
    final AtomicLong writebackErrors = new AtomicLong();
    final AtomicLong throttled = new AtomicLong();
    final AtomicLong poisoned = new AtomicLong();

    public PageCache(PhysicalMemory memory) {
        this(memory, PageCacheConfig.defaults());
    }

    public PageCache(PhysicalMemory memory, PageCacheConfig config) {
        this.memory = memory;
        this.config = config;
        this.lru = new Lru(memory);
        this.writeback = new Writeback(this, config, memory.totalPages());
        this.reclaim = new Reclaim(this);
        this.generations = new AtomicLongArray((int) memory.totalPages());
        this.accessed = new byte[(int) memory.totalPages()];
        memory.registerShrinker(reclaim);
    }

    public PhysicalMemory memory() {
        return memory;
    }

    public PageCacheConfig config() {
        return config;
    }

    /** Creates the address space of one file. */
    public AddressSpace newAddressSpace(AddressSpaceOperations ops, String name) {
        return new AddressSpace(this, ops, name);
    }

    /** Writes back every dirty page of every address space and waits ({@code sync(2)}). */
    public void syncAll() throws IOException {
        WritebackException first = null;
        for (AddressSpace as : writeback.snapshotDirty()) {
            try {
                as.writeAndWait(0, Long.MAX_VALUE);
            } catch (WritebackException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Reclaims up to {@code nrPages} clean pages now; returns how many were freed. */
    public long reclaim(long nrPages) {
        return reclaim.reclaim(nrPages);
    }

    /**
     * Drops every clean, unmapped, unlocked cached page ({@code echo 1 > drop_caches}); dirty
     * pages stay (call {@link #syncAll} first to drop them too). Returns pages dropped.
     */
    public long dropCaches() {
        long total = 0;
        long n;
        while ((n = reclaim.reclaim(Long.MAX_VALUE)) > 0) {
            total += n;
        }
        return total;
    }

    /** A snapshot of the figures. */
    public PageCacheStats stats() {
        return new PageCacheStats(nrCached.get(), nrDirty.get(), nrWriteback.get(), reclaimed.get(),
                hits.sum(), misses.sum(), writtenBack.get(), writebackErrors.get(), throttled.get(),
                writeback.workersAlive(), writeback.workersStarted(), poisoned.get(), writeback.dirtyLimit());
    }

    /** Stops the writeback workers and gives up the shrinker; dirty pages are not written. */
    @Override
    public void close() {
        memory.unregisterShrinker(reclaim);
        writeback.close();
    }

    // ---- used by the package ----

    /**
     * Returns a free page or {@code null} without reclaiming or waiting, when memory is below the
     * low watermark ({@code __GFP_NORETRY} of readahead: speculative reads must not push out
     * pages or sleep while the caller holds locks on the pages it is filling).
     */
    Page tryAllocPage() {
        if (memory.nrFreePages() < memory.lowWatermarkPages()) {
            return null;
        }
        return memory.allocPage(MigrateType.MOVABLE);
    }

    /**
     * Takes a frame for a new cache page; sleeps in reclaim and writeback rather than fail while
     * anything is reclaimable. Below the low watermark it first reclaims up to the high one, a
     * batch at a time ({@link Reclaim#reclaim}), so that the next allocations find free frames.
     * Called with no page lock held, or with the page locks of a splice read in index order
     * (reclaim only trylocks).
     */
    Page allocPage() throws IOException {
        long free = memory.nrFreePages();
        if (free < memory.lowWatermarkPages()) {
            reclaim.reclaim(memory.highWatermarkPages() - free);
        }
        long stuckSince = 0;
        for (;;) {
            Page p = memory.allocPage(MigrateType.MOVABLE);
            if (p != null) {
                return p;
            }
            if (reclaim.reclaim(32) > 0 || writeback.writebackForReclaim()) {
                stuckSince = 0;
                continue;
            }
            // Nothing clean, nothing dirty we could lock, nothing in flight: pages are pinned
            // (locked, mapped) by others for now. Give them time, then report.
            long now = System.nanoTime();
            if (stuckSince == 0) {
                stuckSince = now;
            } else if (now - stuckSince > OOM_WAIT_NANOS) {
                throw new IOException("page cache: no free page and nothing reclaimable among "
                        + nrCached.get() + " cached pages (" + memory.nrFreePages() + " free)");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for a free page", e);
            }
        }
    }

    /** Gives a frame that left (or never entered) an address space back to the allocator. */
    void freePage(Page p) {
        memory.freePages(p);
    }

    /**
     * Gives frames {@code pages[0..n)} that left (or never entered) an address space back to the
     * allocator as one batch (each allocator lock taken once per batch), and clears the array.
     * Called with no page lock or tree lock held.
     */
    void freePages(Page[] pages, int n) {
        try {
            memory.freePages(pages, n);
        } finally {
            java.util.Arrays.fill(pages, 0, n, null);
        }
    }

    /** A page just entered an address space (tree lock held): count it, stamp it, put it on the LRU. */
    void pageAdded(Page p) {
        generations.set((int) p.pfn(), nextGeneration.incrementAndGet());
        accessed[(int) p.pfn()] = 0;
        nrCached.incrementAndGet();
        lru.add(p);
    }

    void pageRemoved() {
        nrCached.decrementAndGet();
    }

    void pagesRemoved(long n) {
        nrCached.addAndGet(-n);
    }

    /**
     * Notes that a cached page was read ({@code folio_mark_accessed}). Kept in a side table by
     * pfn rather than in PG_referenced because the lock-free read path holds no reference: by
     * now the frame may have been freed, and the allocator rightly rejects flags on free frames.
     * A stray mark on a freed frame is harmless: it is cleared when the frame next enters the
     * cache. Plain byte writes: a lost or late mark only changes which page reclaim takes.
     */
    void markAccessed(Page p) {
        int pfn = (int) p.pfn();
        byte a = accessed[pfn];
        if (a == 0) {
            accessed[pfn] = 1;
        } else if (a == READAHEAD_UNUSED) {
            // The first read of a page readahead brought in is the access a miss would have
            // been: it makes the page used, not referenced.
            accessed[pfn] = 0;
        }
    }

    /** Ends the readahead mark of a page read under its lock (as a miss would be: not referenced). */
    void clearReadahead(Page p) {
        int pfn = (int) p.pfn();
        if (accessed[pfn] == READAHEAD_UNUSED) {
            accessed[pfn] = 0;
        }
    }

    /** Marks a page readahead just added: its first read does not count as a reference. */
    void markReadahead(Page p) {
        accessed[(int) p.pfn()] = READAHEAD_UNUSED;
    }

    /** Clears the access mark of {@code p}; returns whether it was set. */
    boolean testAndClearAccessed(Page p) {
        int pfn = (int) p.pfn();
        byte a = accessed[pfn];
        if (a == 0) {
            return false;
        }
        accessed[pfn] = 0;
        return a == 1;
    }

    long generation(Page p) {
        return generations.get((int) p.pfn());
    }

    void dirtyChanged(long delta) {
        nrDirty.addAndGet(delta);
    }

    void writebackChanged(long delta) {
        nrWriteback.addAndGet(delta);
    }

    long nrDirtyPages() {
        return nrDirty.get();
    }

    long nrWritebackPages() {
        return nrWriteback.get();
    }
}
