package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Through a real mount, what the kernel keeps so that requests never reach the daemon: a close
 * sends no FLUSH, names and attributes stay valid past libfuse's one-second default, a file
 * opened again is read from the kernel's pages, and an unchanged directory is listed again from
 * the kernel's copy. Each case counts the daemon's requests, and each
 * checks that what the cache answers is still right after the change it must not hide.
 */
class KernelCachingIT {
    @RegisterExtension
    static final TestMount FS = new TestMount("fusefs-caching-it", 128L << 20, 32L << 20);

    @Test
    void closeSendsNoFlush() throws Exception {
        Path f = FS.mp().resolve("flush");
        Files.writeString(f, "x");
        long before = FS.settledRequests();
        long flushes = FS.requests("FLUSH");
        long opens = FS.requests("OPEN");
        for (int i = 0; i < 100; i++) {
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
                assertTrue(c.isOpen());
            }
        }
        long asked = FS.settledRequests() - before;
        assertEquals(0, FS.requests("FLUSH") - flushes, "FLUSH requests for 100 closes");
        assertEquals(100, FS.requests("OPEN") - opens, "OPEN requests for 100 opens");
        // OPEN and RELEASE each time; a FLUSH per close would make it 300.
        assertTrue(asked <= 210, "100 opens and closes took " + asked + " requests");
    }

    @Test
    void namesAndAttributesStayValidPastOneSecond() throws Exception {
        Path d = Files.createDirectories(FS.mp().resolve("names"));
        for (int i = 0; i < 50; i++) {
            Files.writeString(d.resolve("f" + i), "file " + i);
        }
        for (int i = 0; i < 50; i++) {
            Files.readAttributes(d.resolve("f" + i), BasicFileAttributes.class);
        }
        Thread.sleep(1_500);
        long before = FS.settledRequests();
        for (int i = 0; i < 50; i++) {
            assertEquals(("file " + i).length(), Files.readAttributes(d.resolve("f" + i), BasicFileAttributes.class).size());
        }
        assertEquals(0, FS.settledRequests() - before, "stat of 50 known names after 1.5 s");

        // What the kernel cached must follow every change made through it.
        Files.writeString(d.resolve("f0"), "longer than before");
        assertEquals("longer than before".length(), Files.size(d.resolve("f0")));
        Files.move(d.resolve("f1"), d.resolve("g1"));
        assertTrue(Files.notExists(d.resolve("f1")));
        assertEquals("file 1", Files.readString(d.resolve("g1")));
        Files.delete(d.resolve("f2"));
        assertTrue(Files.notExists(d.resolve("f2")));
        Files.createLink(d.resolve("h3"), d.resolve("f3"));
        assertEquals(2, (int) Files.getAttribute(d.resolve("f3"), "unix:nlink"));
        Files.delete(d.resolve("h3"));
        assertEquals(1, (int) Files.getAttribute(d.resolve("f3"), "unix:nlink"));
        Files.setPosixFilePermissions(d.resolve("f4"), java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
        assertEquals("r--------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(d.resolve("f4"))));
        try (FileChannel c = FileChannel.open(d.resolve("f5"), StandardOpenOption.WRITE)) {
            c.truncate(2);
        }
        assertEquals("fi", Files.readString(d.resolve("f5")));
    }

    @Test
    void aFileOpenedAgainIsReadFromTheKernelsPages() throws Exception {
        Path f = FS.mp().resolve("keep");
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        Files.write(f, data);
        assertArrayEquals(data, Files.readAllBytes(f));
        long before = FS.settledRequests();
        long reads = FS.requests("READ");
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(data, Files.readAllBytes(f));
        }
        long asked = FS.settledRequests() - before;
        assertEquals(0, FS.requests("READ") - reads, "READ requests for a file in the kernel's cache");
        // OPEN and RELEASE each time; reading the MiB again would add at least 8 READs per open.
        assertTrue(asked <= 8, "3 reads of a cached 1 MiB file took " + asked + " requests");

        // A write through another descriptor is seen by the next open, not hidden by the cache.
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 4096);
        }
        data[4096] = 1;
        data[4097] = 2;
        data[4098] = 3;
        assertArrayEquals(data, Files.readAllBytes(f));
    }

    private static java.util.Set<String> list(Path d) throws java.io.IOException {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet());
        }
    }

    @Test
    void anUnchangedDirectoryIsListedFromTheKernelsCopy() throws Exception {
        Path d = Files.createDirectories(FS.mp().resolve("listing"));
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String n = "entry-with-a-longish-name-" + i;
            Files.createFile(d.resolve(n));
            names.add(n);
        }
        assertEquals(names, list(d));
        long before = FS.settledRequests();
        long readdirs = FS.requests("READDIR");
        for (int i = 0; i < 3; i++) {
            assertEquals(names, list(d));
        }
        long asked = FS.settledRequests() - before;
        assertEquals(0, FS.requests("READDIR") - readdirs, "READDIR requests for an unchanged directory");
        // OPENDIR and RELEASEDIR each time; reading 1,000 entries again takes several READDIRs.
        assertTrue(asked <= 8, "3 listings of an unchanged 1,000-entry directory took " + asked + " requests");

        // Every change through the mount shows in the next listing.
        Files.createFile(d.resolve("new"));
        names.add("new");
        assertEquals(names, list(d));
        Files.delete(d.resolve("entry-with-a-longish-name-0"));
        names.remove("entry-with-a-longish-name-0");
        assertEquals(names, list(d));
        Files.move(d.resolve("entry-with-a-longish-name-1"), d.resolve("moved"));
        names.remove("entry-with-a-longish-name-1");
        names.add("moved");
        assertEquals(names, list(d));
        Path other = Files.createDirectories(FS.mp().resolve("listing-other"));
        Files.move(d.resolve("moved"), other.resolve("moved"));
        names.remove("moved");
        assertEquals(names, list(d));
        assertEquals(java.util.Set.of("moved"), list(other));
    }
}
