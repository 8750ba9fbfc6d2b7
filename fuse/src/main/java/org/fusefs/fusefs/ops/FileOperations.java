package org.fusefs.fusefs.ops;

import org.fusefs.extent.OpenFile;
import org.fusefs.extent.Vfs;
import org.fusefs.pagecache.SpliceRead;
import org.fusefs.uapi.OpenFlags;

/**
 * The operations on the open files of a mount, each naming its file by the handle stored in
 * {@code fuse_file_info.fh}: the daemon's side of the kernel's {@code struct file_operations}.
 * {@link #open}, {@link #create} and {@link #opendir} install a {@link FileHandle} in the
 * {@link HandleTable}; the other calls find it there in O(1) and never look a name up again;
 * {@link #release} and {@link #releasedir} end it.
 *
 * <p>Errors are the {@link Vfs}'s {@link org.fusefs.uapi.ErrnoException}s, or EBADF for a handle
 * that is not live; nothing here maps exceptions. Thread-safe: the state is the handle table and
 * the Vfs, both thread-safe; no lock is held while the Vfs runs.
 */
public final class FileOperations {
    private final Vfs vfs;
    private final HandleTable handles = new HandleTable();

    public FileOperations(Vfs vfs) {
        this.vfs = vfs;
    }

    public Vfs vfs() {
        return vfs;
    }

    /** The live handle {@code fh}; EBADF when it was never issued or is released. */
    public FileHandle get(long fh) {
        return handles.get(fh);
    }

    /** Open files and directories. */
    public int openCount() {
        return handles.size();
    }

    /**
     * The open flags the filesystem gets. O_DIRECT opens are served from the filesystem's page
     * cache (the kernel still bypasses its own): a direct request per 4 KiB through the block layer
     * would cost a device round trip for every read.
     */
    static int daemonFlags(int flags) {
        return flags & ~OpenFlags.O_DIRECT;
    }

    /** Opens inode {@code ino} with open(2) {@code flags}. */
    public FileHandle open(long ino, int flags) {
        return install(ino, vfs.open(ino, daemonFlags(flags)));
    }

    /** Creates {@code name} in {@code dir} and opens it (O_CREAT). */
    public FileHandle create(long dir, String name, int mode, int flags, int uid, int gid) {
        OpenFile f = vfs.create(dir, name, mode, daemonFlags(flags), uid, gid);
        return install(f.ino(), f);
    }

    /** Opens directory {@code ino}; the kernel sends OPENDIR only for directories. */
    public FileHandle opendir(long ino) {
        return install(ino, null);
    }

    private FileHandle install(long ino, OpenFile f) {
        try {
            return handles.install(fh -> new FileHandle(fh, ino, f));
        } catch (RuntimeException | Error e) {
            if (f != null) {
                vfs.release(f);
            }
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

    public void fallocate(long fh, int mode, long offset, long length) {
        vfs.fallocate(handles.get(fh).file(), mode, offset, length);
    }

    /** Ends the open file description; the handle is gone even when the filesystem fails. */
    public void release(long fh) {
        FileHandle h = handles.remove(fh);
        vfs.release(h.file());
    }

    public void releasedir(long fh) {
        handles.remove(fh);
    }
}
