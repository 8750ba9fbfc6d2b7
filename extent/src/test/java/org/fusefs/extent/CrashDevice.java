package org.fusefs.extent;

import java.util.concurrent.atomic.AtomicLong;
import org.fusefs.block.Bio;
import org.fusefs.block.BlkStatus;
import org.fusefs.block.BlockDevice;
import org.fusefs.block.ReqOp;

/**
 * A device in front of another that loses power after a number of writes: from then on every write
 * completes as if done but is dropped, as the writes a killed daemon or a power cut never made.
 * Reads and flushes pass through. For crash tests: mount the device below afterwards.
 *
 * <p>With a volatile cache ({@link #volatileCache}, over a {@link TestDevice}) it also models a
 * disk's write cache: at the power cut, each write completed since the last flush is lost or kept
 * at random, in any order (a block ends up holding one of the versions written to it since the
 * flush, or the one before).
 */
final class CrashDevice implements BlockDevice {
    private final BlockDevice below;
    /** Writes since the last flush: block number and its contents before the write; guarded by this. */
    private final java.util.List<Object[]> unflushed = new java.util.ArrayList<>();
    private java.util.Random lose;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile long limit = Long.MAX_VALUE;

    CrashDevice(BlockDevice below) {
        this.below = below;
    }

    /** Lets {@code n} more writes through, then drops every write. */
    void crashAfter(long n) {
        long w = writes.get();
        limit = n > Long.MAX_VALUE - w ? Long.MAX_VALUE : w + n;
    }

    /**
     * Keeps what a volatile write cache needs to lose writes at {@link #kill}: which writes since
     * the last flush are lost is drawn from {@code seed}. The device below must be a TestDevice.
     */
    void volatileCache(long seed) {
        if (!(below instanceof TestDevice)) {
            throw new IllegalArgumentException("a volatile cache needs a TestDevice below, not " + below.name());
        }
        lose = new java.util.Random(seed);
    }

    /**
     * Drops every write from now on (the daemon is gone); with a volatile cache, also loses a random
     * part of the writes not flushed yet.
     */
    void kill() {
        limit = 0;
        synchronized (this) {
            if (lose != null) {
                TestDevice t = (TestDevice) below;
                for (int k = unflushed.size() - 1; k >= 0; k--) {
                    if (lose.nextBoolean()) {
                        t.restore((Long) unflushed.get(k)[0], (byte[]) unflushed.get(k)[1]);
                    }
                }
                unflushed.clear();
            }
        }
    }

    long writes() {
        return writes.get();
    }

    long dropped() {
        return dropped.get();
    }

    @Override
    public String name() {
        return below.name();
    }

    @Override
    public long capacity() {
        return below.capacity();
    }

    @Override
    public void submit(Bio bio) {
        if (bio.op() == ReqOp.WRITE || bio.op() == ReqOp.WRITE_ZEROES || bio.op() == ReqOp.DISCARD) {
            if (writes.incrementAndGet() > limit) {
                dropped.incrementAndGet();
                bio.complete(BlkStatus.OK, null);
                return;
            }
            if (lose != null) {
                // Remember what each block held, for a power cut to undo the write.
                synchronized (this) {
                    long first = bio.sector() * SECTOR_SIZE / 4096;
                    long last = (bio.sector() * SECTOR_SIZE + Math.max(1, bio.size()) - 1) / 4096;
                    for (long b = first; b <= last; b++) {
                        unflushed.add(new Object[] {b, ((TestDevice) below).block(b)});
                    }
                }
            }
        } else if (bio.op() == ReqOp.FLUSH) {
            if (dropped.get() > 0 || writes.get() >= limit) {
                // The power is off: this flush never happens.
                bio.complete(BlkStatus.OK, null);
                return;
            }
            if (lose != null) {
                synchronized (this) {
                    unflushed.clear();
                }
            }
        }
        below.submit(bio);
    }

    @Override
    public void close() {
    }
}
