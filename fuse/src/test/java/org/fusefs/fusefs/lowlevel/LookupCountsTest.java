package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LookupCountsTest {
    @Test
    void countsFollowEntryRepliesAndForgets() {
        LookupCounts c = new LookupCounts();
        c.add(7);
        c.add(7);
        c.add(9);
        assertEquals(2, c.of(7));
        assertEquals(2, c.size());
        c.forget(7, 1);
        assertEquals(1, c.of(7));
        c.forget(7, 1);
        assertEquals(0, c.of(7), "forgotten down to zero");
        assertEquals(1, c.size(), "an inode at zero is dropped");
        c.forget(9, 5);
        assertEquals(0, c.size(), "a forget larger than the count drops the inode");
        c.forget(11, 1);
        assertEquals(0, c.of(11), "forget of an unknown inode is harmless");
    }
}
