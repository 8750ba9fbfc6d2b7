package org.fusefs.memory;

/**
 * An owner of movable pages that can give some back on request ("active freeing").
 *
 * <p>The allocator calls it, with no allocator lock held, before it fails an allocation, and the
 * page cache's reclaim uses the same contract. Mirrors {@code struct shrinker} in spirit.
 */
public interface Shrinker {

    /**
     * Frees up to {@code nrPages} pages back to the allocator, preferring pages that help the
     * allocator assemble a free block of {@code order}. Returns how many pages were freed.
     */
    long shrink(long nrPages, int order);
}
