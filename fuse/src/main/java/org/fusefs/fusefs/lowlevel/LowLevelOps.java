package org.fusefs.fusefs.lowlevel;

import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;

/**
 * The native {@code struct fuse_lowlevel_ops}: one jnr-ffi closure per operation we serve, every
 * argument a raw 64-bit value or an int, so a call allocates nothing on the way in. Slots left 0
 * are answered ENOSYS by libfuse (access: the kernel checks permissions itself with
 * default_permissions; locks: the kernel keeps them locally; bmap, poll, flock).
 *
 * <p>The closures live as long as this object: the mount keeps it until the session is destroyed.
 */
final class LowLevelOps {
    /** Slot indexes of {@code struct fuse_lowlevel_ops} (libfuse 2.9.9), 8 bytes each. */
    static final int INIT = 0;
    static final int DESTROY = 1;
    static final int LOOKUP = 2;
    static final int FORGET = 3;
    static final int GETATTR = 4;
    static final int SETATTR = 5;
    static final int READLINK = 6;
    static final int MKNOD = 7;
    static final int MKDIR = 8;
    static final int UNLINK = 9;
    static final int RMDIR = 10;
    static final int SYMLINK = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int FLUSH = 17;
    static final int RELEASE = 18;
    static final int FSYNC = 19;
    static final int OPENDIR = 20;
    static final int READDIR = 21;
    static final int RELEASEDIR = 22;
    static final int FSYNCDIR = 23;
    static final int STATFS = 24;
    static final int SETXATTR = 25;
    static final int GETXATTR = 26;
    static final int LISTXATTR = 27;
    static final int REMOVEXATTR = 28;
    static final int ACCESS = 29;
    static final int CREATE = 30;
    static final int GETLK = 31;
    static final int SETLK = 32;
    static final int BMAP = 33;
    static final int IOCTL = 34;
    static final int POLL = 35;
    static final int WRITE_BUF = 36;
    static final int RETRIEVE_REPLY = 37;
    static final int FORGET_MULTI = 38;
    static final int FLOCK = 39;
    static final int FALLOCATE = 40;
    static final int SLOTS = 41;
    static final int OPS_SIZE = SLOTS * 8;

    // Closure shapes, named after their argument types (L = 64-bit, I = 32-bit).

    /** {@code void f(void *)}. */
    public interface L {
        @Delegate
        void call(long a);
    }

    /** {@code void f(a, b)}: init, readlink, statfs. */
    public interface LL {
        @Delegate
        void call(long a, long b);
    }

    /** {@code void f(req, a, b)}: lookup, forget, getattr, unlink, rmdir, open, flush, release, ... */
    public interface LLL {
        @Delegate
        void call(long req, long a, long b);
    }

    /** {@code void f(req, a, b, c)}: symlink, link, getxattr. */
    public interface LLLL {
        @Delegate
        void call(long req, long a, long b, long c);
    }

    /** {@code void f(req, a, b, c, d)}: rename, read, readdir. */
    public interface LLLLL {
        @Delegate
        void call(long req, long a, long b, long c, long d);
    }

    /** {@code void f(req, ino, buf, size, off, fi)}: write. */
    public interface LLLLLL {
        @Delegate
        void call(long req, long a, long b, long c, long d, long e);
    }

    /** {@code void f(req, parent, name, mode)}: mkdir. */
    public interface LLLI {
        @Delegate
        void call(long req, long a, long b, int c);
    }

    /** {@code void f(req, a, b, int, c)}: setattr, mknod, create. */
    public interface LLLIL {
        @Delegate
        void call(long req, long a, long b, int c, long d);
    }

    /** {@code void f(req, ino, int, fi)}: fsync, fsyncdir. */
    public interface LLIL {
        @Delegate
        void call(long req, long a, int b, long c);
    }

    /** {@code void f(req, ino, name, value, size, int flags)}: setxattr. */
    public interface LLLLLI {
        @Delegate
        void call(long req, long a, long b, long c, long d, int e);
    }

    /** {@code void f(req, ino, int mode, off, len, fi)}: fallocate. */
    public interface LLILLL {
        @Delegate
        void call(long req, long a, int b, long c, long d, long e);
    }

    /** {@code void f(req, ino, int cmd, arg, fi, unsigned flags, in_buf, in_bufsz, out_bufsz)}: ioctl. */
    public interface Ioctl {
        @Delegate
        void call(long req, long ino, int cmd, long arg, long fi, int flags, long inBuf, long inSize, long outSize);
    }

    private final Runtime rt = Runtime.getSystemRuntime();
    private final Pointer struct = Memory.allocateDirect(rt, OPS_SIZE, true);
    private final List<Object> closures = new ArrayList<>(); // strong references, see class comment

    LowLevelOps(LowLevelFs fs) {
        put(INIT, LL.class, (LL) fs::init);
        put(DESTROY, L.class, (L) fs::destroy);
        put(LOOKUP, LLL.class, (LLL) fs::lookup);
        put(FORGET, LLL.class, (LLL) fs::forget);
        put(GETATTR, LLL.class, (LLL) fs::getattr);
        put(SETATTR, LLLIL.class, (LLLIL) fs::setattr);
        put(READLINK, LL.class, (LL) fs::readlink);
        put(MKNOD, LLLIL.class, (LLLIL) fs::mknod);
        put(MKDIR, LLLI.class, (LLLI) fs::mkdir);
        put(UNLINK, LLL.class, (LLL) fs::unlink);
        put(RMDIR, LLL.class, (LLL) fs::rmdir);
        put(SYMLINK, LLLL.class, (LLLL) fs::symlink);
        put(RENAME, LLLLL.class, (LLLLL) fs::rename);
        put(LINK, LLLL.class, (LLLL) fs::link);
        put(OPEN, LLL.class, (LLL) fs::open);
        put(READ, LLLLL.class, (LLLLL) fs::read);
        put(WRITE, LLLLLL.class, (LLLLLL) fs::write);
        put(FLUSH, LLL.class, (LLL) fs::flush);
        put(RELEASE, LLL.class, (LLL) fs::release);
        put(FSYNC, LLIL.class, (LLIL) fs::fsync);
        put(OPENDIR, LLL.class, (LLL) fs::opendir);
        put(READDIR, LLLLL.class, (LLLLL) fs::readdir);
        put(RELEASEDIR, LLL.class, (LLL) fs::releasedir);
        put(FSYNCDIR, LLIL.class, (LLIL) fs::fsyncdir);
        put(STATFS, LL.class, (LL) fs::statfs);
        put(SETXATTR, LLLLLI.class, (LLLLLI) fs::setxattr);
        put(GETXATTR, LLLL.class, (LLLL) fs::getxattr);
        put(LISTXATTR, LLL.class, (LLL) fs::listxattr);
        put(REMOVEXATTR, LLL.class, (LLL) fs::removexattr);
        put(CREATE, LLLIL.class, (LLLIL) fs::create);
        put(IOCTL, Ioctl.class, (Ioctl) fs::ioctl);
        put(FORGET_MULTI, LLL.class, (LLL) fs::forgetMulti);
        put(FALLOCATE, LLILLL.class, (LLILLL) fs::fallocate);
    }

    private <T> void put(int slot, Class<T> type, T closure) {
        closures.add(closure);
        Pointer p = rt.getClosureManager().getClosurePointer(type, closure);
        closures.add(p);
        struct.putAddress(slot * 8L, p.address());
    }

    /** Address of the native struct, valid while this object is reachable. */
    long address() {
        return struct.address();
    }
}
