package org.fusefs.extent;

import java.util.Objects;

/**
 * Options of {@link ExtentFs#mkfs}: the number of inodes (0: one per 16 KiB, as mke2fs's default
 * ratio), the blocks reserved for the journal (0: 1/64 of the device, between 16 and 8192), the
 * label (at most 64 bytes) and a seed for the UUID (0: random).
 */
public record MkfsOptions(long inodes, long journalBlocks, String label, long uuidSeed) {
    public MkfsOptions {
        Objects.requireNonNull(label, "label");
        if (inodes < 0 || journalBlocks < 0) {
            throw new IllegalArgumentException("inodes (" + inodes + ") and journalBlocks (" + journalBlocks
                    + ") must be >= 0");
        }
        if (label.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 64) {
            throw new IllegalArgumentException("label (" + label + ") longer than 64 bytes");
        }
    }

    public static MkfsOptions defaults() {
        return new MkfsOptions(0, 0, "", 0);
    }

    public MkfsOptions withInodes(long n) {
        return new MkfsOptions(n, journalBlocks, label, uuidSeed);
    }

    public MkfsOptions withLabel(String l) {
        return new MkfsOptions(inodes, journalBlocks, l, uuidSeed);
    }

    public MkfsOptions withUuidSeed(long seed) {
        return new MkfsOptions(inodes, journalBlocks, label, seed);
    }

    public MkfsOptions withJournalBlocks(long n) {
        return new MkfsOptions(inodes, n, label, uuidSeed);
    }
}
