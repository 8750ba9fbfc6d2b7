package org.fusefs.memory;

import com.kenai.jffi.MemoryIO;
import java.util.BitSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * The simulated physical memory: page frames in one off-heap region and the allocator that hands
 * them out. The façade every other module takes pages from.
 *
 * <p>PLACEHOLDER ALLOCATOR: a first-fit bitmap under one lock, so that the modules above can run
 * while the buddy allocator (issue 2) is written; the public methods are the contract it keeps.
 */
public final class PhysicalMemory implements AutoCloseable {
    private static final MemoryIO IO = MemoryIO.getInstance();

    private final MemoryConfig config;
    private final long base;
    private final Page[] pages;
    private final BitSet used;
    private long free;
    private final CopyOnWriteArrayList<Shrinker> shrinkers = new CopyOnWriteArrayList<>();

    private PhysicalMemory(MemoryConfig config) {
        this.config = config;
        long n = config.pages();
        this.base = IO.allocateMemory(config.bytes(), false);
        if (base == 0) {
            throw new OutOfMemoryError("cannot reserve " + config.bytes() + " bytes off-heap");
        }
        this.pages = new Page[(int) n];
        for (int i = 0; i < n; i++) {
            pages[i] = new Page(i, base + ((long) i << Page.SHIFT));
        }
        this.used = new BitSet((int) n);
        this.free = n;
    }

    public static PhysicalMemory create(MemoryConfig config) {
        return new PhysicalMemory(config);
    }

    public MemoryConfig config() {
        return config;
    }

    /**
     * Allocates {@code 2^order} contiguous frames and returns the head page (refcount 1), or
     * {@code null} when no block can be found even after asking the shrinkers.
     *
     * @throws IllegalArgumentException if {@code order} is outside 0..{@value MemoryConfig#MAX_ORDER}
     */
    public Page allocPages(int order, MigrateType type) {
        if (order < 0 || order > MemoryConfig.MAX_ORDER) {
            throw new IllegalArgumentException("order " + order + " outside 0.." + MemoryConfig.MAX_ORDER);
        }
        Page p = tryAlloc(order, type);
        if (p == null) {
            for (Shrinker s : shrinkers) {
                s.shrink(1L << order, order);
            }
            p = tryAlloc(order, type);
        }
        return p;
    }

    /** Allocates one frame; see {@link #allocPages}. */
    public Page allocPage(MigrateType type) {
        return allocPages(0, type);
    }

    private synchronized Page tryAlloc(int order, MigrateType type) {
        int n = 1 << order;
        for (int start = 0; start + n <= pages.length; start += n) {
            int next = used.nextSetBit(start);
            if (next < 0 || next >= start + n) {
                used.set(start, start + n);
                free -= n;
                Page head = pages[start];
                head.setOrder(order);
                head.setMigrateType(type);
                head.setRefcount(1);
                head.setFlagsRaw(0);
                head.setMapping(null, 0);
                return head;
            }
        }
        return null;
    }

    /** Frees a block returned by {@link #allocPages}; the head carries the order. */
    public synchronized void freePages(Page head) {
        int pfn = (int) head.pfn();
        int n = 1 << head.order();
        if (!used.get(pfn)) {
            throw new IllegalStateException("bad page: freeing a free frame: " + head);
        }
        head.setMapping(null, 0);
        head.setFlagsRaw(head.flags() & PageFlag.HWPOISON.mask());
        head.setRefcount(0);
        used.clear(pfn, pfn + n);
        free += n;
    }

    /** Returns the page of frame {@code pfn}. */
    public Page pfnToPage(long pfn) {
        if (pfn < 0 || pfn >= pages.length) {
            throw new IllegalArgumentException("pfn " + pfn + " outside 0.." + (pages.length - 1));
        }
        return pages[(int) pfn];
    }

    public long totalPages() {
        return pages.length;
    }

    public synchronized long nrFreePages() {
        return free;
    }

    /** Free pages below which the page cache starts reclaiming (kswapd's low watermark). */
    public long lowWatermarkPages() {
        return Math.max(64, pages.length / 64);
    }

    /** Free pages up to which reclaim goes on once started (the high watermark). */
    public long highWatermarkPages() {
        return Math.max(128, pages.length / 32);
    }

    /** Registers an owner of movable pages that can give pages back on request. */
    public void registerShrinker(Shrinker s) {
        shrinkers.add(s);
    }

    public void unregisterShrinker(Shrinker s) {
        shrinkers.remove(s);
    }

    /**
     * Reports a hardware memory failure of frame {@code pfn}: marks it HWPOISON and hands an owned
     * page to its {@link PageMapping#memoryFailure}. A second poison of the same frame is ignored.
     */
    public MfResult poison(long pfn) {
        Page p = pfnToPage(pfn);
        if (p.testAndSet(PageFlag.HWPOISON)) {
            return MfResult.IGNORED;
        }
        PageMapping m = p.mapping();
        return m == null ? MfResult.RECOVERED : m.memoryFailure(p);
    }

    @Override
    public void close() {
        IO.freeMemory(base);
    }
}
