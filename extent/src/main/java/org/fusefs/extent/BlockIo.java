package org.fusefs.extent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.fusefs.block.BlkIOException;
import org.fusefs.block.BlkStatus;
import org.fusefs.block.Bio;
import org.fusefs.block.BioVec;
import org.fusefs.block.BlockDevice;
import org.fusefs.block.ReqOp;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;

/**
 * Synchronous block reads and writes of whole filesystem blocks, through bios on pages of
 * simulated memory (the role of {@code sb_bread} / {@code submit_bh} for metadata).
 */
final class BlockIo {
    static final int BLOCK_SIZE = 4096;
    static final int SECTORS_PER_BLOCK = BLOCK_SIZE / BlockDevice.SECTOR_SIZE;
    private static final int WINDOW = 64;

    private final BlockDevice dev;
    private final PhysicalMemory mem;

    BlockIo(BlockDevice dev, PhysicalMemory mem) {
        this.dev = dev;
        this.mem = mem;
    }

    BlockDevice device() {
        return dev;
    }

    PhysicalMemory memory() {
        return mem;
    }

    Page allocPage() throws IOException {
        Page p = mem.allocPage(MigrateType.UNMOVABLE);
        if (p == null) {
            throw new IOException("out of simulated memory for a block buffer");
        }
        return p;
    }

    void freePage(Page p) {
        mem.freePages(p);
    }

    /** Reads block {@code block} into {@code buf} (4096 bytes). */
    void read(long block, byte[] buf) throws IOException {
        Page p = allocPage();
        try {
            Bio.of(ReqOp.READ, block * SECTORS_PER_BLOCK, List.of(new BioVec(p, 0, BLOCK_SIZE))).submitAndWait(dev);
            p.copyTo(0, buf, 0, BLOCK_SIZE);
        } finally {
            freePage(p);
        }
    }

    /** Writes {@code buf} (4096 bytes) to block {@code block}. */
    void write(long block, byte[] buf) throws IOException {
        writeAll(new long[] {block}, List.of(buf));
    }

    /** Writes many blocks, keeping up to {@value #WINDOW} requests in flight. */
    void writeAll(long[] blocks, List<byte[]> bufs) throws IOException {
        List<Bio> inflight = new ArrayList<>();
        List<Page> pages = new ArrayList<>();
        try {
            for (int i = 0; i < blocks.length; i++) {
                Page p = allocPage();
                pages.add(p);
                p.copyFrom(bufs.get(i), 0, 0, BLOCK_SIZE);
                Bio b = Bio.of(ReqOp.WRITE, blocks[i] * SECTORS_PER_BLOCK, List.of(new BioVec(p, 0, BLOCK_SIZE)));
                dev.submit(b);
                inflight.add(b);
                if (inflight.size() >= WINDOW) {
                    drain(inflight, pages);
                }
            }
        } finally {
            drain(inflight, pages);
        }
    }

    /** Waits for every bio, then frees the pages; throws the first failure. */
    private void drain(List<Bio> inflight, List<Page> pages) throws IOException {
        IOException first = null;
        for (Bio b : inflight) {
            try {
                b.await();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        inflight.clear();
        for (Page p : pages) {
            freePage(p);
        }
        pages.clear();
        if (first != null) {
            throw first;
        }
    }

    /**
     * Makes every completed write durable (REQ_PREFLUSH): the ordering point of the journal. A
     * device without a volatile cache answers NOTSUPP, which means its writes are durable already.
     */
    void flush() throws IOException {
        try {
            new Bio(ReqOp.FLUSH, 0, List.of(), 0, null).submitAndWait(dev);
        } catch (BlkIOException e) {
            if (e.status() != BlkStatus.NOTSUPP) {
                throw e;
            }
        }
    }

    /** Zeroes {@code count} blocks from {@code start} (mkfs). */
    void zero(long start, long count) throws IOException {
        byte[] z = new byte[BLOCK_SIZE];
        final int batch = 256;
        for (long b = start; b < start + count; b += batch) {
            int n = (int) Math.min(batch, start + count - b);
            long[] blocks = new long[n];
            List<byte[]> bufs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                blocks[i] = b + i;
                bufs.add(z);
            }
            writeAll(blocks, bufs);
        }
    }
}
