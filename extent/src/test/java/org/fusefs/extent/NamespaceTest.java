package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FileMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class NamespaceTest {
    private static final long ROOT = Vfs.ROOT_INO;

    static void assertErrno(Errno want, Executable op) {
        ErrnoException e = assertThrows(ErrnoException.class, op);
        assertEquals(want, e.errno(), e.getMessage());
    }

    private static InodeAttr file(ExtentFs fs, long dir, String name) {
        return fs.mknod(dir, name, FileMode.S_IFREG | 0644, 0, 0, 0);
    }

    @Test
    void namesUpTo255Bytes() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            String n255 = "x".repeat(255);
            file(fs, ROOT, n255);
            assertEquals(fs.lookup(ROOT, n255).ino(), fs.lookup(ROOT, n255).ino());
            assertErrno(Errno.ENAMETOOLONG, () -> file(fs, ROOT, "x".repeat(256)));
            assertErrno(Errno.ENAMETOOLONG, () -> fs.lookup(ROOT, "y".repeat(256)));
            // 85 three-byte characters = 255 bytes; one more is too long
            String wide = "\u20ac".repeat(85);
            file(fs, ROOT, wide);
            assertErrno(Errno.ENAMETOOLONG, () -> fs.mkdir(ROOT, wide + "a", 0755, 0, 0));
            f.remount();
            assertTrue(f.fs.lookup(ROOT, n255).ino() > 1);
            assertTrue(f.fs.lookup(ROOT, wide).ino() > 1);
        }
    }

    @Test
    void errnoOfDirectoryOperations() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long d = fs.mkdir(ROOT, "d", 0755, 0, 0).ino();
            long a = file(fs, d, "a").ino();
            assertErrno(Errno.EEXIST, () -> file(fs, d, "a"));
            assertErrno(Errno.EEXIST, () -> fs.mkdir(ROOT, "d", 0755, 0, 0));
            assertErrno(Errno.ENOENT, () -> fs.lookup(d, "nope"));
            assertErrno(Errno.ENOENT, () -> fs.unlink(d, "nope"));
            assertErrno(Errno.ENOTDIR, () -> fs.lookup(a, "x"));
            assertErrno(Errno.ENOTDIR, () -> file(fs, a, "x"));
            assertErrno(Errno.ENOTDIR, () -> fs.rmdir(d, "a"));
            assertErrno(Errno.EISDIR, () -> fs.unlink(ROOT, "d"));
            assertErrno(Errno.ENOTEMPTY, () -> fs.rmdir(ROOT, "d"));
            assertErrno(Errno.EPERM, () -> fs.link(d, ROOT, "dlink"));
            assertErrno(Errno.EPERM, () -> fs.mknod(ROOT, "dd", FileMode.S_IFDIR | 0755, 0, 0, 0));
            assertErrno(Errno.ENOENT, () -> fs.getattr(999));
            fs.unlink(d, "a");
            assertErrno(Errno.ENOENT, () -> fs.getattr(a));
            OpenFile open = fs.open(d, org.fusefs.uapi.OpenFlags.O_RDONLY);
            fs.rmdir(ROOT, "d");
            assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT, "d"));
            assertErrno(Errno.ENOENT, () -> fs.readdir(d, 0, e -> true));
            assertErrno(Errno.ENOENT, () -> file(fs, d, "new"));
            fs.release(open);
            assertErrno(Errno.ENOENT, () -> fs.getattr(d));
            assertEquals(2, fs.getattr(ROOT).nlink());
        }
    }

    @Test
    void hardLinksCountAndSurviveUnlink() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long a = file(fs, ROOT, "a").ino();
            long sub = fs.mkdir(ROOT, "sub", 0755, 0, 0).ino();
            fs.link(a, sub, "b");
            fs.link(a, ROOT, "c");
            assertEquals(3, fs.getattr(a).nlink());
            assertErrno(Errno.EEXIST, () -> fs.link(a, ROOT, "c"));
            fs.unlink(ROOT, "a");
            assertEquals(2, fs.getattr(a).nlink());
            f.remount();
            assertEquals(a, f.fs.lookup(sub, "b").ino());
            assertEquals(2, f.fs.getattr(a).nlink());
        }
    }

    @Test
    void renameSemantics() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long d1 = fs.mkdir(ROOT, "d1", 0755, 0, 0).ino();
            long d2 = fs.mkdir(ROOT, "d2", 0755, 0, 0).ino();
            long x = file(fs, d1, "x").ino();
            long y = file(fs, d2, "y").ino();
            fs.rename(d1, "x", d2, "y", 0);
            assertEquals(x, fs.lookup(d2, "y").ino());
            assertErrno(Errno.ENOENT, () -> fs.getattr(y));
            assertErrno(Errno.ENOENT, () -> fs.lookup(d1, "x"));
            long z = file(fs, d1, "z").ino();
            assertErrno(Errno.EEXIST, () -> fs.rename(d1, "z", d2, "y", Vfs.RENAME_NOREPLACE));
            fs.rename(d1, "z", d2, "y", Vfs.RENAME_EXCHANGE);
            assertEquals(z, fs.lookup(d2, "y").ino());
            assertEquals(x, fs.lookup(d1, "z").ino());
            assertErrno(Errno.ENOENT, () -> fs.rename(d1, "z", d2, "nope", Vfs.RENAME_EXCHANGE));
            assertErrno(Errno.EINVAL, () -> fs.rename(d1, "z", d2, "q", 3));
            // directories: into its own subtree, over a file, over a non-empty directory
            long inner = fs.mkdir(d1, "inner", 0755, 0, 0).ino();
            assertErrno(Errno.EINVAL, () -> fs.rename(ROOT, "d1", inner, "d1", 0));
            assertErrno(Errno.ENOTDIR, () -> fs.rename(d1, "inner", d2, "y", 0));
            assertErrno(Errno.EISDIR, () -> fs.rename(d2, "y", d1, "inner", 0));
            file(fs, inner, "f");
            fs.mkdir(d2, "full", 0755, 0, 0);
            assertErrno(Errno.ENOTEMPTY, () -> fs.rename(d2, "full", d1, "inner", 0));
            assertEquals(3, fs.getattr(d1).nlink());
            fs.rename(d1, "inner", d2, "moved", 0);
            assertEquals(2, fs.getattr(d1).nlink());
            assertEquals(4, fs.getattr(d2).nlink());
            assertEquals(d2, fs.lookup(inner, "..").ino());
            f.remount();
            assertEquals(d2, f.fs.lookup(inner, "..").ino());
            assertEquals(4, f.fs.getattr(d2).nlink());
        }
    }

    @Test
    void specialFilesSymlinksAndAttributesSurviveRemount() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long fifo = fs.mknod(ROOT, "fifo", FileMode.S_IFIFO | 0600, 0, 1000, 1000).ino();
            long sock = fs.mknod(ROOT, "sock", FileMode.S_IFSOCK | 0600, 0, 0, 0).ino();
            long chr = fs.mknod(ROOT, "null", FileMode.S_IFCHR | 0666, (1 << 8) | 3, 0, 0).ino();
            String longTarget = "/very/long/".repeat(300);
            long ls = fs.symlink(ROOT, "long", longTarget, 0, 0).ino();
            long ss = fs.symlink(ROOT, "short", "target", 0, 0).ino();
            assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink(ROOT, "toolong", "a".repeat(4096), 0, 0));
            fs.setattr(fifo, new SetAttr(0640, 7, 8, null, 123_456_789L, 987_654_321L), null);
            InodeAttr before = fs.getattr(fifo);
            f.remount();
            ExtentFs g = f.fs;
            InodeAttr after = g.getattr(fifo);
            assertEquals(before, after);
            assertEquals(FileMode.S_IFIFO | 0640, after.mode());
            assertEquals(123_456_789L, after.atimeNs());
            assertEquals(987_654_321L, after.mtimeNs());
            assertEquals(FileMode.S_IFSOCK, g.getattr(sock).mode() & FileMode.S_IFMT);
            assertEquals((1 << 8) | 3, g.getattr(chr).rdev());
            assertEquals(longTarget, g.readlink(ls));
            assertEquals("target", g.readlink(ss));
            assertErrno(Errno.EINVAL, () -> g.readlink(fifo));
        }
    }

    @Test
    void xattrsInThreeNamespaces() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long a = file(fs, ROOT, "a").ino();
            long fifo = fs.mknod(ROOT, "fifo", FileMode.S_IFIFO | 0600, 0, 0, 0).ino();
            fs.setxattr(a, "user.k", new byte[] {1, 2, 3}, 0);
            fs.setxattr(a, "trusted.t", new byte[0], 0);
            fs.setxattr(a, "security.selinux", "ctx".getBytes(), 0);
            fs.setxattr(a, "user.big", new byte[65536], 0);
            assertErrno(Errno.E2BIG, () -> fs.setxattr(a, "user.huge", new byte[65537], 0));
            assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(a, "system.foo", new byte[1], 0));
            assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(a, "other.foo", new byte[1], 0));
            assertErrno(Errno.ERANGE, () -> fs.setxattr(a, "user." + "n".repeat(251), new byte[1], 0));
            assertErrno(Errno.EEXIST, () -> fs.setxattr(a, "user.k", new byte[1], Vfs.XATTR_CREATE));
            assertErrno(Errno.ENODATA, () -> fs.setxattr(a, "user.none", new byte[1], Vfs.XATTR_REPLACE));
            assertErrno(Errno.ENODATA, () -> fs.getxattr(a, "user.none"));
            assertErrno(Errno.ENODATA, () -> fs.removexattr(a, "user.none"));
            assertErrno(Errno.EPERM, () -> fs.setxattr(fifo, "user.k", new byte[1], 0));
            fs.setxattr(fifo, "trusted.k", new byte[] {9}, 0);
            fs.setxattr(a, "user.k", new byte[] {4}, Vfs.XATTR_REPLACE);
            f.remount();
            ExtentFs g = f.fs;
            assertArrayEquals(new byte[] {4}, g.getxattr(a, "user.k"));
            assertArrayEquals(new byte[65536], g.getxattr(a, "user.big"));
            assertArrayEquals("ctx".getBytes(), g.getxattr(a, "security.selinux"));
            assertEquals(List.of("security.selinux", "trusted.t", "user.big", "user.k"), g.listxattr(a));
            assertArrayEquals(new byte[] {9}, g.getxattr(fifo, "trusted.k"));
            g.removexattr(a, "user.big");
            assertEquals(3, g.listxattr(a).size());
        }
    }

    @Test
    void readdirCookiesStayValidAcrossChanges() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long d = fs.mkdir(ROOT, "d", 0755, 0, 0).ino();
            for (int k = 0; k < 100; k++) {
                file(fs, d, "f" + k);
            }
            List<DirEntry> first = new ArrayList<>();
            fs.readdir(d, 0, e -> first.size() < 52 && first.add(e));
            assertEquals(".", first.get(0).name());
            assertEquals("..", first.get(1).name());
            long resume = first.get(first.size() - 1).nextOffset();
            // delete some already listed and some not yet listed, create new ones
            fs.unlink(d, "f0");
            fs.unlink(d, "f99");
            file(fs, d, "new");
            Set<String> seen = new HashSet<>();
            for (DirEntry e : first) {
                seen.add(e.name());
            }
            fs.readdir(d, resume, e -> {
                assertTrue(seen.add(e.name()), "listed twice: " + e.name());
                return true;
            });
            for (int k = 1; k < 99; k++) {
                assertTrue(seen.contains("f" + k), "missing f" + k);
            }
            assertTrue(!seen.contains("f99"));
        }
    }

    @Test
    void setGroupIdDirectoryHandsOnItsGroup() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long d = fs.mkdir(ROOT, "sgid", 02775, 0, 50).ino();
            InodeAttr file = file(fs, d, "f");
            assertEquals(50, fs.mknod(d, "g", FileMode.S_IFREG | 0644, 0, 1000, 1000).gid());
            InodeAttr sub = fs.mkdir(d, "sub", 0755, 1000, 1000);
            assertEquals(50, sub.gid());
            assertEquals(FileMode.S_ISGID, sub.mode() & FileMode.S_ISGID);
            assertEquals(50, file.gid());
            assertEquals(1000, fs.mkdir(ROOT, "plain", 0755, 1000, 1000).gid());
        }
    }
}
