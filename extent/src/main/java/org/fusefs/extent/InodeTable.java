package org.fusefs.extent;

import java.util.BitSet;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live inodes by number and the allocation of inode numbers from the fixed-size inode table
 * ({@code ialloc.c}). Inode 1 is the root directory.
 *
 * <p>Locking: lookups are lock-free ({@link ConcurrentHashMap}); allocation and release take this
 * object's monitor, which is taken after any inode lock and calls nothing out.
 */
final class InodeTable {
    private final ConcurrentHashMap<Long, Inode> inodes = new ConcurrentHashMap<>();
    // protected by this: bit (ino - 1) set when ino is in use
    private final BitSet used;
    private final long count;
    private long hint;
    private long nextGeneration;

    InodeTable(long count, long nextGeneration) {
        if (count <= 0 || count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("inode count (" + count + ") outside 1.." + Integer.MAX_VALUE);
        }
        this.count = count;
        this.used = new BitSet((int) count);
        this.nextGeneration = nextGeneration;
    }

    long count() {
        return count;
    }

    synchronized long usedCount() {
        return used.cardinality();
    }

    synchronized long nextGeneration() {
        return nextGeneration;
    }

    Inode get(long ino) {
        return inodes.get(ino);
    }

    Collection<Inode> all() {
        return inodes.values();
    }

    /** Allocates a free inode number and registers a new inode; null when the table is full. */
    synchronized Inode allocate(int mode) {
        int i = used.nextClearBit((int) hint);
        if (i >= count) {
            i = used.nextClearBit(0);
            if (i >= count) {
                return null;
            }
        }
        used.set(i);
        hint = i + 1;
        Inode inode = new Inode(i + 1L, mode);
        inode.generation = nextGeneration++;
        inodes.put(inode.ino, inode);
        return inode;
    }

    /** Registers an inode read from the device. */
    synchronized void load(Inode inode) {
        int i = (int) (inode.ino - 1);
        if (used.get(i)) {
            throw new IllegalStateException("inode " + inode.ino + " loaded twice");
        }
        used.set(i);
        inodes.put(inode.ino, inode);
        nextGeneration = Math.max(nextGeneration, inode.generation + 1);
    }

    /** Forgets a freed inode; its number becomes free. */
    synchronized void release(Inode inode) {
        int i = (int) (inode.ino - 1);
        if (!used.get(i) || inodes.remove(inode.ino) != inode) {
            throw new IllegalStateException("releasing inode " + inode.ino + " that is not live");
        }
        used.clear(i);
        hint = Math.min(hint, i);
    }
}
