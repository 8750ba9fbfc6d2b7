package org.fusefs.block;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.fusefs.memory.page.Page;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.AddressSpaceOperations;
import org.fusefs.pagecache.DioArgs;

/**
 * A file of fixed size laid over a byte range of a block device, page i at device byte
 * {@code start + i * 4096}: the smallest owner of data the page cache can sit on. Every transfer is
 * a bio; write-back turns runs of consecutive pages into one bio each and waits for all of them.
 */
public final class DeviceRangeFile implements AddressSpaceOperations {
    private static final int MAX_VECS = 64;

    private final BlockDevice dev;
    private final long start;
    private final long size;

    public DeviceRangeFile(BlockDevice dev, long start, long size) {
        if (start % Page.SIZE != 0 || size % Page.SIZE != 0 || start + size > dev.capacity()) {
            throw new IllegalArgumentException("range [" + start + ", +" + size + ") does not fit " + dev.name());
        }
        this.dev = dev;
        this.start = start;
        this.size = size;
    }

    public long size() {
        return size;
    }

    @Override
    public void readPage(AddressSpace mapping, Page page) throws IOException {
        long pos = page.index() << Page.SHIFT;
        if (pos >= size) {
            page.zero(0, Page.SIZE);
            return;
        }
        Bio.of(ReqOp.READ, sector(pos), List.of(new BioVec(page, 0, Page.SIZE))).submitAndWait(dev);
    }

    @Override
    public void writePages(AddressSpace mapping, List<Page> pages) throws IOException {
        List<Bio> inFlight = new ArrayList<>();
        int i = 0;
        while (i < pages.size()) {
            long first = pages.get(i).index();
            List<BioVec> vecs = new ArrayList<>();
            while (i < pages.size() && vecs.size() < MAX_VECS && pages.get(i).index() == first + vecs.size()) {
                vecs.add(new BioVec(pages.get(i), 0, Page.SIZE));
                i++;
            }
            long pos = first << Page.SHIFT;
            if (pos + (long) vecs.size() * Page.SIZE > size) {
                throw new IOException(dev.name() + ": write-back of page " + first + " past the file's " + size + " bytes");
            }
            Bio bio = Bio.of(ReqOp.WRITE, sector(pos), vecs);
            dev.submit(bio);
            inFlight.add(bio);
        }
        IOException failed = null;
        for (Bio b : inFlight) {
            try {
                b.await();
            } catch (IOException e) {
                if (failed == null) {
                    failed = e;
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    @Override
    public long directIO(AddressSpace mapping, DioArgs args) throws IOException {
        if (args.offset() % BlockDevice.SECTOR_SIZE != 0 || args.length() % BlockDevice.SECTOR_SIZE != 0
                || args.firstPageOffset() % BlockDevice.SECTOR_SIZE != 0) {
            throw new IllegalArgumentException("direct I/O at " + args.offset() + " of " + args.length()
                    + " bytes is not aligned to 512");
        }
        long len = args.length();
        if (args.rw() == DioArgs.Rw.READ) {
            len = Math.max(0, Math.min(len, size - args.offset()));
        } else if (args.offset() + len > size) {
            throw new IOException("direct write past the file's " + size + " bytes");
        }
        ReqOp op = args.rw() == DioArgs.Rw.READ ? ReqOp.READ : ReqOp.WRITE;
        List<Bio> inFlight = new ArrayList<>();
        long done = 0;
        int pi = 0;
        int off = args.firstPageOffset();
        while (done < len) {
            List<BioVec> vecs = new ArrayList<>();
            long bioStart = args.offset() + done;
            while (done < len && vecs.size() < MAX_VECS) {
                int n = (int) Math.min(len - done, Page.SIZE - off);
                vecs.add(new BioVec(args.pages()[pi++], off, n));
                done += n;
                off = 0;
            }
            Bio bio = Bio.of(op, sector(bioStart), vecs);
            dev.submit(bio);
            inFlight.add(bio);
        }
        for (Bio b : inFlight) {
            b.await();
        }
        return len;
    }

    private long sector(long filePos) {
        return (start + filePos) / BlockDevice.SECTOR_SIZE;
    }
}
