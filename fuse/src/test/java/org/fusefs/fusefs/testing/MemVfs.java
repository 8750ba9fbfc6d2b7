package org.fusefs.fusefs.testing;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import com.kenai.jffi.MemoryIO;
import org.fusefs.extent.DirEntry;
import org.fusefs.extent.FiemapExtent;
import org.fusefs.extent.InodeAttr;
import org.fusefs.extent.InodeInvalidation;
import org.fusefs.extent.OpenFile;
import org.fusefs.extent.SetAttr;
import org.fusefs.extent.StatFs;
import org.fusefs.extent.Vfs;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;

/**
 * A minimal in-memory {@link Vfs} for the adapter's own tests while the extent filesystem is being
 * written: one lock, byte-array files. Not a model of ext4 beyond what the adapter tests need.
 */
public final class MemVfs implements Vfs {
    private static final int NAME_MAX = 255;

    private static final class Node {
        final long ino;
        int mode;
        int nlink;
        int uid;
        int gid;
        long rdev;
        byte[] data = new byte[0];
        long size;
        String target;
        final TreeMap<String, Long> children;
        final Map<String, byte[]> xattrs = new HashMap<>();
        long atime;
        long mtime;
        long ctime;
        int openCount;

        Node(long ino, int mode, int uid, int gid) {
            this.ino = ino;
            this.mode = mode;
            this.uid = uid;
            this.gid = gid;
            this.children = FileMode.isDir(mode) ? new TreeMap<>() : null;
            this.nlink = FileMode.isDir(mode) ? 2 : 1;
            long now = System.currentTimeMillis() * 1_000_000L;
            atime = mtime = ctime = now;
        }
    }

    private record Open(long ino, int flags) implements OpenFile {
    }

    private final Map<Long, Node> nodes = new HashMap<>();
    private long nextIno = 2;
    private volatile InodeInvalidation invalidation;

    public MemVfs() {
        nodes.put(ROOT_INO, new Node(ROOT_INO, FileMode.S_IFDIR | 0755, 0, 0));
        nodes.get(ROOT_INO).nlink = 2;
    }

    private Node node(long ino) {
        Node n = nodes.get(ino);
        if (n == null) {
            throw new ErrnoException(Errno.ENOENT, "ino " + ino);
        }
        return n;
    }

    private Node dir(long ino) {
        Node n = node(ino);
        if (n.children == null) {
            throw new ErrnoException(Errno.ENOTDIR, "ino " + ino);
        }
        return n;
    }

    private static void checkName(String name) {
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > NAME_MAX) {
            throw new ErrnoException(Errno.ENAMETOOLONG, name);
        }
    }

    private static InodeAttr attr(Node n) {
        long size = n.children != null ? 4096 : n.target != null ? n.target.length() : n.size;
        return new InodeAttr(n.ino, n.mode, n.nlink, n.uid, n.gid, n.rdev, size, (n.size + 511) / 512,
                4096, n.atime, n.mtime, n.ctime, 0);
    }

    private static long now() {
        return System.currentTimeMillis() * 1_000_000L;
    }

    @Override
    public synchronized InodeAttr lookup(long dir, String name) {
        checkName(name);
        Long ino = dir(dir).children.get(name);
        if (ino == null) {
            throw new ErrnoException(Errno.ENOENT, name);
        }
        return attr(node(ino));
    }

    @Override
    public synchronized InodeAttr getattr(long ino) {
        return attr(node(ino));
    }

    @Override
    public synchronized InodeAttr setattr(long ino, SetAttr a, OpenFile file) {
        Node n = node(ino);
        if (a.mode() != null) {
            n.mode = (n.mode & FileMode.S_IFMT) | (a.mode() & 07777);
        }
        if (a.uid() != null) {
            n.uid = a.uid();
        }
        if (a.gid() != null) {
            n.gid = a.gid();
        }
        if (a.size() != null) {
            if (FileMode.isDir(n.mode)) {
                throw new ErrnoException(Errno.EISDIR, "truncate dir");
            }
            resize(n, a.size());
            n.mtime = now();
        }
        if (a.atimeNs() != null) {
            n.atime = a.atimeNs() == SetAttr.NOW ? now() : a.atimeNs();
        }
        if (a.mtimeNs() != null) {
            n.mtime = a.mtimeNs() == SetAttr.NOW ? now() : a.mtimeNs();
        }
        n.ctime = now();
        return attr(n);
    }

    private static void resize(Node n, long size) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new ErrnoException(Errno.EFBIG, "size " + size);
        }
        if (size > n.data.length) {
            // Grow geometrically: appending writes must not copy the whole file each time.
            n.data = Arrays.copyOf(n.data, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(size, 2L * n.data.length)));
        } else if (size < n.size) {
            Arrays.fill(n.data, (int) size, (int) n.size, (byte) 0);
        }
        n.size = size;
    }

    private Node add(long dir, String name, int mode, int uid, int gid) {
        checkName(name);
        Node d = dir(dir);
        if (d.children.containsKey(name)) {
            throw new ErrnoException(Errno.EEXIST, name);
        }
        Node n = new Node(nextIno++, mode, uid, gid);
        nodes.put(n.ino, n);
        d.children.put(name, n.ino);
        if (n.children != null) {
            d.nlink++;
        }
        d.mtime = d.ctime = now();
        return n;
    }

    @Override
    public synchronized InodeAttr mknod(long dir, String name, int mode, long rdev, int uid, int gid) {
        Node n = add(dir, name, mode, uid, gid);
        n.rdev = rdev;
        return attr(n);
    }

    @Override
    public synchronized InodeAttr mkdir(long dir, String name, int mode, int uid, int gid) {
        return attr(add(dir, name, FileMode.S_IFDIR | (mode & 07777), uid, gid));
    }

    @Override
    public synchronized InodeAttr symlink(long dir, String name, String target, int uid, int gid) {
        Node n = add(dir, name, FileMode.S_IFLNK | 0777, uid, gid);
        n.target = target;
        return attr(n);
    }

    @Override
    public synchronized InodeAttr link(long ino, long newDir, String newName) {
        Node n = node(ino);
        if (n.children != null) {
            throw new ErrnoException(Errno.EPERM, "link dir");
        }
        checkName(newName);
        Node d = dir(newDir);
        if (d.children.containsKey(newName)) {
            throw new ErrnoException(Errno.EEXIST, newName);
        }
        d.children.put(newName, ino);
        n.nlink++;
        n.ctime = now();
        return attr(n);
    }

    @Override
    public synchronized void unlink(long dir, String name) {
        Node d = dir(dir);
        Long ino = d.children.get(name);
        if (ino == null) {
            throw new ErrnoException(Errno.ENOENT, name);
        }
        Node n = node(ino);
        if (n.children != null) {
            throw new ErrnoException(Errno.EISDIR, name);
        }
        d.children.remove(name);
        drop(n);
    }

    private void drop(Node n) {
        n.nlink--;
        n.ctime = now();
        if (n.nlink == 0 && n.openCount == 0) {
            nodes.remove(n.ino);
        }
    }

    @Override
    public synchronized void rmdir(long dir, String name) {
        Node d = dir(dir);
        Long ino = d.children.get(name);
        if (ino == null) {
            throw new ErrnoException(Errno.ENOENT, name);
        }
        Node n = dir(ino);
        if (!n.children.isEmpty()) {
            throw new ErrnoException(Errno.ENOTEMPTY, name);
        }
        d.children.remove(name);
        d.nlink--;
        nodes.remove(n.ino);
    }

    @Override
    public synchronized void rename(long oldDir, String oldName, long newDir, String newName, int flags) {
        Node a = dir(oldDir);
        Node b = dir(newDir);
        checkName(newName);
        Long ino = a.children.get(oldName);
        if (ino == null) {
            throw new ErrnoException(Errno.ENOENT, oldName);
        }
        Long victim = b.children.get(newName);
        if (victim != null && victim.equals(ino)) {
            return;
        }
        Node n = node(ino);
        if (victim != null) {
            Node v = node(victim);
            if (v.children != null) {
                if (n.children == null) {
                    throw new ErrnoException(Errno.EISDIR, newName);
                }
                if (!v.children.isEmpty()) {
                    throw new ErrnoException(Errno.ENOTEMPTY, newName);
                }
                b.nlink--;
                nodes.remove(victim);
            } else {
                if (n.children != null) {
                    throw new ErrnoException(Errno.ENOTDIR, newName);
                }
                drop(v);
            }
        }
        a.children.remove(oldName);
        b.children.put(newName, ino);
        if (n.children != null && a != b) {
            a.nlink--;
            b.nlink++;
        }
    }

    @Override
    public synchronized String readlink(long ino) {
        Node n = node(ino);
        if (n.target == null) {
            throw new ErrnoException(Errno.EINVAL, "not a symlink");
        }
        return n.target;
    }

    @Override
    public synchronized OpenFile open(long ino, int flags) {
        Node n = node(ino);
        if ((flags & OpenFlags.O_TRUNC) != 0 && OpenFlags.writable(flags) && n.children == null) {
            resize(n, 0);
        }
        n.openCount++;
        return new Open(ino, flags);
    }

    @Override
    public synchronized OpenFile create(long dir, String name, int mode, int flags, int uid, int gid) {
        Long existing = dir(dir).children.get(name);
        if (existing != null) {
            if ((flags & OpenFlags.O_EXCL) != 0) {
                throw new ErrnoException(Errno.EEXIST, name);
            }
            return open(existing, flags);
        }
        Node n = add(dir, name, FileMode.S_IFREG | (mode & 07777), uid, gid);
        n.openCount++;
        return new Open(n.ino, flags);
    }

    @Override
    public synchronized int read(OpenFile f, long pos, long dstAddress, int len) {
        Node n = node(f.ino());
        if (pos >= n.size) {
            return 0;
        }
        int cnt = (int) Math.min(len, n.size - pos);
        MemoryIO.getInstance().putByteArray(dstAddress, n.data, (int) pos, cnt);
        return cnt;
    }

    @Override
    public synchronized int read(OpenFile f, long pos, ByteBuffer dst) {
        Node n = node(f.ino());
        if (pos >= n.size) {
            return 0;
        }
        int cnt = (int) Math.min(dst.remaining(), n.size - pos);
        dst.put(n.data, (int) pos, cnt);
        return cnt;
    }

    @Override
    public synchronized int write(OpenFile f, long pos, long srcAddress, int len) {
        Node n = node(f.ino());
        if ((f.flags() & OpenFlags.O_APPEND) != 0) {
            pos = n.size;
        }
        if (pos + len > n.size) {
            resize(n, pos + len);
        }
        MemoryIO.getInstance().getByteArray(srcAddress, n.data, (int) pos, len);
        n.mtime = n.ctime = now();
        return len;
    }

    @Override
    public synchronized int write(OpenFile f, long pos, ByteBuffer src) {
        Node n = node(f.ino());
        int len = src.remaining();
        if (pos + len > n.size) {
            resize(n, pos + len);
        }
        src.get(n.data, (int) pos, len);
        return len;
    }

    @Override
    public void flush(OpenFile f) {
    }

    @Override
    public void fsync(OpenFile f, boolean datasync) {
    }

    @Override
    public synchronized void release(OpenFile f) {
        Node n = nodes.get(f.ino());
        if (n != null && --n.openCount == 0 && n.nlink == 0) {
            nodes.remove(n.ino);
        }
    }

    @Override
    public synchronized void readdir(long dir, long offset, Predicate<DirEntry> sink) {
        Node d = dir(dir);
        List<DirEntry> all = new ArrayList<>();
        all.add(new DirEntry(".", d.ino, 4, 1));
        all.add(new DirEntry("..", ROOT_INO, 4, 2));
        long i = 3;
        for (Map.Entry<String, Long> e : d.children.entrySet()) {
            all.add(new DirEntry(e.getKey(), e.getValue(), 0, i++));
        }
        for (int k = (int) offset; k < all.size(); k++) {
            if (!sink.test(all.get(k))) {
                return;
            }
        }
    }

    @Override
    public void fsyncdir(long dir, boolean datasync) {
    }

    @Override
    public synchronized StatFs statfs() {
        return new StatFs(4096, 1 << 20, 1 << 19, 1 << 19, 1 << 16, (1 << 16) - nodes.size(), NAME_MAX, 0x1234);
    }

    @Override
    public synchronized byte[] getxattr(long ino, String name) {
        byte[] v = node(ino).xattrs.get(name);
        if (v == null) {
            throw new ErrnoException(Errno.ENODATA, name);
        }
        return v.clone();
    }

    @Override
    public synchronized List<String> listxattr(long ino) {
        return new ArrayList<>(node(ino).xattrs.keySet());
    }

    @Override
    public synchronized void setxattr(long ino, String name, byte[] value, int flags) {
        Node n = node(ino);
        boolean exists = n.xattrs.containsKey(name);
        if ((flags & XATTR_CREATE) != 0 && exists) {
            throw new ErrnoException(Errno.EEXIST, name);
        }
        if ((flags & XATTR_REPLACE) != 0 && !exists) {
            throw new ErrnoException(Errno.ENODATA, name);
        }
        n.xattrs.put(name, value.clone());
    }

    @Override
    public synchronized void removexattr(long ino, String name) {
        if (node(ino).xattrs.remove(name) == null) {
            throw new ErrnoException(Errno.ENODATA, name);
        }
    }

    @Override
    public void fallocate(OpenFile f, int mode, long offset, long length) {
        InodeInvalidation inv;
        synchronized (this) {
            Node n = node(f.ino());
            if (offset < 0 || length <= 0) {
                throw new ErrnoException(Errno.EINVAL, "range " + offset + "+" + length);
            }
            if ((mode & (FallocFlag.COLLAPSE_RANGE | FallocFlag.INSERT_RANGE)) != 0) {
                if (offset % 4096 != 0 || length % 4096 != 0) {
                    throw new ErrnoException(Errno.EINVAL, "unaligned " + offset + "+" + length);
                }
                if ((mode & FallocFlag.COLLAPSE_RANGE) != 0) {
                    if (offset + length >= n.size) {
                        throw new ErrnoException(Errno.EINVAL, "collapse past EOF");
                    }
                    int tail = (int) (n.size - offset - length);
                    System.arraycopy(n.data, (int) (offset + length), n.data, (int) offset, tail);
                    resize(n, n.size - length);
                } else {
                    if (offset >= n.size) {
                        throw new ErrnoException(Errno.EINVAL, "insert at or past EOF");
                    }
                    long old = n.size;
                    resize(n, old + length);
                    System.arraycopy(n.data, (int) offset, n.data, (int) (offset + length), (int) (old - offset));
                    Arrays.fill(n.data, (int) offset, (int) (offset + length), (byte) 0);
                }
            } else if ((mode & (FallocFlag.PUNCH_HOLE | FallocFlag.ZERO_RANGE)) != 0) {
                long end = Math.min(n.size, offset + length);
                if (end > offset) {
                    Arrays.fill(n.data, (int) offset, (int) end, (byte) 0);
                }
                if ((mode & FallocFlag.KEEP_SIZE) == 0 && offset + length > n.size) {
                    resize(n, offset + length);
                }
            } else if ((mode & ~FallocFlag.KEEP_SIZE) != 0) {
                throw new ErrnoException(Errno.EOPNOTSUPP, "mode " + mode);
            } else if ((mode & FallocFlag.KEEP_SIZE) == 0 && offset + length > n.size) {
                resize(n, offset + length);
            }
            n.mtime = n.ctime = now();
            inv = invalidation;
        }
        if (inv != null) {
            inv.invalidate(f.ino(), offset, 0);
        }
    }

    /** Holes are runs of 4 KiB zero blocks in this double. */
    @Override
    public synchronized long seekData(long ino, long offset) {
        Node n = node(ino);
        if (offset >= n.size) {
            throw new ErrnoException(Errno.ENXIO, "offset " + offset);
        }
        for (long b = offset / 4096 * 4096; b < n.size; b += 4096) {
            if (!zeroBlock(n, b)) {
                return Math.max(b, offset);
            }
        }
        throw new ErrnoException(Errno.ENXIO, "no data after " + offset);
    }

    @Override
    public synchronized long seekHole(long ino, long offset) {
        Node n = node(ino);
        if (offset >= n.size) {
            throw new ErrnoException(Errno.ENXIO, "offset " + offset);
        }
        for (long b = offset / 4096 * 4096; b < n.size; b += 4096) {
            if (zeroBlock(n, b) && b + 4096 <= n.size) {
                return Math.max(b, offset);
            }
        }
        return n.size;
    }

    private static boolean zeroBlock(Node n, long b) {
        int end = (int) Math.min(n.size, b + 4096);
        for (int i = (int) b; i < end; i++) {
            if (n.data[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized List<FiemapExtent> fiemap(long ino, long start, long length) {
        Node n = node(ino);
        List<FiemapExtent> out = new ArrayList<>();
        if (n.size > 0) {
            out.add(new FiemapExtent(0, 1 << 20, (n.size + 4095) / 4096 * 4096, false, true));
        }
        return out;
    }

    @Override
    public void setInodeInvalidation(InodeInvalidation listener) {
        this.invalidation = listener;
    }

    @Override
    public void sync() {
    }
}
