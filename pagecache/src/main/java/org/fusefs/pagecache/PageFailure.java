package org.fusefs.pagecache;

import org.fusefs.memory.MfResult;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.fusefs.uapi.Errno;

/**
 * What the page cache does with one of its pages that the memory core reports as failed
 * (HWPOISON), after {@code me_pagecache_clean} and {@code me_pagecache_dirty} of
 * {@code mm/memory-failure.c}.
 *
 * <p>Every mapping of the page is dropped first. A clean page is simply removed: the next read
 * reads the device again. A dirty page is removed too, its data is lost, and the address space
 * records EIO in its error sequence so that the next fsync of every opener reports it. The frame
 * is never given back to the allocator: a poisoned frame must not be reused.
 */
final class PageFailure {
    private PageFailure() {
    }

    static MfResult handle(AddressSpace as, Page page) {
        long index = page.index();
        if (page.mapping() != as || as.tree.get(index) != page) {
            return MfResult.IGNORED;
        }
        as.rmap.unmap(as, index, index);
        // Lock by index: if the page left meanwhile, the lock must not land on a reused frame.
        Page p = as.findLockPage(index);
        if (p == null) {
            return MfResult.IGNORED;
        }
        if (p != page) {
            PageWait.unlock(p);
            return MfResult.IGNORED;
        }
        dropLocked(as, p);
        return MfResult.RECOVERED;
    }

    /**
     * Takes a locked, poisoned page out of its address space for good and unlocks it; records
     * EIO if its data was dirty. Also used by I/O that meets a poisoned page before the handler
     * got to it.
     */
    static void dropLocked(AddressSpace as, Page p) {
        PageWait.waitOnWriteback(p);
        boolean dirty = p.test(PageFlag.DIRTY);
        as.removeLockedPage(p);
        p.clear(PageFlag.UPTODATE);
        p.setMapping(null, 0);
        PageWait.unlock(p);
        if (dirty) {
            as.errseq.set(Errno.EIO);
        }
        as.cache().poisoned.incrementAndGet();
    }
}
