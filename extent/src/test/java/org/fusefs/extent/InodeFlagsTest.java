package org.fusefs.extent;

import static org.fusefs.extent.InodeFlags.FS_APPEND_FL;
import static org.fusefs.extent.InodeFlags.FS_IMMUTABLE_FL;
import static org.fusefs.extent.InodeFlags.FS_NOATIME_FL;
import static org.fusefs.extent.InodeFlags.FS_NODUMP_FL;
import static org.fusefs.extent.NamespaceTest.assertErrno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/**
 * chattr flags through the file API: what append-only and immutable refuse (ext4's answers,
 * the same as native-tests test_chattr.c checks on the mount), the order against other errnos,
 * what stays allowed, and that the flags survive a remount.
 */
class InodeFlagsTest {
    private static final long ROOT = Vfs.ROOT_INO;

    private static long file(ExtentFs fs, long dir, String name, String data) {
        OpenFile f = fs.create(dir, name, FileMode.S_IFREG | 0644, OpenFlags.O_RDWR, 0, 0);
        fs.write(f, 0, data.getBytes(StandardCharsets.UTF_8), 0, data.length());
        fs.release(f);
        return fs.lookup(dir, name).ino();
    }

    private static String read(ExtentFs fs, long ino) {
        OpenFile f = fs.open(ino, OpenFlags.O_RDONLY);
        try {
            byte[] b = new byte[(int) fs.getattr(ino).size()];
            fs.read(f, 0, b, 0, b.length);
            return new String(b, StandardCharsets.UTF_8);
        } finally {
            fs.release(f);
        }
    }

    @Test
    void flagsPersistAcrossRemount_andUnsupportedFlagsAreRefused() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            long a = file(f.fs, ROOT, "a", "x");
            long d = f.fs.mkdir(ROOT, "d", 0755, 0, 0).ino();
            long ctime = f.fs.getattr(a).ctimeNs();
            f.fs.setflags(a, FS_APPEND_FL | FS_NODUMP_FL);
            f.fs.setflags(d, FS_IMMUTABLE_FL | FS_NOATIME_FL);
            assertTrue(f.fs.getattr(a).ctimeNs() >= ctime, "a flag change is an inode change");
            assertErrno(Errno.EOPNOTSUPP, () -> f.fs.setflags(a, 0x4000)); // data journalling: not here
            assertErrno(Errno.EOPNOTSUPP, () -> f.fs.setflags(a, FS_APPEND_FL | 0x80000)); // extents flag
            assertEquals(FS_APPEND_FL | FS_NODUMP_FL, f.fs.getflags(a), "a refused change leaves the flags");
            f.remount();
            assertEquals(FS_APPEND_FL | FS_NODUMP_FL, f.fs.getflags(a));
            assertEquals(FS_IMMUTABLE_FL | FS_NOATIME_FL, f.fs.getflags(d));
            f.fs.setflags(a, 0);
            f.fs.setflags(d, 0);
            f.fs.fsyncdir(ROOT, false);
            f.remount();
            assertEquals(0, f.fs.getflags(a));
            assertEquals(0, f.fs.getflags(d));
        }
    }

    @Test
    void appendOnlyFile_takesAppendsAndTouchesOnly() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long a = file(fs, ROOT, "a", "head");
            OpenFile before = fs.open(a, OpenFlags.O_WRONLY);
            fs.setflags(a, FS_APPEND_FL);
            assertErrno(Errno.EPERM, () -> fs.open(a, OpenFlags.O_WRONLY));
            assertErrno(Errno.EPERM, () -> fs.open(a, OpenFlags.O_RDWR));
            assertErrno(Errno.EPERM, () -> fs.open(a, OpenFlags.O_WRONLY | OpenFlags.O_APPEND | OpenFlags.O_TRUNC));
            assertErrno(Errno.EPERM, () -> fs.setattr(a, SetAttr.size(0), null));
            assertErrno(Errno.EPERM, () -> fs.setattr(a, SetAttr.mode(0600), null));
            assertErrno(Errno.EPERM, () -> fs.setattr(a, SetAttr.owner(1, 1), null));
            assertErrno(Errno.EPERM, () -> fs.setattr(a, new SetAttr(null, null, null, null, 1L, 2L), null));
            assertErrno(Errno.EPERM, () -> fs.setxattr(a, "user.k", new byte[] {1}, 0));
            assertErrno(Errno.EPERM, () -> fs.removexattr(a, "user.k"));
            assertErrno(Errno.EPERM, () -> fs.link(a, ROOT, "b"));
            assertErrno(Errno.EPERM, () -> fs.rename(ROOT, "a", ROOT, "b", 0));
            assertErrno(Errno.EPERM, () -> fs.unlink(ROOT, "a"));
            // fallocate: mode 0 and KEEP_SIZE only (spec §2 row 5).
            OpenFile app = fs.open(a, OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
            fs.fallocate(app, 0, 0, 8192);
            fs.fallocate(app, FallocFlag.KEEP_SIZE, 0, 16384);
            assertErrno(Errno.EPERM, () -> fs.fallocate(app, FallocFlag.PUNCH_HOLE | FallocFlag.KEEP_SIZE, 0, 4096));
            assertErrno(Errno.EPERM, () -> fs.fallocate(app, FallocFlag.ZERO_RANGE, 0, 4096));
            assertErrno(Errno.EPERM, () -> fs.fallocate(app, FallocFlag.COLLAPSE_RANGE, 0, 4096));
            // A bad mode is refused as such first (row 3 before row 5).
            assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(app, FallocFlag.PUNCH_HOLE, 0, 4096));
            fs.setattr(a, new SetAttr(null, null, null, null, SetAttr.NOW, SetAttr.NOW), null); // touch
            fs.release(app);
            fs.setflags(a, 0);
            fs.setattr(a, SetAttr.size(4), null);
            fs.setflags(a, FS_APPEND_FL);
            OpenFile app2 = fs.open(a, OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
            fs.write(app2, 0, "-tail".getBytes(StandardCharsets.UTF_8), 0, 5); // lands at the end
            fs.release(app2);
            // ext4 checks append-only at open: a descriptor opened before the flag writes where it points.
            fs.write(before, 0, "H".getBytes(StandardCharsets.UTF_8), 0, 1);
            fs.release(before);
            assertEquals("Head-tail", read(fs, a));
            fs.setflags(a, 0);
            fs.unlink(ROOT, "a");
        }
    }

    @Test
    void immutableFile_takesNothing_evenThroughAnEarlierDescriptor() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long i = file(fs, ROOT, "i", "frozen");
            OpenFile before = fs.open(i, OpenFlags.O_RDWR);
            fs.setflags(i, FS_IMMUTABLE_FL);
            assertErrno(Errno.EPERM, () -> fs.open(i, OpenFlags.O_WRONLY | OpenFlags.O_APPEND));
            assertErrno(Errno.EPERM, () -> fs.open(i, OpenFlags.O_RDONLY | OpenFlags.O_TRUNC));
            assertErrno(Errno.EPERM, () -> fs.write(before, 0, new byte[] {1}, 0, 1));
            assertErrno(Errno.EPERM, () -> fs.fallocate(before, FallocFlag.KEEP_SIZE, 0, 4096));
            assertErrno(Errno.EPERM, () -> fs.setattr(i, new SetAttr(null, null, null, null, SetAttr.NOW, SetAttr.NOW), null));
            assertErrno(Errno.EPERM, () -> fs.setattr(i, SetAttr.size(0), before));
            assertErrno(Errno.EPERM, () -> fs.setxattr(i, "user.k", new byte[] {1}, 0));
            assertErrno(Errno.EPERM, () -> fs.link(i, ROOT, "j"));
            assertErrno(Errno.EPERM, () -> fs.unlink(ROOT, "i"));
            // Replacing it by a rename removes its name: refused too.
            file(fs, ROOT, "other", "o");
            assertErrno(Errno.EPERM, () -> fs.rename(ROOT, "other", ROOT, "i", 0));
            assertErrno(Errno.EPERM, () -> fs.rename(ROOT, "other", ROOT, "i", Vfs.RENAME_EXCHANGE));
            // Reading and the flag change itself stay allowed.
            assertEquals("frozen", read(fs, i));
            fs.setflags(i, 0);
            fs.write(before, 0, "F".getBytes(StandardCharsets.UTF_8), 0, 1);
            fs.release(before);
            assertEquals("Frozen", read(fs, i));
        }
    }

    @Test
    void directories_appendOnlyAddsButNeverRemoves_immutableNeither() throws Exception {
        try (FsFixture f = FsFixture.small()) {
            ExtentFs fs = f.fs;
            long d = fs.mkdir(ROOT, "d", 0755, 0, 0).ino();
            file(fs, d, "old", "old");
            fs.mkdir(d, "sub", 0755, 0, 0);
            fs.setflags(d, FS_APPEND_FL);
            file(fs, d, "new", "new");
            fs.mkdir(d, "newdir", 0755, 0, 0);
            assertErrno(Errno.EPERM, () -> fs.unlink(d, "old"));
            assertErrno(Errno.EPERM, () -> fs.rmdir(d, "sub"));
            assertErrno(Errno.EPERM, () -> fs.rename(d, "old", ROOT, "moved", 0));
            // The directory's own name cannot go either (may_delete checks the victim too).
            assertErrno(Errno.EPERM, () -> fs.rename(ROOT, "d", ROOT, "e", 0));
            long x = file(fs, ROOT, "x", "x");
            fs.setflags(d, FS_IMMUTABLE_FL);
            assertErrno(Errno.EPERM, () -> fs.create(d, "newer", FileMode.S_IFREG | 0644, OpenFlags.O_WRONLY, 0, 0));
            assertErrno(Errno.EPERM, () -> fs.mkdir(d, "newer", 0755, 0, 0));
            assertErrno(Errno.EPERM, () -> fs.symlink(d, "newer", "old", 0, 0));
            assertErrno(Errno.EPERM, () -> fs.mknod(d, "newer", FileMode.S_IFIFO | 0644, 0, 0, 0));
            assertErrno(Errno.EPERM, () -> fs.link(x, d, "newer"));
            assertErrno(Errno.EPERM, () -> fs.rename(ROOT, "x", d, "newer", 0));
            // EEXIST before EPERM (may_create), ENOENT before EPERM (lookup).
            assertErrno(Errno.EEXIST, () -> fs.mkdir(d, "old", 0755, 0, 0));
            assertErrno(Errno.ENOENT, () -> fs.unlink(d, "missing"));
            assertEquals("old", read(fs, fs.lookup(d, "old").ino()));
            fs.setflags(d, 0);
            fs.unlink(d, "old");
            fs.unlink(d, "new");
            fs.rmdir(d, "sub");
            fs.rmdir(d, "newdir");
            fs.rmdir(ROOT, "d");
        }
    }
}
