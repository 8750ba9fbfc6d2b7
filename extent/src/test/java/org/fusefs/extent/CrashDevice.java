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
 */
final class CrashDevice implements BlockDevice {
    private final BlockDevice below;
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

    /** Drops every write from now on (the daemon is gone). */
    void kill() {
        limit = 0;
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
        }
        below.submit(bio);
    }

    @Override
    public void close() {
    }
}
