package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fusefs.fusefs.mount.Unmounter;
import org.fusefs.fusefs.testing.Capabilities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every operation real programs use, on a mounted filesystem: java.nio.file on the mount, plus C
 * programs for what Java cannot call (fallocate modes, utimensat with UTIME_OMIT, ioctls, O_DIRECT),
 * plus the preload library with fallocate(1), xfs_io and cp --sparse.
 */
class MountedOperationsIT {
    @RegisterExtension
    static final TestMount FS = new TestMount("fusefs-it", 512L << 20, 128L << 20);

    private static Path fresh(String name) throws IOException {
        Path d = Files.createDirectories(FS.mp().resolve("t-" + name));
        return d;
    }

    @Test
    void mountinfo_showsOurTypeAndThroughputOptions() throws IOException {
        String line = Unmounter.mountInfo(FS.mp());
        assertTrue(line.contains("fuse.fusefs"), line);
        assertTrue(line.contains("max_read=131072"), line);
        assertTrue(line.contains("default_permissions"), line);
        if ("root".equals(System.getProperty("user.name"))) {
            assertTrue(line.contains("allow_other"), line);
        }
    }

    @Test
    void createWriteReadAppendTruncate() throws IOException {
        Path d = fresh("rw");
        Path f = d.resolve("f");
        byte[] data = new byte[300_000];
        new Random(1).nextBytes(data);
        Files.write(f, data, StandardOpenOption.CREATE_NEW);
        assertArrayEquals(data, Files.readAllBytes(f));
        assertThrows(FileAlreadyExistsException.class, () -> Files.write(f, data, StandardOpenOption.CREATE_NEW));
        Files.write(f, "tail".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        assertEquals(300_004, Files.size(f));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(1000); // ftruncate
        }
        assertEquals(1000, Files.size(f));
        Files.write(f, new byte[] {1, 2, 3}, StandardOpenOption.TRUNCATE_EXISTING);
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {9}), 8191); // sparse extension
            ch.force(true); // fsync
        }
        assertEquals(8192, Files.size(f));
        byte[] back = Files.readAllBytes(f);
        assertEquals(0, back[100]);
        assertEquals(9, back[8191]);
    }

    @Test
    void directoriesRenameLinkSymlinkUnlink() throws IOException {
        Path d = fresh("ns");
        Files.createDirectories(d.resolve("a/b"));
        Files.writeString(d.resolve("a/b/x"), "x");
        assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(d.resolve("a/b")));
        Files.move(d.resolve("a/b/x"), d.resolve("a/y"));
        Files.writeString(d.resolve("a/z"), "z");
        Files.move(d.resolve("a/y"), d.resolve("a/z"), StandardCopyOption.REPLACE_EXISTING);
        assertEquals("x", Files.readString(d.resolve("a/z")));
        Files.createLink(d.resolve("hard"), d.resolve("a/z"));
        assertEquals(2, (int) Files.getAttribute(d.resolve("hard"), "unix:nlink"));
        Files.createSymbolicLink(d.resolve("sym"), Path.of("a/z"));
        assertEquals(Path.of("a/z"), Files.readSymbolicLink(d.resolve("sym")));
        assertEquals("x", Files.readString(d.resolve("sym")));
        try (Stream<Path> s = Files.list(d)) {
            assertEquals(List.of("a", "hard", "sym"), s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()));
        }
        Files.delete(d.resolve("a/z"));
        assertEquals("x", Files.readString(d.resolve("hard")));
        Files.delete(d.resolve("a/b"));
        assertThrows(NoSuchFileException.class, () -> Files.size(d.resolve("a/z")));
    }

    @Test
    void manyEntries_areListedCompletely() throws IOException {
        Path d = fresh("many");
        for (int i = 0; i < 600; i++) {
            Files.createFile(d.resolve("entry-with-a-longish-name-" + i));
        }
        try (Stream<Path> s = Files.list(d)) {
            assertEquals(600, s.count());
        }
    }

    @Test
    void chmodChownTimesXattrs() throws IOException {
        Path d = fresh("attr");
        Path f = Files.createFile(d.resolve("f"));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        Files.setAttribute(f, "unix:uid", 1234);
        Files.setAttribute(f, "unix:gid", 4321);
        assertEquals(1234, (int) Files.getAttribute(f, "unix:uid"));
        assertEquals(4321, (int) Files.getAttribute(f, "unix:gid"));
        FileTime t = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(f, t);
        assertEquals(t, Files.getLastModifiedTime(f));
        UserDefinedFileAttributeView x = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        x.write("color", ByteBuffer.wrap("blue".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("color"), x.list());
        ByteBuffer v = ByteBuffer.allocate(16);
        x.read("color", v);
        assertEquals("blue", new String(v.array(), 0, v.position(), StandardCharsets.UTF_8));
        x.delete("color");
        assertEquals(List.of(), x.list());
        Files.createSymbolicLink(d.resolve("l"), Path.of("nowhere"));
        assertTrue(Files.isSymbolicLink(d.resolve("l")));
        assertFalse(Files.exists(d.resolve("l")));
        assertTrue(Files.exists(d.resolve("l"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void cOperations_fallocateUtimensIoctlDirectIo() throws Exception {
        Path d = fresh("c");
        Capabilities.Result r = Capabilities.run(List.of(Capabilities.gcc("mount_ops").toString(), d.toString()), null, 60);
        assertEquals(0, r.status(), r.output());
        Map<String, String> got = r.output().lines().map(l -> l.split(" ")[0].split("=", 2))
                .collect(Collectors.toMap(a -> a[0], a -> a[1]));
        String out = r.output();
        assertEquals("0", got.get("fallocate_0"), out);
        assertEquals("65536", got.get("size_after_0"), out);
        assertEquals("0", got.get("fallocate_keep"), out);
        assertEquals("65536", got.get("size_after_keep"), out);
        assertEquals("0", got.get("fallocate_punch"), out);
        assertEquals("1", got.get("punched_zero"), out);
        assertEquals("0", got.get("fallocate_zero"), out);
        assertEquals("131072", got.get("size_after_zero"), out);
        assertEquals("EOPNOTSUPP", got.get("fallocate_collapse_kernel"), out); // without the preload library
        assertTrue(out.contains("utime_mtime_only=0 mtime=1000000000 atime_kept=1"), out);
        assertTrue(out.contains("utime_atime_only=0 atime=1100000000 mtime=1000000000"), out);
        assertEquals("ENOTTY", got.get("ioctl_unknown"), out);
        assertTrue(out.contains("ioctl_probe_file=0 magic_ok=1"), out);
        assertTrue(out.contains("ioctl_probe_dir=0 magic_ok=1"), out);
        assertEquals("0", got.get("fsyncdir"), out);
        assertTrue(out.contains("statfs=0 namemax=255 type=0x65735546"), out);
        assertEquals("0", got.get("fdatasync"), out);
        assertEquals("0", got.get("open_direct"), out);
        assertEquals("0", got.get("pwrite_direct"), out);
        assertEquals("0", got.get("pread_direct"), out);
    }

    private static Map<String, String> preload() {
        return Map.of("LD_PRELOAD", Capabilities.preloadLibrary().toString());
    }

    private static void pages(Path f, String letters) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (char c : letters.toCharArray()) {
            sb.append(String.valueOf(c).repeat(4096));
        }
        Files.writeString(f, sb.toString());
    }

    private static String firstBytesOfPages(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.length; i += 4096) {
            sb.append(b[i] == 0 ? '0' : (char) b[i]);
        }
        return sb.toString();
    }

    @Test
    void preload_fallocateCollapseAndInsert_withExt4Errno() throws Exception {
        Capabilities.require(Capabilities.onPath("fallocate"), "fallocate(1)");
        Path f = fresh("preload").resolve("f");
        pages(f, "ABCDEFGH");
        Capabilities.Result r = Capabilities.run(List.of("fallocate", "-c", "-o", "4096", "-l", "8192", f.toString()), preload(), 30);
        assertEquals(0, r.status(), r.output());
        assertEquals("ADEFGH", firstBytesOfPages(f));
        r = Capabilities.run(List.of("fallocate", "-i", "-o", "0", "-l", "4096", f.toString()), preload(), 30);
        assertEquals(0, r.status(), r.output());
        assertEquals("0ADEFGH", firstBytesOfPages(f));
        r = Capabilities.run(List.of("fallocate", "-c", "-o", "100", "-l", "4096", f.toString()), preload(), 30);
        assertEquals(1, r.status(), r.output());
        assertTrue(r.output().contains("Invalid argument"), "ext4 answers EINVAL for a misaligned collapse: " + r.output());
        r = Capabilities.run(List.of("fallocate", "-c", "-o", "0", "-l", "4096", f.toString()), null, 30);
        assertTrue(r.output().contains("Operation not supported"), "without the library the kernel refuses: " + r.output());
    }

    @Test
    void preload_xfsIoFcollapse() throws Exception {
        Capabilities.require(Capabilities.onPath("xfs_io"), "xfs_io (package xfsprogs)");
        Path f = fresh("xfsio").resolve("f");
        pages(f, "ABCD");
        Capabilities.Result r = Capabilities.run(List.of("xfs_io", "-c", "fcollapse 0 4096", f.toString()), preload(), 30);
        assertEquals(0, r.status(), r.output());
        assertEquals("BCD", firstBytesOfPages(f));
        r = Capabilities.run(List.of("xfs_io", "-c", "finsert 4096 4096", f.toString()), preload(), 30);
        assertEquals(0, r.status(), r.output());
        assertEquals("B0CD", firstBytesOfPages(f));
    }

    @Test
    void preload_cpSparseSeesTheHoles() throws Exception {
        Path d = fresh("sparse");
        Path f = d.resolve("f");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}), 0);
            ch.write(ByteBuffer.wrap(new byte[] {2}), 8L << 20);
        }
        Path copy = Files.createTempFile("fusefs-sparse-", ".copy");
        try {
            Capabilities.Result r = Capabilities.run(List.of("cp", "--sparse=always", f.toString(), copy.toString()), preload(), 60);
            assertEquals(0, r.status(), r.output());
            assertEquals(Files.size(f), Files.size(copy));
            long blocks = ((Number) Capabilities.run(List.of("stat", "-c", "%b", copy.toString()), null, 10).output().trim().transform(Long::parseLong)).longValue();
            assertTrue(blocks * 512 < (1 << 20), "copy allocated " + blocks * 512 + " bytes: holes were not seen");
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    @Test
    void collapse_invalidatesPagesCachedAndMappedByTheCaller() throws Exception {
        Path f = fresh("inval").resolve("m");
        Capabilities.Result r = Capabilities.run(List.of(Capabilities.gcc("mmap_collapse").toString(), f.toString()), preload(), 60);
        assertEquals(0, r.status(), r.output());
        assertEquals("OK", r.output().trim());
    }

    @Test
    void figures_areForTheMountsOwnerOnly() throws Exception {
        Capabilities.require("root".equals(System.getProperty("user.name")), "root (to run a client as nobody)");
        Capabilities.require(Capabilities.onPath("setpriv"), "setpriv (util-linux)");
        Path exe = Capabilities.gcc("ioctl_report");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Path p = exe.getParent(); p != null; p = p.getParent()) {
            if (!Files.isExecutable(p)) {
                Capabilities.require(false, "a test directory other users can enter (" + p + ")");
            }
        }
        Capabilities.Result root = Capabilities.run(List.of(exe.toString(), FS.mp().toString()), null, 30);
        assertTrue(root.output().startsWith("report=0 total="), root.output());
        Capabilities.Result nobody = Capabilities.run(List.of("setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", exe.toString(), FS.mp().toString()), null, 30);
        assertEquals("report=EPERM", nobody.output().trim(), "allow_other lets nobody in, but not to the figures");
    }

    @Test
    void concurrentReaders_seeTheirOwnData() throws Exception {
        Path d = fresh("conc");
        int n = 4;
        Thread[] ts = new Thread[n];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < n; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                try {
                    byte[] data = new byte[200_000];
                    new Random(100 + id).nextBytes(data);
                    Path f = d.resolve("f" + id);
                    for (int round = 0; round < 5; round++) {
                        Files.write(f, data);
                        assertArrayEquals(data, Files.readAllBytes(f), "thread " + id + " round " + round);
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }
}
