package org.fusefs.pagecache;

import java.util.Arrays;
import java.util.TreeSet;

/**
 * The indexes of a {@link PageTree} that carry one tag: one bit per slot, kept beside the slots
 * as the xarray keeps its marks ({@code xa_set_mark}, {@code xa_find}).
 *
 * <p>Each leaf of the tree (512 slots) has its own bitmap of eight words, made when the leaf gets
 * its first mark and kept when it loses the last (as the tree keeps empty leaves). Two summary
 * levels let a search skip what is not marked: bit {@code h} of {@code summary} says leaf
 * {@code h} has a mark, bit {@code g} of {@code groups} says word {@code g} of {@code summary} is
 * not zero. Finding the next mark is therefore a handful of {@link Long#numberOfTrailingZeros}
 * steps however sparse the marks are; both summaries are exact at all times. Indexes past the
 * tree's table ({@link PageTree#MAX_TOP} leaves, files beyond 8 TiB) live in a sorted set, as
 * their pages live in a hash map: rare, and not on any hot path.
 *
 * <p>Locking: none of its own. Every method, reads included, is called with the owning
 * {@link PageTree}'s monitor (the tree lock) held.
 */
final class Marks {
    /** First index past the tree's table. */
    static final long FLAT_LIMIT = (long) PageTree.MAX_TOP << PageTree.LEAF_SHIFT;
    private static final int WORDS = PageTree.LEAF_SIZE / Long.SIZE;
    private static final int WORD_MASK = WORDS - 1;

    // Per leaf: WORDS words of mark bits, or null before the leaf's first mark.
    private long[][] leaves = new long[4][];
    // Bit h: leaves[h] has a mark.
    private long[] summary = new long[1];
    // Bit g: summary[g] != 0.
    private long[] groups = new long[1];
    private final TreeSet<Long> far = new TreeSet<>();
    private long count;

    /** Marks {@code index}; returns false if it was marked already. */
    boolean set(long index) {
        checkIndex(index);
        if (index >= FLAT_LIMIT) {
            if (!far.add(index)) {
                return false;
            }
            count++;
            return true;
        }
        int hi = (int) (index >>> PageTree.LEAF_SHIFT);
        if (hi >= leaves.length) {
            grow(hi);
        }
        long[] leaf = leaves[hi];
        if (leaf == null) {
            leaf = new long[WORDS];
            leaves[hi] = leaf;
        }
        int w = (int) (index >>> 6) & WORD_MASK;
        long bit = 1L << index;
        if ((leaf[w] & bit) != 0) {
            return false;
        }
        leaf[w] |= bit;
        summary[hi >>> 6] |= 1L << hi;
        groups[hi >>> 12] |= 1L << (hi >>> 6);
        count++;
        return true;
    }

    /** Unmarks {@code index}; returns false if it was not marked. */
    boolean clear(long index) {
        checkIndex(index);
        if (index >= FLAT_LIMIT) {
            if (!far.remove(index)) {
                return false;
            }
            count--;
            return true;
        }
        int hi = (int) (index >>> PageTree.LEAF_SHIFT);
        long[] leaf = hi < leaves.length ? leaves[hi] : null;
        if (leaf == null) {
            return false;
        }
        int w = (int) (index >>> 6) & WORD_MASK;
        long bit = 1L << index;
        if ((leaf[w] & bit) == 0) {
            return false;
        }
        leaf[w] &= ~bit;
        count--;
        if (leaf[w] == 0 && isEmpty(leaf)) {
            int s = hi >>> 6;
            summary[s] &= ~(1L << hi);
            if (summary[s] == 0) {
                groups[s >>> 6] &= ~(1L << s);
            }
        }
        return true;
    }

    boolean test(long index) {
        checkIndex(index);
        if (index >= FLAT_LIMIT) {
            return far.contains(index);
        }
        int hi = (int) (index >>> PageTree.LEAF_SHIFT);
        long[] leaf = hi < leaves.length ? leaves[hi] : null;
        return leaf != null && (leaf[(int) (index >>> 6) & WORD_MASK] & (1L << index)) != 0;
    }

    /** Number of marked indexes. */
    long count() {
        return count;
    }

    /** Returns the first marked index in {@code [from, last]}, or -1. */
    long next(long from, long last) {
        from = Math.max(from, 0);
        if (from > last) {
            return -1;
        }
        if (from < FLAT_LIMIT) {
            int hi = (int) (from >>> PageTree.LEAF_SHIFT);
            if (hi < leaves.length) {
                long[] leaf = leaves[hi];
                if (leaf != null) {
                    int w = (int) (from >>> 6) & WORD_MASK;
                    long bits = leaf[w] & (-1L << from);
                    for (;;) {
                        if (bits != 0) {
                            long i = ((long) hi << PageTree.LEAF_SHIFT) + ((long) w << 6) + Long.numberOfTrailingZeros(bits);
                            return i <= last ? i : -1;
                        }
                        if (++w == WORDS) {
                            break;
                        }
                        bits = leaf[w];
                    }
                }
                long lastLeaf = Math.min(last, FLAT_LIMIT - 1) >>> PageTree.LEAF_SHIFT;
                int h = nextLeaf(hi + 1, lastLeaf);
                if (h >= 0) {
                    long i = firstInLeaf(h);
                    return i <= last ? i : -1;
                }
            }
        }
        if (far.isEmpty() || last < FLAT_LIMIT) {
            return -1;
        }
        Long c = far.ceiling(Math.max(from, FLAT_LIMIT));
        return c != null && c <= last ? c : -1;
    }

    /**
     * Copies up to {@code max} marked indexes in {@code [first, last]}, ascending, into
     * {@code out}; returns how many.
     */
    int gather(long first, long last, long[] out, int max) {
        int n = 0;
        long i = first;
        while (n < max && i <= last) {
            long j = next(i, last);
            if (j < 0) {
                break;
            }
            if (j >= FLAT_LIMIT) {
                for (Long k : far.subSet(j, true, last, true)) {
                    if (n == max) {
                        break;
                    }
                    out[n++] = k;
                }
                break;
            }
            // The rest of j's word at once; then search on from the next word.
            long[] leaf = leaves[(int) (j >>> PageTree.LEAF_SHIFT)];
            long base = j & ~63L;
            long bits = leaf[(int) (j >>> 6) & WORD_MASK] & (-1L << j);
            while (bits != 0 && n < max) {
                long k = base + Long.numberOfTrailingZeros(bits);
                if (k > last) {
                    return n;
                }
                out[n++] = k;
                bits &= bits - 1;
            }
            i = base + 64;
        }
        return n;
    }

    /** The first leaf at or after {@code h} and at or before {@code limit} with a mark, or -1. */
    private int nextLeaf(int h, long limit) {
        if (h > limit) {
            return -1;
        }
        int w = h >>> 6;
        if (w >= summary.length) {
            return -1;
        }
        long bits = summary[w] & (-1L << h);
        if (bits == 0) {
            int g = w + 1;
            int gw = g >>> 6;
            if (gw >= groups.length) {
                return -1;
            }
            long gbits = groups[gw] & (-1L << g);
            // Summary words past this one hold leaves past the limit.
            int lastWord = (int) (limit >>> 6);
            for (;;) {
                if (gbits != 0) {
                    w = (gw << 6) + Long.numberOfTrailingZeros(gbits);
                    break;
                }
                if (++gw >= groups.length || (gw << 6) > lastWord) {
                    return -1;
                }
                gbits = groups[gw];
            }
            bits = summary[w];
        }
        int r = (w << 6) + Long.numberOfTrailingZeros(bits);
        return r <= limit ? r : -1;
    }

    private long firstInLeaf(int h) {
        long[] leaf = leaves[h];
        for (int w = 0; w < WORDS; w++) {
            if (leaf[w] != 0) {
                return ((long) h << PageTree.LEAF_SHIFT) + ((long) w << 6) + Long.numberOfTrailingZeros(leaf[w]);
            }
        }
        throw new IllegalStateException("leaf " + h + " is in the summary but has no mark");
    }

    private static boolean isEmpty(long[] leaf) {
        for (long word : leaf) {
            if (word != 0) {
                return false;
            }
        }
        return true;
    }

    private void grow(int hi) {
        int n = leaves.length;
        while (n <= hi) {
            n = Math.min(PageTree.MAX_TOP, n * 2);
        }
        leaves = Arrays.copyOf(leaves, n);
        summary = Arrays.copyOf(summary, (n + 63) >>> 6);
        groups = Arrays.copyOf(groups, (summary.length + 63) >>> 6);
    }

    private static void checkIndex(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("page index " + index + " is negative");
        }
    }
}
