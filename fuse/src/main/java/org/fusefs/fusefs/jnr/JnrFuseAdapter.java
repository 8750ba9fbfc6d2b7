package org.fusefs.fusefs.jnr;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import com.kenai.jffi.MemoryIO;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import org.fusefs.fusefs.ops.FileHandle;
import org.fusefs.fusefs.ops.FsOperations;
import org.fusefs.fusefs.ops.FusefsIoctl;
import org.fusefs.fusefs.ops.IoctlHandler;
import org.fusefs.extent.SetAttr;
import org.fusefs.uapi.Errno;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The only subclass of jnr-fuse's {@link FuseStubFS}: converts jnr types at the edge and delegates
 * each callback to {@link FsOperations}. Every override is one delegation inside a
 * {@code try/catch} that hands any exception to {@link ErrnoBarrier}; operations not overridden
 * stay unregistered, and libfuse answers them with ENOSYS (access, locks, bmap, poll).
 *
 * <p>Read and write, the hot path, are not jnr-fuse callbacks at all: {@link RawIo} installs
 * allocation-free closures, and the FUSE buffer's address goes straight to the filesystem, which
 * copies with memcpy.
 */
final class JnrFuseAdapter extends FuseStubFS {
    /** {@code struct fuse_operations} bit-field word (x86_64): bit 2 = flag_utime_omit_ok. */
    static final int OPS_FLAGS_OFFSET = 304;
    static final byte FLAG_UTIME_OMIT_OK = 0x04;
    /** {@code struct fuse_conn_info.want} (x86_64). */
    static final int CONN_WANT = 24;
    static final int FUSE_CAP_BIG_WRITES = 1 << 5;
    static final int FUSE_CAP_IOCTL_DIR = 1 << 11;
    static final long UTIME_NOW = (1L << 30) - 1;
    static final long UTIME_OMIT = (1L << 30) - 2;
    private static final long NS = 1_000_000_000L;

    private final FsOperations ops;
    private final IoctlHandler ioctls;
    private final InvalNotifier notifier;
    private final RawIo rawIo;

    JnrFuseAdapter(FsOperations ops, IoctlHandler ioctls, InvalNotifier notifier) {
        this.ops = ops;
        this.ioctls = ioctls;
        this.notifier = notifier;
        this.rawIo = new RawIo(ops);
        // read and write, the hot path, bypass jnr-fuse's per-call wrappers (see RawIo).
        rawIo.install(Struct.getMemory(fuseOperations));
        // jnr-fuse maps the flags word as padding; without utime_omit_ok, touch -m / -a never
        // reach the filesystem (shared/spec/jnr-fuse.md §3).
        Pointer opsMem = Struct.getMemory(fuseOperations);
        opsMem.putByte(OPS_FLAGS_OFFSET, (byte) (opsMem.getByte(OPS_FLAGS_OFFSET) | FLAG_UTIME_OMIT_OK));
    }

    /** The native {@code struct fuse_operations} to hand to {@code fuse_setup}. */
    Pointer operations() {
        return Struct.getMemory(fuseOperations);
    }

    long operationsSize() {
        return Struct.size(fuseOperations);
    }

    private FuseContext callerContext() {
        return getContext();
    }

    @Override
    public Pointer init(Pointer conn) {
        if (conn != null) {
            conn.putInt(CONN_WANT, conn.getInt(CONN_WANT) | FUSE_CAP_IOCTL_DIR | FUSE_CAP_BIG_WRITES);
        }
        return null;
    }

    @Override
    public void destroy(Pointer initResult) {
        // The mount's owner closes the filesystem after teardown.
    }

    // ---- attributes

    @Override
    public int getattr(String path, FileStat stat) {
        try {
            StatWriter.write(ops.getattr(path), stat);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("getattr", path, t);
        }
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        try {
            long fh = fi.fh.get();
            StatWriter.write(fh != 0 ? ops.fgetattr(fh) : ops.getattr(path), stat);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("fgetattr", path, t);
        }
    }

    @Override
    public int readlink(String path, Pointer buf, long size) {
        try {
            byte[] target = ops.readlink(path).getBytes(StandardCharsets.UTF_8);
            if (size <= 0) {
                return -Errno.EINVAL.code();
            }
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("readlink", path, t);
        }
    }

    @Override
    public int chmod(String path, long mode) {
        try {
            ops.chmod(path, (int) mode);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("chmod", path, t);
        }
    }

    @Override
    public int chown(String path, long uid, long gid) {
        try {
            ops.chown(path, uid, gid);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("chown", path, t);
        }
    }

    @Override
    public int truncate(String path, long size) {
        try {
            ops.truncate(path, size);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("truncate", path, t);
        }
    }

    @Override
    public int ftruncate(String path, long size, FuseFileInfo fi) {
        try {
            long fh = fi.fh.get();
            if (fh != 0) {
                ops.ftruncate(fh, size);
            } else {
                ops.truncate(path, size);
            }
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("ftruncate", path, t);
        }
    }

    @Override
    public int utimens(String path, Timespec[] ts) {
        try {
            ops.utimens(path, time(ts[0]), time(ts[1]));
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("utimens", path, t);
        }
    }

    private static Long time(Timespec t) {
        long nsec = t.tv_nsec.longValue();
        if (nsec == UTIME_OMIT) {
            return null;
        }
        if (nsec == UTIME_NOW) {
            return SetAttr.NOW;
        }
        return t.tv_sec.get() * NS + nsec;
    }

    // ---- namespace

    @Override
    public int mknod(String path, long mode, long rdev) {
        try {
            FuseContext c = callerContext();
            ops.mknod(path, (int) mode, rdev, (int) c.uid.get(), (int) c.gid.get());
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("mknod", path, t);
        }
    }

    @Override
    public int mkdir(String path, long mode) {
        try {
            FuseContext c = callerContext();
            ops.mkdir(path, (int) mode, (int) c.uid.get(), (int) c.gid.get());
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("mkdir", path, t);
        }
    }

    @Override
    public int symlink(String target, String linkPath) {
        try {
            FuseContext c = callerContext();
            ops.symlink(target, linkPath, (int) c.uid.get(), (int) c.gid.get());
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("symlink", linkPath, t);
        }
    }

    @Override
    public int link(String existing, String newPath) {
        try {
            ops.link(existing, newPath);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("link", newPath, t);
        }
    }

    @Override
    public int unlink(String path) {
        try {
            ops.unlink(path);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("unlink", path, t);
        }
    }

    @Override
    public int rmdir(String path) {
        try {
            ops.rmdir(path);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("rmdir", path, t);
        }
    }

    @Override
    public int rename(String from, String to) {
        try {
            ops.rename(from, to, 0);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("rename", from, t);
        }
    }

    // ---- files

    @Override
    public int open(String path, FuseFileInfo fi) {
        try {
            FileHandle h = ops.open(path, fi.flags.get());
            fi.fh.set(h.fh());
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("open", path, t);
        }
    }

    @Override
    public int create(String path, long mode, FuseFileInfo fi) {
        try {
            FuseContext c = callerContext();
            FileHandle h = ops.create(path, (int) mode, fi.flags.get(), (int) c.uid.get(), (int) c.gid.get());
            fi.fh.set(h.fh());
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("create", path, t);
        }
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        try {
            ops.flush(fi.fh.get());
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("flush", path, t);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        try {
            ops.release(fi.fh.get());
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("release", path, t);
        }
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        try {
            ops.fsync(fi.fh.get(), isdatasync != 0);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("fsync", path, t);
        }
    }

    @Override
    public int fallocate(String path, int mode, long off, long length, FuseFileInfo fi) {
        try {
            // The kernel drops its own cached pages for the modes it forwards (punch, zero).
            ops.fallocate(fi.fh.get(), mode, off, length);
            return 0;
        } catch (Throwable t) {
            int rc = ErrnoBarrier.reply("fallocate", path, t);
            // ENOSYS would disable fallocate for the whole mount (fuse-kernel.md §1.1).
            return rc == -Errno.ENOSYS.code() ? -Errno.EOPNOTSUPP.code() : rc;
        }
    }

    @Override
    public int ioctl(String path, int cmd, Pointer arg, FuseFileInfo fi, long flags, Pointer data) {
        InvalNotifier.collect();
        int rc;
        try {
            int size = FusefsIoctl.size(cmd);
            ByteBuffer buf = data == null || size == 0 ? null
                    : MemoryIO.getInstance().newDirectByteBuffer(data.address(), size);
            rc = ioctls.ioctl(path, fi == null ? 0 : fi.fh.get(), cmd, buf, (int) callerContext().uid.get());
        } catch (Throwable t) {
            rc = ErrnoBarrier.reply("ioctl", path, t);
        }
        try {
            // After the filesystem call returned, with no filesystem lock held (§8.3).
            notifier.deliverCollected();
        } catch (Throwable t) {
            ErrnoBarrier.reply("ioctl-invalidate", path, t);
        }
        return rc;
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        try {
            StatWriter.write(ops.statfs(), stbuf);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("statfs", path, t);
        }
    }

    // ---- directories

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        try {
            fi.fh.set(ops.opendir(path).fh());
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("opendir", path, t);
        }
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
        try {
            ops.readdir(path, fi == null ? 0 : fi.fh.get(), offset,
                    e -> filler.apply(buf, e.name(), null, e.nextOffset()) == 0);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("readdir", path, t);
        }
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        try {
            ops.releasedir(fi.fh.get());
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("releasedir", path, t);
        }
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        try {
            // jnr-fuse drops the datasync argument; a full sync is always correct.
            ops.fsyncdir(path, fi == null ? 0 : fi.fh.get(), false);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("fsyncdir", path, t);
        }
    }

    // ---- extended attributes

    @Override
    public int getxattr(String path, String name, Pointer value, long size) {
        try {
            byte[] v = ops.getxattr(path, name);
            if (size == 0) {
                return v.length;
            }
            if (v.length > size) {
                return -Errno.ERANGE.code();
            }
            value.put(0, v, 0, v.length);
            return v.length;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("getxattr", path, t);
        }
    }

    @Override
    public int listxattr(String path, Pointer list, long size) {
        try {
            List<String> names = ops.listxattr(path);
            int total = 0;
            for (String n : names) {
                total += n.getBytes(StandardCharsets.UTF_8).length + 1;
            }
            if (size == 0) {
                return total;
            }
            if (total > size) {
                return -Errno.ERANGE.code();
            }
            int at = 0;
            for (String n : names) {
                byte[] b = n.getBytes(StandardCharsets.UTF_8);
                list.put(at, b, 0, b.length);
                list.putByte(at + b.length, (byte) 0);
                at += b.length + 1;
            }
            return total;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("listxattr", path, t);
        }
    }

    @Override
    public int setxattr(String path, String name, Pointer value, long size, int flags) {
        try {
            byte[] v = new byte[(int) size];
            if (size > 0) {
                value.get(0, v, 0, v.length);
            }
            ops.setxattr(path, name, v, flags);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("setxattr", path, t);
        }
    }

    @Override
    public int removexattr(String path, String name) {
        try {
            ops.removexattr(path, name);
            return 0;
        } catch (Throwable t) {
            return ErrnoBarrier.reply("removexattr", path, t);
        }
    }
}
