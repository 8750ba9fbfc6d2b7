package org.fusefs.fusefs.lowlevel;

import java.nio.ByteBuffer;
import com.kenai.jffi.MemoryIO;
import org.fusefs.pagecache.SpliceRead;
import org.fusefs.fusefs.ops.FusefsIoctl;

/**
 * Native memory one request-loop thread reuses for every reply: the struct buffers, the read
 * buffer (grown to the largest read seen, at most max_read), directory listings, names and ioctl
 * payloads. Owned by one thread (see {@link LowLevelFs#scratch()}); never shared.
 */
final class Scratch {
    private static final MemoryIO IO = MemoryIO.getInstance();
    /** The largest ioctl payload we answer, rounded up. */
    static final int IOCTL_CAPACITY = (FusefsIoctl.REPORT_SIZE + 4095) & ~4095;

    private final ByteBuffer fixed = ByteBuffer.allocateDirect(1024);
    final long stat;
    final long entry;
    final long statvfs;
    final ByteBuffer ioctl = ByteBuffer.allocateDirect(IOCTL_CAPACITY);
    final long ioctlAddress = IO.getDirectBufferAddress(ioctl);
    private ByteBuffer data = ByteBuffer.allocateDirect(128 * 1024);
    private long dataAddress = IO.getDirectBufferAddress(data);
    /** Pages lent by the filesystem for one READ reply (128 KiB unaligned spans 33 pages). */
    final SpliceRead splice = new SpliceRead(33);
    private ByteBuffer name = ByteBuffer.allocateDirect(4096);
    private long nameAddress = IO.getDirectBufferAddress(name);

    Scratch() {
        long base = IO.getDirectBufferAddress(fixed);
        stat = base;
        entry = base + 256;
        statvfs = base + 512;
    }

    /** A buffer of at least {@code size} bytes for read and readdir replies. */
    long data(long size) {
        if (size > data.capacity()) {
            data = ByteBuffer.allocateDirect((int) Math.min(Integer.MAX_VALUE, size));
            dataAddress = IO.getDirectBufferAddress(data);
        }
        return dataAddress;
    }

    /** Copies {@code b} with a terminating NUL into a reused buffer and returns its address. */
    long cString(byte[] b) {
        if (b.length + 1 > name.capacity()) {
            name = ByteBuffer.allocateDirect(b.length + 1);
            nameAddress = IO.getDirectBufferAddress(name);
        }
        IO.putZeroTerminatedByteArray(nameAddress, b, 0, b.length);
        return nameAddress;
    }
}
