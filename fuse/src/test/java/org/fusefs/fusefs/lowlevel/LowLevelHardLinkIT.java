package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Through the low-level adapter a file's hard links are one kernel inode: one st_ino, one link
 * count, one page cache.
 */
class LowLevelHardLinkIT {
    @RegisterExtension
    static final TestMount FS = new TestMount("fusefs-ll-it", 128L << 20, 64L << 20);

    private static long ino(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:ino")).longValue();
    }

    private static int nlink(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:nlink")).intValue();
    }

    @Test
    void hardLinks_shareInodeNumberLinkCountAndData() throws Exception {
        Path d = Files.createDirectories(FS.mp().resolve("links"));
        Path a = d.resolve("a");
        Path b = d.resolve("b");
        Files.writeString(a, "first version of a");
        Files.createLink(b, a);

        assertEquals(ino(a), ino(b), "st_ino of a and b");
        assertEquals(2, nlink(a), "st_nlink through a");
        assertEquals(2, nlink(b), "st_nlink through b");
        assertNotEquals(ino(d), ino(a), "the directory has its own inode");

        try (FileChannel ra = FileChannel.open(a, StandardOpenOption.READ)) {
            ByteBuffer before = ByteBuffer.allocate(64);
            ra.read(before, 0); // a's pages are now in the kernel's cache
            try (FileChannel wb = FileChannel.open(b, StandardOpenOption.WRITE)) {
                wb.write(ByteBuffer.wrap("SECOND".getBytes(StandardCharsets.US_ASCII)), 0);
            }
            ByteBuffer after = ByteBuffer.allocate(18);
            ra.read(after, 0);
            assertArrayEquals("SECONDversion of a".getBytes(StandardCharsets.US_ASCII),
                    after.array(), "write through b read through a's open descriptor");
        }

        Files.delete(a);
        assertEquals(1, nlink(b), "st_nlink of b after unlink(a)");
        assertEquals("SECONDversion of a", Files.readString(b));
    }

    @Test
    void writeThroughOneName_isSeenByASharedMappingOfTheOther() throws Exception {
        Path d = Files.createDirectories(FS.mp().resolve("mapped"));
        Path a = d.resolve("a");
        Path b = d.resolve("b");
        Files.write(a, new byte[8192]);
        Files.createLink(b, a);
        try (FileChannel ca = FileChannel.open(a, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            java.nio.MappedByteBuffer map = ca.map(FileChannel.MapMode.READ_WRITE, 0, 8192);
            assertEquals(0, map.get(5000), "fresh mapping reads zeros");
            try (FileChannel cb = FileChannel.open(b, StandardOpenOption.WRITE)) {
                cb.write(ByteBuffer.wrap(new byte[] {42}), 5000);
            }
            assertEquals(42, map.get(5000), "mapping of a sees the write through b");
            unmap(map); // a mapping left to the GC keeps the mount busy at unmount
        }
    }

    private static void unmap(java.nio.MappedByteBuffer map) throws Exception {
        java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        ((sun.misc.Unsafe) f.get(null)).invokeCleaner(map);
    }

    @Test
    void rootIsFuseRootId_andNamesResolveToOurInodeNumbers() throws Exception {
        assertEquals(1L, ino(FS.mp()), "root st_ino is Vfs.ROOT_INO");
        Path f = FS.mp().resolve("ino-check");
        Files.writeString(f, "x");
        long ino = ino(f);
        Path g = FS.mp().resolve("ino-check-renamed");
        Files.move(f, g);
        assertEquals(ino, ino(g), "rename keeps the inode number");
    }
}
