package org.fusefs.pagecache;

import org.fusefs.memory.page.Page;

/**
 * One page-array direct I/O request: the pages holding the data, where the data starts in the
 * first page, how long it is and the file position.
 *
 * <p>Modelled on {@code struct dio_args} from Jens Axboe's 2009 "page based O_DIRECT" series
 * (see shared/spec/direct-io.md §5). Alignment to the device's logical block size is checked by
 * the receiver, which knows the device; this record checks only that the pages cover the data.
 */
public record DioArgs(Rw rw, Page[] pages, int firstPageOffset, long length, long offset) {

    /** Direction of the transfer. */
    public enum Rw { READ, WRITE }

    public DioArgs {
        if (firstPageOffset < 0 || firstPageOffset >= Page.SIZE) {
            throw new IllegalArgumentException("firstPageOffset (" + firstPageOffset + ") outside [0, 4096)");
        }
        if (length < 0 || offset < 0) {
            throw new IllegalArgumentException("length (" + length + ") and offset (" + offset + ") must be >= 0");
        }
        long needed = (firstPageOffset + length + Page.SIZE - 1) / Page.SIZE;
        if (pages.length < needed) {
            throw new IllegalArgumentException(
                    pages.length + " pages cannot hold " + length + " bytes at offset " + firstPageOffset);
        }
    }
}
