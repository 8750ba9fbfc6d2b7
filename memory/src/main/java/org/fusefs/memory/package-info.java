/**
 * The simulated physical memory: page frames off-heap and the allocator that hands them out.
 *
 * <p>{@link org.fusefs.memory.PhysicalMemory} is the façade. Inside:
 * <ul>
 *   <li>{@code page}: {@code Page} (flags, refcount, owner, order, type), created lazily by
 *       {@code MemMap} so that 16 GiB costs one reference per frame until frames are used;</li>
 *   <li>{@code buddy}: {@code Zone} (free lists per order and migrate type, pageblock types, split
 *       and merge in primitive per-frame arrays), {@code Fallbacks} (stealing from other types),
 *       {@code PerCpuPages} (order-0 caches per thread slot), {@code BuddyAllocator} (the fast
 *       paths, the slow path with active freeing through shrinkers, the free path's checks);</li>
 *   <li>{@code owner}: page_owner, a side table behind {@code AllocationHooks};</li>
 *   <li>{@code poison}: memory failure as an ordered table of page states, and the injector;</li>
 *   <li>{@code stat}: buddyinfo, pagetypeinfo and meminfo text;</li>
 *   <li>{@code tools}: the fragmentation experiment and the allocator benchmark (programs).</li>
 * </ul>
 *
 * <p>Lock order, outermost first: the callers' inode and page locks, a per-CPU slot lock, the
 * zone lock. No allocator lock is held while shrinkers, page owners or page_owner hooks run.
 *
 * <p>Reference counts: an allocation returns the head with a count of 1; {@code freePages} drops
 * one reference and frees on the last, so a holder that took {@code Page.get()} releases with
 * {@code freePages} too. Freeing a page whose count is already zero, a reserved page, a tail of a
 * block, or a page still locked or under writeback is a bad page ({@link IllegalStateException}
 * "bad page: ...", nothing changed). {@code freePages(Page[], int)} frees a batch with the same
 * checks, each allocator lock taken once per batch; a bad page in a batch is left as it was, the
 * rest is freed, and the exception comes after.
 */
package org.fusefs.memory;
