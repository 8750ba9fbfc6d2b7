package org.fusefs.fusefs.lowlevel;

import static org.fusefs.fusefs.lowlevel.NativeLayout.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import com.kenai.jffi.MemoryIO;
import org.fusefs.extent.DirEntry;
import org.fusefs.extent.InodeAttr;
import org.fusefs.extent.OpenFile;
import org.fusefs.extent.SetAttr;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.ops.FileHandle;
import org.fusefs.fusefs.ops.FileOperations;
import org.fusefs.fusefs.ops.FusefsIoctl;
import org.fusefs.fusefs.ops.IoctlHandler;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;

/**
 * The low-level operations: libfuse hands us the kernel's nodeids, which are our inode numbers
 * (the root is {@link Vfs#ROOT_INO} == FUSE_ROOT_ID == 1), so every hard link of a file is one
 * kernel inode with one page cache and one st_ino, and invalidation names the inode directly.
 *
 * <p>Every operation replies exactly once: the filesystem call and the reply sit in one
 * {@code try}, and any exception becomes {@code fuse_reply_err}: an {@link ErrnoException} is the
 * errno the filesystem decided, anything else a bug answered with EIO and logged. Open files are
 * {@link FileHandle}s of the {@link FileOperations}, shared with the ioctl handler.
 *
 * <p>Thread-safe: state is the Vfs, the handle table and the lookup counts (all thread-safe) and
 * per-thread {@link Scratch} memory.
 */
final class LowLevelFs {
    private static final System.Logger LOG = System.getLogger(LowLevelFs.class.getName());
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final long NS = 1_000_000_000L;
    /**
     * How long the kernel may trust a name, a missing name or an inode's attributes: a day, in
     * effect until it drops them itself. Every change of a name or an attribute passes through
     * this mount's kernel, which updates or invalidates its copy on the spot (create, link,
     * unlink, rename, setattr, write, fallocate), and the daemon's own changes (collapse, insert,
     * memory failure) invalidate the inode with a notification; one kernel inode per file keeps
     * the names of a hard-linked file coherent. A short timeout only adds round trips: once it
     * lapses, every path walk costs a LOOKUP or a GETATTR per component (libfuse's default of 1 s
     * made the stat pass over 10,000 fresh files one LOOKUP per file).
     */
    static final long CACHE_SECONDS = 86_400;
    static final double ATTR_TIMEOUT = CACHE_SECONDS;
    static final double ENTRY_TIMEOUT = CACHE_SECONDS;
    /**
     * Open flags of a regular file. KEEP_CACHE: the kernel's cached pages stay valid across opens
     * (nothing changes a file's data behind the kernel without invalidating them), so a second
     * reader of a file does not fetch it again. NOFLUSH: close(2) sends no FLUSH, which would only
     * reach {@link Vfs#flush}, a no-op here as on Linux's local filesystems (close reports no
     * write-back errors; POSIX locks are the kernel's own); it saves a round trip on every close.
     */
    static final int FILE_OPEN_FLAGS = FOPEN_KEEP_CACHE | FOPEN_NOFLUSH;
    /**
     * Open flags of a directory: the kernel keeps the listings READDIR returned (CACHE_DIR) and
     * does not drop them at the next opendir (KEEP_CACHE), so listing an unchanged directory again
     * costs no READDIR. It drops them itself when the directory changes through it.
     */
    static final int DIR_OPEN_FLAGS = FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final LongAdder BUGS = new LongAdder();

    private final LibFuseLowLevel lib;
    private final FileOperations ops;
    private final Vfs vfs;
    private final IoctlHandler ioctls;
    private final LowLevelInval notifier;
    private final MountProbe probe;
    private final LookupCounts lookups = new LookupCounts();
    /** Per worker thread: the reply of a read from lent pages (binds this adapter's libfuse). */
    private final ThreadLocal<IovReply> iovReplies;

    LowLevelFs(LibFuseLowLevel lib, FileOperations ops, IoctlHandler ioctls, LowLevelInval notifier, MountProbe probe) {
        this.lib = lib;
        this.ops = ops;
        this.vfs = ops.vfs();
        this.ioctls = ioctls;
        this.notifier = notifier;
        this.probe = probe;
        this.iovReplies = ThreadLocal.withInitial(() -> new IovReply(lib));
    }

    static Scratch scratch() {
        return SCRATCH.get();
    }

    LookupCounts lookups() {
        return lookups;
    }

    /** Unexpected exceptions answered with EIO since start. */
    static long bugs() {
        return BUGS.sum();
    }

    // ---- helpers

    /**
     * The one {@code try} of every operation whose success is a bare 0: runs {@code call}, then
     * replies 0, or the errno (EIO for a bug) when it throws.
     */
    private void replyOk(long req, String op, long ino, Runnable call) {
        try {
            call.run();
            lib.fuse_reply_err(req, 0);
        } catch (Throwable t) {
            fail(req, op, ino, t);
        }
    }

    private void fail(long req, String op, long ino, Throwable t) {
        lib.fuse_reply_err(req, errno(op, ino, t));
    }

    static int errno(String op, long ino, Throwable t) {
        if (t instanceof ErrnoException e) {
            return e.errno().code();
        }
        BUGS.increment();
        LOG.log(System.Logger.Level.ERROR, "fusefs: " + op + "(ino " + ino + ") failed; answering EIO", t);
        return Errno.EIO.code();
    }

    static String string(long cstr) {
        int len = (int) IO.getStringLength(cstr);
        byte[] b = new byte[len];
        IO.getByteArray(cstr, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static long fh(long fi) {
        return fi == 0 ? 0 : IO.getLong(fi + FI_FH);
    }

    private void replyEntry(long req, InodeAttr a) {
        Scratch s = scratch();
        writeEntry(a, s.entry, ATTR_TIMEOUT, ENTRY_TIMEOUT);
        lookups.add(a.ino());
        lib.fuse_reply_entry(req, s.entry);
    }

    private int ctxUid(long req) {
        return IO.getInt(lib.fuse_req_ctx(req) + CTX_UID);
    }

    private int ctxGid(long req) {
        return IO.getInt(lib.fuse_req_ctx(req) + CTX_GID);
    }

    // ---- lifecycle

    void init(long userdata, long conn) {
        if (conn != 0) {
            int capable = IO.getInt(conn + CONN_CAPABLE);
            int want = IO.getInt(conn + CONN_WANT) | (capable & (FUSE_CAP_IOCTL_DIR | FUSE_CAP_BIG_WRITES));
            IO.putInt(conn + CONN_WANT, want);
        }
    }

    void destroy(long userdata) {
        // The mount's owner closes the filesystem after the session is gone.
    }

    // ---- names

    void lookup(long req, long parent, long namePtr) {
        try {
            String name = string(namePtr);
            probe.lookup(parent, name);
            replyEntry(req, vfs.lookup(parent, name));
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT && !(parent == Vfs.ROOT_INO && probe.name().equals(string(namePtr)))) {
                replyNegativeEntry(req);
            } else {
                fail(req, "lookup", parent, e);
            }
        } catch (Throwable t) {
            fail(req, "lookup", parent, t);
        }
    }

    /**
     * ENOENT as a negative dentry the kernel may keep for the entry timeout (node id 0): every
     * name enters and leaves the namespace through this mount's kernel, which drops the negative
     * dentry itself on create, mknod, mkdir, symlink, link and rename, so the cache cannot go
     * stale, and the next lookup of a missing name (shells searching PATH, compilers searching
     * include directories, a create's preceding lookup) is answered without a round trip. The
     * mount probe's name is left out: its lookups must reach the daemon.
     */
    private void replyNegativeEntry(long req) {
        Scratch s = scratch();
        IO.setMemory(s.entry, ENTRY_SIZE, (byte) 0);
        IO.putDouble(s.entry + ENTRY_ENTRY_TIMEOUT, ENTRY_TIMEOUT);
        lib.fuse_reply_entry(req, s.entry);
    }

    void forget(long req, long ino, long nlookup) {
        lookups.forget(ino, nlookup);
        lib.fuse_reply_none(req);
    }

    void forgetMulti(long req, long count, long forgets) {
        for (long i = 0; i < count; i++) {
            long at = forgets + i * FORGET_DATA_SIZE;
            lookups.forget(IO.getLong(at), IO.getLong(at + 8));
        }
        lib.fuse_reply_none(req);
    }

    void mknod(long req, long parent, long name, int mode, long rdev) {
        try {
            replyEntry(req, vfs.mknod(parent, string(name), mode, rdev, ctxUid(req), ctxGid(req)));
        } catch (Throwable t) {
            fail(req, "mknod", parent, t);
        }
    }

    void mkdir(long req, long parent, long name, int mode) {
        try {
            replyEntry(req, vfs.mkdir(parent, string(name), mode, ctxUid(req), ctxGid(req)));
        } catch (Throwable t) {
            fail(req, "mkdir", parent, t);
        }
    }

    void symlink(long req, long target, long parent, long name) {
        try {
            replyEntry(req, vfs.symlink(parent, string(name), string(target), ctxUid(req), ctxGid(req)));
        } catch (Throwable t) {
            fail(req, "symlink", parent, t);
        }
    }

    void link(long req, long ino, long newParent, long newName) {
        try {
            replyEntry(req, vfs.link(ino, newParent, string(newName)));
        } catch (Throwable t) {
            fail(req, "link", ino, t);
        }
    }

    void unlink(long req, long parent, long name) {
        replyOk(req, "unlink", parent, () -> vfs.unlink(parent, string(name)));
    }

    void rmdir(long req, long parent, long name) {
        replyOk(req, "rmdir", parent, () -> vfs.rmdir(parent, string(name)));
    }

    void rename(long req, long parent, long name, long newParent, long newName) {
        replyOk(req, "rename", parent, () -> vfs.rename(parent, string(name), newParent, string(newName), 0));
    }

    void readlink(long req, long ino) {
        try {
            byte[] target = vfs.readlink(ino).getBytes(StandardCharsets.UTF_8);
            lib.fuse_reply_readlink(req, scratch().cString(target));
        } catch (Throwable t) {
            fail(req, "readlink", ino, t);
        }
    }

    // ---- attributes

    void getattr(long req, long ino, long fi) {
        try {
            Scratch s = scratch();
            writeStat(vfs.getattr(ino), s.stat);
            lib.fuse_reply_attr(req, s.stat, ATTR_TIMEOUT);
        } catch (Throwable t) {
            fail(req, "getattr", ino, t);
        }
    }

    /**
     * One SETATTR carries any mix of mode, owner, size and times; absent bits leave a field
     * unchanged (UTIME_OMIT), the *_NOW bits are UTIME_NOW.
     */
    void setattr(long req, long ino, long attr, int toSet, long fi) {
        try {
            Integer mode = (toSet & SET_ATTR_MODE) != 0 ? IO.getInt(attr + ST_MODE) & 07777 : null;
            Integer uid = (toSet & SET_ATTR_UID) != 0 ? IO.getInt(attr + ST_UID) : null;
            Integer gid = (toSet & SET_ATTR_GID) != 0 ? IO.getInt(attr + ST_GID) : null;
            Long size = (toSet & SET_ATTR_SIZE) != 0 ? IO.getLong(attr + ST_SIZE) : null;
            Long atime = time(toSet, SET_ATTR_ATIME, SET_ATTR_ATIME_NOW, attr + ST_ATIME);
            Long mtime = time(toSet, SET_ATTR_MTIME, SET_ATTR_MTIME_NOW, attr + ST_MTIME);
            long fh = fh(fi);
            OpenFile file = fh != 0 ? ops.get(fh).file() : null;
            InodeAttr a = vfs.setattr(ino, new SetAttr(mode, uid, gid, size, atime, mtime), file);
            Scratch s = scratch();
            writeStat(a, s.stat);
            lib.fuse_reply_attr(req, s.stat, ATTR_TIMEOUT);
        } catch (Throwable t) {
            fail(req, "setattr", ino, t);
        }
    }

    private static Long time(int toSet, int bit, int nowBit, long timespec) {
        if ((toSet & nowBit) != 0) {
            return SetAttr.NOW;
        }
        if ((toSet & bit) != 0) {
            return IO.getLong(timespec) * NS + IO.getLong(timespec + 8);
        }
        return null;
    }

    void statfs(long req, long ino) {
        try {
            Scratch s = scratch();
            writeStatvfs(vfs.statfs(), s.statvfs);
            lib.fuse_reply_statfs(req, s.statvfs);
        } catch (Throwable t) {
            fail(req, "statfs", ino, t);
        }
    }

    // ---- files

    void open(long req, long ino, long fi) {
        try {
            FileHandle h = ops.open(ino, IO.getInt(fi + FI_FLAGS));
            Scratch s = scratch();
            writeOpenOut(s.entry, h.fh(), FILE_OPEN_FLAGS);
            if (lib.fuse_reply_buf(req, s.entry, OPEN_OUT_SIZE) == -Errno.ENOENT.code()) {
                ops.release(h.fh()); // the opener was interrupted: nobody will release it
            }
        } catch (Throwable t) {
            fail(req, "open", ino, t);
        }
    }

    void create(long req, long parent, long name, int mode, long fi) {
        try {
            FileHandle h = ops.create(parent, string(name), mode, IO.getInt(fi + FI_FLAGS), ctxUid(req), ctxGid(req));
            InodeAttr a;
            try {
                a = vfs.getattr(h.ino());
            } catch (RuntimeException e) {
                ops.release(h.fh());
                throw e;
            }
            Scratch s = scratch();
            writeEntryOut(a, s.entry, CACHE_SECONDS, CACHE_SECONDS);
            writeOpenOut(s.entry + ENTRY_OUT_SIZE, h.fh(), FILE_OPEN_FLAGS);
            lookups.add(a.ino());
            if (lib.fuse_reply_buf(req, s.entry, ENTRY_OUT_SIZE + OPEN_OUT_SIZE) == -Errno.ENOENT.code()) {
                // The creator was interrupted: the kernel holds neither the entry nor the file.
                lookups.forget(a.ino(), 1);
                ops.release(h.fh());
            }
        } catch (Throwable t) {
            fail(req, "create", parent, t);
        }
    }

    /**
     * The hot path: the filesystem lends its locked cache pages and the reply is written from
     * them ({@link IovReply}); reads that bypass the page cache (O_DIRECT) copy into this
     * thread's reply buffer instead.
     */
    void read(long req, long ino, long size, long off, long fi) {
        IovReply reply = iovReplies.get().begin(req);
        try {
            Scratch s = scratch();
            long fh = fh(fi);
            if (ops.spliceRead(fh, off, (int) size, s.splice, reply) < 0) {
                long buf = s.data(size);
                int n = ops.read(fh, off, buf, (int) size);
                lib.fuse_reply_buf(req, buf, n);
            }
        } catch (Throwable t) {
            if (reply.replied()) {
                // Answered already; a second answer would free the request twice in libfuse.
                errno("read", ino, t);
            } else {
                fail(req, "read", ino, t);
            }
        }
    }

    /** The hot path: the filesystem copies straight out of the request buffer. */
    void write(long req, long ino, long buf, long size, long off, long fi) {
        try {
            int n = ops.write(fh(fi), off, buf, (int) size);
            lib.fuse_reply_write(req, n);
        } catch (Throwable t) {
            fail(req, "write", ino, t);
        }
    }

    void flush(long req, long ino, long fi) {
        replyOk(req, "flush", ino, () -> ops.flush(fh(fi)));
    }

    void release(long req, long ino, long fi) {
        replyOk(req, "release", ino, () -> ops.release(fh(fi)));
    }

    void fsync(long req, long ino, int datasync, long fi) {
        replyOk(req, "fsync", ino, () -> ops.fsync(fh(fi), datasync != 0));
    }

    void fallocate(long req, long ino, int mode, long off, long len, long fi) {
        try {
            // The kernel drops its own cached pages for the modes it forwards (punch, zero).
            ops.fallocate(fh(fi), mode, off, len);
            lib.fuse_reply_err(req, 0);
        } catch (Throwable t) {
            int e = errno("fallocate", ino, t);
            // ENOSYS would disable fallocate for the whole mount (fuse-kernel.md §1.1).
            lib.fuse_reply_err(req, e == Errno.ENOSYS.code() ? Errno.EOPNOTSUPP.code() : e);
        }
    }

    /**
     * The fusefs ioctls. The kernel copied {@code _IOC_SIZE(cmd)} bytes in for {@code _IOC_WRITE}
     * commands and takes as many back for {@code _IOC_READ}; invalidations the command raises are
     * delivered after the filesystem call returned, with no filesystem lock held (§8.3).
     */
    void ioctl(long req, long ino, int cmd, long arg, long fi, int flags, long inBuf, long inSize, long outSize) {
        LowLevelInval.collect();
        Scratch s = scratch();
        int size = FusefsIoctl.size(cmd);
        try {
            ByteBuffer data = null;
            if (size > 0 && size <= Scratch.IOCTL_CAPACITY) {
                IO.setMemory(s.ioctlAddress, size, (byte) 0);
                if (inBuf != 0 && inSize > 0) {
                    IO.copyMemory(inBuf, s.ioctlAddress, Math.min(inSize, size));
                }
                data = s.ioctl.clear();
            }
            int rc = ioctls.ioctl(ino, fh(fi), cmd, data, ctxUid(req));
            deliverCollected();
            lib.fuse_reply_ioctl(req, rc, outSize > 0 ? s.ioctlAddress : 0, Math.min(outSize, size));
        } catch (Throwable t) {
            deliverCollected();
            fail(req, "ioctl", ino, t);
        }
    }

    private void deliverCollected() {
        try {
            notifier.deliverCollected();
        } catch (Throwable t) {
            errno("ioctl-invalidate", 0, t);
        }
    }

    // ---- directories

    void opendir(long req, long ino, long fi) {
        try {
            FileHandle h = ops.opendir(ino);
            Scratch s = scratch();
            writeOpenOut(s.entry, h.fh(), DIR_OPEN_FLAGS);
            if (lib.fuse_reply_buf(req, s.entry, OPEN_OUT_SIZE) == -Errno.ENOENT.code()) {
                ops.releasedir(h.fh());
            }
        } catch (Throwable t) {
            fail(req, "opendir", ino, t);
        }
    }

    /**
     * Fills one READDIR reply of at most {@code size} bytes with {@code struct fuse_dirent}s
     * (what {@code fuse_add_direntry} writes: ino, next offset, name length, d_type, the name,
     * zero padding to 8 bytes). Written here directly: no native call per entry.
     */
    private static final class DirFill implements Predicate<DirEntry> {
        long buf;
        long size;
        long used;

        @Override
        public boolean test(DirEntry e) {
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            long len = DIRENT_NAME + name.length;
            long padded = (len + 7) & ~7L;
            if (padded > size - used) {
                return false;
            }
            long at = buf + used;
            IO.putLong(at + DIRENT_INO, e.ino());
            IO.putLong(at + DIRENT_OFF, e.nextOffset());
            IO.putInt(at + DIRENT_NAMELEN, name.length);
            IO.putInt(at + DIRENT_TYPE, e.type());
            IO.putByteArray(at + DIRENT_NAME, name, 0, name.length);
            IO.setMemory(at + len, padded - len, (byte) 0);
            used += padded;
            return true;
        }
    }

    private static final ThreadLocal<DirFill> FILL = ThreadLocal.withInitial(DirFill::new);

    void readdir(long req, long ino, long size, long off, long fi) {
        try {
            DirFill f = FILL.get();
            f.buf = scratch().data(size);
            f.size = size;
            f.used = 0;
            vfs.readdir(ino, off, f);
            lib.fuse_reply_buf(req, f.buf, f.used);
        } catch (Throwable t) {
            fail(req, "readdir", ino, t);
        }
    }

    void releasedir(long req, long ino, long fi) {
        replyOk(req, "releasedir", ino, () -> ops.releasedir(fh(fi)));
    }

    void fsyncdir(long req, long ino, int datasync, long fi) {
        replyOk(req, "fsyncdir", ino, () -> vfs.fsyncdir(ino, datasync != 0));
    }

    // ---- extended attributes

    void setxattr(long req, long ino, long name, long value, long size, int flags) {
        try {
            byte[] v = new byte[(int) size];
            if (size > 0) {
                IO.getByteArray(value, v, 0, v.length);
            }
            vfs.setxattr(ino, string(name), v, flags);
            lib.fuse_reply_err(req, 0);
        } catch (Throwable t) {
            fail(req, "setxattr", ino, t);
        }
    }

    void getxattr(long req, long ino, long name, long size) {
        try {
            replyBytes(req, vfs.getxattr(ino, string(name)), size);
        } catch (Throwable t) {
            fail(req, "getxattr", ino, t);
        }
    }

    void listxattr(long req, long ino, long size) {
        try {
            List<String> names = vfs.listxattr(ino);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (String n : names) {
                out.writeBytes(n.getBytes(StandardCharsets.UTF_8));
                out.write(0);
            }
            replyBytes(req, out.toByteArray(), size);
        } catch (Throwable t) {
            fail(req, "listxattr", ino, t);
        }
    }

    /** getxattr/listxattr protocol: size 0 asks for the length, a short buffer is ERANGE. */
    private void replyBytes(long req, byte[] v, long size) {
        if (size == 0) {
            lib.fuse_reply_xattr(req, v.length);
        } else if (v.length > size) {
            lib.fuse_reply_err(req, Errno.ERANGE.code());
        } else {
            long buf = scratch().data(Math.max(1, v.length));
            IO.putByteArray(buf, v, 0, v.length);
            lib.fuse_reply_buf(req, buf, v.length);
        }
    }

    void removexattr(long req, long ino, long name) {
        replyOk(req, "removexattr", ino, () -> vfs.removexattr(ino, string(name)));
    }
}
