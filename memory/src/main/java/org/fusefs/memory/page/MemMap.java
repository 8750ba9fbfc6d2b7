package org.fusefs.memory.page;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The array of {@link Page} objects for every frame, created lazily on first use.
 *
 * <p>Mirrors {@code mem_map}. A frame that has never been handed out or looked up has no object,
 * so a large memory costs one reference per frame until it is used. Creation races are settled by
 * compare-and-exchange, and readers use acquire loads, so a page is always seen fully built.
 */
public final class MemMap {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Page[].class);

    private final long base;
    private final Page[] pages;

    /** Creates the map for {@code nrPages} frames whose memory starts at native {@code base}. */
    public MemMap(long base, int nrPages) {
        this.base = base;
        this.pages = new Page[nrPages];
    }

    /** Returns the number of frames. */
    public int size() {
        return pages.length;
    }

    /** Returns the native address of frame {@code pfn}. */
    public long address(int pfn) {
        return base + ((long) pfn << Page.SHIFT);
    }

    /** Returns the page of frame {@code pfn}, creating it if needed; {@code pfn} must be in range. */
    public Page page(int pfn) {
        Page p = (Page) SLOT.getAcquire(pages, pfn);
        if (p != null) {
            return p;
        }
        Page fresh = new Page(pfn, address(pfn));
        Page won = (Page) SLOT.compareAndExchange(pages, pfn, (Page) null, fresh);
        return won == null ? fresh : won;
    }

    /** Returns the page of frame {@code pfn} if it was ever created, else {@code null}. */
    public Page peek(int pfn) {
        return (Page) SLOT.getAcquire(pages, pfn);
    }

    /** Returns how many page objects exist; a diagnostic, O(frames). */
    public long materialized() {
        long n = 0;
        for (int i = 0; i < pages.length; i++) {
            if (SLOT.getOpaque(pages, i) != null) {
                n++;
            }
        }
        return n;
    }
}
