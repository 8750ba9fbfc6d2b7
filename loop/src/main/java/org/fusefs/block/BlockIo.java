package org.fusefs.block;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;

/**
 * Synchronous reads and writes of byte ranges of a block device, through bounce pages of the
 * memory core: the convenience the filesystem uses for its metadata (superblock, inode tables,
 * bitmaps), like {@code sb_bread()} / {@code bdev_rw_virt()} in the kernel.
 *
 * <p>Byte ranges need no alignment: a range is widened to whole sectors, and a write that does not
 * cover its first or last sector completely reads that range first (read-modify-write). Such a
 * write is not atomic against another write of the same sector; callers serialize writes to
 * shared sectors (the filesystem holds the buffer's lock). Bulk file data goes through the page
 * cache with bios built from its own pages, not through here.
 *
 * <p>Thread safety: stateless apart from the device and memory; any thread may call.
 */
public final class BlockIo {
    /** Largest single request this helper builds, in pages. */
    static final int MAX_PAGES = 32;
    private static final int CHUNK = MAX_PAGES * Page.SIZE;
    private static final int SECTOR = BlockDevice.SECTOR_SIZE;

    private final BlockDevice dev;
    private final PhysicalMemory memory;

    public BlockIo(BlockDevice dev, PhysicalMemory memory) {
        this.dev = dev;
        this.memory = memory;
    }

    public BlockDevice device() {
        return dev;
    }

    /**
     * Reads {@code len} bytes at device byte {@code pos} into {@code dst[off..]}.
     *
     * @throws BlkIOException if the device fails the request (past the end: IOERR naming the sector)
     * @throws IOException if no bounce page can be allocated
     */
    public void read(long pos, byte[] dst, int off, int len) throws IOException {
        checkRange(pos, dst.length, off, len);
        long start = pos & -SECTOR;
        long end = alignUp(pos + len);
        for (long c = start; c < end; c += CHUNK) {
            int n = (int) Math.min(CHUNK, end - c);
            Page[] pages = alloc(n);
            try {
                transfer(ReqOp.READ, c, pages, n);
                copy(pages, c, n, pos, dst, off, len, false);
            } finally {
                free(pages);
            }
        }
    }

    /** Reads and returns {@code len} bytes at {@code pos}; see {@link #read(long, byte[], int, int)}. */
    public byte[] read(long pos, int len) throws IOException {
        byte[] b = new byte[len];
        read(pos, b, 0, len);
        return b;
    }

    /**
     * Writes {@code len} bytes from {@code src[off..]} at device byte {@code pos}. Partial sectors
     * at either edge are read first. Not durable until {@link #flush}.
     */
    public void write(long pos, byte[] src, int off, int len) throws IOException {
        checkRange(pos, src.length, off, len);
        long start = pos & -SECTOR;
        long end = alignUp(pos + len);
        for (long c = start; c < end; c += CHUNK) {
            int n = (int) Math.min(CHUNK, end - c);
            Page[] pages = alloc(n);
            try {
                boolean partial = c < pos || c + n > pos + len;
                if (partial) {
                    transfer(ReqOp.READ, c, pages, n);
                }
                copy(pages, c, n, pos, src, off, len, true);
                transfer(ReqOp.WRITE, c, pages, n);
            } finally {
                free(pages);
            }
        }
    }

    /** Writes all of {@code src} at {@code pos}. */
    public void write(long pos, byte[] src) throws IOException {
        write(pos, src, 0, src.length);
    }

    /** Makes everything written so far durable (REQ_OP_FLUSH). */
    public void flush() throws IOException {
        new Bio(ReqOp.FLUSH, 0, List.of(), 0, null).submitAndWait(dev);
    }

    /** Discards {@code [pos, pos+len)}, which must be sector-aligned; contents become undefined. */
    public void discard(long pos, long len) throws IOException {
        noData(ReqOp.DISCARD, pos, len);
    }

    /** Sets {@code [pos, pos+len)}, which must be sector-aligned, to zeros without sending data. */
    public void writeZeroes(long pos, long len) throws IOException {
        noData(ReqOp.WRITE_ZEROES, pos, len);
    }

    private void noData(ReqOp op, long pos, long len) throws IOException {
        if (pos % SECTOR != 0 || len % SECTOR != 0 || len < 0) {
            throw new IllegalArgumentException(dev.name() + ": " + op + " range [" + pos + ", +" + len
                    + ") is not sector-aligned");
        }
        new Bio(op, pos / SECTOR, List.of(), len, null).submitAndWait(dev);
    }

    private void transfer(ReqOp op, long at, Page[] pages, int n) throws IOException {
        List<BioVec> vecs = new ArrayList<>(pages.length);
        for (int i = 0; i < pages.length; i++) {
            vecs.add(new BioVec(pages[i], 0, Math.min(Page.SIZE, n - i * Page.SIZE)));
        }
        Bio.of(op, at / SECTOR, vecs).submitAndWait(dev);
    }

    // Copies the overlap of the chunk [c, c+n) and the caller's range [pos, pos+len).
    private static void copy(Page[] pages, long c, int n, long pos, byte[] buf, int off, int len, boolean in) {
        long from = Math.max(c, pos);
        long to = Math.min(c + n, pos + len);
        while (from < to) {
            int pi = (int) ((from - c) >>> Page.SHIFT);
            int po = (int) ((from - c) & (Page.SIZE - 1));
            int k = (int) Math.min(to - from, Page.SIZE - po);
            int bo = off + (int) (from - pos);
            if (in) {
                pages[pi].copyFrom(buf, bo, po, k);
            } else {
                pages[pi].copyTo(po, buf, bo, k);
            }
            from += k;
        }
    }

    private Page[] alloc(int bytes) throws IOException {
        Page[] pages = new Page[(bytes + Page.SIZE - 1) / Page.SIZE];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = memory.allocPage(MigrateType.UNMOVABLE);
            if (pages[i] == null) {
                free(pages);
                throw new IOException(dev.name() + ": no free page for a " + bytes + "-byte bounce buffer");
            }
        }
        return pages;
    }

    /** Frees the bounce pages in one batch; {@link #alloc} fills them from the front, so a failed one ends at its first null. */
    private void free(Page[] pages) {
        int n = 0;
        while (n < pages.length && pages[n] != null) {
            n++;
        }
        memory.freePages(pages, n);
    }

    private static long alignUp(long x) {
        return (x + SECTOR - 1) & -SECTOR;
    }

    private static void checkRange(long pos, int bufLen, int off, int len) {
        if (pos < 0 || off < 0 || len < 0 || off + len > bufLen) {
            throw new IndexOutOfBoundsException(
                    "range pos " + pos + " buffer [" + off + ", +" + len + ") of " + bufLen + " bytes");
        }
    }
}
