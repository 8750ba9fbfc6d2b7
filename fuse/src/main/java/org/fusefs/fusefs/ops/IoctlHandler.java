package org.fusefs.fusefs.ops;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.fusefs.extent.FiemapExtent;
import org.fusefs.extent.InodeFlags;
import org.fusefs.extent.InodeInvalidation;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.OpenFlags;

/**
 * Answers the fusefs ioctls of {@code fusefs_ioctl.h} on a file or directory of the mount, and
 * the inode-flag ioctls of chattr and lsattr. The
 * buffer is the kernel's copy of the caller's struct (little-endian), written back to the caller
 * for commands with {@code _IOC_READ}. The {@code nodeid} fields of the structs are not read: the
 * inode the ioctl runs on is the kernel's nodeid, and invalidation names it directly.
 *
 * <p>Thread-safe: the state is the open files and the filesystem. Invalidations go to the
 * {@link InodeInvalidation} from inside the call; the caller decides when they reach the kernel.
 */
public final class IoctlHandler {
    /**
     * linux/fs.h's inode-flag ioctls (chattr, lsattr). The kernel answers them through its
     * fileattr operations, which check the caller's right first (owner; CAP_LINUX_IMMUTABLE for
     * append-only and immutable) and then send these commands with a 4-byte flags word.
     */
    static final int FS_IOC_GETFLAGS = 0x80086601;
    static final int FS_IOC_SETFLAGS = 0x40086602;
    private static final int FLAGS_SIZE = 4;
    /**
     * The same through {@code struct fsxattr} (xfs_io's chattr; and the kernel reads the old
     * flags this way before every FS_IOC_SETFLAGS): xflags, extsize, nextents, projid,
     * cowextsize (u32 each), 8 bytes of padding.
     */
    static final int FS_IOC_FSGETXATTR = 0x801C581F;
    static final int FS_IOC_FSSETXATTR = 0x401C5820;
    private static final int FSXATTR_SIZE = 28;
    private static final int FSX_EXTSIZE = 4;
    private static final int FSX_NEXTENTS = 8;
    private static final int FSX_PROJID = 12;
    private static final int FSX_COWEXTSIZE = 16;

    private final FileOperations files;
    private final FsIntrospection introspection;
    private final Supplier<String> daemonFigures;
    private final InodeInvalidation invalidation;
    private final int ownerUid;

    public IoctlHandler(FileOperations files, FsIntrospection introspection, Supplier<String> daemonFigures,
            InodeInvalidation invalidation) {
        this(files, introspection, daemonFigures, invalidation, processUid());
    }

    /** {@code ownerUid}: the user who mounted (the daemon's user), who may read figures and inject failures. */
    public IoctlHandler(FileOperations files, FsIntrospection introspection, Supplier<String> daemonFigures,
            InodeInvalidation invalidation, int ownerUid) {
        this.ownerUid = ownerUid;
        this.files = files;
        this.introspection = introspection;
        this.daemonFigures = daemonFigures;
        this.invalidation = invalidation;
    }

    /**
     * Runs command {@code cmd} on inode {@code ino} (open as handle {@code fh}, 0 when none) for the
     * mount's owner; returns ioctl(2)'s non-negative result. ENOTTY for a command that is not ours,
     * as a filesystem answers.
     */
    public int ioctl(long ino, long fh, int cmd, ByteBuffer data) {
        return ioctl(ino, fh, cmd, data, ownerUid);
    }

    /**
     * As {@link #ioctl(long, long, int, ByteBuffer)} for a caller with user id {@code callerUid}:
     * the figures and the memory-failure injection are for the mount's owner and root only (EPERM);
     * probe, seek and fallocate are file operations, checked by the kernel at open like any other.
     */
    public int ioctl(long ino, long fh, int cmd, ByteBuffer data, int callerUid) {
        if ((cmd == FusefsIoctl.HWPOISON || cmd == FusefsIoctl.REPORT) && callerUid != 0 && callerUid != ownerUid) {
            throw new ErrnoException(Errno.EPERM, "uid " + callerUid + " is not the mount's owner " + ownerUid);
        }
        if (data != null) {
            data.order(ByteOrder.LITTLE_ENDIAN);
        }
        if (cmd == FusefsIoctl.PROBE) {
            need(data, FusefsIoctl.PROBE_SIZE);
            data.putInt(0, FusefsIoctl.MAGIC).putInt(4, FusefsIoctl.PROTOCOL_VERSION);
            return 0;
        } else if (cmd == FusefsIoctl.FALLOCATE) {
            need(data, FusefsIoctl.FALLOCATE_SIZE);
            return fallocate(fh, data);
        } else if (cmd == FusefsIoctl.SEEK) {
            need(data, FusefsIoctl.SEEK_SIZE);
            return seek(target(ino, fh), data);
        } else if (cmd == FusefsIoctl.HWPOISON) {
            need(data, FusefsIoctl.HWPOISON_SIZE);
            return hwpoison(target(ino, fh), data);
        } else if (cmd == FusefsIoctl.REPORT) {
            need(data, FusefsIoctl.REPORT_SIZE);
            return report(ino, fh, data);
        } else if (cmd == FS_IOC_GETFLAGS) {
            need(data, FLAGS_SIZE);
            data.putInt(0, files.vfs().getflags(target(ino, fh)));
            return 0;
        } else if (cmd == FS_IOC_SETFLAGS) {
            need(data, FLAGS_SIZE);
            files.vfs().setflags(target(ino, fh), data.getInt(0));
            return 0;
        } else if (cmd == FS_IOC_FSGETXATTR) {
            need(data, FSXATTR_SIZE);
            return fsgetxattr(target(ino, fh), data);
        } else if (cmd == FS_IOC_FSSETXATTR) {
            need(data, FSXATTR_SIZE);
            return fssetxattr(target(ino, fh), data);
        }
        throw new ErrnoException(Errno.ENOTTY, "ioctl 0x" + Integer.toHexString(cmd));
    }

    private int fsgetxattr(long ino, ByteBuffer d) {
        var vfs = files.vfs();
        int nextents = org.fusefs.uapi.FileMode.isReg(vfs.getattr(ino).mode())
                ? vfs.fiemap(ino, 0, Long.MAX_VALUE).size() : 0;
        d.putInt(0, InodeFlags.toXflags(vfs.getflags(ino))).putInt(FSX_EXTSIZE, 0).putInt(FSX_NEXTENTS, nextents)
                .putInt(FSX_PROJID, 0).putInt(FSX_COWEXTSIZE, 0);
        return 0;
    }

    /** Sets the flags; project ids and extent size hints are not kept here (as on ext4 without quota). */
    private int fssetxattr(long ino, ByteBuffer d) {
        if (d.getInt(FSX_PROJID) != 0) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "project id " + d.getInt(FSX_PROJID) + ": no project quota here");
        }
        if (d.getInt(FSX_EXTSIZE) != 0 || d.getInt(FSX_COWEXTSIZE) != 0) {
            throw new ErrnoException(Errno.EINVAL, "extent size hints are not supported");
        }
        files.vfs().setflags(ino, InodeFlags.fromXflags(d.getInt(0)));
        return 0;
    }

    /** The inode an ioctl addresses: the open handle's when there is one (EBADF when stale), else {@code ino}. */
    private long target(long ino, long fh) {
        return fh != 0 ? files.get(fh).ino() : ino;
    }

    /** The daemon's own user id: the owner of the mount. */
    static int processUid() {
        try {
            return ((Number) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid")).intValue();
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    private static void need(ByteBuffer data, int size) {
        if (data == null || data.capacity() < size) {
            throw new ErrnoException(Errno.EINVAL, "ioctl buffer smaller than " + size);
        }
    }

    private int fallocate(long fh, ByteBuffer d) {
        if (fh == 0) {
            throw new ErrnoException(Errno.EBADF, "fallocate ioctl without an open file");
        }
        FileHandle h = files.get(fh);
        long offset = d.getLong(FusefsIoctl.FALLOCATE_OFFSET);
        long length = d.getLong(FusefsIoctl.FALLOCATE_LENGTH);
        int mode = d.getInt(FusefsIoctl.FALLOCATE_MODE);
        if (h.file() == null) {
            throw new ErrnoException(Errno.EISDIR, "fallocate on a directory");
        }
        if (!OpenFlags.writable(h.file().flags())) {
            throw new ErrnoException(Errno.EBADF, "fallocate on a descriptor not open for writing");
        }
        files.fallocate(fh, mode, offset, length);
        if ((mode & (FallocFlag.COLLAPSE_RANGE | FallocFlag.INSERT_RANGE | FallocFlag.PUNCH_HOLE
                | FallocFlag.ZERO_RANGE)) != 0) {
            // Whatever the filesystem already told the listener, the kernel must not keep the
            // pages from offset on: collapse and insert move everything after it.
            invalidation.invalidate(h.ino(), offset, 0);
        }
        return 0;
    }

    private int seek(long ino, ByteBuffer d) {
        long offset = d.getLong(FusefsIoctl.SEEK_OFFSET);
        int whence = d.getInt(FusefsIoctl.SEEK_WHENCE);
        if (offset < 0) {
            throw new ErrnoException(Errno.ENXIO, "seek offset " + offset);
        }
        long result = switch (whence) {
            case FusefsIoctl.SEEK_DATA -> files.vfs().seekData(ino, offset);
            case FusefsIoctl.SEEK_HOLE -> files.vfs().seekHole(ino, offset);
            default -> throw new ErrnoException(Errno.EINVAL, "whence " + whence);
        };
        d.putLong(FusefsIoctl.SEEK_RESULT, result);
        return 0;
    }

    private int hwpoison(long ino, ByteBuffer d) {
        long offset = d.getLong(FusefsIoctl.HWPOISON_OFFSET);
        if (offset < 0) {
            throw new ErrnoException(Errno.EINVAL, "hwpoison offset " + offset);
        }
        FsIntrospection.Poison p = introspection.hwpoison(ino, offset);
        // The page frame is gone from the page cache: the kernel's copy must go too.
        invalidation.invalidate(ino, offset & ~4095L, 4096);
        d.putLong(FusefsIoctl.HWPOISON_PFN, p.pfn());
        d.putInt(FusefsIoctl.HWPOISON_RESULT, p.result());
        putCString(d, FusefsIoctl.HWPOISON_MESSAGE, FusefsIoctl.POISON_MESSAGE, p.message());
        return 0;
    }

    private static void putCString(ByteBuffer d, int at, int room, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(b.length, room - 1);
        d.put(at, b, 0, n);
        d.put(at + n, (byte) 0);
    }

    private int report(long ino, long fh, ByteBuffer d) {
        int kind = d.getInt(FusefsIoctl.REPORT_KIND);
        long offset = d.getLong(FusefsIoctl.REPORT_OFFSET);
        FileHandle h = fh != 0 ? files.get(fh) : null;
        byte[] text = offset == 0 || h == null ? null : h.report(kind);
        if (text == null) {
            text = render(kind, h != null ? h.ino() : ino).getBytes(StandardCharsets.UTF_8);
            if (h != null) {
                h.keepReport(kind, text);
            }
        }
        if (offset < 0 || offset > text.length) {
            throw new ErrnoException(Errno.EINVAL, "report offset " + offset + " past " + text.length);
        }
        int n = (int) Math.min(FusefsIoctl.REPORT_DATA, text.length - offset);
        d.putLong(FusefsIoctl.REPORT_TOTAL, text.length);
        d.putInt(FusefsIoctl.REPORT_LENGTH, n);
        d.put(FusefsIoctl.REPORT_DATA_OFFSET, text, (int) offset, n);
        return 0;
    }

    private String render(int kind, long ino) {
        return switch (kind) {
            case FusefsIoctl.REPORT_STAT -> introspection.statReport() + daemonFigures.get();
            case FusefsIoctl.REPORT_PAGE_OWNER -> introspection.pageOwnerReport();
            case FusefsIoctl.REPORT_EXTENTS -> extents(ino);
            default -> throw new ErrnoException(Errno.EINVAL, "report kind " + kind);
        };
    }

    private String extents(long ino) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-6s %16s %16s %16s  %s%n", "ext", "logical", "physical", "length", "flags"));
        int i = 0;
        long size = files.vfs().getattr(ino).size();
        for (FiemapExtent e : size == 0 ? List.<FiemapExtent>of() : files.vfs().fiemap(ino, 0, size)) {
            String flags = (e.unwritten() ? "unwritten" : "") + (e.last() ? (e.unwritten() ? ",last" : "last") : "");
            sb.append(String.format("%-6d %16d %16d %16d  %s%n", i++, e.logical(), e.physical(), e.length(), flags));
        }
        if (i == 0) {
            sb.append("(no extents)\n");
        }
        return sb.toString();
    }
}
