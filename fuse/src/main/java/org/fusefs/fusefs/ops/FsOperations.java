package org.fusefs.fusefs.ops;

import java.util.List;
import java.util.function.Predicate;
import org.fusefs.extent.DirEntry;
import org.fusefs.extent.InodeAttr;
import org.fusefs.extent.OpenFile;
import org.fusefs.extent.SetAttr;
import org.fusefs.extent.StatFs;
import org.fusefs.extent.Vfs;
import org.fusefs.pagecache.SpliceRead;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;

/**
 * The path layer between FUSE's high-level (path-based) calls and the inode-based {@link Vfs}: a
 * path is resolved once per call, opens put a {@link FileHandle} into the {@link HandleTable}, and
 * calls that carry a handle never look at the path again.
 *
 * <p>Java types only; the jnr adapter converts. Errors are {@link ErrnoException}s decided by the
 * {@code Vfs} (or EBADF for a bad handle); nothing here maps exceptions. Thread-safe: the state is
 * the handle table and the Vfs, both thread-safe.
 */
public final class FsOperations {
    private final Vfs vfs;
    private final HandleTable handles = new HandleTable();
    private final MountProbe probe;

    public FsOperations(Vfs vfs, MountProbe probe) {
        this.vfs = vfs;
        this.probe = probe;
    }

    public Vfs vfs() {
        return vfs;
    }

    public HandleTable handles() {
        return handles;
    }

    // ---- path resolution

    /** Resolves an absolute path to its inode's attributes; symlinks are not followed (lstat). */
    public InodeAttr resolve(String path) {
        int len = path.length();
        if (len == 0 || path.charAt(0) != '/') {
            throw new ErrnoException(Errno.EINVAL, "not an absolute path: " + path);
        }
        InodeAttr at = null;
        long dir = Vfs.ROOT_INO;
        int start = 1;
        while (start < len) {
            int end = path.indexOf('/', start);
            if (end < 0) {
                end = len;
            }
            if (end > start) {
                at = vfs.lookup(dir, path.substring(start, end));
                dir = at.ino();
            }
            start = end + 1;
        }
        return at != null ? at : vfs.getattr(Vfs.ROOT_INO);
    }

    long resolveIno(String path) {
        return "/".equals(path) ? Vfs.ROOT_INO : resolve(path).ino();
    }

    /** The directory and last name of a path that names something inside a directory. */
    private record Parent(long dir, String name) {
    }

    private Parent parent(String path) {
        int slash = path.lastIndexOf('/');
        if (slash < 0 || slash == path.length() - 1) {
            throw new ErrnoException(Errno.EINVAL, "no last component in " + path);
        }
        String name = path.substring(slash + 1);
        long dir = slash == 0 ? Vfs.ROOT_INO : resolve(path.substring(0, slash)).ino();
        return new Parent(dir, name);
    }

    // ---- attributes

    public InodeAttr getattr(String path) {
        if (probe.matches(path)) {
            probe.observed();
            throw new ErrnoException(Errno.ENOENT, "mount probe " + path);
        }
        return resolve(path);
    }

    public InodeAttr fgetattr(long fh) {
        return vfs.getattr(handles.get(fh).ino());
    }

    public String readlink(String path) {
        return vfs.readlink(resolveIno(path));
    }

    public void chmod(String path, int mode) {
        vfs.setattr(resolveIno(path), SetAttr.mode(mode & 07777), null);
    }

    /** {@code -1} (as an unsigned 32-bit id) leaves an id unchanged, as chown(2) does. */
    public void chown(String path, long uid, long gid) {
        Integer u = (int) uid == -1 ? null : (int) uid;
        Integer g = (int) gid == -1 ? null : (int) gid;
        vfs.setattr(resolveIno(path), SetAttr.owner(u, g), null);
    }

    public void truncate(String path, long size) {
        vfs.setattr(resolveIno(path), SetAttr.size(size), null);
    }

    public void ftruncate(long fh, long size) {
        FileHandle h = handles.get(fh);
        vfs.setattr(h.ino(), SetAttr.size(size), h.file());
    }

    /** Times in ns since the epoch, {@link SetAttr#NOW}, or null to leave one unchanged. */
    public void utimens(String path, Long atimeNs, Long mtimeNs) {
        vfs.setattr(resolveIno(path), SetAttr.times(atimeNs, mtimeNs), null);
    }

    // ---- namespace

    public void mknod(String path, int mode, long rdev, int uid, int gid) {
        Parent p = parent(path);
        vfs.mknod(p.dir, p.name, mode, rdev, uid, gid);
    }

    public void mkdir(String path, int mode, int uid, int gid) {
        Parent p = parent(path);
        vfs.mkdir(p.dir, p.name, mode, uid, gid);
    }

    public void symlink(String target, String linkPath, int uid, int gid) {
        Parent p = parent(linkPath);
        vfs.symlink(p.dir, p.name, target, uid, gid);
    }

    public void link(String existing, String newPath) {
        long ino = resolveIno(existing);
        Parent p = parent(newPath);
        vfs.link(ino, p.dir, p.name);
    }

    public void unlink(String path) {
        Parent p = parent(path);
        vfs.unlink(p.dir, p.name);
    }

    public void rmdir(String path) {
        Parent p = parent(path);
        vfs.rmdir(p.dir, p.name);
    }

    public void rename(String from, String to, int flags) {
        Parent a = parent(from);
        Parent b = parent(to);
        vfs.rename(a.dir, a.name, b.dir, b.name, flags);
    }

    // ---- files

    /**
     * O_DIRECT opens are served from the filesystem's page cache (the kernel still bypasses its
     * own): a direct request per 4 KiB through the block layer costs a device round trip for every
     * read, and the filesystem's direct I/O path is a later issue. Returns the flags given to the Vfs.
     */
    static int daemonFlags(int flags) {
        return flags & ~org.fusefs.uapi.OpenFlags.O_DIRECT;
    }

    public FileHandle open(String path, int flags) {
        long ino = resolveIno(path);
        OpenFile f = vfs.open(ino, daemonFlags(flags));
        return install(ino, f);
    }

    public FileHandle create(String path, int mode, int flags, int uid, int gid) {
        Parent p = parent(path);
        OpenFile f = vfs.create(p.dir, p.name, mode, daemonFlags(flags), uid, gid);
        return install(f.ino(), f);
    }

    private FileHandle install(long ino, OpenFile f) {
        try {
            return handles.install(fh -> new FileHandle(fh, ino, f));
        } catch (RuntimeException | Error e) {
            vfs.release(f);
            throw e;
        }
    }

    /** Reads into native memory at {@code address}; the hot path: no allocation. */
    public int read(long fh, long pos, long address, int len) {
        return vfs.read(handles.get(fh).file(), pos, address, len);
    }

    /** Reads by lending cache pages to {@code actor}; -1 when the read must copy ({@link Vfs#spliceRead}). */
    public int spliceRead(long fh, long pos, int len, SpliceRead segments, SpliceRead.Actor actor) {
        return vfs.spliceRead(handles.get(fh).file(), pos, len, segments, actor);
    }

    /** Writes from native memory at {@code address}; the hot path: no allocation. */
    public int write(long fh, long pos, long address, int len) {
        return vfs.write(handles.get(fh).file(), pos, address, len);
    }

    public void flush(long fh) {
        vfs.flush(handles.get(fh).file());
    }

    public void fsync(long fh, boolean datasync) {
        vfs.fsync(handles.get(fh).file(), datasync);
    }

    /** Ends the open file description; the handle is gone even when the filesystem fails. */
    public void release(long fh) {
        FileHandle h = handles.remove(fh);
        vfs.release(h.file());
    }

    public void fallocate(long fh, int mode, long offset, long length) {
        vfs.fallocate(handles.get(fh).file(), mode, offset, length);
    }

    // ---- directories

    public FileHandle opendir(String path) {
        InodeAttr at = resolve(path);
        if (!org.fusefs.uapi.FileMode.isDir(at.mode())) {
            throw new ErrnoException(Errno.ENOTDIR, path);
        }
        return handles.install(fh -> new FileHandle(fh, at.ino(), null));
    }

    /** Lists from cookie {@code offset}; {@code fh} 0 means "resolve the path". */
    public void readdir(String path, long fh, long offset, Predicate<DirEntry> sink) {
        long ino = fh != 0 ? handles.get(fh).ino() : resolveIno(path);
        vfs.readdir(ino, offset, sink);
    }

    public void releasedir(long fh) {
        handles.remove(fh);
    }

    public void fsyncdir(String path, long fh, boolean datasync) {
        long ino = fh != 0 ? handles.get(fh).ino() : resolveIno(path);
        vfs.fsyncdir(ino, datasync);
    }

    public StatFs statfs() {
        return vfs.statfs();
    }

    // ---- extended attributes

    public byte[] getxattr(String path, String name) {
        return vfs.getxattr(resolveIno(path), name);
    }

    public List<String> listxattr(String path) {
        return vfs.listxattr(resolveIno(path));
    }

    public void setxattr(String path, String name, byte[] value, int flags) {
        vfs.setxattr(resolveIno(path), name, value, flags);
    }

    public void removexattr(String path, String name) {
        vfs.removexattr(resolveIno(path), name);
    }

    /** The inode an ioctl addresses: the handle's when there is one, else the path's. */
    public long ioctlTarget(String path, long fh) {
        return fh != 0 ? handles.get(fh).ino() : resolveIno(path);
    }
}
