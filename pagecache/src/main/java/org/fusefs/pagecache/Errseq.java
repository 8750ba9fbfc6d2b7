package org.fusefs.pagecache;

import java.util.concurrent.atomic.AtomicLong;
import org.fusefs.uapi.Errno;

/**
 * Write-back error sequence of an address space, after {@code lib/errseq.c}: every opener that
 * sampled the sequence before an error sees that error once.
 *
 * <p>The value packs the last errno (low 12 bits), a SEEN bit and a counter above them. Recording
 * an error bumps the counter only if the previous one was seen, so errors nobody has looked at
 * yet collapse into one. A {@link Cursor} remembers the value its opener last saw; a differing
 * value means a new error. Lock-free: one compare-and-set per change.
 */
public final class Errseq {
    private static final long ERRNO_MASK = (1L << 12) - 1;
    private static final long SEEN = 1L << 12;
    private static final long CTR_INC = 1L << 13;

    private final AtomicLong value = new AtomicLong();

    /** A file description's sample of the sequence ({@code file->f_wb_err}). */
    public static final class Cursor {
        long seen;
    }

    /** Records {@code errno} ({@code errseq_set}). */
    public void set(Errno errno) {
        long old;
        long next;
        do {
            old = value.get();
            next = (old & ~(ERRNO_MASK | SEEN)) | errno.code();
            if ((old & SEEN) != 0) {
                next += CTR_INC;
            }
            if (next == old) {
                return;
            }
        } while (!value.compareAndSet(old, next));
    }

    /**
     * Samples the sequence at open time ({@code errseq_sample}): an error nobody has seen yet is
     * reported to this opener too.
     */
    public Cursor sample() {
        Cursor c = new Cursor();
        long v = value.get();
        c.seen = (v & SEEN) != 0 ? v : 0;
        return c;
    }

    /**
     * Returns the errno recorded since {@code cursor} last looked, or {@code null}, and moves the
     * cursor on ({@code errseq_check_and_advance}). The caller serializes uses of one cursor.
     */
    public Errno checkAndAdvance(Cursor cursor) {
        long old = value.get();
        if (old == cursor.seen) {
            return null;
        }
        long now = (old & SEEN) != 0 ? old : value.updateAndGet(v -> v | SEEN);
        cursor.seen = now;
        Errno e = Errno.of((int) (now & ERRNO_MASK));
        return e == null ? Errno.EIO : e;
    }

    /** Returns whether an error was ever recorded ({@code errseq_check} against 0). */
    public boolean anyError() {
        return (value.get() & ERRNO_MASK) != 0;
    }
}
