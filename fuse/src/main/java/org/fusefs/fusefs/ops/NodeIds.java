package org.fusefs.fusefs.ops;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Which FUSE nodeids name an inode of ours. libfuse 2.9's high-level API numbers its nodes itself
 * and (without {@code -o use_ino}) reports the nodeid as {@code st_ino}; the daemon cannot ask
 * libfuse for it. Clients that ask for a content change through an ioctl pass their {@code st_ino},
 * and this map remembers it, so that the kernel's cached pages of that node can be invalidated.
 * Two hard links may be two nodes; every nodeid learned is kept (a stale one is harmless: the
 * kernel answers ENOENT for a nodeid it no longer knows).
 */
public final class NodeIds {
    private static final long[] NONE = new long[0];
    private final ConcurrentHashMap<Long, long[]> byIno = new ConcurrentHashMap<>();

    /** Remembers that {@code nodeid} names inode {@code ino}. */
    public void learn(long ino, long nodeid) {
        if (nodeid <= 0) {
            return;
        }
        byIno.compute(ino, (k, old) -> {
            if (old == null) {
                return new long[] {nodeid};
            }
            for (long n : old) {
                if (n == nodeid) {
                    return old;
                }
            }
            long[] grown = java.util.Arrays.copyOf(old, old.length + 1);
            grown[old.length] = nodeid;
            return grown;
        });
    }

    /** The nodeids known for {@code ino}; empty when no client told us. */
    public long[] of(long ino) {
        long[] n = byIno.get(ino);
        return n == null ? NONE : n;
    }

    /** Forgets {@code ino} (its last link and handle are gone). */
    public void forget(long ino) {
        byIno.remove(ino);
    }
}
