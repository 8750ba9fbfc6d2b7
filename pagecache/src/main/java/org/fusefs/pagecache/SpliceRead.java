package org.fusefs.pagecache;

import java.io.IOException;
import java.util.Arrays;
import org.fusefs.memory.page.Page;

/**
 * A buffered read that lends the cached pages themselves instead of copying them out, as
 * {@code filemap_splice_read} hands page-cache folios to a pipe: the reader gets the frames'
 * addresses and lengths and writes them straight to their destination (the FUSE reply goes to the
 * kernel with one {@code writev} from these frames), saving the copy into an intermediate buffer.
 *
 * <p>The pages stay locked (PG_locked) while the {@link Actor} runs, so truncation, invalidation,
 * memory failure and reclaim cannot free or reuse a frame under it (they wait for the lock or, for
 * reclaim, skip the page); a writer of the same page waits too, as it would for a reader under
 * the page lock in the copying path. Pages are locked in ascending index order, the order
 * writeback uses, and the actor must not take page locks or wait for this file's I/O.
 *
 * <p>One instance per thread, reused from read to read so that the hot path allocates nothing;
 * not thread-safe.
 */
public final class SpliceRead {
    /** Receives the lent segments; the addresses are valid only until it returns. */
    @FunctionalInterface
    public interface Actor {
        void send(SpliceRead segments) throws IOException;
    }

    private Page[] pages;
    private long[] addresses;
    private int[] lengths;
    private int count;

    public SpliceRead(int initialPages) {
        if (initialPages < 1) {
            throw new IllegalArgumentException("initialPages (" + initialPages + ") must be at least 1");
        }
        pages = new Page[initialPages];
        addresses = new long[initialPages];
        lengths = new int[initialPages];
    }

    /** Segments lent; consecutive in the file, each within one page. */
    public int count() {
        return count;
    }

    /** The native address of segment {@code i}. */
    public long address(int i) {
        java.util.Objects.checkIndex(i, count);
        return addresses[i];
    }

    /** The length in bytes of segment {@code i}. */
    public int length(int i) {
        java.util.Objects.checkIndex(i, count);
        return lengths[i];
    }

    /** Adds a locked, uptodate page; the segment is {@code len} bytes from {@code off} in it. */
    void add(Page page, int off, int len) {
        if (count == pages.length) {
            int n = count * 2;
            pages = Arrays.copyOf(pages, n);
            addresses = Arrays.copyOf(addresses, n);
            lengths = Arrays.copyOf(lengths, n);
        }
        pages[count] = page;
        addresses[count] = page.address() + off;
        lengths[count] = len;
        count++;
    }

    /** Marks the pages accessed and unlocks them; the instance is empty afterwards. */
    void release(PageCache cache) {
        for (int i = 0; i < count; i++) {
            cache.markAccessed(pages[i]);
            PageWait.unlock(pages[i]);
            pages[i] = null;
        }
        count = 0;
    }

    /** Must be empty at the start of a read: a leftover means a release was missed. */
    void checkEmpty() {
        if (count != 0) {
            throw new IllegalStateException(count + " pages still lent from an earlier splice read");
        }
    }
}
