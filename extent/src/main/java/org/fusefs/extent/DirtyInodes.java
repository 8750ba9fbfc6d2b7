package org.fusefs.extent;

import java.util.ArrayList;
import java.util.List;

/**
 * The inodes whose on-device image changed since the last checkpoint took its batch
 * ({@code ext4_mark_inode_dirty} with jbd2's list of buffers a transaction dirtied): a checkpoint
 * encodes only these, so its cost follows what changed, not how many inodes there are.
 *
 * <p>The rule every change of an inode's metadata follows (attributes, size, extents, pending and
 * delayed blocks, directory entries, xattrs, symlink target, being freed): it calls {@link #mark}
 * <em>before</em> it changes anything, holding the inode's lock (or the namespace lock, for the
 * namespace operations and evictions) and no page lock, invalidate lock or dataSem. While a
 * checkpoint runs, the gate is closed: {@link #mark} of an inode not already dirty waits until the
 * checkpoint ends. So an inode outside the checkpoint's batch cannot change while it runs: its
 * mutators either marked it before the gate closed (then it is in the batch, and the checkpoint
 * takes its lock, which waits for them) or wait at the gate before touching it. Writeback, which
 * changes extents under page locks and dataSem without the inode lock, needs no mark: pages are
 * dirtied only by write(2), which marks first, and the checkpoint writes back every batch inode
 * under its lock before encoding, so an inode outside the batch has no dirty page to write back.
 *
 * <p>A mark that must not wait (a read moving atime, without the inode lock) uses
 * {@link #markTimes}: while the gate is closed it is kept aside and joins the next batch; no
 * checkpoint encodes the inode meanwhile (or, if it is in the batch and not yet encoded, encodes
 * the new time, since the checkpoint clears the mark before reading the fields).
 *
 * <p>Locking: this object's monitor is a leaf (taken after every other lock, calls nothing out).
 * {@link Inode#dirty} is written under it and read without it (volatile); the checkpoint clears it
 * under the inode's lock too, so a mutator holding that lock sees a stable value.
 */
final class DirtyInodes {
    private List<Inode> marked = new ArrayList<>();
    /** Atime marks made while the gate was closed; they join {@link #marked} when it opens. */
    private final List<Inode> late = new ArrayList<>();
    /** The next checkpoint must encode every inode (after mount, or a checkpoint that failed). */
    private boolean all = true;
    /** The checkpoint's thread while the gate is closed, else null. */
    private Thread closedBy;

    /**
     * Marks {@code i} dirty before a change of its metadata; waits while a checkpoint that does not
     * include it runs. The caller holds {@code i.lock} or the namespace lock (see the class comment).
     */
    void mark(Inode i) {
        if (i.dirty) {
            return;
        }
        boolean interrupted = false;
        synchronized (this) {
            while (closedBy != null && closedBy != Thread.currentThread()) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            add(i);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Marks {@code i} dirty after its atime moved, without waiting (see the class comment). */
    void markTimes(Inode i) {
        if (i.dirty) {
            return;
        }
        synchronized (this) {
            if (closedBy != null) {
                late.add(i);
            } else {
                add(i);
            }
        }
    }

    private void add(Inode i) {
        if (!i.dirty) {
            i.dirty = true;
            marked.add(i);
        }
    }

    /** Whether the next checkpoint must encode every inode. */
    synchronized boolean all() {
        return all;
    }

    /** Makes the next checkpoint encode every inode. */
    synchronized void markAll() {
        all = true;
    }

    /**
     * Called by a checkpoint holding the namespace lock exclusively: closes the gate and returns
     * the inodes marked so far (freed ones included), leaving their marks set until
     * {@link #clean}.
     */
    synchronized List<Inode> close() {
        if (closedBy != null) {
            throw new IllegalStateException("checkpoint gate already closed by " + closedBy.getName());
        }
        closedBy = Thread.currentThread();
        List<Inode> batch = marked;
        marked = new ArrayList<>();
        all = false;
        return batch;
    }

    /** Clears {@code i}'s mark; the checkpoint holds its lock and reads its fields only after. */
    synchronized void clean(Inode i) {
        i.dirty = false;
    }

    /**
     * Opens the gate at the end of a checkpoint; when it failed, the next one encodes every inode
     * (which blocks hold what on the device is not known).
     */
    synchronized void open(boolean failed) {
        if (failed) {
            // Its batch is lost and some marks in it are still set: only a full pass is right.
            all = true;
        }
        if (closedBy != Thread.currentThread()) {
            return;
        }
        closedBy = null;
        for (Inode i : late) {
            add(i);
        }
        late.clear();
        notifyAll();
    }
}
