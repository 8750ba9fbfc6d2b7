package org.fusefs.extent;

import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.OpenFlags;

/**
 * Inode flags as chattr(1) and lsattr(1) see them ({@code FS_IOC_GETFLAGS} / {@code
 * FS_IOC_SETFLAGS}, the {@code FS_*_FL} bits of {@code linux/fs.h}), and the rules of the two that
 * restrict: an append-only inode takes only appends and new directory entries, an immutable one
 * nothing. On a local filesystem the VFS enforces them from {@code i_flags} (may_open,
 * may_delete, may_create, notify_change, vfs_link, xattr_permission, vfs_fallocate, the write
 * checks). Over FUSE the kernel never learns the flags (struct fuse_attr has no field for them),
 * so each operation of the file API asks here instead, with ext4's answers (native-tests
 * {@code test_chattr.c} runs the same program on ext4 and on the mount). One gap remains: an
 * {@code fcntl(F_SETFL)} that drops O_APPEND from a descriptor of an append-only file never
 * reaches the daemon, so it is not refused.
 *
 * <p>The flags live in {@link Inode#flags}, written under the inode lock; the checks read them
 * under the lock the operation holds (the inode lock, or the namespace lock for names, which
 * {@link ExtentFs#setflags} also takes).
 */
public final class InodeFlags {
    public static final int FS_IMMUTABLE_FL = 0x10;
    public static final int FS_APPEND_FL = 0x20;
    public static final int FS_NODUMP_FL = 0x40;
    public static final int FS_NOATIME_FL = 0x80;
    /** The flags this filesystem keeps; FS_IOC_SETFLAGS with any other bit fails with EOPNOTSUPP. */
    public static final int SUPPORTED = FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL | FS_NOATIME_FL;

    /** The same flags as {@code struct fsxattr}'s fsx_xflags (FS_IOC_FSGETXATTR, xfs_io chattr). */
    public static final int FS_XFLAG_IMMUTABLE = 0x8;
    public static final int FS_XFLAG_APPEND = 0x10;
    public static final int FS_XFLAG_NOATIME = 0x40;
    public static final int FS_XFLAG_NODUMP = 0x80;

    private static final int RESTRICTING = FS_IMMUTABLE_FL | FS_APPEND_FL;
    private static final int[][] FLAG_XFLAG = {
        {FS_IMMUTABLE_FL, FS_XFLAG_IMMUTABLE}, {FS_APPEND_FL, FS_XFLAG_APPEND},
        {FS_NOATIME_FL, FS_XFLAG_NOATIME}, {FS_NODUMP_FL, FS_XFLAG_NODUMP},
    };

    private InodeFlags() {
    }

    /** The fsx_xflags of inode flags {@code flags} (fileattr_fill_flags). */
    public static int toXflags(int flags) {
        int x = 0;
        for (int[] m : FLAG_XFLAG) {
            if ((flags & m[0]) != 0) {
                x |= m[1];
            }
        }
        return x;
    }

    /** The inode flags of fsx_xflags {@code xflags}; EOPNOTSUPP for an xflag this filesystem does not keep. */
    public static int fromXflags(int xflags) {
        int flags = 0;
        int left = xflags;
        for (int[] m : FLAG_XFLAG) {
            if ((xflags & m[1]) != 0) {
                flags |= m[0];
                left &= ~m[1];
            }
        }
        if (left != 0) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "fsx_xflags 0x" + Integer.toHexString(left)
                    + " are not supported (only immutable, append-only, nodump and noatime)");
        }
        return flags;
    }

    static void checkSettable(long ino, int flags) {
        if ((flags & ~SUPPORTED) != 0) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "ino " + ino + ": inode flags 0x"
                    + Integer.toHexString(flags & ~SUPPORTED) + " are not supported (only immutable,"
                    + " append-only, nodump and noatime)");
        }
    }

    private static ErrnoException eperm(Inode i, String what) {
        String flag = (i.flags & FS_IMMUTABLE_FL) != 0 ? "immutable" : "append-only";
        return new ErrnoException(Errno.EPERM, what + ": ino " + i.ino + " is " + flag);
    }

    /** may_open: no writer of an immutable file, only appending writers of an append-only one, no O_TRUNC. */
    static void checkOpen(Inode i, int openFlags) {
        int f = i.flags;
        if ((f & RESTRICTING) == 0) {
            return;
        }
        boolean writes = OpenFlags.writable(openFlags);
        boolean trunc = (openFlags & OpenFlags.O_TRUNC) != 0;
        if ((f & FS_IMMUTABLE_FL) != 0 && (writes || trunc)) {
            throw eperm(i, "open for writing");
        }
        if ((f & FS_APPEND_FL) != 0 && ((writes && (openFlags & OpenFlags.O_APPEND) == 0) || trunc)) {
            throw eperm(i, "open for writing without O_APPEND, or with O_TRUNC,");
        }
    }

    /**
     * A write through a descriptor opened earlier: refused on an immutable file; on an
     * append-only one ext4 lets it through wherever it points (the flag is checked at open).
     */
    static void checkWrite(Inode i) {
        if ((i.flags & FS_IMMUTABLE_FL) != 0) {
            throw eperm(i, "write");
        }
    }

    /**
     * notify_change and do_truncate: an immutable inode changes no attribute; an append-only one
     * keeps its size, mode, owner and explicit times, but may be touched (both times "now").
     */
    static void checkSetattr(Inode i, SetAttr a) {
        int f = i.flags;
        if ((f & RESTRICTING) == 0) {
            return;
        }
        if ((f & FS_IMMUTABLE_FL) != 0) {
            throw eperm(i, "setattr");
        }
        boolean explicitTime = (a.atimeNs() != null && a.atimeNs() != SetAttr.NOW)
                || (a.mtimeNs() != null && a.mtimeNs() != SetAttr.NOW);
        if (a.size() != null || a.mode() != null || a.uid() != null || a.gid() != null || explicitTime) {
            throw eperm(i, "setattr other than touch");
        }
    }

    /** may_delete: neither the entry's inode nor its directory may be append-only or immutable. */
    static void checkDelete(Inode dir, Inode victim) {
        if ((dir.flags & RESTRICTING) != 0) {
            throw eperm(dir, "removing an entry");
        }
        if ((victim.flags & RESTRICTING) != 0) {
            throw eperm(victim, "removing or replacing a name");
        }
    }

    /** may_create: an immutable directory takes no new entry (an append-only one does). */
    static void checkCreate(Inode dir) {
        if ((dir.flags & FS_IMMUTABLE_FL) != 0) {
            throw eperm(dir, "adding an entry");
        }
    }

    /** vfs_link: no new name for an append-only or immutable inode. */
    static void checkLink(Inode i) {
        if ((i.flags & RESTRICTING) != 0) {
            throw eperm(i, "link");
        }
    }

    /** xattr_permission: no xattr change on an append-only or immutable inode. */
    static void checkXattrChange(Inode i) {
        if ((i.flags & RESTRICTING) != 0) {
            throw eperm(i, "xattr change");
        }
    }

    /**
     * vfs_fallocate's rows 5 and 6 (shared/spec/fallocate.md §2): append-only allows mode 0 and
     * KEEP_SIZE only; immutable allows nothing.
     */
    static void checkFallocate(Inode i, int mode) {
        int f = i.flags;
        if ((f & FS_APPEND_FL) != 0 && (mode & ~FallocFlag.KEEP_SIZE) != 0) {
            throw eperm(i, "fallocate mode 0x" + Integer.toHexString(mode));
        }
        if ((f & FS_IMMUTABLE_FL) != 0) {
            throw eperm(i, "fallocate");
        }
    }
}
