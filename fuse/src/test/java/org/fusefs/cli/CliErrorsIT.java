package org.fusefs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.fusefs.fusefs.mount.Unmounter;
import org.fusefs.fusefs.testing.Capabilities;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad input gets one clear line and a non-zero exit status. */
class CliErrorsIT {
    private Path work;

    @BeforeEach
    void setUp() throws IOException {
        work = Files.createTempDirectory("fusefs-err-");
    }

    @AfterEach
    void tearDown() throws IOException {
        Files.deleteIfExists(Pidfiles.logFile(work.resolve("mnt")));
        try (var s = Files.walk(work)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void fails(int status, String message, String... args) throws Exception {
        Capabilities.Result r = Cli.run(args);
        assertEquals(status, r.status(), String.join(" ", args) + " -> " + r.output());
        assertTrue(r.output().contains(message), "expected '" + message + "' in: " + r.output());
        assertTrue(r.output().startsWith("fusefs: "), "one clear line, not a stack trace: " + r.output());
    }

    @Test
    void usageErrors_exitTwo() throws Exception {
        fails(2, "unknown command 'frobnicate'", "frobnicate");
        fails(2, "missing MOUNTPOINT", "mount");
        fails(2, "--memory: 1M is out of range 16M..64G", "mount", "--memory", "1M", work.toString());
        fails(2, "--size: 'lots' is not a size", "mount", "--size", "lots", work.toString());
        fails(2, "--threads: 0 is out of range 1..64", "mount", "--threads", "0", work.toString());
        fails(2, "usage: ./fusefs mkfs IMAGE --size SIZE", "mkfs", work.resolve("x.img").toString());
        fails(2, "memory-report: unknown argument '--bogus'", "memory-report", "--bogus");
        fails(2, "usage: ./fusefs hwpoison FILE OFFSET", "hwpoison", work.toString());
    }

    @Test
    void help_listsEveryCommand() throws Exception {
        Capabilities.Result r = Cli.run("help");
        assertEquals(0, r.status());
        for (String c : new String[] {"mount", "umount", "mkfs", "stat", "extents", "page-owner", "hwpoison",
                "memory-report", "install-mount-helper", "help"}) {
            assertTrue(r.output().contains(c), c);
        }
    }

    @Test
    void mountPointProblems_areNamed() throws Exception {
        Capabilities.requireFuse();
        fails(1, "does not exist", "mount", work.resolve("nope").toString());
        Path file = Files.writeString(work.resolve("file"), "x");
        fails(1, "is not a directory", "mount", file.toString());
        Path full = Files.createDirectory(work.resolve("full"));
        Files.writeString(full.resolve("x"), "x");
        fails(1, "is not empty", "mount", full.toString());
        fails(1, "is not mounted", "umount", work.toString());
    }

    @Test
    void busyMountPoint_isNamed() throws Exception {
        Capabilities.requireFuse();
        Path mp = Files.createDirectory(work.resolve("mnt"));
        var r = Cli.run("mount", "--background", "--size", "64M", "--memory", "64M", mp.toString());
        assertEquals(0, r.status(), r.output());
        try {
            fails(1, "is busy", "mount", "--size", "64M", "--memory", "64M", mp.toString());
            try (var open = java.nio.channels.FileChannel.open(mp.resolve("held"),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                fails(1, "is busy: files are open", "umount", mp.toString());
                assertTrue(Unmounter.isMounted(mp));
            }
        } finally {
            assertEquals(0, Cli.run("umount", mp.toString()).status());
        }
        assertTrue(!Unmounter.isMounted(mp));
    }

    @Test
    void imageProblems_areNamed() throws Exception {
        Capabilities.requireFuse();
        Path mp = Files.createDirectory(work.resolve("mnt"));
        fails(1, "does not exist (make one with ./fusefs mkfs", "mount", "--image", work.resolve("none.img").toString(), mp.toString());
        Path junk = work.resolve("junk.img");
        byte[] b = new byte[32 << 20];
        new Random(9).nextBytes(b);
        Files.write(junk, b);
        fails(1, "damaged or not a fusefs image", "mount", "--memory", "64M", "--image", junk.toString(), mp.toString());
        assertTrue(!Unmounter.isMounted(mp));
        Path img = work.resolve("ok.img");
        assertEquals(0, Cli.run("mkfs", img.toString(), "--size", "64M").status());
        fails(1, "already exists", "mkfs", img.toString(), "--size", "64M");
    }
}
