package org.fusefs.block.loop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.fusefs.block.BackingFile;
import org.fusefs.block.Bio;
import org.fusefs.block.BioVec;
import org.fusefs.block.BlkIOException;
import org.fusefs.block.BlkStatus;
import org.fusefs.block.BlockDevice;
import org.fusefs.block.ReqOp;
import org.fusefs.block.RequestQueue;
import org.fusefs.memory.page.Page;
import org.fusefs.uapi.FallocFlag;

/**
 * A block device stored in a host image file: sparse where the host filesystem allows, flush is
 * fdatasync, discard punches a hole, and O_DIRECT is an option.
 *
 * <p>Serves requests the way {@code do_req_filebacked()} in {@code drivers/block/loop.c} does: one
 * switch turns each block operation into an operation on the {@link BackingFile}. Runs of bio
 * segments that continue page after page become one page-array transfer. Errors from the file are
 * narrowed as {@code lo_fallocate} narrows them: "not supported" stays NOTSUPP, everything else is
 * IOERR with the image path and the sector in the message.
 *
 * <p>Locking: none of its own; the file's positioned I/O lets the queue's workers run requests in
 * parallel. Requests on overlapping sectors have no defined order.
 */
public final class ImageFileDevice implements BlockDevice {
    private final BackingFile file;
    private final long capacity;
    private final boolean readOnly;
    private final RequestQueue queue;

    /**
     * How to open an image.
     *
     * @param capacity device size in bytes, a multiple of 4096; 0 takes the image's size rounded
     *     down to 4096
     * @param directIO open the image with O_DIRECT (page-cache bypass on the host)
     */
    public record Options(long capacity, boolean directIO, boolean readOnly, int depth, int workers) {
        public Options {
            if (capacity < 0 || capacity % Page.SIZE != 0) {
                throw new IllegalArgumentException("capacity (" + capacity + ") must be a multiple of 4096");
            }
        }

        /** Capacity from the image, buffered I/O, read-write, depth 128, two workers. */
        public static Options defaults() {
            return new Options(0, false, false, 128, 2);
        }

        public Options withCapacity(long bytes) {
            return new Options(bytes, directIO, readOnly, depth, workers);
        }

        public Options withDirectIO(boolean on) {
            return new Options(capacity, on, readOnly, depth, workers);
        }

        public Options withReadOnly(boolean on) {
            return new Options(capacity, directIO, on, depth, workers);
        }

        public Options withQueue(int depth, int workers) {
            return new Options(capacity, directIO, readOnly, depth, workers);
        }
    }

    private ImageFileDevice(BackingFile file, long capacity, Options opts) {
        this.file = file;
        this.capacity = capacity;
        this.readOnly = opts.readOnly();
        this.queue = new RequestQueue(file.name(), capacity, opts.depth(), opts.workers(), this::handle);
    }

    /**
     * Opens an existing image.
     *
     * @throws NoSuchFileException if the image does not exist
     * @throws java.nio.file.AccessDeniedException if it cannot be opened
     * @throws IOException naming the image if it is not a regular file or is smaller than the
     *     capacity asked for (or than one 4096-byte block)
     */
    public static ImageFileDevice open(Path image, Options opts) throws IOException {
        if (!Files.exists(image)) {
            throw new NoSuchFileException(image.toString(), null, "image file does not exist");
        }
        if (!Files.isRegularFile(image)) {
            throw new IOException(image + ": image is not a regular file");
        }
        HostImageFile f = HostImageFile.open(image, opts.readOnly(), opts.directIO());
        try {
            return attach(f, opts);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** Creates a new sparse image of {@code opts.capacity()} bytes and opens it. */
    public static ImageFileDevice create(Path image, Options opts) throws IOException {
        if (opts.capacity() <= 0) {
            throw new IllegalArgumentException(image + ": a new image needs a capacity, not " + opts.capacity());
        }
        HostImageFile.create(image, opts.capacity(), false).close();
        return open(image, opts);
    }

    /** Serves a device from any backing file (the later loop device's path). */
    public static ImageFileDevice attach(BackingFile f, Options opts) throws IOException {
        long size = f.size();
        long want = opts.capacity() != 0 ? opts.capacity() : size & -Page.SIZE;
        if (want == 0 || size < want) {
            throw new IOException(f.name() + ": image too small: " + size + " bytes, need "
                    + Math.max(want, Page.SIZE) + " bytes");
        }
        return new ImageFileDevice(f, want, opts);
    }

    @Override
    public String name() {
        return file.name();
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public void submit(Bio bio) {
        queue.submit(bio);
    }

    /** Returns the request queue, for its depth and figures. */
    public RequestQueue queue() {
        return queue;
    }

    /** Returns whether the image was opened with O_DIRECT. */
    public boolean directIO() {
        return file.directIO();
    }

    private void handle(Bio bio) throws BlkIOException {
        long pos = bio.sector() * SECTOR_SIZE;
        if (readOnly && bio.op() != ReqOp.READ && bio.op() != ReqOp.FLUSH) {
            throw new BlkIOException(BlkStatus.IOERR, name() + ": " + bio.op() + " at sector " + bio.sector()
                    + " on a read-only image");
        }
        if (!bio.op().hasData() && bio.op() != ReqOp.FLUSH && bio.size() == 0) {
            return; // fallocate(2) refuses a zero length; an empty discard has nothing to do
        }
        try {
            switch (bio.op()) {
                case READ, WRITE -> readWrite(bio, pos);
                case FLUSH -> file.fsync(true);
                case DISCARD -> file.fallocate(FallocFlag.PUNCH_HOLE | FallocFlag.KEEP_SIZE, pos, bio.size());
                case WRITE_ZEROES -> writeZeroes(pos, bio.size());
                default -> throw new BlkIOException(BlkStatus.NOTSUPP, name() + ": " + bio.op() + " not supported");
            }
        } catch (UnsupportedOperationException e) {
            throw new BlkIOException(BlkStatus.NOTSUPP, name() + ": " + bio.op() + " at sector " + bio.sector()
                    + ": " + e.getMessage(), e);
        } catch (BlkIOException e) {
            throw e;
        } catch (IOException e) {
            throw new BlkIOException(BlkStatus.IOERR, name() + ": " + bio.op() + " at sector " + bio.sector()
                    + " failed: " + e.getMessage(), e);
        }
    }

    // ZERO_RANGE keeps the blocks allocated; a filesystem without it still zeroes by punching.
    private void writeZeroes(long pos, long len) throws IOException {
        try {
            file.fallocate(FallocFlag.ZERO_RANGE | FallocFlag.KEEP_SIZE, pos, len);
        } catch (UnsupportedOperationException e) {
            file.fallocate(FallocFlag.PUNCH_HOLE | FallocFlag.KEEP_SIZE, pos, len);
        }
    }

    private void readWrite(Bio bio, long pos) throws IOException {
        List<BioVec> vecs = bio.vecs();
        boolean write = bio.op() == ReqOp.WRITE;
        int align = file.alignment();
        int i = 0;
        while (i < vecs.size()) {
            int j = i + 1;
            long len = vecs.get(i).length();
            while (j < vecs.size() && continues(vecs.get(j - 1), vecs.get(j))) {
                len += vecs.get(j).length();
                j++;
            }
            BioVec first = vecs.get(i);
            if (first.offset() % align != 0 || len % align != 0) {
                throw new BlkIOException(BlkStatus.INVAL, name() + ": segment at sector " + (pos / SECTOR_SIZE)
                        + " not aligned to " + align + " bytes for direct I/O");
            }
            Page[] run = new Page[j - i];
            for (int k = i; k < j; k++) {
                run[k - i] = vecs.get(k).page();
            }
            if (write) {
                file.write(run, first.offset(), len, pos);
            } else {
                file.read(run, first.offset(), len, pos);
            }
            pos += len;
            i = j;
        }
    }

    // Whether b picks up where a ends, so both fit one page-array transfer.
    private static boolean continues(BioVec a, BioVec b) {
        return a.offset() + a.length() == (Page.SIZE << a.page().order()) && b.offset() == 0;
    }

    /** Serves everything queued, then closes the image file. */
    @Override
    public void close() {
        queue.close();
        try {
            file.close();
        } catch (Exception e) {
            throw new IllegalStateException(name() + ": closing the image failed", e);
        }
    }

    @Override
    public String toString() {
        return "image " + name() + " (" + capacity + " bytes" + (directIO() ? ", O_DIRECT" : "") + ")";
    }
}
