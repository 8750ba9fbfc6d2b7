package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExtentTreeTest {
    private static final int N = 1024;

    @Test
    void insertMergesAdjacentExtents() {
        ExtentTree t = new ExtentTree();
        t.insert(new Extent(0, 100, 10, false));
        t.insert(new Extent(10, 110, 5, false));
        t.insert(new Extent(15, 200, 5, false));
        assertEquals(2, t.size());
        assertEquals(20, t.blocks());
        assertEquals(new Extent(0, 100, 15, false), t.find(7));
        assertNull(t.find(20));
    }

    @Test
    void unwrittenAndWrittenDoNotMergeUntilConverted() {
        ExtentTree t = new ExtentTree();
        t.insert(new Extent(0, 100, 10, true));
        t.insert(new Extent(10, 110, 10, false));
        assertEquals(2, t.size());
        t.setState(0, 10, false);
        assertEquals(1, t.size());
        assertEquals(new Extent(0, 100, 20, false), t.find(0));
        t.setState(5, 7, true);
        assertEquals(3, t.size());
        assertTrue(t.find(6).unwritten());
        assertFalse(t.find(7).unwritten());
    }

    @Test
    void collapseAndInsertMoveExtents() {
        ExtentTree t = new ExtentTree();
        t.insert(new Extent(0, 1000, 100, false));
        List<Extent> removed = t.remove(10, 20);
        assertEquals(List.of(new Extent(10, 1010, 10, false)), removed);
        t.shiftLeft(20, 10);
        assertEquals(new Extent(10, 1020, 80, false), t.find(10));
        assertEquals(90, t.endBlock());
        t.shiftRight(50, 7);
        assertNull(t.find(52));
        assertEquals(1060, t.find(57).pblk());
        assertEquals(97, t.endBlock());
    }

    /** Random operations against a block-by-block model; prints the seed and step on a mismatch. */
    @Test
    void randomOperationsMatchBlockModel() {
        for (long seed = 1; seed <= 3; seed++) {
            runModel(seed, 1500);
        }
    }

    private static void runModel(long seed, int steps) {
        Random r = new Random(seed);
        ExtentTree t = new ExtentTree();
        long[] p = new long[N];
        boolean[] uw = new boolean[N];
        Arrays.fill(p, -1);
        long nextP = 1_000_000;
        for (int step = 0; step < steps; step++) {
            int a = r.nextInt(N / 2);
            int len = 1 + r.nextInt(64);
            int b = Math.min(N / 2, a + len);
            String op;
            switch (r.nextInt(5)) {
                case 0 -> {
                    op = "insert holes of [" + a + "," + b + ")";
                    boolean u = r.nextBoolean();
                    for (long[] h : MapBlocks.holes(t, a, b)) {
                        int n = (int) (h[1] - h[0]);
                        long pb = r.nextInt(3) == 0 ? nextP + 5 : nextP;
                        t.insert(new Extent(h[0], pb, n, u));
                        for (int k = 0; k < n; k++) {
                            p[(int) h[0] + k] = pb + k;
                            uw[(int) h[0] + k] = u;
                        }
                        nextP = pb + n;
                    }
                }
                case 1 -> {
                    op = "remove [" + a + "," + b + ")";
                    List<Extent> rem = t.remove(a, b);
                    long cnt = 0;
                    for (Extent e : rem) {
                        cnt += e.len();
                        for (int k = 0; k < e.len(); k++) {
                            if (p[(int) e.lblk() + k] != e.pblk() + k) {
                                fail("seed " + seed + " step " + step + ": removed " + e + " not in model");
                            }
                        }
                    }
                    long model = 0;
                    for (int k = a; k < b; k++) {
                        if (p[k] >= 0) {
                            model++;
                        }
                        p[k] = -1;
                    }
                    assertEquals(model, cnt, "seed " + seed + " step " + step);
                }
                case 2 -> {
                    boolean u = r.nextBoolean();
                    op = "setState [" + a + "," + b + ") " + u;
                    t.setState(a, b, u);
                    for (int k = a; k < b; k++) {
                        if (p[k] >= 0) {
                            uw[k] = u;
                        }
                    }
                }
                case 3 -> {
                    op = "collapse [" + a + "," + b + ")";
                    t.remove(a, b);
                    t.shiftLeft(b, b - a);
                    long[] np = new long[N];
                    boolean[] nu = new boolean[N];
                    Arrays.fill(np, -1);
                    for (int k = 0; k < N; k++) {
                        int to = k < a ? k : (k >= b ? k - (b - a) : -1);
                        if (to >= 0) {
                            np[to] = p[k];
                            nu[to] = uw[k];
                        }
                    }
                    p = np;
                    uw = nu;
                }
                default -> {
                    op = "insert range at " + a + " len " + (b - a);
                    if (t.endBlock() + (b - a) >= N) {
                        continue;
                    }
                    t.shiftRight(a, b - a);
                    long[] np = new long[N];
                    boolean[] nu = new boolean[N];
                    Arrays.fill(np, -1);
                    for (int k = 0; k < N; k++) {
                        int to = k < a ? k : k + (b - a);
                        if (to < N) {
                            np[to] = p[k];
                            nu[to] = uw[k];
                        }
                    }
                    p = np;
                    uw = nu;
                }
            }
            check(seed, step, op, t, p, uw);
        }
    }

    private static void check(long seed, int step, String op, ExtentTree t, long[] p, boolean[] uw) {
        long count = 0;
        for (int k = 0; k < N; k++) {
            Extent e = t.find(k);
            String where = "seed " + seed + " step " + step + " (" + op + ") block " + k;
            if (p[k] < 0) {
                assertNull(e, where);
            } else {
                count++;
                if (e == null || e.pblkOf(k) != p[k] || e.unwritten() != uw[k]) {
                    fail(where + ": tree " + e + ", model " + p[k] + (uw[k] ? " unwritten" : ""));
                }
            }
        }
        assertEquals(count, t.blocks(), "seed " + seed + " step " + step + " block count");
        Extent prev = null;
        for (Extent e : new ArrayList<>(t.all())) {
            if (prev != null && prev.mergeableWith(e)) {
                fail("seed " + seed + " step " + step + " (" + op + "): unmerged " + prev + " and " + e);
            }
            prev = e;
        }
    }
}
