package org.fusefs.fusefs.jnr;

import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;
import org.fusefs.fusefs.ops.FsOperations;

/**
 * The read and write callbacks, installed into {@code struct fuse_operations} directly instead of
 * through jnr-fuse: jnr-fuse decodes the path into a String and builds a {@code FuseFileInfo}
 * (a struct object with a dozen field objects) on every call. Here every argument is a raw
 * 64-bit value, the handle is read from {@code fi->fh} with one native load, and nothing is
 * allocated per request; the path is decoded only to log a failure.
 */
final class RawIo {
    /** {@code int (*read)(const char *, char *, size_t, off_t, struct fuse_file_info *)}. */
    public interface ReadCallback {
        @Delegate
        int read(long path, long buf, long size, long offset, long fi);
    }

    /** {@code int (*write)(const char *, const char *, size_t, off_t, struct fuse_file_info *)}. */
    public interface WriteCallback {
        @Delegate
        int write(long path, long buf, long size, long offset, long fi);
    }

    /** Offsets of the function pointers in {@code struct fuse_operations} (x86_64, libfuse 2.9). */
    static final int OPS_READ = 15 * 8;
    static final int OPS_WRITE = 16 * 8;
    /** {@code struct fuse_file_info.fh}. */
    static final int FI_FH = 24;

    private static final MemoryIO IO = MemoryIO.getInstance();

    private final FsOperations ops;
    // Strong references: the native closures live only as long as these objects.
    private final ReadCallback read = this::read;
    private final WriteCallback write = this::write;

    RawIo(FsOperations ops) {
        this.ops = ops;
    }

    /** Writes our callbacks into the operations struct at {@code opsMem}. */
    void install(Pointer opsMem) {
        Runtime rt = Runtime.getSystemRuntime();
        opsMem.putAddress(OPS_READ, rt.getClosureManager().getClosurePointer(ReadCallback.class, read).address());
        opsMem.putAddress(OPS_WRITE, rt.getClosureManager().getClosurePointer(WriteCallback.class, write).address());
    }

    private int read(long path, long buf, long size, long offset, long fi) {
        try {
            return ops.read(IO.getLong(fi + FI_FH), offset, buf, (int) size);
        } catch (Throwable t) {
            return ErrnoBarrier.reply("read", pathOf(path), t);
        }
    }

    private int write(long path, long buf, long size, long offset, long fi) {
        try {
            return ops.write(IO.getLong(fi + FI_FH), offset, buf, (int) size);
        } catch (Throwable t) {
            return ErrnoBarrier.reply("write", pathOf(path), t);
        }
    }

    private static String pathOf(long path) {
        if (path == 0) {
            return "(no path)";
        }
        long len = IO.getStringLength(path);
        byte[] b = new byte[(int) Math.min(len, 4096)];
        IO.getByteArray(path, b, 0, b.length);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }
}
