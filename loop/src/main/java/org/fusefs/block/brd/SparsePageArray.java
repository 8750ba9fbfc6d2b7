package org.fusefs.block.brd;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import org.fusefs.memory.page.Page;

/**
 * A sparse array from page number to page, two levels deep: a fixed top table of leaves of
 * {@value #LEAF} slots, a leaf allocated on the first store into its range.
 *
 * <p>Plays the part of the xarray in {@code drivers/block/brd.c}. Lookups are two array reads
 * with volatile semantics and take no lock; stores use compare-and-set so that concurrent first
 * writes to a page agree on one page. The top table never changes size, and a leaf once installed
 * is never removed, so a reader can never see a slot array being replaced underneath it.
 */
final class SparsePageArray {
    private static final int LEAF_SHIFT = 9;
    static final int LEAF = 1 << LEAF_SHIFT;

    private final AtomicReferenceArray<AtomicReferenceArray<Page>> top;
    private final long size;

    SparsePageArray(long size) {
        long leaves = (size + LEAF - 1) >>> LEAF_SHIFT;
        if (leaves > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("ram disk of " + size + " pages is too large");
        }
        this.size = size;
        this.top = new AtomicReferenceArray<>((int) leaves);
    }

    /** Returns the page at {@code index}, or {@code null}. */
    Page get(long index) {
        AtomicReferenceArray<Page> leaf = top.get(leafIndex(index));
        return leaf == null ? null : leaf.get(slot(index));
    }

    /** Stores {@code page} at {@code index} if the slot holds {@code expect}; returns whether it did. */
    boolean compareAndSet(long index, Page expect, Page page) {
        return leaf(index).compareAndSet(slot(index), expect, page);
    }

    /** Empties the slot at {@code index} and returns what it held. */
    Page remove(long index) {
        AtomicReferenceArray<Page> leaf = top.get(leafIndex(index));
        return leaf == null ? null : leaf.getAndSet(slot(index), null);
    }

    /** Empties every slot, handing each page that was there to {@code action}. */
    void drain(Consumer<Page> action) {
        for (int i = 0; i < top.length(); i++) {
            AtomicReferenceArray<Page> leaf = top.get(i);
            if (leaf == null) {
                continue;
            }
            for (int j = 0; j < LEAF; j++) {
                Page p = leaf.getAndSet(j, null);
                if (p != null) {
                    action.accept(p);
                }
            }
        }
    }

    private AtomicReferenceArray<Page> leaf(long index) {
        int li = leafIndex(index);
        AtomicReferenceArray<Page> leaf = top.get(li);
        if (leaf == null) {
            AtomicReferenceArray<Page> fresh = new AtomicReferenceArray<>(LEAF);
            leaf = top.compareAndExchange(li, null, fresh);
            if (leaf == null) {
                leaf = fresh;
            }
        }
        return leaf;
    }

    private int leafIndex(long index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("page " + index + " outside [0, " + size + ")");
        }
        return (int) (index >>> LEAF_SHIFT);
    }

    private static int slot(long index) {
        return (int) (index & (LEAF - 1));
    }
}
