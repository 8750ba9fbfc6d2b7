package org.fusefs.pagecache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.fusefs.memory.page.Page;

/**
 * Page index to page for one address space, with DIRTY and WRITEBACK tags.
 *
 * <p>Stands in for the xarray of {@code struct address_space} ({@code i_pages}): a two-level
 * table of 512-slot leaves indexed by page index, so a lookup is two array loads and no hashing.
 * Indexes past {@value #MAX_TOP} leaves (files beyond 8 TiB) go to a hash map. Each tag is a
 * {@link Marks}: a bit per slot beside the leaves, with summaries, so that writeback finds dirty
 * and under-writeback pages in index order without visiting clean ones and without allocating.
 *
 * <p>Locking: this object's monitor is the "tree lock", innermost but for the LRU lock and the
 * allocator. Every change of a slot or a tag holds it, and so does every read of the tags:
 * {@link #tagLocked}, {@link #untagLocked} and {@link #removeLocked} assert that the caller holds
 * it (so that a tag moves together with the page state the caller changes under the same lock:
 * {@code AddressSpace.markDirty}, {@code WritebackBatch.submit}); {@link #anyTagged},
 * {@link #countTagged} and {@link #gatherTagged} take it themselves (the monitor is reentrant).
 * {@link #get} takes no lock: a slot is published with release semantics and read with acquire
 * semantics, and the top table is replaced, never changed in place, when it grows. A tag is set
 * only on an index whose page is present and locked by the caller, and leaves with the page.
 */
final class PageTree {
    static final int LEAF_SHIFT = 9;
    static final int LEAF_SIZE = 1 << LEAF_SHIFT;
    static final int LEAF_MASK = LEAF_SIZE - 1;
    static final int MAX_TOP = 1 << 22;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Page[].class);
    private static final VarHandle LEAF = MethodHandles.arrayElementVarHandle(Page[][].class);

    /** Tags, after the xarray marks PAGECACHE_TAG_DIRTY and PAGECACHE_TAG_WRITEBACK. */
    enum Tag { DIRTY, WRITEBACK }

    private volatile Page[][] top = new Page[4][];
    private final ConcurrentHashMap<Long, Page> far = new ConcurrentHashMap<>();
    // protected by this; indexed by Tag.ordinal()
    private final Marks[] marks = {new Marks(), new Marks()};
    // protected by this (written), read racily for figures
    private volatile long count;

    /** Returns the page at {@code index} or {@code null}; lock-free. */
    Page get(long index) {
        long hi = index >>> LEAF_SHIFT;
        Page[][] t = top;
        if (hi < t.length) {
            Page[] leaf = (Page[]) LEAF.getAcquire(t, (int) hi);
            return leaf == null ? null : (Page) SLOT.getAcquire(leaf, (int) index & LEAF_MASK);
        }
        return hi < MAX_TOP ? null : far.get(index);
    }

    /** Stores {@code page} at an empty {@code index}; returns the page already there, if any. */
    synchronized Page insertIfAbsent(long index, Page page) {
        Page old = get(index);
        if (old != null) {
            return old;
        }
        long hi = index >>> LEAF_SHIFT;
        if (hi >= MAX_TOP) {
            far.put(index, page);
        } else {
            Page[][] t = top;
            if (hi >= t.length) {
                int n = t.length;
                while (n <= hi) {
                    n = Math.min(MAX_TOP, n * 2);
                }
                t = Arrays.copyOf(t, n);
                top = t;
            }
            Page[] leaf = t[(int) hi];
            if (leaf == null) {
                leaf = new Page[LEAF_SIZE];
                LEAF.setRelease(t, (int) hi, leaf);
            }
            SLOT.setRelease(leaf, (int) index & LEAF_MASK, page);
        }
        count++;
        return null;
    }

    /** Removes {@code page} from {@code index} and its tags; false if another page is there. */
    boolean removeLocked(long index, Page page) {
        assert Thread.holdsLock(this);
        if (get(index) != page) {
            return false;
        }
        long hi = index >>> LEAF_SHIFT;
        if (hi >= MAX_TOP) {
            far.remove(index);
        } else {
            // Empty leaves are kept: files that shrink usually grow again.
            SLOT.setRelease(top[(int) hi], (int) index & LEAF_MASK, null);
        }
        for (Marks m : marks) {
            m.clear(index);
        }
        count--;
        return true;
    }

    long count() {
        return count;
    }

    /** Tags {@code index}; the caller holds the tree lock. */
    void tagLocked(Tag tag, long index) {
        assert Thread.holdsLock(this);
        marks[tag.ordinal()].set(index);
    }

    /** Clears the tag of {@code index}, if set; the caller holds the tree lock. */
    void untagLocked(Tag tag, long index) {
        assert Thread.holdsLock(this);
        marks[tag.ordinal()].clear(index);
    }

    /** Whether any index in {@code [first, last]} has the tag. */
    synchronized boolean anyTagged(Tag tag, long first, long last) {
        return marks[tag.ordinal()].next(first, last) >= 0;
    }

    /** How many indexes have the tag; O(1). */
    synchronized long countTagged(Tag tag) {
        return marks[tag.ordinal()].count();
    }

    /**
     * Copies up to {@code max} tagged indexes in {@code [first, last]}, in order, into {@code out};
     * returns how many.
     */
    synchronized int gatherTagged(Tag tag, long first, long last, long[] out, int max) {
        return marks[tag.ordinal()].gather(first, last, out, max);
    }

    /**
     * Copies up to {@code out.length} present pages with index in {@code [first, last]}, in index
     * order, into {@code out} and their indexes into {@code idx}; returns how many
     * ({@code find_get_pages_range}).
     */
    synchronized int gather(long first, long last, Page[] out, long[] idx) {
        int n = 0;
        Page[][] t = top;
        long i = first;
        while (i <= last && n < out.length && (i >>> LEAF_SHIFT) < Math.min(t.length, MAX_TOP)) {
            Page[] leaf = t[(int) (i >>> LEAF_SHIFT)];
            if (leaf == null) {
                long next = ((i >>> LEAF_SHIFT) + 1) << LEAF_SHIFT;
                i = next;
                continue;
            }
            Page p = leaf[(int) i & LEAF_MASK];
            if (p != null) {
                out[n] = p;
                idx[n++] = i;
            }
            if (i == Long.MAX_VALUE) {
                break;
            }
            i++;
        }
        if (n < out.length && !far.isEmpty() && last >= ((long) MAX_TOP << LEAF_SHIFT)) {
            // Rare: files past 8 TiB. Sorted copy of the matching far indexes.
            long lo = Math.max(first, (long) MAX_TOP << LEAF_SHIFT);
            long[] keys = far.keySet().stream().mapToLong(Long::longValue)
                    .filter(k -> k >= lo && k <= last).sorted().toArray();
            for (int k = 0; k < keys.length && n < out.length; k++) {
                Page p = far.get(keys[k]);
                if (p != null) {
                    out[n] = p;
                    idx[n++] = keys[k];
                }
            }
        }
        return n;
    }
}
