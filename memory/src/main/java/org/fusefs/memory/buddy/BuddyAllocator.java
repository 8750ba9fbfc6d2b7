package org.fusefs.memory.buddy;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.Shrinker;
import org.fusefs.memory.owner.AllocationHooks;
import org.fusefs.memory.page.MemMap;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * The page allocator: order-0 pages through per-CPU lists, larger blocks from the zone's buddy
 * lists, and a slow path that drains the per-CPU lists and then asks shrinkers to give pages
 * back before it fails.
 *
 * <p>Mirrors {@code __alloc_pages()}, {@code rmqueue()}, {@code free_unref_page()},
 * {@code free_unref_folios()} and {@code __free_pages()} of {@code mm/page_alloc.c}.
 *
 * <p>Lock order (outermost first): callers' locks (inode, page), a per-CPU slot lock, the zone
 * lock. Shrinkers and hooks are called with no allocator lock held.
 *
 * <p>Freeing drops one reference: the block goes back only when the count reaches zero, so a
 * holder that took {@link Page#get()} releases it with {@link #freePages} too. Freeing a page
 * whose count is already zero (a free frame, a frame inside another block, one freed twice), a
 * reserved page, or a page still locked, under writeback or marked buddy is a bad page:
 * {@link IllegalStateException} "bad page: ..." and nothing changes. A poisoned page never
 * returns to the free lists.
 *
 * <p>Freeing a batch ({@link #freePages(Page[], int)}) applies the same checks page by page and
 * takes the per-CPU and zone locks once per window of {@value #FREE_WINDOW} pages.
 *
 * <p>Longer than our usual class (about 720 lines) because the fast paths, the slow path, the
 * single and batch free paths and the hooks memory failure needs all share the same two-lock
 * protocol with the per-CPU lists; split apart, each piece would have to re-explain it.
 */
public final class BuddyAllocator {
    /** Passes of active freeing, each asking for twice as much as the one before (as reclaim priority). */
    static final int DEF_PRIORITY = 12;
    /**
     * Pages {@link #freePages(Page[], int)} frees under one acquisition of each lock (one bit
     * each in a {@code long}, so that a batch allocates nothing).
     */
    public static final int FREE_WINDOW = 64;
    private static final String FREE_FRAME = "freeing a free or never allocated frame";
    private static final int BAD_AT_FREE = PageFlag.LOCKED.mask() | PageFlag.WRITEBACK.mask()
            | PageFlag.BUDDY.mask() | PageFlag.RESERVED.mask() | PageFlag.SLAB.mask();

    /**
     * Set while this thread runs shrinkers, so that an allocation made by a shrinker fails
     * rather than recursing into reclaim (the kernel's {@code PF_MEMALLOC}).
     */
    private static final ThreadLocal<boolean[]> IN_RECLAIM = ThreadLocal.withInitial(() -> new boolean[1]);

    private final Zone zone;
    private final MemMap memMap;
    private final PerCpuPages[] pcps;
    private final int pcpMask;
    private final CopyOnWriteArrayList<Shrinker> shrinkers = new CopyOnWriteArrayList<>();
    private final long[] zoneAllocated = new long[Zone.NR_TYPES]; // guarded by zone.lock
    // One flag check on the hot paths when page_owner is off.
    private volatile boolean hooksOn;
    private volatile AllocationHooks hooks = AllocationHooks.NONE;
    private volatile int nrHwPoisoned; // written under zone.lock

    /**
     * Creates the allocator over {@code memMap}; {@code reserved} first frames are reserved.
     *
     * @param slots per-CPU slots, a power of two
     */
    public BuddyAllocator(MemMap memMap, boolean grouping, int reserved, int slots) {
        if (slots <= 0 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("per-CPU slots (" + slots + ") must be a power of two");
        }
        this.memMap = memMap;
        this.zone = new Zone(memMap, grouping, reserved);
        int batch = (int) Math.max(1, Math.min(63, memMap.size() / ((long) slots * Zone.NR_TYPES * 32)));
        this.pcps = new PerCpuPages[slots];
        for (int i = 0; i < slots; i++) {
            pcps[i] = new PerCpuPages(batch, 4 * batch);
        }
        this.pcpMask = slots - 1;
    }

    /** Returns a slot count suited to this machine: twice the processors, at least 4, at most 64. */
    public static int defaultSlots() {
        int n = Math.max(4, Math.min(64, 2 * Runtime.getRuntime().availableProcessors()));
        return Integer.highestOneBit(n - 1) << 1;
    }

    public Zone zone() {
        return zone;
    }

    private PerCpuPages thisCpu() {
        return pcps[(int) Thread.currentThread().getId() & pcpMask];
    }

    // ---- allocation ----

    /**
     * Allocates {@code 2^order} contiguous frames for an allocation of {@code type}; returns the
     * head (refcount 1) or {@code null}. Tries the per-CPU list or the buddy lists, then the slow
     * path ({@link #allocSlowpath}).
     */
    public Page allocPages(int order, MigrateType type) {
        if (order < 0 || order > MemoryConfig.MAX_ORDER) {
            throw new IllegalArgumentException("order " + order + " outside 0.." + MemoryConfig.MAX_ORDER);
        }
        Objects.requireNonNull(type, "migrate type");
        Page p = tryAlloc(order, type);
        if (p == null) {
            p = allocSlowpath(order, type);
        }
        if (p != null && hooksOn) {
            hooks.postAlloc(p, order, type);
        }
        return p;
    }

    private Page tryAlloc(int order, MigrateType type) {
        return order == 0 ? rmqueuePcp(type) : rmqueueZone(order, type);
    }

    /**
     * The path taken when the lists have nothing: drain every per-CPU list (their frames may
     * complete a block), then ask the shrinkers for more and more pages, retrying after each
     * pass, until the allocation succeeds or a pass frees nothing ("active freeing").
     */
    private Page allocSlowpath(int order, MigrateType type) {
        drainAllPages();
        Page p = tryAlloc(order, type);
        if (p != null || shrinkers.isEmpty() || IN_RECLAIM.get()[0]) {
            return p;
        }
        boolean[] inReclaim = IN_RECLAIM.get();
        inReclaim[0] = true;
        try {
            for (int priority = DEF_PRIORITY; priority >= 0; priority--) {
                long nr = Math.max(1L << order, (long) zone.nrPages() >> priority);
                long freed = 0;
                for (Shrinker s : shrinkers) {
                    freed += s.shrink(nr, order);
                }
                drainAllPages();
                p = tryAlloc(order, type);
                if (p != null || freed == 0) {
                    return p;
                }
            }
            return null;
        } finally {
            inReclaim[0] = false;
        }
    }

    private Page rmqueuePcp(MigrateType type) {
        PerCpuPages pcp = thisCpu();
        int t = zone.listTypeFor(type);
        pcp.lock();
        try {
            for (;;) {
                if (pcp.count(t) == 0 && refillLocked(pcp, t, type) == 0) {
                    return null;
                }
                int pfn = pcp.pop(t);
                Page page = memMap.page(pfn);
                if (page.flags() != 0 && !checkNewPageLocked(page)) {
                    continue;
                }
                page.prepareNew(0, type);
                pcp.addAllocated(type.ordinal(), 1);
                return page;
            }
        } finally {
            pcp.unlock();
        }
    }

    /**
     * Checks a frame leaving a per-CPU list with flags set: a poisoned one goes offline (returns
     * false, take another); anything else is a broken invariant. Mirrors {@code check_new_page()}.
     */
    private boolean checkNewPageLocked(Page page) {
        if (page.test(PageFlag.HWPOISON)) {
            zone.lock.lock(); // nests inside the per-CPU lock
            try {
                zone.offlineLocked((int) page.pfn());
            } finally {
                zone.lock.unlock();
            }
            return false;
        }
        throw new IllegalStateException("bad page: flags set on a free frame: " + page);
    }

    private int refillLocked(PerCpuPages pcp, int t, MigrateType type) {
        assert pcp.isLocked();
        int n = 0;
        zone.lock.lock(); // nests inside the per-CPU lock, never the other way
        try {
            for (; n < pcp.batch; n++) {
                int pfn = zone.rmqueueLocked(0, type);
                if (pfn < 0) {
                    break;
                }
                zone.setStateLocked(pfn, Zone.ST_PCP, 0);
                pcp.push(t, pfn);
            }
        } finally {
            zone.lock.unlock();
        }
        // The zone hands out a batch in ascending frame order; popping it from the top would give
        // consecutive file pages descending frames, which defeats the CPU's prefetching when a
        // reader walks a file.
        pcp.reverseTop(t, n);
        return n;
    }

    private Page rmqueueZone(int order, MigrateType type) {
        zone.lock.lock();
        try {
            int pfn = zone.rmqueueLocked(order, type);
            if (pfn < 0) {
                return null;
            }
            zone.setStateLocked(pfn, Zone.ST_ALLOC, order);
            Page page = memMap.page(pfn);
            if (page.flags() != 0) {
                throw new IllegalStateException("bad page: flags set on a free block: " + page);
            }
            page.prepareNew(order, type);
            zoneAllocated[type.ordinal()] += 1L << order;
            return page;
        } finally {
            zone.lock.unlock();
        }
    }

    // ---- freeing ----

    /**
     * Drops the caller's reference to the block headed by {@code page}; on the last reference
     * the block returns to the allocator (order-0 frames through the per-CPU list).
     *
     * @throws IllegalStateException "bad page: ..." with the page's state if the page is not a
     *     live block head or is in a state that must not be freed; nothing is changed then
     */
    public void freePages(Page page) {
        checkOwned(page);
        String reason = checkFree(page);
        if (reason != null) {
            throw badPage(page, reason);
        }
        int left = page.putUnlessZero();
        if (left < 0) {
            throw badPage(page, FREE_FRAME);
        }
        if (left > 0) {
            return;
        }
        int order = page.order();
        freePrepare(page, order);
        int pfn = (int) page.pfn();
        if (order == 0) {
            freePcp(page, pfn);
        } else {
            freeZone(page, pfn, order);
        }
    }

    /**
     * Drops one reference to each of {@code pages[0..n)}, in order, as {@link #freePages(Page)}
     * does, and frees the blocks whose count reaches zero together: per window of
     * {@value #FREE_WINDOW} pages, the per-CPU slot lock is taken once for all order-0 frames
     * and the zone lock at most once, for the frames beyond the slot's high mark (which go to
     * the buddy lists directly, merged as runs) and for the blocks above order 0. Mirrors
     * {@code release_pages()} / {@code free_unref_folios()}.
     *
     * <p>A page may appear more than once (each entry drops one reference). A bad page (see
     * {@link #freePages(Page)}) does not stop the batch: it is left as it was, the other pages
     * are freed, and then an {@link IllegalStateException} "bad page: ..." names the first bad
     * page, with one suppressed exception for each further one (the kernel's
     * {@code free_pages_prepare()} likewise reports a bad page and leaves it out). An entry
     * that repeats a page whose last reference an earlier entry dropped is such a bad page.
     *
     * <p>Locking: as {@link #freePages(Page)}; page_owner hooks run before any allocator lock is
     * taken.
     *
     * @throws IllegalArgumentException if {@code n} is outside the array or a page belongs to
     *     another memory; checked before anything changes
     * @throws NullPointerException if an entry below {@code n} is null; checked likewise
     */
    public void freePages(Page[] pages, int n) {
        if (n < 0 || n > pages.length) {
            throw new IllegalArgumentException("batch of " + n + " pages outside an array of " + pages.length);
        }
        for (int i = 0; i < n; i++) {
            checkOwned(pages[i]);
        }
        IllegalStateException bad = null;
        for (int from = 0; from < n; from += FREE_WINDOW) {
            bad = freeWindow(pages, from, Math.min(n, from + FREE_WINDOW), bad);
        }
        if (bad != null) {
            throw bad;
        }
    }

    /** Frees {@code pages[from..to)}, at most {@value #FREE_WINDOW}; returns {@code bad} with this window's bad pages added. */
    private IllegalStateException freeWindow(Page[] pages, int from, int to, IllegalStateException bad) {
        // Bit i: pages[from + i] lost its last reference; one mask per path, so nothing is allocated.
        long toPcp = 0;
        long toZone = 0;
        for (int i = from; i < to; i++) {
            Page page = pages[i];
            String reason = checkFree(page);
            int left = reason == null ? page.putUnlessZero() : 0;
            if (left < 0) {
                reason = FREE_FRAME;
            }
            if (reason != null) {
                IllegalStateException e = badPage(page, reason);
                if (bad == null) {
                    bad = e;
                } else {
                    bad.addSuppressed(e);
                }
                continue;
            }
            if (left > 0) {
                continue;
            }
            int order = page.order();
            freePrepare(page, order);
            if (order == 0) {
                toPcp |= 1L << (i - from);
            } else {
                toZone |= 1L << (i - from);
            }
        }
        if ((toPcp | toZone) == 0) {
            return bad;
        }
        PerCpuPages pcp = toPcp != 0 ? thisCpu() : null;
        boolean zoneLocked = false;
        if (pcp != null) {
            pcp.lock();
        }
        try {
            // Frames past the slot's high mark go straight to the zone, together and in batch
            // order, so that neighbours freed together merge at once; the slot keeps its hot
            // frames instead of pushing frames through it only to drain them again.
            int[] direct = pcp != null ? pcp.scratch : null;
            int nDirect = 0;
            for (long m = toPcp; m != 0; m &= m - 1) {
                Page page = pages[from + Long.numberOfTrailingZeros(m)];
                int pfn = (int) page.pfn();
                pcp.addAllocated(page.migrateType().ordinal(), -1);
                // As in freePcp: checked under the slot lock.
                if (page.test(PageFlag.HWPOISON)) {
                    if (!zoneLocked) {
                        zone.lock.lock(); // nests inside the per-CPU lock
                        zoneLocked = true;
                    }
                    zone.offlineLocked(pfn);
                    continue;
                }
                if (pcp.total() < pcp.high) {
                    pcp.push(zone.listType(pfn), pfn);
                } else {
                    direct[nDirect++] = pfn;
                }
            }
            if (nDirect > 0 || toZone != 0) {
                if (!zoneLocked) {
                    zone.lock.lock(); // nests inside the per-CPU lock, if that is held
                    zoneLocked = true;
                }
                if (nDirect > 0) {
                    // A frame poisoned since the check above carries the flag now (setHwPoison
                    // marks under the zone lock): the zone looks at each frame then.
                    zone.freeFramesLocked(direct, nDirect, nrHwPoisoned > 0);
                }
                for (long m = toZone; m != 0; m &= m - 1) {
                    Page page = pages[from + Long.numberOfTrailingZeros(m)];
                    freeZoneLocked(page, (int) page.pfn(), page.order());
                }
            }
        } finally {
            if (zoneLocked) {
                zone.lock.unlock();
            }
            if (pcp != null) {
                pcp.unlock();
            }
        }
        return bad;
    }

    private void checkOwned(Page page) {
        int pfn = (int) page.pfn();
        if (pfn < 0 || pfn >= memMap.size() || memMap.peek(pfn) != page) {
            throw new IllegalArgumentException("page " + page + " does not belong to this memory");
        }
    }

    /**
     * Returns why {@code page} must not be freed, or {@code null} if it may: no reference left,
     * a flag that forbids it, or not the head of an allocated block. Reads only; the caller drops
     * the reference afterwards with {@link Page#putUnlessZero()}, which catches a racing free.
     */
    private String checkFree(Page page) {
        if (page.refcount() <= 0) {
            return FREE_FRAME;
        }
        if ((page.flags() & BAD_AT_FREE) != 0) {
            return "flags set at free";
        }
        int pfn = (int) page.pfn();
        int order = page.order();
        int st = zone.stateOf(pfn);
        if (order == 0 ? st != Zone.ST_PCP : st != Zone.ST_ALLOC || zone.orderOf(pfn) != order) {
            return "not the head of an allocated block";
        }
        return null;
    }

    /**
     * Prepares a block whose last reference was dropped ({@code free_pages_prepare()}): tells
     * page_owner, clears the owner and flags of the head, and of every tail, which may have been
     * given flags or an owner while in use, so that a tail that later heads a block starts clean.
     * No allocator lock held.
     */
    private void freePrepare(Page page, int order) {
        if (hooksOn) {
            hooks.onFree(page, order);
        }
        page.resetOnFree();
        if (order > 0) {
            int pfn = (int) page.pfn();
            for (int p = pfn + 1, end = pfn + (1 << order); p < end; p++) {
                Page tail = memMap.peek(p);
                if (tail != null) {
                    tail.resetOnFree();
                }
            }
        }
    }

    private static IllegalStateException badPage(Page page, String reason) {
        return new IllegalStateException("bad page: " + reason + ": " + page);
    }

    private void freePcp(Page page, int pfn) {
        PerCpuPages pcp = thisCpu();
        pcp.lock();
        try {
            pcp.addAllocated(page.migrateType().ordinal(), -1);
            // Checked under the slot lock: memory failure sets the flag and then drains every
            // slot, so a frame poisoned concurrently is caught here, at pop or at the drain.
            if (page.test(PageFlag.HWPOISON)) {
                zone.lock.lock();
                try {
                    zone.offlineLocked(pfn);
                } finally {
                    zone.lock.unlock();
                }
                return;
            }
            pcp.push(zone.listType(pfn), pfn);
            if (pcp.total() >= pcp.high) {
                freePcpBulkLocked(pcp, pcp.batch);
            }
        } finally {
            pcp.unlock();
        }
    }

    /** Returns up to {@code n} frames, coldest first, from the slot's lists to the zone. */
    private void freePcpBulkLocked(PerCpuPages pcp, int n) {
        assert pcp.isLocked();
        zone.lock.lock(); // nests inside the per-CPU lock, never the other way
        try {
            freePcpBulkZoneLocked(pcp, n);
        } finally {
            zone.lock.unlock();
        }
    }

    /**
     * {@link #freePcpBulkLocked} with the zone lock already held ({@code free_pcppages_bulk()}):
     * the frames of each list go to the zone together, which merges runs of neighbours at once.
     */
    private void freePcpBulkZoneLocked(PerCpuPages pcp, int n) {
        assert pcp.isLocked() && zone.lock.isHeldByCurrentThread();
        // Read under the zone lock, which setHwPoison holds while it marks a frame: when zero,
        // no frame carries the flag and the zone need not look at each page.
        boolean checkPoison = nrHwPoisoned > 0;
        while (n > 0 && pcp.total() > 0) {
            int t = 0;
            for (int i = 1; i < Zone.NR_TYPES; i++) {
                if (pcp.count(i) > pcp.count(t)) {
                    t = i;
                }
            }
            int take = Math.min(n, pcp.count(t));
            int[] frames = pcp.scratch;
            for (int i = 0; i < take; i++) {
                frames[i] = pcp.bottom(t, i);
            }
            pcp.removeBottom(t, take);
            zone.freeFramesLocked(frames, take, checkPoison);
            n -= take;
        }
    }

    private void freeZone(Page page, int pfn, int order) {
        zone.lock.lock();
        try {
            freeZoneLocked(page, pfn, order);
        } finally {
            zone.lock.unlock();
        }
    }

    /** Puts a prepared block of {@code order} above 0 back on the buddy lists. */
    private void freeZoneLocked(Page page, int pfn, int order) {
        assert zone.lock.isHeldByCurrentThread();
        zoneAllocated[page.migrateType().ordinal()] -= 1L << order;
        page.setOrder(0);
        if (nrHwPoisoned > 0) {
            zone.freeAvoidingPoisonLocked(pfn, order);
        } else {
            zone.freeOneLocked(pfn, order);
        }
    }

    /** Returns every per-CPU frame to the zone. Mirrors {@code drain_all_pages()}. */
    public void drainAllPages() {
        for (PerCpuPages pcp : pcps) {
            pcp.lock();
            try {
                if (pcp.total() > 0) {
                    freePcpBulkLocked(pcp, pcp.total());
                }
            } finally {
                pcp.unlock();
            }
        }
    }

    // ---- shrinkers and hooks ----

    public void registerShrinker(Shrinker s) {
        shrinkers.add(Objects.requireNonNull(s, "shrinker"));
    }

    public void unregisterShrinker(Shrinker s) {
        shrinkers.remove(s);
    }

    /** Returns the attached hooks; {@link AllocationHooks#NONE} when off. */
    public AllocationHooks hooks() {
        return hooks;
    }

    /** Attaches {@code h} and switches it on, or switches hooks off with {@code null}. */
    public void setHooks(AllocationHooks h) {
        if (h == null) {
            hooksOn = false;
            hooks = AllocationHooks.NONE;
        } else {
            hooks = h;
            hooksOn = true;
        }
    }

    // ---- figures ----

    /** Returns the frames not in use: on the buddy lists and on the per-CPU lists. */
    public long nrFreePages() {
        long n = zone.nrFree();
        for (PerCpuPages pcp : pcps) {
            n += pcp.count();
        }
        return n;
    }

    /** Returns the frames on per-CPU lists. */
    public long nrPcpPages() {
        long n = 0;
        for (PerCpuPages pcp : pcps) {
            n += pcp.count();
        }
        return n;
    }

    /** Returns the frames allocated per migrate type, indexed by ordinal. */
    public long[] allocatedPerType() {
        long[] r = new long[Zone.NR_TYPES];
        for (PerCpuPages pcp : pcps) {
            pcp.lock();
            try {
                for (int t = 0; t < Zone.NR_TYPES; t++) {
                    r[t] += pcp.allocated(t);
                }
            } finally {
                pcp.unlock();
            }
        }
        zone.lock.lock();
        try {
            for (int t = 0; t < Zone.NR_TYPES; t++) {
                r[t] += zoneAllocated[t];
            }
        } finally {
            zone.lock.unlock();
        }
        return r;
    }

    // ---- memory failure support ----

    /**
     * Returns the page of {@code pfn}, creating it if needed. A page created here for a free
     * block head gets its buddy flag, under the zone lock, so it agrees with the free lists.
     */
    public Page pfnToPage(int pfn) {
        Page p = memMap.peek(pfn);
        if (p != null) {
            return p;
        }
        zone.lock.lock();
        try {
            p = memMap.page(pfn);
            if (zone.stateOf(pfn) == Zone.ST_BUDDY) {
                p.set(PageFlag.BUDDY);
            }
            return p;
        } finally {
            zone.lock.unlock();
        }
    }

    /** Where a frame is, as memory failure sees it. */
    public enum FrameKind { FREE, ALLOCATED, RESERVED, OFFLINE, IN_FLIGHT }

    /** A frame's place and, when allocated, the head of its block. */
    public record FrameState(FrameKind kind, Page head) {
    }

    /**
     * Marks frame {@code pfn} poisoned; returns {@code null} if it already was. Under the zone
     * lock, so that no allocation can take the frame between the mark and the check: a free frame
     * is taken off the free lists right here and reported as {@link FrameKind#FREE}. Any other
     * frame is returned as found; the caller then settles the race with the per-CPU layer by
     * {@link #drainAllPages()} (taken outside the zone lock, which ranks below the per-CPU locks).
     */
    public FrameState setHwPoison(int pfn) {
        zone.lock.lock();
        try {
            Page page = memMap.page(pfn);
            if (page.testAndSet(PageFlag.HWPOISON)) {
                return null;
            }
            nrHwPoisoned++;
            if (zone.takePageOffBuddyLocked(pfn)) {
                page.clear(PageFlag.BUDDY);
                return new FrameState(FrameKind.FREE, null);
            }
            return classifyLocked(pfn);
        } finally {
            zone.lock.unlock();
        }
    }

    /** Returns the number of frames marked poisoned. */
    public int nrHwPoisoned() {
        return nrHwPoisoned;
    }

    /** Classifies frame {@code pfn}. */
    public FrameState classify(int pfn) {
        zone.lock.lock();
        try {
            return classifyLocked(pfn);
        } finally {
            zone.lock.unlock();
        }
    }

    private FrameState classifyLocked(int pfn) {
        assert zone.lock.isHeldByCurrentThread();
        {
            int st = zone.stateOf(pfn);
            if (st == Zone.ST_RESERVED) {
                return new FrameState(FrameKind.RESERVED, null);
            }
            if (st == Zone.ST_OFFLINE) {
                return new FrameState(FrameKind.OFFLINE, null);
            }
            if (zone.isFreeLocked(pfn)) {
                return new FrameState(FrameKind.FREE, null);
            }
            int head = zone.allocatedHeadLocked(pfn);
            if (head >= 0) {
                return new FrameState(FrameKind.ALLOCATED, memMap.page(head));
            }
            // A per-CPU frame freed after the drain: caught when it leaves the list.
            return new FrameState(FrameKind.IN_FLIGHT, null);
        }
    }

    /** Checks the zone's lists and counters; for tests. Returns the frames on the buddy lists. */
    public long checkInvariants() {
        zone.lock.lock();
        try {
            return zone.checkFreeListsLocked();
        } finally {
            zone.lock.unlock();
        }
    }
}
