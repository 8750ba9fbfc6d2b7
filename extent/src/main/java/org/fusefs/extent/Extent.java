package org.fusefs.extent;

/**
 * One extent of a file: {@code len} logical blocks from {@code lblk} stored at physical block
 * {@code pblk}; an unwritten extent is allocated but reads as zeros.
 *
 * <p>Mirrors {@code struct ext4_extent} (ee_block, ee_len with the unwritten bit, ee_start). As in
 * ext4 a written extent holds at most {@value #MAX_INIT_LEN} blocks and an unwritten one at most
 * {@value #MAX_UNWRITTEN_LEN}.
 */
record Extent(long lblk, long pblk, int len, boolean unwritten) {
    static final int MAX_INIT_LEN = 32768;
    static final int MAX_UNWRITTEN_LEN = 32767;

    Extent {
        if (lblk < 0 || pblk < 0 || len <= 0 || len > maxLen(unwritten)) {
            throw new IllegalArgumentException("bad extent: lblk " + lblk + " pblk " + pblk + " len " + len
                    + (unwritten ? " unwritten" : ""));
        }
    }

    static int maxLen(boolean unwritten) {
        return unwritten ? MAX_UNWRITTEN_LEN : MAX_INIT_LEN;
    }

    /** Returns the first logical block after this extent. */
    long end() {
        return lblk + len;
    }

    /** Returns the physical block that holds logical block {@code l}, which must lie inside. */
    long pblkOf(long l) {
        return pblk + (l - lblk);
    }

    boolean contains(long l) {
        return l >= lblk && l < lblk + len;
    }

    /** Returns the part of this extent covering {@code [from, to)} (clipped to the extent). */
    Extent slice(long from, long to) {
        long s = Math.max(from, lblk);
        long e = Math.min(to, end());
        return new Extent(s, pblk + (s - lblk), (int) (e - s), unwritten);
    }

    Extent withFlag(boolean uw) {
        return new Extent(lblk, pblk, len, uw);
    }

    Extent movedTo(long newLblk) {
        return new Extent(newLblk, pblk, len, unwritten);
    }

    /** Whether {@code next} continues this extent logically and physically with the same state. */
    boolean mergeableWith(Extent next) {
        return next.lblk == end() && next.pblk == pblk + len && next.unwritten == unwritten
                && (long) len + next.len <= maxLen(unwritten);
    }
}
