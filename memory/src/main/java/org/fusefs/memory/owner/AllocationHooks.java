package org.fusefs.memory.owner;

import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;

/**
 * What the allocator tells a tracker about each block it hands out and takes back.
 *
 * <p>Mirrors the wrappers of {@code include/linux/page_owner.h} ({@code set_page_owner},
 * {@code reset_page_owner}). The allocator calls these only while tracking is switched on, with no
 * allocator lock held, on the allocating or freeing thread; implementations must be thread-safe.
 */
public interface AllocationHooks {

    /** Does nothing; the default when no tracker is attached. */
    AllocationHooks NONE = new AllocationHooks() {
        @Override
        public void postAlloc(Page head, int order, MigrateType type) {
        }

        @Override
        public void onFree(Page head, int order) {
        }
    };

    /** Called after a block of {@code order} headed by {@code head} was allocated for {@code type}. */
    void postAlloc(Page head, int order, MigrateType type);

    /** Called when the last reference to the block headed by {@code head} is dropped, before it is freed. */
    void onFree(Page head, int order);
}
