package org.fusefs.pagecache;

/**
 * Write-back error sequence of an address space, after {@code lib/errseq.c}: every opener that
 * sampled the sequence before an error sees that error once.
 *
 * <p>SEAM: filled in by the pagecache module (issue 3).
 */
public final class Errseq {

    /** A file description's sample of the sequence ({@code file->f_wb_err}). */
    public static final class Cursor {
        long seen;
    }
}
