package org.fusefs.fusefs.ops;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;

/**
 * The open file handles of a mount: the value stored in {@code fuse_file_info.fh} names a slot and
 * the generation it was issued in, so a stale or forged handle is EBADF instead of another file.
 * The daemon's counterpart of the kernel's {@code struct fdtable} ({@code fs/file.c}); owned by
 * {@link FileOperations}.
 *
 * <p>Lookup is O(1) and allocation-free (it runs on every read and write). Slots are installed and
 * freed under {@code this}; {@link #get} reads without a lock through the atomic array, which
 * publishes the handle's final fields. The array is replaced (copied) when it grows; a reader that
 * still holds the old array sees every handle that was live when it was copied, and a handle freed
 * later is still returned to a caller racing with its release, exactly as a kernel file stays
 * usable by a call that already holds it.
 */
final class HandleTable {
    private static final int INITIAL = 64;

    private volatile AtomicReferenceArray<FileHandle> slots = new AtomicReferenceArray<>(INITIAL);
    // protected by this
    private int[] freeSlots = new int[INITIAL];
    private int nrFree;
    private int nextUnused = 1; // slot 0 is never used: fh 0 means "no handle" to libfuse
    private long generation;
    private int live;

    /** Installs a handle built from its fh and returns it. */
    synchronized FileHandle install(java.util.function.LongFunction<FileHandle> factory) {
        int slot;
        if (nrFree > 0) {
            slot = freeSlots[--nrFree];
        } else {
            slot = nextUnused++;
            if (slot >= slots.length()) {
                AtomicReferenceArray<FileHandle> bigger = new AtomicReferenceArray<>(slots.length() * 2);
                for (int i = 0; i < slots.length(); i++) {
                    bigger.set(i, slots.get(i));
                }
                slots = bigger;
            }
        }
        long fh = (++generation << 32) | slot;
        FileHandle h = factory.apply(fh);
        if (h.fh() != fh) {
            throw new IllegalStateException("handle factory returned fh " + h.fh() + " for " + fh);
        }
        slots.set(slot, h);
        live++;
        return h;
    }

    /** Returns the live handle {@code fh}; EBADF when it was never issued or is released. */
    FileHandle get(long fh) {
        int slot = (int) fh;
        AtomicReferenceArray<FileHandle> s = slots;
        if (slot <= 0 || slot >= s.length()) {
            throw new ErrnoException(Errno.EBADF, "file handle " + fh);
        }
        FileHandle h = s.get(slot);
        if (h == null || h.fh() != fh) {
            throw new ErrnoException(Errno.EBADF, "file handle " + fh);
        }
        return h;
    }

    /** Removes handle {@code fh} and returns it; EBADF when it is not live. */
    synchronized FileHandle remove(long fh) {
        FileHandle h = get(fh);
        int slot = (int) fh;
        slots.set(slot, null);
        if (nrFree == freeSlots.length) {
            freeSlots = java.util.Arrays.copyOf(freeSlots, freeSlots.length * 2);
        }
        freeSlots[nrFree++] = slot;
        live--;
        return h;
    }

    /** Returns the number of live handles. */
    synchronized int size() {
        return live;
    }
}
