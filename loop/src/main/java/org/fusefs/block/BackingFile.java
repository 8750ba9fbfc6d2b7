package org.fusefs.block;

import java.io.IOException;
import org.fusefs.memory.page.Page;

/**
 * The file under a file-backed block device: what the device needs of it, and nothing about which
 * filesystem holds it.
 *
 * <p>Plays the part of the {@code f_op} a loop device calls in {@code drivers/block/loop.c}
 * ({@code lo_rw_aio}, {@code lo_fallocate}, {@code vfs_fsync}). A host image file implements it, and
 * so can a file of our own filesystem, so the block layer never imports the filesystem.
 *
 * <p>Data is passed as page arrays, like {@code DioArgs}: the bytes start at
 * {@code firstPageOffset} in {@code pages[0]} and continue from offset 0 of each following page;
 * a page holds {@code Page.SIZE << page.order()} bytes (a compound page counts as one entry).
 * Implementations copy straight between page frames and the file (no caching of their own).
 *
 * <p>Thread safety: transfers at distinct positions may run concurrently; {@link #close} must not
 * race with anything else.
 */
public interface BackingFile extends AutoCloseable {

    /** Returns a name for messages (the host path, the file name). */
    String name();

    /** Returns the current size of the file in bytes. */
    long size() throws IOException;

    /**
     * Reads {@code length} bytes at {@code pos} into the pages. Bytes past the end of the file read
     * as zeros. Returns {@code length}.
     *
     * @throws IllegalArgumentException if the pages cannot hold the range
     * @throws IOException on a read error, naming the file and the position
     */
    long read(Page[] pages, int firstPageOffset, long length, long pos) throws IOException;

    /**
     * Writes {@code length} bytes from the pages at {@code pos}, completely or not at all as far as
     * the caller can tell (a short write is retried or reported). Returns {@code length}.
     */
    long write(Page[] pages, int firstPageOffset, long length, long pos) throws IOException;

    /**
     * Applies fallocate {@code mode} ({@link org.fusefs.uapi.FallocFlag} bits) to
     * {@code [pos, pos+len)}.
     *
     * @throws UnsupportedOperationException if the file cannot do this mode (EOPNOTSUPP)
     * @throws IOException on any other failure
     */
    void fallocate(int mode, long pos, long len) throws IOException;

    /** Makes written data (and with {@code dataOnly} false also metadata) durable. */
    void fsync(boolean dataOnly) throws IOException;

    /** Whether transfers must be aligned to {@link #alignment()} (the file is open for direct I/O). */
    default boolean directIO() {
        return false;
    }

    /** Required alignment of memory addresses, lengths and positions for direct I/O; 1 otherwise. */
    default int alignment() {
        return 1;
    }

    @Override
    void close() throws IOException;
}
