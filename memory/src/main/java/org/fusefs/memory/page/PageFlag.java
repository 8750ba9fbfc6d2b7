package org.fusefs.memory.page;

/** Page flags, after {@code include/linux/page-flags.h}. Bit positions are this enum's ordinals. */
public enum PageFlag {
    LOCKED, REFERENCED, UPTODATE, DIRTY, LRU, ACTIVE, WRITEBACK, RECLAIM, RESERVED, BUDDY,
    MAPPED, HWPOISON, ERROR, SLAB;

    /** Returns the bit this flag occupies in {@link Page#flags()}. */
    public int mask() {
        return 1 << ordinal();
    }
}
