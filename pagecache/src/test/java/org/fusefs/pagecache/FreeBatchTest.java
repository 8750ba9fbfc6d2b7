package org.fusefs.pagecache;

import static org.fusefs.pagecache.FilemapTest.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/**
 * Reclaim, truncate and invalidate give their pages back to the memory core in batches: every
 * page they remove is freed exactly once (page_owner forgets it, the free count grows by it) and
 * the frames merge back into whole blocks.
 */
class FreeBatchTest {

    /** Nothing cached any more: every frame is free, the buddy lists agree, all largest blocks are back. */
    static void assertAllFramesBack(Fixture f) {
        f.memory.drainAllPages();
        long total = f.memory.totalPages();
        assertEquals(total, f.memory.nrFreePages());
        assertEquals(total, f.memory.allocator().checkInvariants());
        String[] cols = f.memory.buddyinfo().trim().split("\\s+");
        assertEquals(total >> MemoryConfig.MAX_ORDER, Long.parseLong(cols[cols.length - 1]), f.memory.buddyinfo());
        assertEquals(0, f.memory.pageOwner().size(), "page_owner records left: " + f.memory.pageOwnerReport());
    }

    @Test
    void reclaimFreesEveryPageItTakesAndTheFramesMergeBack() throws IOException {
        try (Fixture f = new Fixture()) {
            f.memory.setPageOwner(true);
            AddressSpace as = f.cache.newAddressSpace(new ReclaimBatchTest.PatternFile(9), "read");
            int pages = 3000;
            long size = (long) pages * Page.SIZE;
            byte[] b = new byte[Page.SIZE];
            for (long pos = 0; pos < size; pos += Page.SIZE) {
                as.read(pos, b, 0, Page.SIZE, size);
            }
            long cached = as.nrPages();
            assertTrue(cached >= pages, cached + " pages cached");
            long free = f.memory.nrFreePages();
            // An odd request: the last batch is partial.
            long freed = f.cache.reclaim(1001);
            assertEquals(1001, freed);
            assertEquals(cached - 1001, as.nrPages());
            assertEquals(free + 1001, f.memory.nrFreePages());
            assertEquals(cached - 1001, f.memory.pageOwner().size());
            assertEquals(cached - 1001, f.cache.dropCaches());
            assertEquals(0, as.nrPages());
            assertEquals(0, f.cache.stats().cached());
            assertAllFramesBack(f);
        }
    }

    @Test
    void truncateAndInvalidateFreeWhatTheyRemove() throws IOException {
        try (Fixture f = new Fixture()) {
            f.memory.setPageOwner(true);
            AddressSpace as = f.cache.newAddressSpace(new TestStore(), "file");
            int pages = 300;
            long size = (long) pages * Page.SIZE;
            as.write(0, filled((int) size, (byte) 4), 0, (int) size, 0);
            as.writeAndWait(0, Long.MAX_VALUE);
            // Ten pages dirty again: invalidateClean must leave them.
            as.write(10L * Page.SIZE, filled(10 * Page.SIZE, (byte) 5), 0, 10 * Page.SIZE, size);
            long free = f.memory.nrFreePages();
            assertEquals(pages - 10, as.invalidateClean(0, Long.MAX_VALUE));
            assertEquals(10, as.nrPages());
            assertEquals(free + pages - 10, f.memory.nrFreePages());
            as.truncateRange(0, Long.MAX_VALUE, false);
            assertEquals(0, as.nrPages());

            AddressSpace other = f.cache.newAddressSpace(new TestStore(), "direct");
            other.write(0, filled((int) size, (byte) 6), 0, (int) size, 0);
            assertEquals(0, other.invalidateAndUnmap(0, Long.MAX_VALUE));
            assertEquals(0, other.nrPages());
            assertEquals(0, f.cache.stats().cached());
            assertAllFramesBack(f);
        }
    }
}
