package org.fusefs.extent.alloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockAllocatorTest {

    @Test
    void allocatesAtGoalThenLargest() throws Exception {
        BlockAllocator a = new BlockAllocator(10, 1010);
        a.free(10, 1000);
        long[] x = a.allocate(-1, 100, false);
        assertEquals(10, x[0]);
        long[] y = a.allocate(x[0] + x[1], 50, false);
        assertEquals(110, y[0]);
        assertEquals(850, a.freeBlocks());
        a.free(10, 100);
        assertEquals(2, a.freeExtentCount());
        assertThrows(IllegalStateException.class, () -> a.free(20, 5));
    }

    @Test
    void deferredBlocksWaitForTheCheckpoint() throws Exception {
        BlockAllocator a = new BlockAllocator(0, 100);
        a.free(0, 100);
        long[] big = a.allocate(-1, 60, false);
        assertEquals(0, big[0]);
        // The freed 60 blocks would be the largest extent and the goal: deferred, neither is taken.
        a.freeDeferred(0, 30);
        a.freeDeferred(30, 30);
        assertEquals(60, a.deferredBlocks());
        assertEquals(40, a.freeBlocks());
        assertFalse(a.anyFree(0, 60));
        assertThrows(IllegalStateException.class, () -> a.freeDeferred(10, 1));
        assertThrows(IllegalStateException.class, () -> a.free(59, 1));
        assertThrows(IllegalStateException.class, () -> a.freeDeferred(60, 1));
        long[] x = a.allocate(0, 10, false);
        assertEquals(60, x[0], "allocation skips deferred blocks, even at its goal");
        assertThrows(NoSpaceException.class, () -> a.allocateAll(-1, 31, 100, false));
        // The image to be written records them free, merged with their free neighbours.
        a.free(60, 10);
        List<long[]> map = a.freeAndDeferredExtents();
        assertEquals(1, map.size());
        assertEquals(0, map.get(0)[0]);
        assertEquals(100, map.get(0)[1]);
        a.releaseDeferred();
        assertEquals(0, a.deferredBlocks());
        assertEquals(100, a.freeBlocks());
        assertEquals(1, a.freeExtentCount());
    }

    @Test
    void allocateAllIsAllOrNothing() throws Exception {
        BlockAllocator a = new BlockAllocator(0, 100);
        a.free(0, 100);
        a.setReserve(10);
        assertThrows(NoSpaceException.class, () -> a.allocateAll(-1, 91, 1000, false));
        assertEquals(100, a.freeBlocks());
        List<long[]> p = a.allocateAll(-1, 90, 7, false);
        long sum = 0;
        for (long[] q : p) {
            assertTrue(q[1] <= 7);
            sum += q[1];
        }
        assertEquals(90, sum);
        assertThrows(NoSpaceException.class, () -> a.allocate(-1, 1, false));
        assertEquals(10, a.allocateAll(-1, 10, 100, true).stream().mapToLong(q -> q[1]).sum());
    }

    @Test
    void randomAllocFreeMatchesBitmap() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            Random r = new Random(seed);
            int n = 5000;
            BlockAllocator a = new BlockAllocator(0, n);
            a.free(0, n);
            BitSet used = new BitSet(n);
            List<long[]> held = new ArrayList<>();
            for (int step = 0; step < 20000; step++) {
                if (r.nextInt(3) > 0 && a.freeBlocks() > 0) {
                    long[] x = a.allocate(r.nextBoolean() ? r.nextInt(n) : -1, 1 + r.nextInt(40), false);
                    for (long b = x[0]; b < x[0] + x[1]; b++) {
                        assertFalse(used.get((int) b), "seed " + seed + " step " + step + ": block " + b + " given twice");
                        used.set((int) b);
                    }
                    held.add(x);
                } else if (!held.isEmpty()) {
                    long[] x = held.remove(r.nextInt(held.size()));
                    a.free(x[0], x[1]);
                    used.clear((int) x[0], (int) (x[0] + x[1]));
                }
                assertEquals(n - used.cardinality(), a.freeBlocks(), "seed " + seed + " step " + step);
            }
        }
    }
}
