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
final class PerCpuPages {
    private static final VarHandle LOCKED;
    private static final VarHandle COUNT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LOCKED = l.findVarHandle(PerCpuPages.class, "locked", int.class);
            COUNT = l.findVarHandle(PerCpuPages.class, "count", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Frames moved between this slot and the zone at once. */
    final int batch;
    /** Frames above which a free drains a batch to the zone. */
    final int high;
    // The lists are stacks of pfns; the hot end is the top, as LIFO keeps caches warm.
    final int[][] lists = new int[Zone.NR_TYPES][]; // guarded by locked
    final int[] counts = new int[Zone.NR_TYPES]; // guarded by locked
    /** Pages handed out from this slot and not yet freed, per type (may go negative per slot). */
    final long[] allocated = new long[Zone.NR_TYPES]; // guarded by locked
    @SuppressWarnings("unused") // accessed through LOCKED
    private int locked;
    @SuppressWarnings("unused") // written under locked, read through COUNT by figures
    private int count;

    PerCpuPages(int batch, int high) {
        this.batch = batch;
        this.high = high;
        for (int t = 0; t < Zone.NR_TYPES; t++) {
            lists[t] = new int[high + batch + 1];
        }
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
        lists[type][counts[type]++] = pfn;
        COUNT.setOpaque(this, (int) COUNT.get(this) + 1);
    }

    int pop(int type) {
        assert isLocked();
        COUNT.setOpaque(this, (int) COUNT.get(this) - 1);
        return lists[type][--counts[type]];
    }

    /** Removes the {@code n} coldest (bottom) frames of list {@code type}, which the caller has freed. */
    void removeBottom(int type, int n) {
        assert isLocked();
        int[] list = lists[type];
        System.arraycopy(list, n, list, 0, counts[type] - n);
        counts[type] -= n;
        COUNT.setOpaque(this, (int) COUNT.get(this) - n);
    }

    int total() {
        return (int) COUNT.get(this);
    }
}
