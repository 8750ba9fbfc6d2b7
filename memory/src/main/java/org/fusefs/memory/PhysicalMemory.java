package org.fusefs.memory;

import com.kenai.jffi.MemoryIO;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fusefs.memory.buddy.BuddyAllocator;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.owner.PageOwnerTracker;
import org.fusefs.memory.page.MemMap;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.poison.HwPoisonInjector;
import org.fusefs.memory.poison.MemoryFailure;
import org.fusefs.memory.stat.MemInfo;
import org.fusefs.memory.stat.VmStat;

/**
 * The simulated physical memory: page frames in one off-heap region and the allocator that hands
 * them out. The façade every other module takes pages from.
 *
 * <p>Allocation is a buddy allocator with orders 0..{@value MemoryConfig#MAX_ORDER}, grouping by
 * mobility (free lists per {@link MigrateType}, unless switched off in the config), per-CPU
 * order-0 lists, and active freeing through registered {@link Shrinker}s before an allocation
 * fails. page_owner tracking can be switched on at any time; memory failure is handled by
 * {@link #poison}.
 *
 * <p>Thread-safety: every method may be called from any thread. Locking, outermost first:
 * the caller's inode and page locks, then the allocator's per-CPU and zone locks, which are
 * never held while calling out (shrinkers, page owners, page_owner hooks). A shrinker or a
 * {@link PageMapping#memoryFailure} may therefore free pages and take the caller's own locks,
 * as long as the thread that allocates does not hold them in a conflicting order.
 *
 * <p>Freeing: {@link #freePages(Page)} drops one reference and frees on the last one;
 * {@link #freePages(Page[], int)} does the same for a batch, taking each allocator lock once per
 * batch; see {@link BuddyAllocator} for what counts as a bad page.
 */
public final class PhysicalMemory implements AutoCloseable {
    private static final MemoryIO IO = MemoryIO.getInstance();

    private final MemoryConfig config;
    /** What allocateMemory returned; freed on close. */
    private final long allocation;
    /** The first frame: {@link #allocation} rounded up to a page, so every frame is page-aligned. */
    private final long base;
    private final MemMap memMap;
    private final BuddyAllocator allocator;
    private final PageOwnerTracker pageOwner = new PageOwnerTracker();
    private final MemoryFailure memoryFailure;
    private final HwPoisonInjector injector;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PhysicalMemory(MemoryConfig config, int slots) {
        this.config = config;
        // malloc aligns to 16 bytes only; O_DIRECT on a host file needs frames aligned like real
        // page frames, or every transfer goes through a bounce buffer.
        this.allocation = IO.allocateMemory(config.bytes() + Page.SIZE, false);
        if (allocation == 0) {
            throw new OutOfMemoryError("cannot reserve " + config.bytes() + " bytes off-heap");
        }
        this.base = (allocation + Page.SIZE - 1) & -Page.SIZE;
        this.memMap = new MemMap(base, (int) config.pages());
        this.allocator = new BuddyAllocator(memMap, config.mobilityGrouping(), config.reservedPages(), slots);
        this.memoryFailure = new MemoryFailure(allocator);
        this.injector = new HwPoisonInjector(memoryFailure, config.pages());
        if (config.pageOwner()) {
            setPageOwner(true);
        }
    }

    /** Creates a memory as {@code config} says; its frames are not zeroed. */
    public static PhysicalMemory create(MemoryConfig config) {
        return new PhysicalMemory(config, BuddyAllocator.defaultSlots());
    }

    /**
     * Creates a memory with {@code perCpuSlots} per-CPU list slots (a power of two) instead of
     * the default for this machine; for benchmarks that compare contention.
     */
    public static PhysicalMemory create(MemoryConfig config, int perCpuSlots) {
        return new PhysicalMemory(config, perCpuSlots);
    }

    public MemoryConfig config() {
        return config;
    }

    /**
     * Allocates {@code 2^order} contiguous frames and returns the head page (refcount 1), or
     * {@code null} when no block can be found even after draining the per-CPU lists and asking
     * the shrinkers, with growing requests, to give pages back. Callers must not hold locks that a
     * shrinker takes.
     *
     * @throws IllegalArgumentException if {@code order} is outside 0..{@value MemoryConfig#MAX_ORDER}
     */
    public Page allocPages(int order, MigrateType type) {
        return allocator.allocPages(order, type);
    }

    /** Allocates one frame; see {@link #allocPages}. */
    public Page allocPage(MigrateType type) {
        return allocator.allocPages(0, type);
    }

    /**
     * Drops one reference to a block returned by {@link #allocPages}; the head carries the order.
     * On the last reference the block is freed: its owner and flags are cleared (a poisoned frame
     * stays out of use for good).
     *
     * @throws IllegalStateException "bad page: ..." with the page's pfn and flags when the page
     *     is free, was never allocated, is not a block head, is reserved, or is still locked or
     *     under writeback; nothing changes then
     * @throws IllegalArgumentException if the page belongs to another memory
     */
    public void freePages(Page head) {
        allocator.freePages(head);
    }

    /**
     * Drops one reference to each of {@code pages[0..n)} and frees, as one batch, the blocks
     * whose last reference goes: the per-CPU and zone locks are taken once per
     * {@value BuddyAllocator#FREE_WINDOW} pages instead of once per page. For callers that free
     * many pages at once (reclaim, truncate). Mirrors {@code release_pages()} /
     * {@code free_unref_folios()}.
     *
     * <p>Each page is checked as {@link #freePages(Page)} checks it; a page may appear more than
     * once, each entry dropping one reference. A bad page does not stop the batch: it is left as
     * it was, every other page is handled, and then the exception below names the first bad
     * page, with the others as suppressed exceptions.
     *
     * @throws IllegalStateException "bad page: ..." after the batch, if any page was bad
     * @throws IllegalArgumentException if {@code n} is outside the array or a page belongs to
     *     another memory; nothing changes then
     * @throws NullPointerException if an entry below {@code n} is null; nothing changes then
     */
    public void freePages(Page[] pages, int n) {
        allocator.freePages(pages, n);
    }

    /** Returns the page of frame {@code pfn}. */
    public Page pfnToPage(long pfn) {
        if (pfn < 0 || pfn >= memMap.size()) {
            throw new IllegalArgumentException("pfn " + pfn + " outside 0.." + (memMap.size() - 1));
        }
        return allocator.pfnToPage((int) pfn);
    }

    public long totalPages() {
        return memMap.size();
    }

    /** Returns the frames not in use (on the buddy and per-CPU free lists). */
    public long nrFreePages() {
        return allocator.nrFreePages();
    }

    /** Free pages below which the page cache starts reclaiming (kswapd's low watermark). */
    public long lowWatermarkPages() {
        return Math.max(64, memMap.size() / 64);
    }

    /** Free pages up to which reclaim goes on once started (the high watermark). */
    public long highWatermarkPages() {
        return Math.max(128, memMap.size() / 32);
    }

    /** Registers an owner of movable pages that can give pages back on request. */
    public void registerShrinker(Shrinker s) {
        allocator.registerShrinker(s);
    }

    public void unregisterShrinker(Shrinker s) {
        allocator.unregisterShrinker(s);
    }

    /** Returns every per-CPU free frame to the buddy lists (so that figures show whole blocks). */
    public void drainAllPages() {
        allocator.drainAllPages();
    }

    /**
     * Reports a hardware memory failure of frame {@code pfn}: marks it HWPOISON; a free frame is
     * taken off the free lists for good ({@link MfResult#RECOVERED}); an owned page goes to its
     * {@link PageMapping#memoryFailure}, whose result is returned; an allocated page without an
     * owner or a reserved frame cannot be recovered ({@link MfResult#FAILED}); a second poison of
     * the same frame is {@link MfResult#IGNORED}. A poisoned frame freed later is never reused.
     *
     * @throws IllegalArgumentException if {@code pfn} is outside the memory
     */
    public MfResult poison(long pfn) {
        return memoryFailure.memoryFailure(pfn);
    }

    /** Returns the injector the command-line tool and tests use. */
    public HwPoisonInjector hwPoisonInjector() {
        return injector;
    }

    /** Returns the memory-failure handler (its counters and recent actions). */
    public MemoryFailure memoryFailure() {
        return memoryFailure;
    }

    /** Returns the frames reserved at boot. */
    public long nrReservedPages() {
        return allocator.zone().nrReserved();
    }

    /** Returns the frames marked poisoned. */
    public long nrHwPoisonedPages() {
        return allocator.nrHwPoisoned();
    }

    // ---- page_owner ----

    /**
     * Switches page_owner tracking on or off at run time. Blocks allocated while it was off are
     * not in the report; switching off forgets what was recorded.
     */
    public void setPageOwner(boolean on) {
        if (on) {
            allocator.setHooks(pageOwner);
        } else {
            allocator.setHooks(null);
            pageOwner.clear();
        }
    }

    /** Whether page_owner tracking is on. */
    public boolean pageOwnerEnabled() {
        return allocator.hooks() == pageOwner;
    }

    /** Returns the page_owner tracker (records per pfn). */
    public PageOwnerTracker pageOwner() {
        return pageOwner;
    }

    /** Returns the page_owner report: identical allocations grouped, largest group first. */
    public String pageOwnerReport() {
        return pageOwner.report();
    }

    // ---- figures ----

    /** Returns free blocks per order, formatted as {@code /proc/buddyinfo}. */
    public String buddyinfo() {
        return VmStat.buddyinfo(allocator.zone());
    }

    /** Returns free blocks per type and order and pageblocks per type, as {@code /proc/pagetypeinfo}. */
    public String pagetypeinfo() {
        return VmStat.pagetypeinfo(allocator.zone());
    }

    /** Returns total, free, reserved, poisoned and per-type figures, as {@code /proc/meminfo}. */
    public String meminfo() {
        return MemInfo.meminfo(allocator);
    }

    /** Returns the allocator, for tests and tools in this module. */
    public BuddyAllocator allocator() {
        return allocator;
    }

    /**
     * Releases the off-heap frames. Every page of this memory becomes invalid: the caller must
     * make sure no module still copies into or out of them. Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            IO.freeMemory(allocation);
        }
    }
}
