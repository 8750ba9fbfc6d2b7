package org.fusefs.fusefs.lowlevel;

import java.util.Arrays;
import org.fusefs.extent.InodeInvalidation;

/**
 * Drops the kernel's cached pages and attributes of an inode whose contents the filesystem changed
 * behind the kernel's back, with {@code fuse_lowlevel_notify_inval_inode(ch, ino, off, len)}: in
 * the low-level API the nodeid is our inode number, so every name of the file is covered at once.
 *
 * <p>When a notification may run (shared/spec/fuse-kernel.md §8.3): the kernel's invalidation
 * waits for page locks held by readers whose READ waits for a worker, and launders dirty pages
 * with WRITEs; so it must never run while a worker holds a filesystem lock those requests need.
 * On the request loop's threads notifications are collected while an ioctl runs and delivered by
 * {@link #deliverCollected} after the filesystem call returned; raised during any other request
 * they are dropped, because the kernel keeps its cache coherent for the requests it sends itself.
 * Other threads deliver at once. The pool has several workers, so one is free for those READs.
 */
final class LowLevelInval implements InodeInvalidation {
    private static final System.Logger LOG = System.getLogger(LowLevelInval.class.getName());
    private static final int ENOENT = 2;

    /** Per worker thread: notifications waiting for the end of the current ioctl. */
    private static final class Pending {
        private boolean collecting;
        private long[] entries = new long[24];
        private int n;

        void add(long ino, long off, long len) {
            if (n + 3 > entries.length) {
                entries = Arrays.copyOf(entries, entries.length * 2);
            }
            entries[n++] = ino;
            entries[n++] = off;
            entries[n++] = len;
        }
    }

    private static final ThreadLocal<Pending> WORKER = new ThreadLocal<>();

    private final LibFuseLowLevel lib;
    private volatile long channel;

    LowLevelInval(LibFuseLowLevel lib) {
        this.lib = lib;
    }

    void attach(long ch) {
        this.channel = ch;
    }

    void detach() {
        this.channel = 0;
    }

    /** Marks the calling thread as a request-loop worker. */
    static void becomeWorker() {
        WORKER.set(new Pending());
    }

    /** Starts collecting this worker's notifications (an ioctl handler begins). */
    static void collect() {
        Pending p = WORKER.get();
        if (p != null) {
            p.collecting = true;
            p.n = 0;
        }
    }

    /** Stops collecting and delivers what was collected; call with no filesystem lock held. */
    void deliverCollected() {
        Pending p = WORKER.get();
        if (p == null) {
            return;
        }
        p.collecting = false;
        int n = p.n;
        p.n = 0;
        for (int i = 0; i < n; i += 3) {
            deliver(p.entries[i], p.entries[i + 1], p.entries[i + 2]);
        }
    }

    @Override
    public void invalidate(long ino, long offset, long length) {
        Pending p = WORKER.get();
        if (p == null) {
            deliver(ino, offset, length);
        } else if (p.collecting) {
            p.add(ino, offset, length);
        }
    }

    private void deliver(long ino, long offset, long length) {
        long ch = channel;
        if (ch == 0) {
            return;
        }
        int rc = lib.fuse_lowlevel_notify_inval_inode(ch, ino, offset, length);
        if (rc != 0 && rc != -ENOENT) {
            LOG.log(System.Logger.Level.WARNING, "fusefs: notify_inval_inode(" + ino + ", " + offset + ", "
                    + length + ") = " + rc);
        }
    }
}
