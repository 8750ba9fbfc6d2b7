package org.fusefs.extent;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.LongFunction;
import java.util.zip.CRC32C;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;

/**
 * What a filesystem shows, for comparing states: every path with its type, size, link count,
 * contents checksum (regular files), target (symlinks) and xattrs. Times are left out.
 */
final class FsTree {
    private FsTree() {
    }

    static TreeMap<String, String> read(ExtentFs fs) {
        return read(fs, ino -> describe(fs, ino));
    }

    /** Every path below the root (the root itself left out) with what {@code describe} says of its inode. */
    static TreeMap<String, String> read(ExtentFs fs, LongFunction<String> describe) {
        TreeMap<String, String> out = new TreeMap<>();
        walk(fs, Vfs.ROOT_INO, "", describe, out);
        return out;
    }

    private static void walk(ExtentFs fs, long dir, String path, LongFunction<String> describe,
            TreeMap<String, String> out) {
        List<DirEntry> entries = new ArrayList<>();
        fs.readdir(dir, 0, e -> {
            entries.add(e);
            return true;
        });
        for (DirEntry e : entries) {
            if (e.name().equals(".") || e.name().equals("..")) {
                continue;
            }
            String p = path + "/" + e.name();
            out.put(p, describe.apply(e.ino()));
            if (FileMode.isDir(fs.getattr(e.ino()).mode())) {
                walk(fs, e.ino(), p, describe, out);
            }
        }
    }

    /** Type, link count, xattrs, and contents checksum or symlink target; no times. */
    private static String describe(ExtentFs fs, long ino) {
        InodeAttr a = fs.getattr(ino);
        StringBuilder sb = new StringBuilder();
        sb.append(Integer.toOctalString(a.mode())).append(" nlink ").append(a.nlink());
        for (String x : fs.listxattr(ino)) {
            sb.append(" xattr ").append(x).append('=').append(crc(fs.getxattr(ino, x)));
        }
        if (FileMode.isReg(a.mode())) {
            sb.append(" size ").append(a.size());
            OpenFile f = fs.open(ino, OpenFlags.O_RDONLY);
            try {
                byte[] b = new byte[(int) a.size()];
                int done = 0;
                while (done < b.length) {
                    int n = fs.read(f, done, b, done, b.length - done);
                    if (n <= 0) {
                        break;
                    }
                    done += n;
                }
                sb.append(" read ").append(done).append(" crc ").append(crc(b));
            } finally {
                fs.release(f);
            }
        } else if (FileMode.isLnk(a.mode())) {
            sb.append(" -> ").append(fs.readlink(ino));
        }
        return sb.toString();
    }

    static String crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return Long.toHexString(c.getValue()) + "/" + b.length;
    }

    static String crc(String s) {
        return crc(s.getBytes(StandardCharsets.UTF_8));
    }
}
