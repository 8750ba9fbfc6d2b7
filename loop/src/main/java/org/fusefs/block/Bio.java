package org.fusefs.block;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One block I/O request: an operation, a start sector, page segments and a completion.
 *
 * <p>Mirrors {@code struct bio}. A bio completes exactly once: a second {@link #complete} is a
 * broken invariant and throws.
 */
public final class Bio {
    private final ReqOp op;
    private final long sector;
    private final List<BioVec> vecs;
    private final long size;
    private final Consumer<Bio> endIo;
    private final AtomicReference<BlkStatus> status = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile String errorDetail;

    /**
     * @param sector start in 512-byte sectors
     * @param vecs data segments for READ/WRITE; empty for FLUSH
     * @param discardBytes length for DISCARD/WRITE_ZEROES (which carry no pages); ignored otherwise
     * @param endIo called once on completion, or {@code null}
     */
    public Bio(ReqOp op, long sector, List<BioVec> vecs, long discardBytes, Consumer<Bio> endIo) {
        this.op = op;
        this.sector = sector;
        this.vecs = List.copyOf(vecs);
        long s = 0;
        for (BioVec v : this.vecs) {
            s += v.length();
        }
        this.size = op.hasData() ? s : discardBytes;
        this.endIo = endIo;
        if (sector < 0) {
            throw new IllegalArgumentException("sector (" + sector + ") must be >= 0");
        }
    }

    /** A data bio (READ or WRITE). */
    public static Bio of(ReqOp op, long sector, List<BioVec> vecs) {
        return new Bio(op, sector, vecs, 0, null);
    }

    public ReqOp op() {
        return op;
    }

    public long sector() {
        return sector;
    }

    public List<BioVec> vecs() {
        return vecs;
    }

    /** Bytes covered by the request. */
    public long size() {
        return size;
    }

    /** Ends the request. Called by the device exactly once. */
    public void complete(BlkStatus st, String detail) {
        if (!status.compareAndSet(null, st)) {
            throw new IllegalStateException("bio completed twice: " + this + " (was " + status.get() + ", now " + st + ")");
        }
        errorDetail = detail;
        try {
            if (endIo != null) {
                endIo.accept(this);
            }
        } finally {
            done.countDown();
        }
    }

    /** Returns the status, or {@code null} while in flight. */
    public BlkStatus status() {
        return status.get();
    }

    /** The device's message for a failed request (names the device and the sector). */
    public String errorDetail() {
        return errorDetail;
    }

    /** Waits for completion and throws if the status is not OK. */
    public void await() throws IOException {
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + this, e);
        }
        BlkStatus st = status.get();
        if (st != BlkStatus.OK) {
            throw new BlkIOException(st, errorDetail != null ? errorDetail : toString());
        }
    }

    /** Submits to {@code dev} and waits; see {@link #await()}. */
    public void submitAndWait(BlockDevice dev) throws IOException {
        dev.submit(this);
        await();
    }

    @Override
    public String toString() {
        return "bio " + op + " sector " + sector + " size " + size;
    }
}
