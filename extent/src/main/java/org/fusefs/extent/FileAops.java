package org.fusefs.extent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.fusefs.block.Bio;
import org.fusefs.block.BioVec;
import org.fusefs.block.BlockDevice;
import org.fusefs.block.ReqOp;
import org.fusefs.extent.alloc.NoSpaceException;
import org.fusefs.memory.page.Page;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.AddressSpaceOperations;
import org.fusefs.pagecache.DioArgs;

/**
 * The address-space operations of a regular file: fill a page from its extents, write dirty pages
 * back to their blocks (allocating for holes and converting unwritten extents once the data is on
 * the device), and page-array direct I/O.
 *
 * <p>Mirrors {@code ext4_aops} ({@code ext4_read_folio}, {@code ext4_writepages},
 * {@code ext4_dio_*}). Called by the page cache with pages locked and without the inode lock, so
 * the extent tree is read and changed under the inode's {@code dataSem} only (page lock, then
 * dataSem, then the allocator lock).
 */
final class FileAops implements AddressSpaceOperations {
    private static final int SHIFT = 12;
    private static final int BS = BlockIo.BLOCK_SIZE;
    private static final int SPB = BlockIo.SECTORS_PER_BLOCK;
    private static final int MAX_BIO_PAGES = 256;

    private final Inode inode;
    private final BlockDevice dev;
    private final MapBlocks mapBlocks;
    /** Counts a metadata change (blocks allocated, extents converted) for fsync's "anything to commit". */
    private final Runnable changed;

    FileAops(Inode inode, BlockDevice dev, MapBlocks mapBlocks, Runnable changed) {
        this.inode = inode;
        this.dev = dev;
        this.mapBlocks = mapBlocks;
        this.changed = changed;
    }

    @Override
    public void readPage(AddressSpace mapping, Page page) throws IOException {
        long idx = page.index();
        long size = inode.size;
        long pos = idx << SHIFT;
        if (pos >= size) {
            page.zero(0, BS);
            return;
        }
        Extent e;
        inode.dataSem.readLock().lock();
        try {
            e = inode.extents.find(idx);
        } finally {
            inode.dataSem.readLock().unlock();
        }
        if (e == null || e.unwritten()) {
            page.zero(0, BS);
        } else {
            Bio.of(ReqOp.READ, e.pblkOf(idx) * SPB, List.of(new BioVec(page, 0, BS))).submitAndWait(dev);
        }
        // Bytes past the end of file never reach a reader, whatever the block holds.
        long valid = size - pos;
        if (valid < BS) {
            page.zero((int) valid, BS - (int) valid);
        }
    }

    /**
     * Readahead batch: maps the pages through the extent tree in one pass under {@code dataSem}
     * (one tree lookup per extent, not per page) and reads each physically contiguous run of
     * written blocks with one bio; holes, unwritten extents and pages past the end are zeroed.
     */
    @Override
    public void readPages(AddressSpace mapping, List<Page> pages) throws IOException {
        long size = inode.size;
        int n = pages.size();
        long[] pblk = new long[n];
        inode.dataSem.readLock().lock();
        try {
            Extent e = null;
            for (int i = 0; i < n; i++) {
                long idx = pages.get(i).index();
                if ((idx << SHIFT) >= size) {
                    pblk[i] = -1;
                    continue;
                }
                if (e == null || !e.contains(idx)) {
                    e = inode.extents.findFrom(idx);
                }
                pblk[i] = e != null && e.contains(idx) && !e.unwritten() ? e.pblkOf(idx) : -1;
            }
        } finally {
            inode.dataSem.readLock().unlock();
        }
        for (int i = 0; i < n; i++) {
            if (pblk[i] < 0) {
                pages.get(i).zero(0, BS);
            }
        }
        awaitAll(submitRuns(ReqOp.READ, pages, pblk, n));
        // Bytes past the end of file never reach a reader, whatever the block holds.
        for (int k = n - 1; k >= 0; k--) {
            long pos = pages.get(k).index() << SHIFT;
            long valid = size - pos;
            if (valid >= BS) {
                break;
            }
            if (valid > 0) {
                pages.get(k).zero((int) valid, BS - (int) valid);
            }
        }
    }

    @Override
    public void writePages(AddressSpace mapping, List<Page> pages) throws IOException {
        // writeEnd first: a write that clears it has set the size before (see Inode.writeEnd).
        long writeEnd = inode.writeEnd;
        long size = Math.max(inode.size, writeEnd);
        int n = pages.size();
        long[] pblk = new long[n];
        boolean allocated = false;
        inode.dataSem.writeLock().lock();
        try {
            int i = 0;
            while (i < n) {
                long idx = pages.get(i).index();
                if ((idx << SHIFT) >= size) {
                    pblk[i++] = -1; // beyond end of file: nothing to keep
                    continue;
                }
                Extent e = inode.extents.find(idx);
                if (e == null) {
                    // Delayed allocation happens here, for the whole run of unmapped pages, so that
                    // it lands in one extent; a page dirtied through a mapping without write(2) too.
                    int j = i + 1;
                    while (j < n && pages.get(j).index() == pages.get(j - 1).index() + 1
                            && (pages.get(j).index() << SHIFT) < size && inode.extents.find(pages.get(j).index()) == null) {
                        j++;
                    }
                    long last = pages.get(j - 1).index() + 1;
                    try {
                        allocated |= mapBlocks.allocateHoles(inode, idx, last) > 0;
                    } catch (NoSpaceException ex) {
                        throw new IOException("ino " + inode.ino + ": no space to write back pages " + idx + ".."
                                + (last - 1), ex);
                    }
                    e = inode.extents.find(idx);
                }
                pblk[i] = e.pblkOf(idx);
                i++;
            }
        } finally {
            inode.dataSem.writeLock().unlock();
            if (allocated) {
                changed.run();
            }
        }
        awaitAll(submitRuns(ReqOp.WRITE, pages, pblk, n));
        // The data is on the device: from now on the blocks may read as written.
        boolean converted = false;
        inode.dataSem.writeLock().lock();
        try {
            int i = 0;
            while (i < n) {
                if (pblk[i] < 0) {
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < n && pblk[j] >= 0 && pages.get(j).index() == pages.get(j - 1).index() + 1) {
                    j++;
                }
                long from = pages.get(i).index();
                long to = pages.get(j - 1).index() + 1;
                converted |= inode.extents.setState(from, to, false);
                inode.pending.remove(from, to);
                i = j;
            }
        } finally {
            inode.dataSem.writeLock().unlock();
            if (converted) {
                changed.run();
            }
        }
    }

    @Override
    public long directIO(AddressSpace mapping, DioArgs args) throws IOException {
        long off = args.offset();
        long len = args.length();
        if (args.rw() == DioArgs.Rw.READ) {
            long size = inode.size;
            if (off >= size) {
                return 0;
            }
            long n = Math.min(len, size - off);
            transfer(args, off, n, false);
            return n;
        }
        if ((off | len) % BS != 0) {
            throw new IllegalArgumentException("direct write [" + off + ", +" + len + ") not block aligned");
        }
        transfer(args, off, len, true);
        long first = off >> SHIFT;
        long end = (off + len) >> SHIFT;
        boolean converted;
        inode.dataSem.writeLock().lock();
        try {
            converted = inode.extents.setState(first, end, false);
            inode.pending.remove(first, end);
        } finally {
            inode.dataSem.writeLock().unlock();
        }
        if (converted) {
            changed.run();
        }
        return len;
    }

    /** Moves {@code [off, off+n)} of the file between the device and the request's pages, block by block. */
    private void transfer(DioArgs args, long off, long n, boolean write) throws IOException {
        if (off % BlockDevice.SECTOR_SIZE != 0 || args.firstPageOffset() % BlockDevice.SECTOR_SIZE != 0) {
            throw new IllegalArgumentException("direct I/O at " + off + " (page offset " + args.firstPageOffset()
                    + ") not sector aligned");
        }
        List<Bio> bios = new ArrayList<>();
        long pos = off;
        long end = off + n;
        while (pos < end) {
            long blk = pos >> SHIFT;
            int inBlk = (int) (pos & (BS - 1));
            int chunk = (int) Math.min(BS - inBlk, end - pos);
            Extent e;
            inode.dataSem.readLock().lock();
            try {
                e = inode.extents.find(blk);
            } finally {
                inode.dataSem.readLock().unlock();
            }
            long bufPos = args.firstPageOffset() + (pos - off);
            if (write && e == null) {
                throw new IllegalStateException("ino " + inode.ino + ": direct write to unallocated block " + blk);
            }
            if (!write && (e == null || e.unwritten())) {
                zeroBuffer(args, bufPos, chunk);
            } else {
                int ioLen = (chunk + BlockDevice.SECTOR_SIZE - 1) / BlockDevice.SECTOR_SIZE * BlockDevice.SECTOR_SIZE;
                Bio b = Bio.of(write ? ReqOp.WRITE : ReqOp.READ,
                        e.pblkOf(blk) * SPB + inBlk / BlockDevice.SECTOR_SIZE, vecs(args, bufPos, ioLen));
                dev.submit(b);
                bios.add(b);
            }
            pos += chunk;
        }
        awaitAll(bios);
    }

    private static List<BioVec> vecs(DioArgs args, long bufPos, int len) {
        List<BioVec> out = new ArrayList<>(2);
        while (len > 0) {
            Page p = args.pages()[(int) (bufPos >> SHIFT)];
            int po = (int) (bufPos & (BS - 1));
            int c = Math.min(len, BS - po);
            out.add(new BioVec(p, po, c));
            bufPos += c;
            len -= c;
        }
        return out;
    }

    private static void zeroBuffer(DioArgs args, long bufPos, int len) {
        while (len > 0) {
            Page p = args.pages()[(int) (bufPos >> SHIFT)];
            int po = (int) (bufPos & (BS - 1));
            int c = Math.min(len, BS - po);
            p.zero(po, c);
            bufPos += c;
            len -= c;
        }
    }

    /**
     * Submits one bio per run of pages that are consecutive in the file and on the device (at most
     * {@code MAX_BIO_PAGES} each); pages with {@code pblk < 0} (holes) are skipped.
     */
    private List<Bio> submitRuns(ReqOp op, List<Page> pages, long[] pblk, int n) {
        List<Bio> bios = new ArrayList<>();
        int i = 0;
        while (i < n) {
            if (pblk[i] < 0) {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < n && j - i < MAX_BIO_PAGES && pblk[j] == pblk[j - 1] + 1
                    && pages.get(j).index() == pages.get(j - 1).index() + 1) {
                j++;
            }
            List<BioVec> vecs = new ArrayList<>(j - i);
            for (int k = i; k < j; k++) {
                vecs.add(new BioVec(pages.get(k), 0, BS));
            }
            Bio b = Bio.of(op, pblk[i] * SPB, vecs);
            dev.submit(b);
            bios.add(b);
            i = j;
        }
        return bios;
    }

    private static void awaitAll(List<Bio> bios) throws IOException {
        IOException first = null;
        for (Bio b : bios) {
            try {
                b.await();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
