package org.fusefs.pagecache;

import java.io.IOException;
import java.util.List;
import org.fusefs.memory.page.Page;

/**
 * What the owner of a file's data (the filesystem) does for the page cache.
 *
 * <p>Mirrors {@code struct address_space_operations}. The page cache calls these without holding
 * its own locks, with the pages locked by the caller as described per method. Device failures are
 * {@link IOException}s; the page cache turns write-back failures into the address space's error
 * sequence (see {@link AddressSpace}).
 */
public interface AddressSpaceOperations {

    /**
     * Fills {@code page} (locked, not uptodate, {@code page.index()} is its page index in the file)
     * with the file's bytes: device data for written blocks, zeros for holes, unwritten extents and
     * anything past the end of file. Returns normally only when all 4096 bytes are valid.
     */
    void readPage(AddressSpace mapping, Page page) throws IOException;

    /**
     * Fills several pages at once for readahead ({@code readahead} / {@code read_pages}): each page
     * is locked, not uptodate and sorted by index; runs of consecutive indexes are the rule and
     * should become one device request per physically contiguous run. Fill every page as
     * {@link #readPage} does, and do not change page flags or unlock: on return the page cache marks
     * them all uptodate; an exception leaves them all not uptodate, so that a later read retries
     * with {@link #readPage} and reports the error. The default reads page by page.
     */
    default void readPages(AddressSpace mapping, List<Page> pages) throws IOException {
        for (Page p : pages) {
            readPage(mapping, p);
        }
    }

    /**
     * Writes back {@code pages}: each is locked and under writeback, sorted by index; runs of
     * consecutive indexes are common and should become one device request. Allocation of blocks
     * (delayed allocation) and conversion of unwritten extents happen here. On return the page cache
     * ends writeback for every page; an exception marks the whole batch failed.
     */
    void writePages(AddressSpace mapping, List<Page> pages) throws IOException;

    /**
     * Page-array direct I/O, after the 2009 page-based O_DIRECT design: transfers
     * {@code args.length()} bytes between the device and the pages without the page cache. The
     * page cache has already written back (and for writes dropped) overlapping cached pages.
     * Returns the bytes transferred; a read is short only at the end of file.
     */
    long directIO(AddressSpace mapping, DioArgs args) throws IOException;
}
