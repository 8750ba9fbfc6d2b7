package org.fusefs.memory;

/**
 * Immutable configuration of the simulated physical memory. Build with {@link #builder()}.
 *
 * @param bytes size of physical memory; a multiple of the largest block (4 MiB)
 * @param mobilityGrouping whether free lists are kept per migrate type (Gorman's grouping)
 * @param pageOwner whether page_owner tracking starts enabled
 * @param reservedPages frames reserved at boot from frame 0 on, never allocated (shown in meminfo)
 */
public record MemoryConfig(long bytes, boolean mobilityGrouping, boolean pageOwner, int reservedPages) {
    public static final int MAX_ORDER = 10;
    public static final long DEFAULT_BYTES = 1L << 30;

    public MemoryConfig {
        long block = 4096L << MAX_ORDER;
        if (bytes <= 0 || bytes % block != 0) {
            throw new IllegalArgumentException(
                    "memory size (" + bytes + ") must be a positive multiple of " + block + " bytes");
        }
        if (bytes / 4096 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("memory size (" + bytes + ") above " + (4096L * Integer.MAX_VALUE) + " bytes");
        }
        if (reservedPages < 0 || reservedPages > bytes / 4096) {
            throw new IllegalArgumentException(
                    "reservedPages (" + reservedPages + ") outside 0.." + bytes / 4096);
        }
    }

    /** A configuration with no reserved frames. */
    public MemoryConfig(long bytes, boolean mobilityGrouping, boolean pageOwner) {
        this(bytes, mobilityGrouping, pageOwner, 0);
    }

    /** Returns the number of page frames. */
    public long pages() {
        return bytes / 4096;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder with defaults: 1 GiB, grouping on, page_owner off, nothing reserved. */
    public static final class Builder {
        private long bytes = DEFAULT_BYTES;
        private boolean mobilityGrouping = true;
        private boolean pageOwner;
        private int reservedPages;

        public Builder bytes(long bytes) {
            this.bytes = bytes;
            return this;
        }

        public Builder mobilityGrouping(boolean on) {
            this.mobilityGrouping = on;
            return this;
        }

        public Builder pageOwner(boolean on) {
            this.pageOwner = on;
            return this;
        }

        /** Reserves the first {@code n} frames at boot, as firmware and kernel image would be. */
        public Builder reservedPages(int n) {
            this.reservedPages = n;
            return this;
        }

        public MemoryConfig build() {
            return new MemoryConfig(bytes, mobilityGrouping, pageOwner, reservedPages);
        }
    }
}
