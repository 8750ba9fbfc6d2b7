package org.fusefs.extent;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;

/**
 * The directory operations: lookup, create, mkdir, mknod, symlink, link, unlink, rmdir, rename and
 * readdir, with Linux's errno for each failure (after {@code fs/namei.c} and {@code fs/ext4/namei.c}).
 *
 * <p>Locking: {@link #ns} is the namespace lock, outermost in the filesystem's order: shared for
 * lookup and readdir, exclusive for every change of a directory, of nlink, and for rename (which
 * therefore needs no ordering of directory locks). Inode locks are taken inside it.
 */
final class Namespace {
    private final ExtentFs fs;
    final ReentrantReadWriteLock ns = new ReentrantReadWriteLock();

    Namespace(ExtentFs fs) {
        this.fs = fs;
    }

    private Inode dirInode(long dir) {
        Inode d = fs.inode(dir);
        if (!d.isDir()) {
            throw new ErrnoException(Errno.ENOTDIR, "ino " + dir + " is not a directory");
        }
        return d;
    }

    /** Checks a name's length (and its form); ENAMETOOLONG beyond 255 bytes. */
    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new ErrnoException(Errno.ENOENT, "empty name");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > ExtentFs.NAME_MAX) {
            throw new ErrnoException(Errno.ENAMETOOLONG, "name of " + name.getBytes(StandardCharsets.UTF_8).length
                    + " bytes > " + ExtentFs.NAME_MAX);
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new ErrnoException(Errno.EINVAL, "name contains '/' or NUL: " + name);
        }
    }

    private static boolean dotOrDotDot(String name) {
        return ".".equals(name) || "..".equals(name);
    }

    /** Checks that {@code d} can take a new entry {@code name}. */
    private static void checkNewEntry(Inode d, String name) {
        checkName(name);
        if (dotOrDotDot(name) || d.dir.get(name) != null) {
            throw new ErrnoException(Errno.EEXIST, "'" + name + "' exists in directory " + d.ino);
        }
        if (d.nlink == 0) {
            throw new ErrnoException(Errno.ENOENT, "directory " + d.ino + " was removed");
        }
        InodeFlags.checkCreate(d);
    }

    InodeAttr lookup(long dir, String name) {
        ns.readLock().lock();
        try {
            Inode d = dirInode(dir);
            checkName(name);
            if (".".equals(name)) {
                return fs.attr(d);
            }
            if ("..".equals(name)) {
                return fs.attr(fs.inode(d.dir.parent));
            }
            Directory.Entry e = d.dir.get(name);
            if (e == null) {
                throw new ErrnoException(Errno.ENOENT, "no '" + name + "' in directory " + dir);
            }
            return fs.attr(fs.inode(e.ino()));
        } finally {
            ns.readLock().unlock();
        }
    }

    /** A new inode in directory {@code d}; a set-group-ID directory hands on its group (inode_init_owner). */
    private Inode newInode(Inode d, int mode, int uid, int gid) {
        if ((d.mode & FileMode.S_ISGID) != 0) {
            gid = d.gid;
            if (FileMode.isDir(mode)) {
                mode |= FileMode.S_ISGID;
            }
        }
        Inode i = fs.inodes.allocate(mode);
        if (i == null) {
            throw new ErrnoException(Errno.ENOSPC, "no free inode (" + fs.inodes.count() + " in the table)");
        }
        fs.dirty.mark(i);
        long t = ExtentFs.now();
        i.uid = uid;
        i.gid = gid;
        i.nlink = 1;
        i.atimeNs = t;
        i.mtimeNs = t;
        i.ctimeNs = t;
        return i;
    }

    private void touch(Inode d) {
        fs.dirty.mark(d);
        long t = ExtentFs.now();
        d.mtimeNs = t;
        d.ctimeNs = t;
    }

    /** The type part of a mknod mode; 0 means a regular file. */
    private static int mknodType(int mode) {
        int type = mode & FileMode.S_IFMT;
        switch (type) {
            case 0:
                return FileMode.S_IFREG;
            case FileMode.S_IFREG:
            case FileMode.S_IFIFO:
            case FileMode.S_IFSOCK:
            case FileMode.S_IFCHR:
            case FileMode.S_IFBLK:
                return type;
            case FileMode.S_IFDIR:
                throw new ErrnoException(Errno.EPERM, "mknod of a directory");
            default:
                throw new ErrnoException(Errno.EINVAL, "mknod type 0" + Integer.toOctalString(type));
        }
    }

    InodeAttr mknod(long dir, String name, int mode, long rdev, int uid, int gid) {
        ns.writeLock().lock();
        try {
            Inode d = dirInode(dir);
            int type = mknodType(mode);
            checkNewEntry(d, name);
            Inode i = newInode(d, type | (mode & FileMode.PERMISSION_BITS), uid, gid);
            if (type == FileMode.S_IFCHR || type == FileMode.S_IFBLK) {
                i.rdev = rdev;
            }
            d.dir.add(name, i.ino, i.dtype());
            touch(d);
            return fs.attr(i);
        } finally {
            ns.writeLock().unlock();
        }
    }

    OpenFile create(long dir, String name, int mode, int flags, int uid, int gid) {
        ns.writeLock().lock();
        try {
            Inode d = dirInode(dir);
            checkName(name);
            Directory.Entry e = dotOrDotDot(name) ? new Directory.Entry(name, d.ino, 4, 0) : d.dir.get(name);
            Inode i;
            if (e != null) {
                if ((flags & OpenFlags.O_EXCL) != 0) {
                    throw new ErrnoException(Errno.EEXIST, "'" + name + "' exists in directory " + dir);
                }
                i = fs.inode(e.ino());
                if (i.isDir()) {
                    throw new ErrnoException(Errno.EISDIR, "'" + name + "' is a directory");
                }
            } else {
                checkNewEntry(d, name);
                i = newInode(d, FileMode.S_IFREG | (mode & FileMode.PERMISSION_BITS), uid, gid);
                d.dir.add(name, i.ino, i.dtype());
                touch(d);
            }
            i.lock.lock();
            try {
                return fs.openLocked(i, flags);
            } finally {
                i.lock.unlock();
            }
        } finally {
            ns.writeLock().unlock();
        }
    }

    InodeAttr mkdir(long dir, String name, int mode, int uid, int gid) {
        ns.writeLock().lock();
        try {
            Inode d = dirInode(dir);
            checkNewEntry(d, name);
            if (d.nlink >= ExtentFs.LINK_MAX) {
                throw new ErrnoException(Errno.EMLINK, "directory " + dir + " has " + d.nlink + " links");
            }
            Inode i = newInode(d, FileMode.S_IFDIR | (mode & FileMode.PERMISSION_BITS), uid, gid);
            i.nlink = 2;
            i.dir.parent = d.ino;
            i.size = BlockIo.BLOCK_SIZE;
            d.dir.add(name, i.ino, i.dtype());
            d.nlink++;
            growDir(d);
            touch(d);
            return fs.attr(i);
        } finally {
            ns.writeLock().unlock();
        }
    }

    InodeAttr symlink(long dir, String name, String target, int uid, int gid) {
        byte[] t = target == null ? new byte[0] : target.getBytes(StandardCharsets.UTF_8);
        ns.writeLock().lock();
        try {
            Inode d = dirInode(dir);
            checkNewEntry(d, name);
            if (t.length == 0) {
                throw new ErrnoException(Errno.ENOENT, "empty symlink target");
            }
            if (t.length > MetaChain.MAX_SYMLINK) {
                throw new ErrnoException(Errno.ENAMETOOLONG, "symlink target of " + t.length + " bytes");
            }
            Inode i = newInode(d, FileMode.S_IFLNK | 0777, uid, gid);
            i.symlink = t;
            i.size = t.length;
            d.dir.add(name, i.ino, i.dtype());
            touch(d);
            return fs.attr(i);
        } finally {
            ns.writeLock().unlock();
        }
    }

    InodeAttr link(long ino, long newDir, String newName) {
        ns.writeLock().lock();
        try {
            Inode i = fs.inode(ino);
            Inode d = dirInode(newDir);
            if (i.isDir()) {
                throw new ErrnoException(Errno.EPERM, "hard link to directory " + ino);
            }
            checkNewEntry(d, newName);
            InodeFlags.checkLink(i);
            if (i.nlink == 0) {
                throw new ErrnoException(Errno.ENOENT, "ino " + ino + " was unlinked");
            }
            if (i.nlink >= ExtentFs.LINK_MAX) {
                throw new ErrnoException(Errno.EMLINK, "ino " + ino + " has " + i.nlink + " links");
            }
            i.lock.lock();
            try {
                fs.dirty.mark(i);
                i.nlink++;
                i.ctimeNs = ExtentFs.now();
            } finally {
                i.lock.unlock();
            }
            d.dir.add(newName, i.ino, i.dtype());
            growDir(d);
            touch(d);
            return fs.attr(i);
        } finally {
            ns.writeLock().unlock();
        }
    }

    void unlink(long dir, String name) {
        ns.writeLock().lock();
        try {
            Inode d = dirInode(dir);
            checkName(name);
            if (dotOrDotDot(name)) {
                throw new ErrnoException(Errno.EISDIR, "unlink of '" + name + "'");
            }
            Directory.Entry e = d.dir.get(name);
            if (e == null) {
                throw new ErrnoException(Errno.ENOENT, "no '" + name + "' in directory " + dir);
            }
            Inode i = fs.inode(e.ino());
            InodeFlags.checkDelete(d, i);
            if (i.isDir()) {
                throw new ErrnoException(Errno.EISDIR, "'" + name + "' is a directory");
            }
            d.dir.remove(name);
            touch(d);
            dropLink(i);
        } finally {
            ns.writeLock().unlock();
        }
    }

    void rmdir(long dir, String name) {
        ns.writeLock().lock();
        try {
            Inode d = dirInode(dir);
            checkName(name);
            if (".".equals(name)) {
                throw new ErrnoException(Errno.EINVAL, "rmdir of '.'");
            }
            if ("..".equals(name)) {
                throw new ErrnoException(Errno.ENOTEMPTY, "rmdir of '..'");
            }
            Directory.Entry e = d.dir.get(name);
            if (e == null) {
                throw new ErrnoException(Errno.ENOENT, "no '" + name + "' in directory " + dir);
            }
            Inode i = fs.inode(e.ino());
            InodeFlags.checkDelete(d, i);
            if (!i.isDir()) {
                throw new ErrnoException(Errno.ENOTDIR, "'" + name + "' is not a directory");
            }
            if (!i.dir.isEmpty()) {
                throw new ErrnoException(Errno.ENOTEMPTY, "directory '" + name + "' has " + i.dir.size() + " entries");
            }
            d.dir.remove(name);
            d.nlink--;
            touch(d);
            removeDir(i);
        } finally {
            ns.writeLock().unlock();
        }
    }

    private void dropLink(Inode i) {
        i.lock.lock();
        try {
            fs.dirty.mark(i);
            i.nlink--;
            i.ctimeNs = ExtentFs.now();
            fs.evictIfUnusedLocked(i);
        } finally {
            i.lock.unlock();
        }
    }

    private void removeDir(Inode i) {
        i.lock.lock();
        try {
            fs.dirty.mark(i);
            i.nlink = 0;
            i.ctimeNs = ExtentFs.now();
            fs.evictIfUnusedLocked(i);
        } finally {
            i.lock.unlock();
        }
    }

    /** Whether directory {@code a} is {@code b} or one of its ancestors. */
    private boolean isAncestor(Inode a, Inode b) {
        long ino = b.ino;
        for (int depth = 0; depth < 1_000_000; depth++) {
            if (ino == a.ino) {
                return true;
            }
            if (ino == Vfs.ROOT_INO) {
                return false;
            }
            ino = fs.inode(ino).dir.parent;
        }
        throw new IllegalStateException("directory loop above ino " + b.ino);
    }

    void rename(long oldDir, String oldName, long newDir, String newName, int flags) {
        if ((flags & ~(Vfs.RENAME_NOREPLACE | Vfs.RENAME_EXCHANGE)) != 0
                || flags == (Vfs.RENAME_NOREPLACE | Vfs.RENAME_EXCHANGE)) {
            throw new ErrnoException(Errno.EINVAL, "rename flags 0x" + Integer.toHexString(flags));
        }
        boolean exchange = (flags & Vfs.RENAME_EXCHANGE) != 0;
        ns.writeLock().lock();
        try {
            Inode od = dirInode(oldDir);
            Inode nd = dirInode(newDir);
            checkName(oldName);
            checkName(newName);
            if (dotOrDotDot(oldName) || dotOrDotDot(newName)) {
                throw new ErrnoException(Errno.EBUSY, "rename of '.' or '..'");
            }
            Directory.Entry oe = od.dir.get(oldName);
            if (oe == null) {
                throw new ErrnoException(Errno.ENOENT, "no '" + oldName + "' in directory " + oldDir);
            }
            Directory.Entry ne = nd.dir.get(newName);
            Inode src = fs.inode(oe.ino());
            if (exchange && ne == null) {
                throw new ErrnoException(Errno.ENOENT, "no '" + newName + "' in directory " + newDir);
            }
            if ((flags & Vfs.RENAME_NOREPLACE) != 0 && ne != null) {
                throw new ErrnoException(Errno.EEXIST, "'" + newName + "' exists in directory " + newDir);
            }
            Inode dst = ne == null ? null : fs.inode(ne.ino());
            if (src.isDir() && od != nd && isAncestor(src, nd)) {
                throw new ErrnoException(Errno.EINVAL, "cannot move directory " + src.ino + " into itself");
            }
            if (exchange && dst.isDir() && od != nd && isAncestor(dst, od)) {
                throw new ErrnoException(Errno.EINVAL, "cannot move directory " + dst.ino + " into itself");
            }
            if (dst == src) {
                return;
            }
            // vfs_rename: may_delete of the source, then may_delete of the target or may_create.
            InodeFlags.checkDelete(od, src);
            if (dst != null) {
                InodeFlags.checkDelete(nd, dst);
            } else {
                InodeFlags.checkCreate(nd);
            }
            if (dst != null && !exchange) {
                if (src.isDir() && !dst.isDir()) {
                    throw new ErrnoException(Errno.ENOTDIR, "'" + newName + "' is not a directory");
                }
                if (!src.isDir() && dst.isDir()) {
                    throw new ErrnoException(Errno.EISDIR, "'" + newName + "' is a directory");
                }
                if (dst.isDir() && !dst.dir.isEmpty()) {
                    throw new ErrnoException(Errno.ENOTEMPTY, "directory '" + newName + "' is not empty");
                }
            }
            if (src.isDir() && od != nd && nd.nlink >= ExtentFs.LINK_MAX && (dst == null || !dst.isDir())) {
                throw new ErrnoException(Errno.EMLINK, "directory " + newDir + " has " + nd.nlink + " links");
            }
            // All checks passed; from here on nothing fails.
            fs.dirty.mark(od);
            fs.dirty.mark(nd);
            fs.dirty.mark(src);
            if (dst != null) {
                fs.dirty.mark(dst);
            }
            long t = ExtentFs.now();
            if (exchange) {
                od.dir.replace(oldName, dst.ino, dst.dtype());
                nd.dir.replace(newName, src.ino, src.dtype());
                if (od != nd) {
                    moveDirLink(src, od, nd);
                    moveDirLink(dst, nd, od);
                }
                dst.ctimeNs = t;
            } else {
                if (dst != null) {
                    nd.dir.replace(newName, src.ino, src.dtype());
                    if (dst.isDir()) {
                        nd.nlink--;
                        removeDir(dst);
                    } else {
                        dropLink(dst);
                    }
                } else {
                    nd.dir.add(newName, src.ino, src.dtype());
                    growDir(nd);
                }
                od.dir.remove(oldName);
                if (od != nd) {
                    moveDirLink(src, od, nd);
                }
            }
            src.ctimeNs = t;
            od.mtimeNs = t;
            od.ctimeNs = t;
            nd.mtimeNs = t;
            nd.ctimeNs = t;
        } finally {
            ns.writeLock().unlock();
        }
    }

    /** A directory moved from {@code from} to {@code to}: its ".." and both link counts follow. */
    private static void moveDirLink(Inode moved, Inode from, Inode to) {
        if (moved.isDir()) {
            moved.dir.parent = to.ino;
            from.nlink--;
            to.nlink++;
        }
    }

    /** Keeps a directory's reported size in step with its entries, as whole blocks. */
    private static void growDir(Inode d) {
        long need = MetaChain.dirBytesEstimate(d.dir.size());
        long blocks = Math.max(1, (need + BlockIo.BLOCK_SIZE - 1) / BlockIo.BLOCK_SIZE);
        d.size = Math.max(d.size, blocks * BlockIo.BLOCK_SIZE);
    }

    void readdir(long dir, long offset, Predicate<DirEntry> sink) {
        ns.readLock().lock();
        try {
            Inode d = dirInode(dir);
            if (offset < 0) {
                throw new ErrnoException(Errno.EINVAL, "readdir offset " + offset);
            }
            if (d.nlink == 0) {
                // iterate_dir() on a removed directory (IS_DEADDIR)
                throw new ErrnoException(Errno.ENOENT, "directory " + dir + " was removed");
            }
            if (offset == 0 && !sink.test(new DirEntry(".", d.ino, d.dtype(), 1))) {
                return;
            }
            if (offset <= 1 && !sink.test(new DirEntry("..", d.dir.parent, FileMode.S_IFDIR >>> 12, 2))) {
                return;
            }
            for (Directory.Entry e : d.dir.from(Math.max(offset, Directory.FIRST_COOKIE))) {
                if (!sink.test(new DirEntry(e.name(), e.ino(), e.type(), e.cookie() + 1))) {
                    return;
                }
            }
        } finally {
            ns.readLock().unlock();
        }
    }
}
