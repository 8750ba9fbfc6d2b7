package org.fusefs.fusefs.lowlevel;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernel's lookup count per inode ({@code nlookup}): raised by every entry reply (lookup,
 * create, mknod, mkdir, symlink, link), lowered by FORGET. An inode is "known to the kernel" while
 * its count is positive; the root is always known. Thread-safe (per-key atomic updates).
 */
final class LookupCounts {
    private final ConcurrentHashMap<Long, Long> counts = new ConcurrentHashMap<>();

    void add(long ino) {
        counts.merge(ino, 1L, Long::sum);
    }

    void forget(long ino, long nlookup) {
        counts.computeIfPresent(ino, (k, n) -> n - nlookup <= 0 ? null : n - nlookup);
    }

    long of(long ino) {
        Long n = counts.get(ino);
        return n == null ? 0 : n;
    }

    /** Inodes the kernel holds. */
    int size() {
        return counts.size();
    }
}
