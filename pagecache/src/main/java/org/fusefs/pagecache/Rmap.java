package org.fusefs.pagecache;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The reverse map of one address space: every holder of mappings of its pages, asked to drop
 * them before pages leave the cache.
 *
 * <p>Stands in for {@code i_mmap} and {@code unmap_mapping_range} of {@code mm/memory.c} until the
 * mmap model (VMAs) arrives; a holder answers for its own VMAs. Registration is rare and
 * unmapping walks a snapshot, so a copy-on-write list needs no lock; unmappers are called with no
 * page lock held.
 */
final class Rmap {
    private final CopyOnWriteArrayList<Unmapper> unmappers = new CopyOnWriteArrayList<>();

    void add(Unmapper u) {
        unmappers.addIfAbsent(u);
    }

    void remove(Unmapper u) {
        unmappers.remove(u);
    }

    boolean isEmpty() {
        return unmappers.isEmpty();
    }

    /** Asks every holder to drop page indexes {@code [first, last]}. */
    void unmap(AddressSpace mapping, long first, long last) {
        for (Unmapper u : unmappers) {
            u.unmap(mapping, first, last);
        }
    }
}
