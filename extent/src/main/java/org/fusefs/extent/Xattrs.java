package org.fusefs.extent;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;

/**
 * Extended attributes in the user., trusted. and security. namespaces, with the errno of
 * {@code fs/xattr.c} and {@code fs/ext4/xattr.c}: ERANGE for a name over 255 bytes, E2BIG for a
 * value over 64 KiB, EOPNOTSUPP for another namespace, ENODATA for a missing name, EEXIST /
 * ENODATA for XATTR_CREATE / XATTR_REPLACE, EPERM for user. attributes on special files, ENOSPC
 * when an inode's attributes would exceed {@value #TOTAL_MAX} bytes.
 *
 * <p>Locking: the inode lock around every read and change.
 */
final class Xattrs {
    static final int NAME_MAX = 255;
    static final int SIZE_MAX = 65536;
    static final int TOTAL_MAX = 128 * 1024;
    private static final String[] PREFIXES = {"user.", "trusted.", "security."};

    private final ExtentFs fs;

    Xattrs(ExtentFs fs) {
        this.fs = fs;
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
            throw new ErrnoException(Errno.ERANGE, "xattr name length outside 1.." + NAME_MAX);
        }
        for (String p : PREFIXES) {
            if (name.startsWith(p)) {
                if (name.length() == p.length()) {
                    throw new ErrnoException(Errno.EINVAL, "xattr name '" + name + "' has no suffix");
                }
                return;
            }
        }
        throw new ErrnoException(Errno.EOPNOTSUPP, "xattr namespace of '" + name + "' not supported");
    }

    /** user. attributes exist only on regular files and directories (fs/xattr.c xattr_permission). */
    private static boolean userDenied(Inode i, String name) {
        return name.startsWith("user.") && !i.isReg() && !i.isDir();
    }

    byte[] get(Inode i, String name) {
        checkName(name);
        i.lock.lock();
        try {
            byte[] v = userDenied(i, name) ? null : i.xattrs.get(name);
            if (v == null) {
                throw new ErrnoException(Errno.ENODATA, "no xattr '" + name + "' on ino " + i.ino);
            }
            return v.clone();
        } finally {
            i.lock.unlock();
        }
    }

    List<String> list(Inode i) {
        i.lock.lock();
        try {
            return new ArrayList<>(i.xattrs.keySet());
        } finally {
            i.lock.unlock();
        }
    }

    void set(Inode i, String name, byte[] value, int flags) {
        if ((flags & ~(Vfs.XATTR_CREATE | Vfs.XATTR_REPLACE)) != 0) {
            throw new ErrnoException(Errno.EINVAL, "xattr flags 0x" + Integer.toHexString(flags));
        }
        checkName(name);
        byte[] v = value == null ? new byte[0] : value;
        if (v.length > SIZE_MAX) {
            throw new ErrnoException(Errno.E2BIG, "xattr value of " + v.length + " bytes > " + SIZE_MAX);
        }
        i.lock.lock();
        try {
            fs.dirty.mark(i);
            if (userDenied(i, name)) {
                throw new ErrnoException(Errno.EPERM, "user. xattr on a special file, ino " + i.ino);
            }
            byte[] old = i.xattrs.get(name);
            if ((flags & Vfs.XATTR_CREATE) != 0 && old != null) {
                throw new ErrnoException(Errno.EEXIST, "xattr '" + name + "' exists on ino " + i.ino);
            }
            if ((flags & Vfs.XATTR_REPLACE) != 0 && old == null) {
                throw new ErrnoException(Errno.ENODATA, "no xattr '" + name + "' on ino " + i.ino);
            }
            long total = totalBytes(i) - (old == null ? 0 : entryBytes(name, old)) + entryBytes(name, v);
            if (total > TOTAL_MAX) {
                throw new ErrnoException(Errno.ENOSPC, "xattrs of ino " + i.ino + " would take " + total + " bytes");
            }
            i.xattrs.put(name, v.clone());
            i.ctimeNs = ExtentFs.now();
        } finally {
            i.lock.unlock();
        }
    }

    void remove(Inode i, String name) {
        checkName(name);
        i.lock.lock();
        try {
            fs.dirty.mark(i);
            if (userDenied(i, name) || i.xattrs.remove(name) == null) {
                throw new ErrnoException(Errno.ENODATA, "no xattr '" + name + "' on ino " + i.ino);
            }
            i.ctimeNs = ExtentFs.now();
        } finally {
            i.lock.unlock();
        }
    }

    static long entryBytes(String name, byte[] v) {
        return 8 + name.getBytes(StandardCharsets.UTF_8).length + v.length;
    }

    static long totalBytes(Inode i) {
        long t = 0;
        for (Map.Entry<String, byte[]> e : i.xattrs.entrySet()) {
            t += entryBytes(e.getKey(), e.getValue());
        }
        return t;
    }
}
