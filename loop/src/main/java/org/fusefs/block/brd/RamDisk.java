package org.fusefs.block.brd;

import java.util.concurrent.atomic.AtomicLong;
import org.fusefs.block.Bio;
import org.fusefs.block.BioVec;
import org.fusefs.block.BlkIOException;
import org.fusefs.block.BlkStatus;
import org.fusefs.block.BlockDevice;
import org.fusefs.block.ReqOp;
import org.fusefs.block.RequestQueue;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.PageMapping;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * A sparse RAM disk whose contents live in pages of the memory core.
 *
 * <p>Mirrors {@code drivers/block/brd.c}. A page is allocated (zeroed) on the first write into its
 * 4096 bytes and is its own medium from then on; {@code page.index()} is its offset in pages, and
 * its mapping is this disk. This is similar to, but in no way connected with, the page cache that
 * sits above a block device. A range never written reads as zeros without allocating; discard and
 * write-zeroes give whole pages back; close gives all of them back, so the memory core's free count
 * shows exactly what the disk holds.
 *
 * <p>Memory failure of a disk page loses its data: the slot then holds a marker, reads of any
 * sector of that page fail with {@link BlkStatus#MEDIUM}, and the poisoned frame is never freed.
 * A write of the whole page (or a discard) replaces the lost data and clears the error.
 *
 * <p>Locking: none of its own; page slots change by compare-and-set (see {@link #lookupPage}).
 * Requests are served by the {@link RequestQueue}'s workers. Concurrent requests on overlapping
 * sectors give no ordering guarantee, as on a real disk; the filesystem never issues them.
 */
public final class RamDisk implements BlockDevice, PageMapping {
    /** Default queue depth (tags). */
    public static final int DEFAULT_DEPTH = 128;
    /** Default number of queue workers. */
    public static final int DEFAULT_WORKERS = 2;

    // Marks a slot whose page was lost to memory failure; never a real frame, never freed.
    private static final Page LOST = new Page(-1, 0);

    private final String name;
    private final long capacity;
    private final PhysicalMemory memory;
    private final SparsePageArray pages;
    private final RequestQueue queue;
    private final AtomicLong nrPages = new AtomicLong();
    private final AtomicLong nrLost = new AtomicLong();

    /** Creates a RAM disk with the default queue depth and workers. */
    public RamDisk(String name, long capacity, PhysicalMemory memory) {
        this(name, capacity, memory, DEFAULT_DEPTH, DEFAULT_WORKERS);
    }

    /**
     * Creates an empty (all-zero) RAM disk of {@code capacity} bytes taking pages from {@code memory}.
     *
     * @throws IllegalArgumentException if the capacity is not a positive multiple of 4096
     */
    public RamDisk(String name, long capacity, PhysicalMemory memory, int depth, int workers) {
        if (capacity <= 0 || capacity % Page.SIZE != 0) {
            throw new IllegalArgumentException(name + ": capacity (" + capacity + ") must be a positive multiple of 4096");
        }
        this.name = name;
        this.capacity = capacity;
        this.memory = memory;
        this.pages = new SparsePageArray(capacity / Page.SIZE);
        // Direct issue: brd serves every bio in the submitter's context; a hand-off to a queue
        // worker and back costs more than the copy of a page.
        this.queue = new RequestQueue(name, capacity, depth, workers, this::handle, true);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public void submit(Bio bio) {
        queue.submit(bio);
    }

    /** Returns the pages the disk holds now (each counted once in the memory core's used frames). */
    public long nrPages() {
        return nrPages.get();
    }

    /** Returns the pages whose data was lost to memory failure and not yet overwritten. */
    public long nrLostPages() {
        return nrLost.get();
    }

    /** Returns the request queue, for its depth and figures. */
    public RequestQueue queue() {
        return queue;
    }

    // brd_submit_bio: one switch over the operation.
    private void handle(Bio bio) throws BlkIOException {
        long pos = bio.sector() * SECTOR_SIZE;
        switch (bio.op()) {
            case READ, WRITE -> {
                for (BioVec v : bio.vecs()) {
                    doBvec(bio, v, pos);
                    pos += v.length();
                }
            }
            case FLUSH -> {
                // The pages are the medium: nothing is volatile.
            }
            case DISCARD -> discard(pos, bio.size(), false);
            case WRITE_ZEROES -> discard(pos, bio.size(), true);
            default -> throw new BlkIOException(BlkStatus.NOTSUPP, name + ": " + bio.op() + " not supported");
        }
    }

    // brd_do_bvec: one segment, split where it crosses a disk page.
    private void doBvec(Bio bio, BioVec v, long pos) throws BlkIOException {
        boolean write = bio.op() == ReqOp.WRITE;
        int done = 0;
        while (done < v.length()) {
            long index = pos >>> Page.SHIFT;
            int off = (int) (pos & (Page.SIZE - 1));
            int n = Math.min(v.length() - done, Page.SIZE - off);
            if (write) {
                Page p = insertPage(index, n == Page.SIZE);
                p.copyFrom(v.page(), v.offset() + done, off, n);
            } else {
                Page p = lookupPage(index);
                if (p == LOST) {
                    throw lost(index);
                } else if (p == null) {
                    v.page().zero(v.offset() + done, n);
                } else {
                    v.page().copyFrom(p, off, v.offset() + done, n);
                }
            }
            done += n;
            pos += n;
        }
    }

    /*
     * brd_lookup_page. Safe without a lock: the slot is read with volatile semantics, and a page is
     * published by compare-and-set only after it was zeroed and its mapping set, so a reader sees
     * either null or a complete page. A page leaves its slot only by discard, write-zeroes, memory
     * failure or close; the first two race only with requests on the same sectors, which have no
     * defined order anyway (the frame stays mapped memory, so a racing copy reads stale bytes, never
     * out of bounds), and close runs after the queue drained.
     */
    private Page lookupPage(long index) {
        return pages.get(index);
    }

    // brd_insert_page: the page for a write; a whole-page write may replace data lost to failure.
    private Page insertPage(long index, boolean wholePage) throws BlkIOException {
        while (true) {
            Page p = pages.get(index);
            if (p != null && p != LOST) {
                return p;
            }
            if (p == LOST && !wholePage) {
                throw lost(index);
            }
            Page fresh = memory.allocPage(MigrateType.UNMOVABLE);
            if (fresh == null) {
                throw new BlkIOException(BlkStatus.NOSPC,
                        name + ": no free page for sector " + (index << (Page.SHIFT - 9)) + " (memory full)");
            }
            fresh.zero(0, Page.SIZE);
            fresh.setMapping(this, index);
            if (pages.compareAndSet(index, p, fresh)) {
                nrPages.incrementAndGet();
                if (p == LOST) {
                    nrLost.decrementAndGet();
                }
                return fresh;
            }
            // Another writer installed a page first: use theirs.
            freeDevicePage(fresh);
        }
    }

    // brd_do_discard: whole pages go back to the memory core; write-zeroes also clears the edges.
    private void discard(long pos, long len, boolean zeroEdges) throws BlkIOException {
        long end = pos + len;
        long first = (pos + Page.SIZE - 1) >>> Page.SHIFT;
        long last = end >>> Page.SHIFT; // exclusive
        if (zeroEdges) {
            if (first > last) {
                zeroPart(pos >>> Page.SHIFT, (int) (pos & (Page.SIZE - 1)), (int) len);
            } else {
                if ((pos & (Page.SIZE - 1)) != 0) {
                    int off = (int) (pos & (Page.SIZE - 1));
                    zeroPart(pos >>> Page.SHIFT, off, Page.SIZE - off);
                }
                if ((end & (Page.SIZE - 1)) != 0) {
                    zeroPart(last, 0, (int) (end & (Page.SIZE - 1)));
                }
            }
        }
        for (long i = first; i < last; i++) {
            Page p = pages.remove(i);
            if (p == LOST) {
                nrLost.decrementAndGet();
            } else if (p != null) {
                nrPages.decrementAndGet();
                freeDevicePage(p);
            }
        }
    }

    private void zeroPart(long index, int off, int len) throws BlkIOException {
        Page p = pages.get(index);
        if (p == LOST) {
            throw lost(index);
        }
        if (p != null) {
            p.zero(off, len);
        }
    }

    // A poisoned frame is never handed back: the allocator must not reuse it.
    private void freeDevicePage(Page p) {
        if (p.test(PageFlag.HWPOISON)) {
            return;
        }
        p.setMapping(null, 0);
        memory.freePages(p);
    }

    private BlkIOException lost(long index) {
        return new BlkIOException(BlkStatus.MEDIUM, name + ": sector " + (index << (Page.SHIFT - 9))
                + " lost to memory failure (page " + index + ")");
    }

    /**
     * Takes a poisoned page out of the disk: its data is gone, the slot remembers the loss, the
     * frame is kept out of the allocator. Returns IGNORED for a page no longer in the disk.
     */
    @Override
    public MfResult memoryFailure(Page page) {
        long index = page.index();
        if (page.mapping() != this || !pages.compareAndSet(index, page, LOST)) {
            return MfResult.IGNORED;
        }
        nrPages.decrementAndGet();
        nrLost.incrementAndGet();
        return MfResult.RECOVERED;
    }

    @Override
    public String describe() {
        return name;
    }

    /** Serves every queued request, then gives all pages back to the memory core. */
    @Override
    public void close() {
        queue.close();
        pages.drain(p -> {
            if (p == LOST) {
                nrLost.decrementAndGet();
            } else {
                nrPages.decrementAndGet();
                freeDevicePage(p);
            }
        });
    }

    @Override
    public String toString() {
        return "ramdisk " + name + " (" + capacity + " bytes, " + nrPages.get() + " pages)";
    }
}
