package org.fusefs.extent;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Predicate;
import org.fusefs.pagecache.SpliceRead;

/**
 * The file API of the filesystem: inode-based calls that return Linux errno by throwing
 * {@link org.fusefs.uapi.ErrnoException}. Paths are resolved by the caller with {@link #lookup}.
 *
 * <p>Every errno a program sees is decided behind this interface and nowhere else. Permission
 * checks against the caller's credentials are the kernel's ({@code default_permissions}); this
 * API checks only what the kernel leaves to the filesystem. All methods are thread-safe.
 */
public interface Vfs {
    long ROOT_INO = 1;

    int RENAME_NOREPLACE = 1;
    int RENAME_EXCHANGE = 2;
    int XATTR_CREATE = 1;
    int XATTR_REPLACE = 2;

    /** Looks up {@code name} in directory {@code dir}: ENOENT, ENOTDIR, ENAMETOOLONG. */
    InodeAttr lookup(long dir, String name);

    InodeAttr getattr(long ino);

    /** Changes attributes; a size change truncates or extends (through {@code file} when given). */
    InodeAttr setattr(long ino, SetAttr attr, OpenFile file);

    /** Creates a regular file, fifo, socket or device node ({@code mode} includes the type). */
    InodeAttr mknod(long dir, String name, int mode, long rdev, int uid, int gid);

    InodeAttr mkdir(long dir, String name, int mode, int uid, int gid);

    InodeAttr symlink(long dir, String name, String target, int uid, int gid);

    InodeAttr link(long ino, long newDir, String newName);

    void unlink(long dir, String name);

    void rmdir(long dir, String name);

    void rename(long oldDir, String oldName, long newDir, String newName, int flags);

    String readlink(long ino);

    /** Opens an existing inode; O_TRUNC truncates. */
    OpenFile open(long ino, int flags);

    /** Creates and opens a regular file; EEXIST with O_EXCL when it exists. */
    OpenFile create(long dir, String name, int mode, int flags, int uid, int gid);

    /** Reads into native memory; returns the count, 0 at or past the end of file. */
    int read(OpenFile f, long pos, long dstAddress, int len);

    int read(OpenFile f, long pos, ByteBuffer dst);

    /**
     * Reads by lending the cached pages to {@code actor}, which must send them on before it
     * returns ({@link SpliceRead}); returns the count, or -1 without calling the actor when this
     * file system or this read cannot lend pages (then use {@link #read(OpenFile, long, long, int)}).
     */
    default int spliceRead(OpenFile f, long pos, int len, SpliceRead segments, SpliceRead.Actor actor) {
        return -1;
    }

    /** Writes from native memory; with O_APPEND the write goes to the end of file. */
    int write(OpenFile f, long pos, long srcAddress, int len);

    int write(OpenFile f, long pos, ByteBuffer src);

    void flush(OpenFile f);

    /** Writes back the file's data (and metadata unless {@code datasync}); reports write-back errors once. */
    void fsync(OpenFile f, boolean datasync);

    /** Ends an open file description; frees an unlinked inode when it was the last. */
    void release(OpenFile f);

    /**
     * Lists directory {@code dir} from cookie {@code offset} (0 = start, with "." and "..");
     * {@code sink} returns false when it is full, and the listing stops there.
     */
    void readdir(long dir, long offset, Predicate<DirEntry> sink);

    void fsyncdir(long dir, boolean datasync);

    StatFs statfs();

    byte[] getxattr(long ino, String name);

    List<String> listxattr(long ino);

    void setxattr(long ino, String name, byte[] value, int flags);

    void removexattr(long ino, String name);

    /** FS_IOC_GETFLAGS: the inode's chattr flags ({@link InodeFlags}). */
    int getflags(long ino);

    /**
     * FS_IOC_SETFLAGS: replaces the inode's chattr flags; EOPNOTSUPP for a flag outside
     * {@link InodeFlags#SUPPORTED}. Whether the caller may (the owner, and CAP_LINUX_IMMUTABLE
     * for append-only and immutable) is the kernel's check, made before the request is sent.
     */
    void setflags(long ino, int flags);

    /** fallocate(2) with every mode of shared/spec/fallocate.md, including collapse and insert. */
    void fallocate(OpenFile f, int mode, long offset, long length);

    /** lseek SEEK_DATA: the next data offset at or after {@code offset}; ENXIO past the end. */
    long seekData(long ino, long offset);

    /** lseek SEEK_HOLE: the next hole at or after {@code offset} (end of file counts); ENXIO past the end. */
    long seekHole(long ino, long offset);

    /** The extent map of a file over {@code [start, start+length)}. */
    List<FiemapExtent> fiemap(long ino, long start, long length);

    /** Registers who must hear about contents changed behind the caller's cache. */
    void setInodeInvalidation(InodeInvalidation listener);

    /** Writes everything back (sync(2)). */
    void sync();
}
