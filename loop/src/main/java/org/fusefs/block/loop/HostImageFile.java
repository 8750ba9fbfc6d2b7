package org.fusefs.block.loop;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;
import org.fusefs.block.BackingFile;
import org.fusefs.memory.page.Page;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.OpenFlags;

/**
 * A file of the host filesystem used as a {@link BackingFile}: pread/pwrite between page frames and
 * the file, fallocate and fsync on its descriptor, optionally opened with O_DIRECT.
 *
 * <p>What {@code lo_rw_aio} and {@code lo_fallocate} reach through {@code f_op} when a loop device
 * sits on a host file. Transfers go straight from each page's native address; runs of physically
 * adjacent pages become one system call. With O_DIRECT, memory must be aligned to
 * {@value #DIO_ALIGN} bytes: an unaligned frame goes through a per-thread aligned bounce buffer,
 * while positions and lengths must be aligned by the caller (the block layer's sectors are).
 *
 * <p>Thread safety: pread/pwrite carry their own position, so transfers may run concurrently;
 * {@link #close} must come after the last transfer (the block device closes its queue first).
 */
public final class HostImageFile implements BackingFile {
    /** Memory and I/O alignment required for O_DIRECT (the logical block size). */
    public static final int DIO_ALIGN = 512;

    static final LibC LIBC = LibC.load();
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final int BOUNCE = 256 * 1024;
    // One aligned bounce buffer per thread that ever needs one; reused for every later call.
    private static final ThreadLocal<ByteBuffer> BOUNCE_BUF =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BOUNCE + Page.SIZE).alignedSlice(Page.SIZE));

    private final Path path;
    private final int fd;
    private final boolean direct;
    private volatile boolean closed;

    private HostImageFile(Path path, int fd, boolean direct) {
        this.path = path;
        this.fd = fd;
        this.direct = direct;
    }

    /**
     * Opens an existing file.
     *
     * @throws NoSuchFileException if it does not exist; {@link AccessDeniedException} if it may not
     *     be opened; another IOException (naming the file and errno) for anything else
     */
    public static HostImageFile open(Path path, boolean readOnly, boolean directIO) throws IOException {
        int flags = (readOnly ? OpenFlags.O_RDONLY : OpenFlags.O_RDWR) | LibC.O_CLOEXEC
                | (directIO ? OpenFlags.O_DIRECT : 0);
        return new HostImageFile(path, openFd(path, flags, 0), directIO);
    }

    /**
     * Creates a new sparse file of {@code size} bytes (nothing allocated on the host).
     *
     * @throws FileAlreadyExistsException if the path exists
     */
    public static HostImageFile create(Path path, long size, boolean directIO) throws IOException {
        int flags = OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL | LibC.O_CLOEXEC
                | (directIO ? OpenFlags.O_DIRECT : 0);
        HostImageFile f = new HostImageFile(path, openFd(path, flags, 0644), directIO);
        if (LIBC.ftruncate(f.fd, size) != 0) {
            IOException e = error("ftruncate to " + size + " bytes", path);
            f.close();
            throw e;
        }
        return f;
    }

    private static int openFd(Path path, int flags, int mode) throws IOException {
        int fd = LIBC.open(path.toString(), flags, mode);
        if (fd >= 0) {
            return fd;
        }
        int errno = LastError.getLastError(RUNTIME);
        String why = describe(errno);
        if (errno == Errno.ENOENT.code()) {
            throw new NoSuchFileException(path.toString(), null, "image file does not exist (" + why + ")");
        }
        if (errno == Errno.EACCES.code() || errno == Errno.EPERM.code()) {
            throw new AccessDeniedException(path.toString(), null, "image file cannot be opened (" + why + ")");
        }
        if (errno == Errno.EEXIST.code()) {
            throw new FileAlreadyExistsException(path.toString(), null, "image file exists (" + why + ")");
        }
        throw new IOException(path + ": cannot open image file (" + why + ")");
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public boolean directIO() {
        return direct;
    }

    @Override
    public int alignment() {
        return direct ? DIO_ALIGN : 1;
    }

    @Override
    public long size() throws IOException {
        checkOpen();
        long end = LIBC.lseek(fd, 0, LibC.SEEK_END);
        if (end < 0) {
            throw error("lseek", path);
        }
        return end;
    }

    @Override
    public long read(Page[] pages, int firstPageOffset, long length, long pos) throws IOException {
        return transfer(false, pages, firstPageOffset, length, pos);
    }

    @Override
    public long write(Page[] pages, int firstPageOffset, long length, long pos) throws IOException {
        return transfer(true, pages, firstPageOffset, length, pos);
    }

    // Walks the pages, merging physically adjacent frames into one run per system call.
    private long transfer(boolean write, Page[] pages, int firstPageOffset, long length, long pos) throws IOException {
        checkOpen();
        if (firstPageOffset < 0 || length < 0 || pos < 0) {
            throw new IllegalArgumentException(path + ": bad transfer offset " + firstPageOffset
                    + " length " + length + " position " + pos);
        }
        long left = length;
        long runAddr = 0;
        long runLen = 0;
        long at = pos;
        int off = firstPageOffset;
        for (int i = 0; left > 0; i++) {
            if (i >= pages.length) {
                throw new IllegalArgumentException(path + ": " + pages.length + " pages cannot hold "
                        + length + " bytes at offset " + firstPageOffset);
            }
            long cap = (long) Page.SIZE << pages[i].order();
            if (off >= cap) {
                throw new IllegalArgumentException(path + ": offset " + off + " outside page " + pages[i].pfn());
            }
            long n = Math.min(left, cap - off);
            long addr = pages[i].address() + off;
            if (runLen > 0 && runAddr + runLen != addr) {
                io(write, runAddr, runLen, at);
                at += runLen;
                runLen = 0;
            }
            if (runLen == 0) {
                runAddr = addr;
            }
            runLen += n;
            left -= n;
            off = 0;
        }
        if (runLen > 0) {
            io(write, runAddr, runLen, at);
        }
        return length;
    }

    private void io(boolean write, long addr, long len, long pos) throws IOException {
        if (direct && addr % DIO_ALIGN != 0) {
            bounce(write, addr, len, pos);
            return;
        }
        while (len > 0) {
            long r = write ? LIBC.pwrite(fd, addr, len, pos) : LIBC.pread(fd, addr, len, pos);
            if (r < 0) {
                if (LastError.getLastError(RUNTIME) == Errno.EINTR.code()) {
                    continue;
                }
                throw error((write ? "pwrite of " : "pread of ") + len + " bytes at byte " + pos, path);
            }
            if (r == 0) {
                if (write) {
                    throw new IOException(path + ": pwrite at byte " + pos + " made no progress");
                }
                IO.setMemory(addr, len, (byte) 0); // past end of file reads as zeros
                return;
            }
            addr += r;
            pos += r;
            len -= r;
        }
    }

    private void bounce(boolean write, long addr, long len, long pos) throws IOException {
        ByteBuffer bb = BOUNCE_BUF.get();
        long baddr = IO.getDirectBufferAddress(bb);
        while (len > 0) {
            int k = (int) Math.min(len, BOUNCE);
            if (write) {
                IO.copyMemory(addr, baddr, k);
                io(true, baddr, k, pos);
            } else {
                io(false, baddr, k, pos);
                IO.copyMemory(baddr, addr, k);
            }
            addr += k;
            pos += k;
            len -= k;
        }
    }

    @Override
    public void fallocate(int mode, long pos, long len) throws IOException {
        checkOpen();
        if (LIBC.fallocate(fd, mode, pos, len) != 0) {
            int errno = LastError.getLastError(RUNTIME);
            if (errno == Errno.EOPNOTSUPP.code()) {
                throw new UnsupportedOperationException(path + ": fallocate mode 0x" + Integer.toHexString(mode)
                        + " not supported by the host filesystem");
            }
            throw error("fallocate mode 0x" + Integer.toHexString(mode) + " [" + pos + ", +" + len + ")", path);
        }
    }

    @Override
    public void fsync(boolean dataOnly) throws IOException {
        checkOpen();
        if ((dataOnly ? LIBC.fdatasync(fd) : LIBC.fsync(fd)) != 0) {
            throw error(dataOnly ? "fdatasync" : "fsync", path);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (LIBC.close(fd) != 0) {
            throw error("close", path);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(path + ": image file is closed");
        }
    }

    private static IOException error(String what, Path path) {
        return new IOException(path + ": " + what + " failed (" + describe(LastError.getLastError(RUNTIME)) + ")");
    }

    private static String describe(int errno) {
        Errno e = Errno.of(errno);
        return (e != null ? e.name() : "errno " + errno) + ": " + LIBC.strerror(errno);
    }

    @Override
    public String toString() {
        return "host image " + path + (direct ? " (O_DIRECT)" : "");
    }
}
