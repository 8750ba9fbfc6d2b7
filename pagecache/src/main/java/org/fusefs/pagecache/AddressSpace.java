package org.fusefs.pagecache;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.PageMapping;
import org.fusefs.memory.page.Page;

/**
 * The cached pages of one file: page index to page, dirty and writeback tracking, buffered I/O.
 *
 * <p>Mirrors {@code struct address_space} and the buffered paths of {@code mm/filemap.c}.
 *
 * <p>SEAM: the signatures below are the contract the filesystem codes against; the pagecache
 * module fills in the bodies (issue 3).
 *
 * <p>Locking on entry: writes, truncates and direct I/O are called with the owner's inode lock
 * held (inode lock, then page lock, then allocator lock); reads need no caller lock.
 */
public final class AddressSpace implements PageMapping {
    private final PageCache cache;
    private final AddressSpaceOperations ops;
    private final String name;

    AddressSpace(PageCache cache, AddressSpaceOperations ops, String name) {
        this.cache = cache;
        this.ops = ops;
        this.name = name;
    }

    public AddressSpaceOperations ops() {
        return ops;
    }

    public PageCache cache() {
        return cache;
    }

    /** Reads up to {@code len} bytes at {@code pos} into native memory; clipped at {@code iSize}. */
    public int read(long pos, long dstAddress, int len, long iSize) throws IOException {
        throw new UnsupportedOperationException("pagecache: read");
    }

    public int read(long pos, byte[] dst, int off, int len, long iSize) throws IOException {
        throw new UnsupportedOperationException("pagecache: read");
    }

    public int read(long pos, ByteBuffer dst, long iSize) throws IOException {
        throw new UnsupportedOperationException("pagecache: read");
    }

    /**
     * Copies {@code len} bytes from native memory into the cache at {@code pos}, dirtying pages.
     * {@code iSize} is the size before the write (a partial page inside the file is read first).
     * The caller updates the file size. May wait when dirty pages are over the limit.
     */
    public int write(long pos, long srcAddress, int len, long iSize) throws IOException {
        throw new UnsupportedOperationException("pagecache: write");
    }

    public int write(long pos, byte[] src, int off, int len, long iSize) throws IOException {
        throw new UnsupportedOperationException("pagecache: write");
    }

    public int write(long pos, ByteBuffer src, long iSize) throws IOException {
        throw new UnsupportedOperationException("pagecache: write");
    }

    /** Writes back dirty pages in {@code [start, end]} and waits ({@code filemap_write_and_wait_range}). */
    public void writeAndWait(long start, long end) throws IOException {
        throw new UnsupportedOperationException("pagecache: writeAndWait");
    }

    /** Samples the error sequence at open time; {@link #checkAndAdvance} reports errors since. */
    public Errseq.Cursor sampleErrseq() {
        throw new UnsupportedOperationException("pagecache: errseq");
    }

    /** Throws the first write-back error recorded since {@code cursor}, once per cursor. */
    public void checkAndAdvance(Errseq.Cursor cursor) throws IOException {
        throw new UnsupportedOperationException("pagecache: errseq");
    }

    /**
     * Removes cached pages in {@code [start, end]} for good: waits for writeback, writes dirty pages
     * back first when {@code writeBackFirst}, unmaps them from every mapping, drops them. A partial
     * page at either edge is zeroed over the range instead of dropped.
     */
    public void truncateRange(long start, long end, boolean writeBackFirst) throws IOException {
        throw new UnsupportedOperationException("pagecache: truncateRange");
    }

    /** Best effort: drops clean, unmapped, unlocked pages in {@code [start, end]}; never blocks. */
    public long invalidateClean(long start, long end) {
        throw new UnsupportedOperationException("pagecache: invalidateClean");
    }

    /** Direct I/O with the page-cache coherence steps of shared/spec/direct-io.md §3 around {@link AddressSpaceOperations#directIO}. */
    public long directIO(DioArgs args) throws IOException {
        throw new UnsupportedOperationException("pagecache: directIO");
    }

    /** Registers a mapping that must drop its view of pages before they leave the cache. */
    public void addUnmapper(Unmapper unmapper) {
        throw new UnsupportedOperationException("pagecache: rmap");
    }

    public void removeUnmapper(Unmapper unmapper) {
        throw new UnsupportedOperationException("pagecache: rmap");
    }

    /** Number of cached pages. */
    public long nrPages() {
        throw new UnsupportedOperationException("pagecache: nrPages");
    }

    @Override
    public MfResult memoryFailure(Page page) {
        throw new UnsupportedOperationException("pagecache: memoryFailure");
    }

    @Override
    public String describe() {
        return name;
    }
}
