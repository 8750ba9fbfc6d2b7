package org.fusefs.fusefs.lowlevel;

import java.nio.ByteBuffer;
import com.kenai.jffi.MemoryIO;
import org.fusefs.pagecache.SpliceRead;

/**
 * Answers a READ with the page-cache frames the filesystem lends ({@link SpliceRead}): their
 * segments become a struct iovec array and {@code fuse_reply_iov} hands them to the kernel in one
 * writev, so the data is copied once, by the kernel, instead of first into a reply buffer.
 * Segments that continue in the next frame (consecutive file pages usually get consecutive
 * frames) are merged into one iovec.
 *
 * <p>One per worker thread (in {@link Scratch}), reused; {@link #begin} arms it for a request.
 */
final class IovReply implements SpliceRead.Actor {
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final int IOVEC_SIZE = 16; // struct iovec { void *iov_base; size_t iov_len; }

    private final LibFuseLowLevel lib;
    private ByteBuffer iovs = ByteBuffer.allocateDirect(64 * IOVEC_SIZE);
    private long iovAddress = IO.getDirectBufferAddress(iovs);
    private long req;
    private boolean replied;

    IovReply(LibFuseLowLevel lib) {
        this.lib = lib;
    }

    /** Arms this reply for {@code req}. */
    IovReply begin(long req) {
        this.req = req;
        this.replied = false;
        return this;
    }

    /** Whether the request has been answered: after that it must not be answered again. */
    boolean replied() {
        return replied;
    }

    @Override
    public void send(SpliceRead segments) {
        int n = segments.count();
        if (n * IOVEC_SIZE > iovs.capacity()) {
            iovs = ByteBuffer.allocateDirect(n * IOVEC_SIZE);
            iovAddress = IO.getDirectBufferAddress(iovs);
        }
        int count = 0;
        long end = -1;
        for (int i = 0; i < n; i++) {
            long addr = segments.address(i);
            int len = segments.length(i);
            if (addr == end) {
                long at = iovAddress + (long) (count - 1) * IOVEC_SIZE + 8;
                IO.putLong(at, IO.getLong(at) + len);
            } else {
                long at = iovAddress + (long) count * IOVEC_SIZE;
                IO.putLong(at, addr);
                IO.putLong(at + 8, len);
                count++;
            }
            end = addr + len;
        }
        replied = true;
        lib.fuse_reply_iov(req, iovAddress, count);
    }
}
