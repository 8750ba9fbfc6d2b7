package org.fusefs.extent;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The 256-byte on-device inode and the byte streams of directories and xattrs.
 *
 * <p>Inode layout (little-endian): mode, uid, gid, nlink (u32 each); size, atime, mtime, ctime (ns),
 * rdev, generation, xattr chain head, data chain head (directory entries or a long symlink),
 * directory next cookie, directory parent (u64 each, from offset 16); then at 96 the 60-byte
 * {@code i_block}: the extent tree root of a regular file or the target of a short symlink; at 156
 * the inode flags (u32, {@link InodeFlags}; zero in images made before they existed).
 */
final class InodeFormat {
    static final int I_BLOCK = 96;
    static final int INLINE_SYMLINK = ExtentTreeFormat.ROOT_BYTES;
    static final int I_FLAGS = I_BLOCK + ExtentTreeFormat.ROOT_BYTES;

    private InodeFormat() {
    }

    /** Writes the fixed fields of {@code i} at {@code off} (i_block and chain heads are filled by the caller). */
    static void encodeFields(ByteBuffer bb, int off, Inode i, long xattrHead, long chainHead) {
        bb.putInt(off, i.mode);
        bb.putInt(off + 4, i.uid);
        bb.putInt(off + 8, i.gid);
        bb.putInt(off + 12, i.nlink);
        bb.putLong(off + 16, i.size);
        bb.putLong(off + 24, i.atimeNs);
        bb.putLong(off + 32, i.mtimeNs);
        bb.putLong(off + 40, i.ctimeNs);
        bb.putLong(off + 48, i.rdev);
        bb.putLong(off + 56, i.generation);
        bb.putLong(off + 64, xattrHead);
        bb.putLong(off + 72, chainHead);
        bb.putInt(off + I_FLAGS, i.flags);
        if (i.dir != null) {
            bb.putLong(off + 80, i.dir.nextCookie());
            bb.putLong(off + 88, i.dir.parent);
        }
    }

    /** Reads the fixed fields into a new inode. */
    static Inode decodeFields(ByteBuffer bb, int off, long ino) {
        Inode i = new Inode(ino, bb.getInt(off));
        i.uid = bb.getInt(off + 4);
        i.gid = bb.getInt(off + 8);
        i.nlink = bb.getInt(off + 12);
        i.size = bb.getLong(off + 16);
        i.atimeNs = bb.getLong(off + 24);
        i.mtimeNs = bb.getLong(off + 32);
        i.ctimeNs = bb.getLong(off + 40);
        i.rdev = bb.getLong(off + 48);
        i.generation = bb.getLong(off + 56);
        i.flags = bb.getInt(off + I_FLAGS);
        if (i.dir != null) {
            i.dir.setNextCookie(bb.getLong(off + 80));
            i.dir.parent = bb.getLong(off + 88);
        }
        return i;
    }

    static long xattrHead(ByteBuffer bb, int off) {
        return bb.getLong(off + 64);
    }

    static long chainHead(ByteBuffer bb, int off) {
        return bb.getLong(off + 72);
    }

    static byte[] encodeDir(Directory d) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream(24 + d.size() * 32);
        DataOutputStream out = new DataOutputStream(bos);
        try {
            out.writeInt(d.size());
            for (Directory.Entry e : d.all()) {
                byte[] n = e.name().getBytes(StandardCharsets.UTF_8);
                out.writeLong(e.cookie());
                out.writeLong(e.ino());
                out.writeByte(e.type());
                out.writeByte(n.length);
                out.write(n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    /** Parses directory entries; a malformed stream is an IllegalArgumentException naming the problem. */
    static void decodeDir(byte[] data, Directory d) {
        ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN);
        int n = bb.getInt();
        if (n < 0) {
            throw new IllegalArgumentException("negative entry count " + n);
        }
        for (int k = 0; k < n; k++) {
            long cookie = bb.getLong();
            long ino = bb.getLong();
            int type = Byte.toUnsignedInt(bb.get());
            int len = Byte.toUnsignedInt(bb.get());
            if (len == 0) {
                throw new IllegalArgumentException("entry " + k + " has an empty name");
            }
            byte[] name = new byte[len];
            bb.get(name);
            d.load(new Directory.Entry(new String(name, StandardCharsets.UTF_8), ino, type, cookie));
        }
        if (bb.hasRemaining()) {
            throw new IllegalArgumentException(bb.remaining() + " trailing bytes after " + n + " entries");
        }
    }

    static byte[] encodeXattrs(Map<String, byte[]> xattrs) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bos);
        try {
            out.writeInt(xattrs.size());
            for (Map.Entry<String, byte[]> e : xattrs.entrySet()) {
                byte[] n = e.getKey().getBytes(StandardCharsets.UTF_8);
                out.writeShort(n.length);
                out.writeInt(e.getValue().length);
                out.write(n);
                out.write(e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    static void decodeXattrs(byte[] data, Map<String, byte[]> into) {
        ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN);
        int n = bb.getInt();
        for (int k = 0; k < n; k++) {
            int nl = Short.toUnsignedInt(bb.getShort());
            int vl = bb.getInt();
            if (nl == 0 || nl > Xattrs.NAME_MAX || vl < 0 || vl > Xattrs.SIZE_MAX) {
                throw new IllegalArgumentException("xattr " + k + ": name length " + nl + ", value length " + vl);
            }
            byte[] name = new byte[nl];
            bb.get(name);
            byte[] v = new byte[vl];
            bb.get(v);
            into.put(new String(name, StandardCharsets.UTF_8), v);
        }
        if (bb.hasRemaining()) {
            throw new IllegalArgumentException(bb.remaining() + " trailing bytes after " + n + " xattrs");
        }
    }
}
