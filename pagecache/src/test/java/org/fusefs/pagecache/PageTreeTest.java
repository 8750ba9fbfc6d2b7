package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

class PageTreeTest {

    @Test
    void lookupInsertRemoveAndOrderedGatherAcrossLeavesAndFarIndexes() {
        PageTree t = new PageTree();
        long far = (long) PageTree.MAX_TOP << PageTree.LEAF_SHIFT; // first index past 8 TiB
        long[] indexes = {0, 1, 511, 512, 5000, 1L << 20, far + 3, far, Long.MAX_VALUE >>> Page.SHIFT};
        Page[] pages = new Page[indexes.length];
        for (int i = 0; i < indexes.length; i++) {
            pages[i] = new Page(i, 0);
            assertNull(t.insertIfAbsent(indexes[i], pages[i]));
        }
        assertSame(pages[0], t.insertIfAbsent(0, new Page(99, 0)), "an occupied slot is not replaced");
        assertEquals(indexes.length, t.count());
        for (int i = 0; i < indexes.length; i++) {
            assertSame(pages[i], t.get(indexes[i]), "index " + indexes[i]);
        }
        assertNull(t.get(2));
        assertNull(t.get(far + 1));
        Page[] out = new Page[4];
        long[] idx = new long[4];
        assertEquals(4, t.gather(0, Long.MAX_VALUE, out, idx));
        assertArrayEquals(new long[] {0, 1, 511, 512}, idx);
        assertEquals(3, t.gather(far, Long.MAX_VALUE, out, idx));
        assertEquals(far, idx[0]);
        assertEquals(far + 3, idx[1]);
        assertEquals(Long.MAX_VALUE >>> Page.SHIFT, idx[2]);
        synchronized (t) {
            t.tagLocked(PageTree.Tag.DIRTY, 512);
            t.tagLocked(PageTree.Tag.DIRTY, far);
            assertTrue(t.removeLocked(512, pages[3]));
            assertFalse(t.removeLocked(1, pages[0]), "removing the wrong page is refused");
        }
        assertNull(t.get(512));
        assertFalse(t.anyTagged(PageTree.Tag.DIRTY, 0, far - 1), "removal drops the tags");
        assertTrue(t.anyTagged(PageTree.Tag.DIRTY, 0, Long.MAX_VALUE));
        assertEquals(indexes.length - 1, t.count());
    }
}
