package org.fusefs.memory.buddy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A cache of free order-0 frames for one CPU slot, one list per migrate type, refilled from and
 * drained to the zone in batches.
 *
 * <p>Mirrors {@code struct per_cpu_pages}. Threads map to slots by thread id, so two threads
 * usually use different slots and never meet on the zone lock for order-0 traffic. Each slot has
 * its own small spin lock: its owner takes it uncontended (one compare-and-set, released with a
 * plain store), and a remote drain (a failing allocation, memory failure, figures) takes it
 * briefly, as the kernel's {@code pcp->lock} does. Lock order: this lock, then the zone lock.
 */
final class PerCpuPages extends PerCpuPagesFields {
    // Padding after the hot fields: slots written by different threads must not share a cache line.
    long p10, p11, p12, p13, p14, p15, p16, p17;

    PerCpuPages(int batch, int high) {
        super(batch, high);
    }
}

/** Padding before the hot fields of {@link PerCpuPages}. */
abstract class PerCpuPagesPad {
    long p00, p01, p02, p03, p04, p05, p06, p07;
}

/** The fields of {@link PerCpuPages}; see there. */
abstract class PerCpuPagesFields extends PerCpuPagesPad {
    private static final VarHandle LOCKED;
    private static final VarHandle COUNT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LOCKED = l.findVarHandle(PerCpuPagesFields.class, "locked", int.class);
            COUNT = l.findVarHandle(PerCpuPagesFields.class, "count", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Frames moved between this slot and the zone at once. */
    final int batch;
    /** Frames above which a free drains a batch to the zone. */
    final int high;
    // The lists are stacks of pfns; the hot end is the top, as LIFO keeps caches warm.
    // Arrays are padded at both ends (PAD ints or longs) so that their hot entries never share
    // a cache line with another slot's data; index PAD is entry 0.
    static final int PAD = 16;
    final int[][] lists = new int[Zone.NR_TYPES][]; // guarded by locked
    final int[] counts = new int[PAD + Zone.NR_TYPES + PAD]; // guarded by locked, offset PAD
    /** Pages handed out from this slot and not yet freed, per type (may go negative per slot). */
    final long[] allocated = new long[PAD / 2 + Zone.NR_TYPES + PAD / 2]; // guarded by locked, offset PAD / 2
    /**
     * Frames on their way to the zone (from one list, or past the high mark in a bulk free), so
     * that the zone can merge neighbours at once; room for a list or a bulk-free window.
     */
    final int[] scratch; // guarded by locked
    @SuppressWarnings("unused") // accessed through LOCKED
    int locked;
    @SuppressWarnings("unused") // written under locked, read through COUNT by figures
    int count;

    PerCpuPagesFields(int batch, int high) {
        this.batch = batch;
        this.high = high;
        for (int t = 0; t < Zone.NR_TYPES; t++) {
            lists[t] = new int[PAD + high + batch + 1 + PAD];
        }
        this.scratch = new int[Math.max(high + batch + 1, BuddyAllocator.FREE_WINDOW)];
    }

    void lock() {
        if (LOCKED.compareAndSet(this, 0, 1)) {
            return;
        }
        int spins = 0;
        while (!LOCKED.compareAndSet(this, 0, 1)) {
            if (++spins < 64) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    void unlock() {
        LOCKED.setRelease(this, 0);
    }

    boolean isLocked() {
        return (int) LOCKED.getOpaque(this) != 0;
    }

    /** Returns the frames on all lists; racy, for figures. */
    int count() {
        return (int) COUNT.getOpaque(this);
    }

    void push(int type, int pfn) {
        assert isLocked();
        lists[type][PAD + counts[PAD + type]++] = pfn;
        COUNT.setOpaque(this, (int) COUNT.get(this) + 1);
    }

    int pop(int type) {
        assert isLocked();
        COUNT.setOpaque(this, (int) COUNT.get(this) - 1);
        return lists[type][PAD + --counts[PAD + type]];
    }

    /** Reverses the top {@code n} frames of list {@code type}. */
    void reverseTop(int type, int n) {
        assert isLocked();
        int[] list = lists[type];
        for (int lo = PAD + counts[PAD + type] - n, hi = PAD + counts[PAD + type] - 1; lo < hi; lo++, hi--) {
            int tmp = list[lo];
            list[lo] = list[hi];
            list[hi] = tmp;
        }
    }

    /** Removes the {@code n} coldest (bottom) frames of list {@code type}, which the caller has freed. */
    void removeBottom(int type, int n) {
        assert isLocked();
        int[] list = lists[type];
        System.arraycopy(list, PAD + n, list, PAD, counts[PAD + type] - n);
        counts[PAD + type] -= n;
        COUNT.setOpaque(this, (int) COUNT.get(this) - n);
    }

    /** Returns the frames on list {@code type}. */
    int count(int type) {
        return counts[PAD + type];
    }

    /** Returns the {@code i}-th frame from the bottom (coldest) of list {@code type}. */
    int bottom(int type, int i) {
        return lists[type][PAD + i];
    }

    /** Adds {@code delta} to the pages handed out for {@code type}. */
    void addAllocated(int type, long delta) {
        allocated[PAD / 2 + type] += delta;
    }

    /** Returns the pages handed out for {@code type} from this slot, net of frees. */
    long allocated(int type) {
        return allocated[PAD / 2 + type];
    }

    int total() {
        return (int) COUNT.get(this);
    }
}
