package org.fusefs.memory.buddy;

import java.util.concurrent.locks.ReentrantLock;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.page.MemMap;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * The buddy free lists of all frames of the simulated memory, and the per-frame state that the
 * allocator needs to split and merge blocks.
 *
 * <p>Mirrors {@code struct zone} with {@code free_area[]} and the pageblock migrate types of
 * {@code mm/page_alloc.c}. The per-frame state is kept in primitive arrays (a short per frame for
 * state, order and list type, two ints for list links), not in {@link Page}, so that a frame need
 * not have a page object and the lists cost no allocation.
 *
 * <p>Locking: every mutable field is guarded by {@link #lock}; methods named {@code ...Locked}
 * and the list operations assert it. Lock order: a per-CPU list lock, then this lock; never the
 * other way. {@link #meta} of a frame owned by a caller (an allocated head, a per-CPU frame) is
 * stable while it is owned, which is why the free path may read it without the lock.
 *
 * <p>About 590 lines, most of them the list primitives and the consistency check that tests use;
 * they work on the same private arrays and would leak them if split out.
 */
public final class Zone {
    public static final int MAX_ORDER = MemoryConfig.MAX_ORDER;
    public static final int PAGEBLOCK_ORDER = MAX_ORDER;
    public static final int PAGEBLOCK_PAGES = 1 << PAGEBLOCK_ORDER;
    static final int NR_TYPES = MigrateType.values().length;

    /** Inside a block whose head is another frame. */
    static final int ST_TAIL = 0;
    /** Head of a free block on a free list. */
    static final int ST_BUDDY = 1;
    /** Head of a block handed out directly by the zone (order above 0). */
    static final int ST_ALLOC = 2;
    /** An order-0 frame that belongs to the per-CPU layer: on a per-CPU list or handed out from one. */
    static final int ST_PCP = 3;
    /** Poisoned and taken out of use for good. */
    static final int ST_OFFLINE = 4;
    /** Reserved at boot; never allocated. */
    static final int ST_RESERVED = 5;

    final ReentrantLock lock = new ReentrantLock();

    private final int nrPages;
    private final MemMap memMap;
    private final boolean grouping;
    // meta[pfn] = state << 8 | list type << 4 | order
    private final short[] meta; // guarded by lock
    private final int[] next; // guarded by lock
    // prev of a list's first frame is -(2 + order * NR_TYPES + type), so removal finds its list
    private final int[] prev; // guarded by lock
    private final byte[] pageblockType; // guarded by lock (read racily as a hint)
    private final FreeArea[] freeArea = new FreeArea[MAX_ORDER + 1]; // guarded by lock
    private final Fallbacks fallbacks = new Fallbacks(this);
    private volatile long nrFree; // written under lock
    private long nrReserved; // guarded by lock
    private long nrOffline; // guarded by lock

    /**
     * Builds the zone: the first {@code reserved} frames are reserved, all other frames are put on
     * the free lists in the largest aligned blocks, and every pageblock starts movable (as at
     * boot in the kernel).
     */
    Zone(MemMap memMap, boolean grouping, int reserved) {
        this.memMap = memMap;
        this.nrPages = memMap.size();
        this.grouping = grouping;
        if (nrPages % PAGEBLOCK_PAGES != 0) {
            throw new IllegalArgumentException("frames (" + nrPages + ") must be a multiple of " + PAGEBLOCK_PAGES);
        }
        if (reserved < 0 || reserved > nrPages) {
            throw new IllegalArgumentException("reserved frames (" + reserved + ") outside 0.." + nrPages);
        }
        this.meta = new short[nrPages];
        this.next = new int[nrPages];
        this.prev = new int[nrPages];
        this.pageblockType = new byte[nrPages / PAGEBLOCK_PAGES];
        java.util.Arrays.fill(pageblockType, (byte) MigrateType.MOVABLE.ordinal());
        for (int o = 0; o <= MAX_ORDER; o++) {
            freeArea[o] = new FreeArea();
        }
        lock.lock();
        try {
            for (int pfn = 0; pfn < reserved; pfn++) {
                Page p = memMap.page(pfn);
                p.set(PageFlag.RESERVED);
                p.setRefcount(1);
                meta[pfn] = (short) (ST_RESERVED << 8);
            }
            nrReserved = reserved;
            int pfn = reserved;
            long free = 0;
            while (pfn < nrPages) {
                int order = Math.min(MAX_ORDER, Integer.numberOfTrailingZeros(pfn | (1 << MAX_ORDER)));
                while (pfn + (1 << order) > nrPages) {
                    order--;
                }
                addFreeLocked(pfn, order, listType(pfn));
                free += 1 << order;
                pfn += 1 << order;
            }
            nrFree = free;
        } finally {
            lock.unlock();
        }
    }

    /** Returns the number of frames. */
    public int nrPages() {
        return nrPages;
    }

    /** Returns whether free lists are kept per migrate type. */
    public boolean grouping() {
        return grouping;
    }

    MemMap memMap() {
        return memMap;
    }

    /** Returns how many page objects exist; O(frames), for diagnostics. */
    public long memMapMaterialized() {
        return memMap.materialized();
    }

    /** Returns the number of frames on the buddy free lists (not counting per-CPU lists). */
    public long nrFree() {
        return nrFree;
    }

    /** Returns the number of reserved frames. */
    public long nrReserved() {
        lock.lock();
        try {
            return nrReserved;
        } finally {
            lock.unlock();
        }
    }

    /** Returns the number of poisoned frames taken out of use. */
    public long nrOffline() {
        lock.lock();
        try {
            return nrOffline;
        } finally {
            lock.unlock();
        }
    }

    // ---- per-frame state ----

    static int state(short m) {
        return m >>> 8;
    }

    static int order(short m) {
        return m & 0xf;
    }

    int stateOf(int pfn) {
        return state(meta[pfn]);
    }

    int orderOf(int pfn) {
        return order(meta[pfn]);
    }

    void setStateLocked(int pfn, int state, int order) {
        assert lock.isHeldByCurrentThread();
        meta[pfn] = (short) (state << 8 | order);
    }

    /** The free list a frame's blocks go on: its pageblock's type, or the single list without grouping. */
    int listType(int pfn) {
        return grouping ? pageblockType[pfn >> PAGEBLOCK_ORDER] : MigrateType.MOVABLE.ordinal();
    }

    /** The list an allocation of {@code type} takes from. */
    int listTypeFor(MigrateType type) {
        return grouping ? type.ordinal() : MigrateType.MOVABLE.ordinal();
    }

    /** Returns the migrate type of the pageblock holding {@code pfn}. */
    public MigrateType pageblockType(long pfn) {
        return MigrateType.values()[pageblockType[(int) (pfn >> PAGEBLOCK_ORDER)]];
    }

    void setPageblockTypeLocked(int pfn, int type) {
        assert lock.isHeldByCurrentThread();
        if (grouping) {
            pageblockType[pfn >> PAGEBLOCK_ORDER] = (byte) type;
        }
    }

    // ---- free lists ----

    int freeListHead(int order, int type) {
        return freeArea[order].head[type];
    }

    private void addFreeLocked(int pfn, int order, int type) {
        assert lock.isHeldByCurrentThread();
        FreeArea area = freeArea[order];
        int h = area.head[type];
        next[pfn] = h;
        prev[pfn] = -(2 + order * NR_TYPES + type);
        if (h >= 0) {
            prev[h] = pfn;
        }
        area.head[type] = pfn;
        area.nrFree[type]++;
        meta[pfn] = (short) (ST_BUDDY << 8 | type << 4 | order);
        Page p = memMap.peek(pfn);
        if (p != null) {
            p.set(PageFlag.BUDDY);
        }
    }

    private void delFreeLocked(int pfn) {
        assert lock.isHeldByCurrentThread();
        short m = meta[pfn];
        assert state(m) == ST_BUDDY : "not a free block head: pfn " + pfn;
        int order = order(m);
        int type = (m >> 4) & 0xf;
        int p = prev[pfn];
        int n = next[pfn];
        if (p < 0) {
            freeArea[order].head[type] = n;
        } else {
            next[p] = n;
        }
        if (n >= 0) {
            prev[n] = p;
        }
        freeArea[order].nrFree[type]--;
        meta[pfn] = ST_TAIL;
        Page page = memMap.peek(pfn);
        if (page != null) {
            page.clear(PageFlag.BUDDY);
        }
    }

    /** Moves the free block headed by {@code pfn} to the list of {@code type} of its order. */
    void moveFreeBlockLocked(int pfn, int type) {
        int order = orderOf(pfn);
        delFreeLocked(pfn);
        addFreeLocked(pfn, order, type);
    }

    /**
     * Moves every free block of the pageblock holding {@code pfn} to the lists of {@code type}.
     * Returns {free pages, allocated movable pages} of that pageblock.
     */
    long[] moveFreePagesBlockLocked(int pfn, int type) {
        assert lock.isHeldByCurrentThread();
        int start = pfn & ~(PAGEBLOCK_PAGES - 1);
        int end = start + PAGEBLOCK_PAGES;
        long free = 0;
        long movable = 0;
        int p = start;
        while (p < end) {
            short m = meta[p];
            int st = state(m);
            if (st == ST_BUDDY) {
                int o = order(m);
                moveFreeBlockLocked(p, type);
                free += 1 << o;
                p += 1 << o;
            } else if (st == ST_ALLOC || st == ST_PCP) {
                int o = order(m);
                Page page = memMap.peek(p);
                if (page != null && page.refcount() > 0 && page.migrateType() == MigrateType.MOVABLE) {
                    movable += 1 << o;
                }
                p += 1 << o;
            } else {
                p++;
            }
        }
        return new long[] {free, movable};
    }

    /** Takes the smallest free block of {@code order} or more from the list of {@code type}; -1 if none. */
    int rmqueueSmallest(int order, int type) {
        assert lock.isHeldByCurrentThread();
        for (int o = order; o <= MAX_ORDER; o++) {
            int pfn = freeArea[o].head[type];
            if (pfn >= 0) {
                delFreeLocked(pfn);
                expandLocked(pfn, order, o, type);
                return pfn;
            }
        }
        return -1;
    }

    /** Puts the upper halves of a block of {@code high} back until a block of {@code low} remains. */
    private void expandLocked(int pfn, int low, int high, int type) {
        while (high > low) {
            high--;
            addFreeLocked(pfn + (1 << high), high, type);
        }
    }

    /**
     * Removes a block of {@code order} for an allocation of {@code type}, falling back to other
     * types when grouping is on; returns its first frame or -1. The frame's state is left as tail
     * for the caller to set; the free count is updated.
     */
    int rmqueueLocked(int order, MigrateType type) {
        int t = listTypeFor(type);
        int pfn = rmqueueSmallest(order, t);
        if (pfn < 0 && grouping) {
            pfn = fallbacks.rmqueueFallback(order, t);
        }
        if (pfn >= 0) {
            nrFree -= 1L << order;
        }
        return pfn;
    }

    /**
     * Frees the block of {@code order} at {@code pfn}, merging it with its buddy as long as the
     * buddy is a free block of the same order, and counts it free.
     *
     * <p>A buddy may merge when (a) it is in range, (b) it heads a free block, (c) of the same
     * order; (d) being in the same zone holds trivially. Blocks never merge above a pageblock,
     * so a merged block always lies in one pageblock and goes on that pageblock's list.
     */
    void freeOneLocked(int pfn, int order) {
        assert lock.isHeldByCurrentThread();
        nrFree += 1L << order;
        meta[pfn] = ST_TAIL;
        while (order < MAX_ORDER) {
            int buddy = pfn ^ (1 << order);
            if (buddy >= nrPages) {
                break;
            }
            short m = meta[buddy];
            if (state(m) != ST_BUDDY || order(m) != order) {
                break;
            }
            delFreeLocked(buddy);
            pfn &= buddy;
            order++;
        }
        addFreeLocked(pfn, order, listType(pfn));
    }

    /**
     * Frees the order-0 frames {@code pfns[0..n)}, which the caller owns and which are on no
     * list (per-CPU frames being drained), and counts them free. Runs of neighbouring frames, in
     * ascending or descending order (as reclaim and the per-CPU stacks leave them), go in as the
     * largest aligned blocks they hold, so that a run of 2^k aligned frames costs one merge walk
     * instead of 2^k. The result is the same as freeing frame by frame: with eager merging, the
     * free blocks of a set of free frames are its unique decomposition into maximal aligned
     * blocks (of at most a pageblock), whatever the order of the frees. The frames are not
     * sorted: a sort cost more than the merging it saved when the runs come descending. With
     * {@code checkPoison}, a poisoned frame goes offline instead and no runs are formed.
     */
    void freeFramesLocked(int[] pfns, int n, boolean checkPoison) {
        assert lock.isHeldByCurrentThread();
        if (checkPoison) {
            for (int i = 0; i < n; i++) {
                int pfn = pfns[i];
                Page page = memMap.peek(pfn);
                if (page != null && page.test(PageFlag.HWPOISON)) {
                    offlineLocked(pfn);
                } else {
                    freeOneLocked(pfn, 0);
                }
            }
            return;
        }
        int i = 0;
        while (i < n) {
            int first = pfns[i];
            int j = i + 1;
            if (j < n && pfns[j] == first - 1) {
                while (j < n && pfns[j] == pfns[j - 1] - 1) {
                    j++;
                }
                freeRunLocked(pfns[j - 1], first + 1);
            } else {
                while (j < n && pfns[j] == pfns[j - 1] + 1) {
                    j++;
                }
                freeRunLocked(first, pfns[j - 1] + 1);
            }
            i = j;
        }
    }

    /** Frees frames {@code [pfn, end)} as the largest aligned blocks that fit. */
    private void freeRunLocked(int pfn, int end) {
        while (pfn < end) {
            int order = Math.min(MAX_ORDER, Integer.numberOfTrailingZeros(pfn | (1 << MAX_ORDER)));
            while (pfn + (1 << order) > end) {
                order--;
            }
            for (int q = pfn + 1, last = pfn + (1 << order); q < last; q++) {
                meta[q] = ST_TAIL;
            }
            freeOneLocked(pfn, order);
            pfn += 1 << order;
        }
    }

    /**
     * Frees the block of {@code order} at {@code pfn} except its poisoned frames, which go
     * offline: the block is halved until each piece is clean (freed) or a single bad frame.
     */
    void freeAvoidingPoisonLocked(int pfn, int order) {
        assert lock.isHeldByCurrentThread();
        if (!containsPoison(pfn, order)) {
            freeOneLocked(pfn, order);
            return;
        }
        if (order == 0) {
            meta[pfn] = (short) (ST_OFFLINE << 8);
            nrOffline++;
            return;
        }
        meta[pfn] = ST_TAIL;
        freeAvoidingPoisonLocked(pfn, order - 1);
        freeAvoidingPoisonLocked(pfn + (1 << (order - 1)), order - 1);
    }

    private boolean containsPoison(int pfn, int order) {
        for (int p = pfn, end = pfn + (1 << order); p < end; p++) {
            Page page = memMap.peek(p);
            if (page != null && page.test(PageFlag.HWPOISON)) {
                return true;
            }
        }
        return false;
    }

    /** Takes frame {@code pfn}, which is a per-CPU frame no longer on any list, out of use. */
    void offlineLocked(int pfn) {
        assert lock.isHeldByCurrentThread();
        meta[pfn] = (short) (ST_OFFLINE << 8);
        nrOffline++;
    }

    /**
     * Takes frame {@code pfn} off the free lists for good if it lies in a free block: the block
     * is split and every part but the frame goes back. Returns whether the frame was free.
     * Mirrors {@code take_page_off_buddy()}.
     */
    boolean takePageOffBuddyLocked(int pfn) {
        assert lock.isHeldByCurrentThread();
        for (int o = 0; o <= MAX_ORDER; o++) {
            int head = pfn & ~((1 << o) - 1);
            short m = meta[head];
            if (state(m) != ST_BUDDY || order(m) < o) {
                continue;
            }
            int order = order(m);
            int type = (m >> 4) & 0xf;
            delFreeLocked(head);
            while (order > 0) {
                order--;
                int half = 1 << order;
                if (pfn >= head + half) {
                    addFreeLocked(head, order, type);
                    head += half;
                } else {
                    addFreeLocked(head + half, order, type);
                }
            }
            meta[pfn] = (short) (ST_OFFLINE << 8);
            nrFree--;
            nrOffline++;
            return true;
        }
        return false;
    }

    /**
     * Returns the head of the allocated block that contains {@code pfn}, or -1 if it is in none:
     * an order-0 per-CPU frame or a zone-allocated head at or below it whose block covers it.
     */
    int allocatedHeadLocked(int pfn) {
        assert lock.isHeldByCurrentThread();
        for (int o = 0; o <= MAX_ORDER; o++) {
            int head = pfn & ~((1 << o) - 1);
            short m = meta[head];
            int st = state(m);
            if (st == ST_ALLOC && order(m) >= o) {
                return head;
            }
            if (o == 0 && st == ST_PCP) {
                Page page = memMap.peek(pfn);
                return page != null && page.refcount() > 0 ? pfn : -1;
            }
            if (st == ST_BUDDY && order(m) >= o) {
                return -1;
            }
        }
        return -1;
    }

    /** Returns whether {@code pfn} lies in a free block on the buddy lists. */
    boolean isFreeLocked(int pfn) {
        assert lock.isHeldByCurrentThread();
        for (int o = 0; o <= MAX_ORDER; o++) {
            short m = meta[pfn & ~((1 << o) - 1)];
            if (state(m) == ST_BUDDY && order(m) >= o) {
                return true;
            }
        }
        return false;
    }

    // ---- figures ----

    /** Returns free blocks as {@code [order][type]}, taken under the lock. */
    public long[][] freeBlocks() {
        lock.lock();
        try {
            long[][] r = new long[MAX_ORDER + 1][];
            for (int o = 0; o <= MAX_ORDER; o++) {
                r[o] = freeArea[o].nrFree.clone();
            }
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** Returns the number of pageblocks of each migrate type. */
    public long[] pageblockCounts() {
        lock.lock();
        try {
            long[] r = new long[NR_TYPES];
            for (byte t : pageblockType) {
                r[t]++;
            }
            return r;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks the free lists against the per-frame state: every list entry is a buddy head of the
     * list's order, links are consistent, counts match, blocks are aligned and do not overlap.
     * Returns the number of free frames found. For tests.
     */
    public long checkFreeListsLocked() {
        assert lock.isHeldByCurrentThread();
        long frames = 0;
        for (int o = 0; o <= MAX_ORDER; o++) {
            for (int t = 0; t < NR_TYPES; t++) {
                long n = 0;
                int prevPfn = -(2 + o * NR_TYPES + t);
                for (int p = freeArea[o].head[t]; p >= 0; p = next[p]) {
                    short m = meta[p];
                    if (state(m) != ST_BUDDY || order(m) != o || ((m >> 4) & 0xf) != t) {
                        throw new IllegalStateException("free list " + o + "/" + t + " holds pfn " + p + " meta " + m);
                    }
                    if ((p & ((1 << o) - 1)) != 0) {
                        throw new IllegalStateException("misaligned free block pfn " + p + " order " + o);
                    }
                    if (prev[p] != prevPfn) {
                        throw new IllegalStateException("broken prev link at pfn " + p);
                    }
                    for (int q = p + 1; q < p + (1 << o); q++) {
                        if (state(meta[q]) != ST_TAIL) {
                            throw new IllegalStateException("frame " + q + " inside free block " + p + " has state " + state(meta[q]));
                        }
                    }
                    prevPfn = p;
                    n++;
                    frames += 1 << o;
                }
                if (n != freeArea[o].nrFree[t]) {
                    throw new IllegalStateException("order " + o + " type " + t + ": " + n + " blocks listed, " + freeArea[o].nrFree[t] + " counted");
                }
            }
        }
        if (frames != nrFree) {
            throw new IllegalStateException("free lists hold " + frames + " frames, counter says " + nrFree);
        }
        return frames;
    }
}
