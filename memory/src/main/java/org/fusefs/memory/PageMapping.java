package org.fusefs.memory;

import org.fusefs.memory.page.Page;

/**
 * The owner of allocated pages that knows what they hold: an address space of the page cache, a
 * RAM disk. Set on a page with {@link Page#setMapping}; memory failure asks it to give the page up.
 *
 * <p>Mirrors what {@code page->mapping} leads to in the kernel ({@code struct address_space}).
 */
public interface PageMapping {

    /**
     * Handles a hardware memory failure of {@code page}, which is already marked HWPOISON. Called
     * without any allocator lock held. The owner drops the page from its structures (recording an
     * error if data was lost) and must not free it back to the allocator: a poisoned frame is never
     * reused.
     */
    MfResult memoryFailure(Page page);

    /** A short human name for reports (a file name, "ramdisk0"). */
    String describe();
}
