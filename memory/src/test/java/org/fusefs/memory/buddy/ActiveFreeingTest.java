package org.fusefs.memory.buddy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.Shrinker;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/** A high-order allocation asks the owners of movable pages to give some back before failing. */
class ActiveFreeingTest {

    /** Holds movable pages and frees the oldest on request, as a page cache's LRU would. */
    static final class LruOwner implements Shrinker {
        final PhysicalMemory memory;
        final ArrayDeque<Page> lru = new ArrayDeque<>();
        long calls;
        long freed;

        LruOwner(PhysicalMemory memory) {
            this.memory = memory;
        }

        @Override
        public long shrink(long nrPages, int order) {
            calls++;
            long n = 0;
            while (n < nrPages && !lru.isEmpty()) {
                memory.freePages(lru.pollFirst());
                n++;
            }
            freed += n;
            return n;
        }
    }

    @Test
    void highOrderAllocationSucceedsOnlyWithAShrinker() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(16L << 20).build())) {
            LruOwner owner = new LruOwner(m);
            Page p;
            while ((p = m.allocPage(MigrateType.MOVABLE)) != null) {
                owner.lru.addLast(p);
            }
            assertEquals(m.totalPages(), owner.lru.size());
            assertNull(m.allocPages(10, MigrateType.MOVABLE), "full memory, nobody to ask");

            m.registerShrinker(owner);
            Page big = m.allocPages(10, MigrateType.MOVABLE);
            assertNotNull(big, "the shrinker's pages make up a free order-10 block");
            assertTrue(owner.calls > 0);
            assertTrue(owner.freed >= 1024 && owner.freed < m.totalPages(),
                    "freed " + owner.freed + ": enough for one block, not everything");
            m.freePages(big);

            m.unregisterShrinker(owner);
            owner.lru.forEach(m::freePages);
            owner.lru.clear();
            m.drainAllPages();
            assertEquals(m.totalPages(), m.nrFreePages());
        }
    }

    @Test
    void shrinkerThatFreesNothingEndsTheSlowPath() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(4L << 20).build())) {
            LruOwner empty = new LruOwner(m);
            m.registerShrinker(empty);
            Page a = m.allocPages(10, MigrateType.UNMOVABLE);
            assertNotNull(a);
            assertNull(m.allocPages(10, MigrateType.UNMOVABLE));
            assertEquals(1, empty.calls, "one pass that frees nothing ends the retries");
            m.freePages(a);
        }
    }

    @Test
    void aShrinkerThatAllocatesDoesNotRecurseIntoReclaim() {
        try (PhysicalMemory m = PhysicalMemory.create(MemoryConfig.builder().bytes(4L << 20).build())) {
            long[] calls = {0};
            Page[] inner = {null};
            m.registerShrinker((nr, order) -> {
                calls[0]++;
                inner[0] = m.allocPages(10, MigrateType.MOVABLE);
                return 0;
            });
            Page a = m.allocPages(10, MigrateType.MOVABLE);
            assertNotNull(a);
            assertNull(m.allocPages(10, MigrateType.MOVABLE));
            assertEquals(1, calls[0], "the shrinker's own allocation did not call it again");
            assertNull(inner[0]);
            m.freePages(a);
        }
    }
}
