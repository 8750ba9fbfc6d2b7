package org.fusefs.pagecache;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * Buffered read and write between user memory and cached pages ({@code filemap_read},
 * {@code generic_perform_write} of {@code mm/filemap.c}).
 *
 * <p>One loop serves native addresses, arrays and buffers: {@code kind} says which of the
 * destination arguments is live, so no per-call object is made. Locks: a write holds one page
 * lock at a time (the caller holds the inode lock); a read holds none on a hit and one on a miss,
 * after {@link Readahead} has read the missing pages around it (holding only the locks of the new
 * pages it fills, released before the read locks its own page).
 */
final class Filemap {
    static final int NATIVE = 0;
    static final int ARRAY = 1;
    static final int BUFFER = 2;
    private static final int UPTODATE = PageFlag.UPTODATE.mask();
    private static final int HWPOISON = PageFlag.HWPOISON.mask();

    private Filemap() {
    }

    static int read(AddressSpace as, long pos, int kind, long addr, byte[] arr, int off, ByteBuffer buf,
            int len, long iSize) throws IOException {
        checkArgs(pos, len, iSize);
        if (pos >= iSize || len == 0) {
            return 0;
        }
        int total = (int) Math.min(len, iSize - pos);
        PageCache cache = as.cache();
        int done = 0;
        while (done < total) {
            long p = pos + done;
            long index = p >>> Page.SHIFT;
            int po = (int) p & (Page.SIZE - 1);
            int n = Math.min(Page.SIZE - po, total - done);
            // Fast path: no lock, no reference; validated by the removal count afterwards.
            long seq = as.removals;
            Page page = as.tree.get(index);
            if (page != null && (page.flags() & (UPTODATE | HWPOISON)) == UPTODATE) {
                int bufPos = kind == BUFFER ? buf.position() : 0;
                copyOut(page, po, n, kind, addr + done, arr, off + done, buf);
                VarHandle.acquireFence();
                if (as.removals == seq) {
                    // Not PG_referenced: the page may have been freed since the check above, and
                    // a flag must never be set on a frame the cache no longer owns.
                    cache.markAccessed(page);
                    cache.hits.increment();
                    done += n;
                    continue;
                }
                if (kind == BUFFER) {
                    buf.position(bufPos);
                }
            } else if (page == null) {
                as.ra.onMiss(index, (pos + total - 1) >>> Page.SHIFT, iSize);
            }
            Page locked = lockForRead(as, index, done);
            if (locked == null) {
                as.ra.recordRead((pos + done - 1) >>> Page.SHIFT);
                return done;
            }
            try {
                copyOut(locked, po, n, kind, addr + done, arr, off + done, buf);
            } finally {
                PageWait.unlock(locked);
            }
            done += n;
        }
        as.ra.recordRead((pos + total - 1) >>> Page.SHIFT);
        return total;
    }

    /**
     * The read above, lending the locked pages to {@code actor} instead of copying (see
     * {@link SpliceRead}). The actor runs once, also for an empty read; a read error after the
     * first page shortens the count, on the first page it is thrown and the actor does not run.
     */
    static int spliceRead(AddressSpace as, long pos, int len, long iSize, SpliceRead sr, SpliceRead.Actor actor)
            throws IOException {
        checkArgs(pos, len, iSize);
        sr.checkEmpty();
        int total = pos >= iSize ? 0 : (int) Math.min(len, iSize - pos);
        int done = 0;
        try {
            while (done < total) {
                long p = pos + done;
                long index = p >>> Page.SHIFT;
                int po = (int) p & (Page.SIZE - 1);
                int n = Math.min(Page.SIZE - po, total - done);
                if (as.tree.get(index) == null) {
                    as.ra.onMiss(index, (pos + total - 1) >>> Page.SHIFT, iSize);
                }
                Page locked = lockForRead(as, index, done);
                if (locked == null) {
                    break;
                }
                sr.add(locked, po, n);
                done += n;
            }
            if (done > 0) {
                as.ra.recordRead((pos + done - 1) >>> Page.SHIFT);
            }
            actor.send(sr);
            return done;
        } finally {
            sr.release(as.cache());
        }
    }

    /**
     * Page {@code index} locked and uptodate for a read that has {@code done} bytes so far. As
     * filemap_read, a read error gives a short count when anything was read (null here) and
     * the error otherwise.
     */
    private static Page lockForRead(AddressSpace as, long index, int done) throws IOException {
        try {
            return as.readLockedPage(index);
        } catch (IOException e) {
            if (done > 0) {
                return null;
            }
            throw e;
        }
    }

    static int write(AddressSpace as, long pos, int kind, long addr, byte[] arr, int off, ByteBuffer buf,
            int len, long iSize) throws IOException {
        checkArgs(pos, len, iSize);
        if (Long.MAX_VALUE - pos < len) {
            throw new IllegalArgumentException("write of " + len + " bytes at " + pos + " overflows the file offset");
        }
        int done = 0;
        while (done < len) {
            long p = pos + done;
            long index = p >>> Page.SHIFT;
            int po = (int) p & (Page.SIZE - 1);
            int n = Math.min(Page.SIZE - po, len - done);
            Page page;
            try {
                page = writeBegin(as, index, po, n, iSize);
            } catch (IOException e) {
                // As generic_perform_write: what was copied counts; the error only if nothing was.
                if (done > 0) {
                    return done;
                }
                throw e;
            }
            try {
                copyIn(page, po, n, kind, addr + done, arr, off + done, buf);
                zeroPastEof(page, index, po, n, iSize);
                page.set(PageFlag.UPTODATE);
                as.markDirty(page);
            } finally {
                PageWait.unlock(page);
            }
            done += n;
            // Per page, with no page lock held, so that one huge write cannot run past the limit
            // (balance_dirty_pages_ratelimited); only a read of a counter below the threshold.
            as.cache().writeback.balanceDirtyPages();
        }
        return len;
    }

    /**
     * Returns page {@code index} locked and ready to take {@code n} bytes at {@code po}
     * ({@code write_begin}): a page the write does not cover wholly is made uptodate first, by
     * reading it when it holds file data and by zeroing it when it lies wholly past the old end.
     */
    private static Page writeBegin(AddressSpace as, long index, int po, int n, long iSize) throws IOException {
        Page page = as.findOrCreateLocked(index);
        if (page.test(PageFlag.UPTODATE) || n == Page.SIZE) {
            return page;
        }
        long pageStart = index << Page.SHIFT;
        if (pageStart >= iSize) {
            page.zero(0, Page.SIZE);
        } else {
            try {
                as.ops().readPage(as, page);
            } catch (IOException | RuntimeException e) {
                PageWait.unlock(page);
                throw e;
            }
            as.cache().misses.increment();
        }
        page.set(PageFlag.UPTODATE);
        return page;
    }

    /** Zeroes bytes of the page at or past the old size that this write does not cover. */
    private static void zeroPastEof(Page page, long index, int po, int n, long iSize) {
        long pageStart = index << Page.SHIFT;
        if (iSize >= pageStart + Page.SIZE) {
            return;
        }
        int eofOff = (int) Math.max(0, iSize - pageStart);
        if (eofOff < po) {
            page.zero(eofOff, po - eofOff);
        }
        int from = Math.max(eofOff, po + n);
        if (from < Page.SIZE) {
            page.zero(from, Page.SIZE - from);
        }
    }

    private static void copyOut(Page page, int po, int n, int kind, long addr, byte[] arr, int off, ByteBuffer buf) {
        switch (kind) {
            case NATIVE -> page.copyTo(po, addr, n);
            case ARRAY -> page.copyTo(po, arr, off, n);
            default -> page.copyTo(po, buf, n);
        }
    }

    private static void copyIn(Page page, int po, int n, int kind, long addr, byte[] arr, int off, ByteBuffer buf) {
        switch (kind) {
            case NATIVE -> page.copyFrom(addr, po, n);
            case ARRAY -> page.copyFrom(arr, off, po, n);
            default -> page.copyFrom(buf, po, n);
        }
    }

    private static void checkArgs(long pos, int len, long iSize) {
        if (pos < 0 || len < 0 || iSize < 0) {
            throw new IllegalArgumentException(
                    "bad I/O: pos " + pos + ", len " + len + ", size " + iSize + " (all must be >= 0)");
        }
    }
}
