package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.NavigableSet;
import java.util.Random;
import java.util.TreeSet;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

/** The tag bitmaps of {@link PageTree} against a sorted set of indexes as the reference. */
class MarksTest {
    private static final long LEAF = PageTree.LEAF_SIZE;
    private static final long FLAT = Marks.FLAT_LIMIT;
    private static final long LARGEST = Long.MAX_VALUE >>> Page.SHIFT;

    /** Indexes near the edges that matter: words, leaves, summary words and groups, the table's end. */
    private static final long[] EDGES = {0, 1, 62, 63, 64, 65, 127, 128, LEAF - 1, LEAF, LEAF + 1,
        2 * LEAF - 1, 64 * LEAF - 1, 64 * LEAF, 4096 * LEAF - 1, 4096 * LEAF, 4096 * LEAF + 63,
        FLAT - LEAF, FLAT - 2, FLAT - 1, FLAT, FLAT + 1, LARGEST - 1, LARGEST, Long.MAX_VALUE};

    @Test
    void randomOperationsMatchASortedSet() {
        long seed = 0x6d61726b73L;
        for (int round = 0; round < 12; round++) {
            long s = seed + round;
            runModel(s, 4000, spanFor(round));
        }
    }

    /** Round-dependent index spans: dense in one leaf, a few leaves, many leaves, the whole range. */
    private static long spanFor(int round) {
        return switch (round % 4) {
            case 0 -> LEAF;
            case 1 -> 8 * LEAF;
            case 2 -> 70_000 * LEAF;
            default -> -1; // edges and anything
        };
    }

    private static void runModel(long seed, int steps, long span) {
        Marks m = new Marks();
        TreeSet<Long> ref = new TreeSet<>();
        Random r = new Random(seed);
        long[] out = new long[700];
        long[] want = new long[700];
        for (int step = 0; step < steps; step++) {
            String where = "seed " + seed + ", step " + step;
            int op = r.nextInt(10);
            if (op < 4) {
                long i = pick(r, span);
                assertEquals(ref.add(i), m.set(i), where + ": set " + i);
            } else if (op < 6) {
                long i = r.nextInt(3) == 0 && !ref.isEmpty() ? nth(ref, r) : pick(r, span);
                assertEquals(ref.remove(i), m.clear(i), where + ": clear " + i);
            } else if (op == 6 && !ref.isEmpty()) {
                // Clear a whole run, emptying leaves so that the summaries must drop their bits.
                long a = nth(ref, r);
                long b = a + r.nextInt(2 * PageTree.LEAF_SIZE);
                for (long i = a; i <= b && i >= 0; i++) {
                    assertEquals(ref.remove(i), m.clear(i), where + ": clear run at " + i);
                }
            } else {
                long a = pick(r, span);
                long b = r.nextInt(4) == 0 ? Long.MAX_VALUE : a + (long) (r.nextDouble() * Math.max(1, span < 0 ? FLAT : span));
                if (b < a) {
                    b = Long.MAX_VALUE;
                }
                int max = 1 + r.nextInt(out.length);
                NavigableSet<Long> sub = ref.subSet(a, true, b, true);
                int k = 0;
                for (long v : sub) {
                    if (k == max) {
                        break;
                    }
                    want[k++] = v;
                }
                int n = m.gather(a, b, out, max);
                long[] got = Arrays.copyOf(out, n);
                assertArrayEquals(Arrays.copyOf(want, k), got, where + ": gather [" + a + ", " + b + "] max " + max);
                Long first = sub.isEmpty() ? null : sub.first();
                assertEquals(first == null ? -1 : (long) first, m.next(a, b), where + ": next [" + a + ", " + b + "]");
            }
            assertEquals(ref.size(), m.count(), where + ": count");
            if (step % 97 == 0 && !ref.isEmpty()) {
                long i = nth(ref, r);
                assertTrue(m.test(i), where + ": test " + i);
                if (i < Long.MAX_VALUE) {
                    assertEquals(ref.contains(i + 1), m.test(i + 1), where + ": test " + (i + 1));
                }
            }
        }
        // Drain: everything cleared leaves no trace in any summary.
        for (long i : ref) {
            assertTrue(m.clear(i), "seed " + seed + ", drain " + i);
        }
        assertEquals(0, m.count(), "seed " + seed + ": count after drain");
        assertEquals(-1, m.next(0, Long.MAX_VALUE), "seed " + seed + ": next after drain");
        assertEquals(0, m.gather(0, Long.MAX_VALUE, out, out.length), "seed " + seed + ": gather after drain");
    }

    private static long pick(Random r, long span) {
        if (span > 0) {
            return (long) (r.nextDouble() * span);
        }
        long e = EDGES[r.nextInt(EDGES.length)];
        return switch (r.nextInt(3)) {
            case 0 -> e;
            case 1 -> Math.max(0, e - r.nextInt(3));
            default -> (long) (r.nextDouble() * (r.nextBoolean() ? FLAT : LARGEST));
        };
    }

    private static long nth(TreeSet<Long> s, Random r) {
        Long c = s.ceiling((long) (r.nextDouble() * s.last()));
        return c == null ? s.first() : c;
    }

    @Test
    void edgesOfWordsLeavesAndTheTable() {
        Marks m = new Marks();
        for (long e : EDGES) {
            assertTrue(m.set(e), "set " + e);
            assertFalse(m.set(e), "set twice " + e);
        }
        assertEquals(EDGES.length, m.count());
        long[] out = new long[EDGES.length + 1];
        assertEquals(EDGES.length, m.gather(0, Long.MAX_VALUE, out, out.length));
        assertArrayEquals(EDGES, Arrays.copyOf(out, EDGES.length));
        for (int k = 0; k < EDGES.length; k++) {
            long e = EDGES[k];
            assertEquals(e, m.next(e, e), "next at " + e);
            assertEquals(e, m.next(k == 0 ? 0 : EDGES[k - 1] + 1, Long.MAX_VALUE), "next after the previous edge, " + e);
            if (k + 1 < EDGES.length && EDGES[k + 1] > e + 1) {
                assertEquals(-1, m.next(e + 1, EDGES[k + 1] - 1), "nothing between " + e + " and " + EDGES[k + 1]);
            }
            assertEquals(1, m.gather(e, e, out, 4), "gather of " + e + " alone");
        }
        assertEquals(3, m.gather(LEAF - 1, LEAF + 1, out, 8));
        assertArrayEquals(new long[] {LEAF - 1, LEAF, LEAF + 1}, Arrays.copyOf(out, 3));
        assertEquals(2, m.gather(FLAT - 1, FLAT, out, 8), "across the end of the table");
        assertArrayEquals(new long[] {FLAT - 1, FLAT}, Arrays.copyOf(out, 2));
        assertEquals(2, m.gather(0, Long.MAX_VALUE, out, 2), "max is honoured");
        for (long e : EDGES) {
            assertTrue(m.clear(e), "clear " + e);
            assertFalse(m.clear(e), "clear twice " + e);
            assertFalse(m.test(e));
        }
        assertEquals(0, m.count());
        assertEquals(-1, m.next(0, Long.MAX_VALUE));
    }

    @Test
    void sparseMarksAreFoundAcrossAnEmptyTable() {
        Marks m = new Marks();
        // Mark and unmark far out so the table grows to full size, then keep two marks far apart.
        m.set(FLAT - 1);
        m.clear(FLAT - 1);
        m.set(5);
        m.set(FLAT - 3);
        assertEquals(5, m.next(0, Long.MAX_VALUE));
        assertEquals(FLAT - 3, m.next(6, Long.MAX_VALUE));
        assertEquals(-1, m.next(6, FLAT - 4));
        assertEquals(-1, m.next(FLAT - 2, Long.MAX_VALUE));
        assertEquals(-1, m.next(10, 5), "an empty range");
        long[] out = new long[4];
        assertEquals(2, m.gather(0, Long.MAX_VALUE, out, 4));
        assertArrayEquals(new long[] {5, FLAT - 3}, Arrays.copyOf(out, 2));
    }

    @Test
    void treeTagsGoWithThePagesAndCountInConstantTime() {
        PageTree t = new PageTree();
        long[] idx = {0, LEAF - 1, LEAF, FLAT - 1, FLAT, LARGEST};
        Page[] pages = new Page[idx.length];
        for (int i = 0; i < idx.length; i++) {
            pages[i] = new Page(i, 0);
            t.insertIfAbsent(idx[i], pages[i]);
        }
        synchronized (t) {
            for (long i : idx) {
                t.tagLocked(PageTree.Tag.DIRTY, i);
            }
            t.untagLocked(PageTree.Tag.DIRTY, LEAF);
            t.tagLocked(PageTree.Tag.WRITEBACK, LEAF);
        }
        assertEquals(idx.length - 1, t.countTagged(PageTree.Tag.DIRTY));
        assertEquals(1, t.countTagged(PageTree.Tag.WRITEBACK));
        assertFalse(t.anyTagged(PageTree.Tag.DIRTY, 1, LEAF - 2));
        assertTrue(t.anyTagged(PageTree.Tag.WRITEBACK, LEAF, LEAF));
        synchronized (t) {
            for (int i = 0; i < idx.length; i++) {
                assertTrue(t.removeLocked(idx[i], pages[i]));
            }
        }
        assertEquals(0, t.countTagged(PageTree.Tag.DIRTY), "removal drops the tags");
        assertEquals(0, t.countTagged(PageTree.Tag.WRITEBACK));
        long[] out = new long[8];
        assertEquals(0, t.gatherTagged(PageTree.Tag.DIRTY, 0, Long.MAX_VALUE, out, 8));
    }
}
