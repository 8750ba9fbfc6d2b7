package org.fusefs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.ByteArrayOutputStream;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.fusefs.fusefs.ops.FusefsIoctl;

/**
 * The command-line tool's side of the fusefs ioctls: opens a file (or the root directory) of a
 * mount and asks the daemon, paging through long reports.
 */
final class IoctlClient implements AutoCloseable {
    /** The libc calls the client needs. */
    public interface LibC {
        int open(String path, int flags);

        int close(int fd);

        int ioctl(int fd, long request, Pointer arg);
    }

    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;
    private static volatile LibC libc;

    private final LibC c;
    private final Runtime rt;
    private final int fd;
    private final Path path;

    private IoctlClient(LibC c, int fd, Path path) {
        this.c = c;
        this.rt = Runtime.getRuntime(c);
        this.fd = fd;
        this.path = path;
    }

    private static LibC libc() {
        LibC l = libc;
        if (l == null) {
            l = LibraryLoader.create(LibC.class).load("c");
            libc = l;
        }
        return l;
    }

    /** Opens {@code path} read-only and checks with PROBE that it lives on a fusefs mount. */
    public static IoctlClient open(Path path) throws IOException {
        LibC c = libc();
        int fd = c.open(path.toString(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int err = Runtime.getRuntime(c).getLastError();
            throw new IOException(path + ": cannot open: " + strerror(err));
        }
        IoctlClient client = new IoctlClient(c, fd, path);
        try {
            client.probe();
        } catch (IOException e) {
            client.close();
            throw e;
        }
        return client;
    }

    private void probe() throws IOException {
        Pointer p = Memory.allocateDirect(rt, FusefsIoctl.PROBE_SIZE);
        if (c.ioctl(fd, FusefsIoctl.PROBE & 0xFFFFFFFFL, p) != 0 || p.getInt(0) != FusefsIoctl.MAGIC) {
            throw new IOException(path + " is not on a fusefs mount (no answer to the fusefs probe ioctl)");
        }
    }

    private static String strerror(int errno) {
        org.fusefs.uapi.Errno e = org.fusefs.uapi.Errno.of(errno);
        return e == null ? "errno " + errno : e.name();
    }

    private void call(int cmd, Pointer arg, String what) throws IOException {
        if (c.ioctl(fd, cmd & 0xFFFFFFFFL, arg) < 0) {
            throw new IOException(path + ": " + what + ": " + strerror(rt.getLastError()));
        }
    }

    /** The whole text of report {@code kind}, paged through the 16 KiB ioctl buffer. */
    public String report(int kind) throws IOException {
        Pointer p = Memory.allocateDirect(rt, FusefsIoctl.REPORT_SIZE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long offset = 0;
        long total;
        do {
            p.putInt(FusefsIoctl.REPORT_KIND, kind);
            p.putInt(4, 0);
            p.putLong(FusefsIoctl.REPORT_OFFSET, offset);
            call(FusefsIoctl.REPORT, p, "report");
            total = p.getLong(FusefsIoctl.REPORT_TOTAL);
            int n = p.getInt(FusefsIoctl.REPORT_LENGTH);
            byte[] chunk = new byte[n];
            p.get(FusefsIoctl.REPORT_DATA_OFFSET, chunk, 0, n);
            out.write(chunk, 0, n);
            offset += n;
            if (n == 0 && offset < total) {
                throw new IOException(path + ": report stopped at " + offset + " of " + total);
            }
        } while (offset < total);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Memory failure on the page caching {@code offset}; returns the daemon's description. */
    public String hwpoison(long offset) throws IOException {
        long nodeid = ((Number) Files.getAttribute(path, "unix:ino")).longValue();
        Pointer p = Memory.allocateDirect(rt, FusefsIoctl.HWPOISON_SIZE);
        p.putLong(FusefsIoctl.HWPOISON_NODEID, nodeid);
        p.putLong(FusefsIoctl.HWPOISON_OFFSET, offset);
        call(FusefsIoctl.HWPOISON, p, "hwpoison");
        long pfn = p.getLong(FusefsIoctl.HWPOISON_PFN);
        int result = p.getInt(FusefsIoctl.HWPOISON_RESULT);
        String msg = p.getString(FusefsIoctl.HWPOISON_MESSAGE, FusefsIoctl.POISON_MESSAGE, StandardCharsets.UTF_8);
        return "pfn " + pfn + " result " + result + ": " + msg;
    }

    @Override
    public void close() {
        c.close(fd);
    }
}
