package org.fusefs.fusefs.jnr;

import java.util.Arrays;
import jnr.ffi.Pointer;
import org.fusefs.extent.InodeInvalidation;
import org.fusefs.fusefs.ops.NodeIds;

/**
 * Drops the kernel's cached pages of a file whose contents the filesystem changed behind the
 * kernel's back, with {@code fuse_lowlevel_notify_inval_inode} (shared/spec/fuse-kernel.md §8.2).
 *
 * <p>When a notification may run (§8.3): the kernel's invalidation waits for page locks that a
 * reader holds while its READ request waits for a worker, and launders dirty pages with WRITE
 * requests; so it must never run while a worker holds a filesystem lock that those requests need.
 * On the request loop's threads notifications are therefore <em>collected</em> while an ioctl
 * handler runs and delivered by {@link #deliverCollected} after the filesystem call returned (no
 * lock held); raised during any other request they are dropped, because the kernel keeps its own
 * cache coherent for the requests it sends (write, truncate, punch/zero fallocate). Threads outside
 * the loop deliver at once. The loop is multithreaded, so another worker is free to serve the
 * READs and WRITEs the invalidation waits for.
 */
final class InvalNotifier implements InodeInvalidation {
    private static final System.Logger LOG = System.getLogger(InvalNotifier.class.getName());
    private static final int ENOENT = 2;

    /** Per worker thread: notifications waiting for the end of the current ioctl. */
    static final class Pending {
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

    private final LibFuse2 lib;
    private final NodeIds nodeIds;
    private volatile Pointer channel;

    InvalNotifier(LibFuse2 lib, NodeIds nodeIds) {
        this.lib = lib;
        this.nodeIds = nodeIds;
    }

    void attach(Pointer channel) {
        this.channel = channel;
    }

    void detach() {
        this.channel = null;
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
        for (int i = 0; i < p.n; i += 3) {
            deliver(p.entries[i], p.entries[i + 1], p.entries[i + 2]);
        }
        p.n = 0;
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
        Pointer ch = channel;
        if (ch == null) {
            return;
        }
        for (long nodeid : nodeIds.of(ino)) {
            int rc = lib.fuse_lowlevel_notify_inval_inode(ch, nodeid, offset, length);
            if (rc != 0 && rc != -ENOENT) {
                LOG.log(System.Logger.Level.WARNING, "fusefs: notify_inval_inode(nodeid " + nodeid
                        + ", ino " + ino + ", " + offset + ", " + length + ") = " + rc);
            }
        }
    }
}
