package org.fusefs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fusefs.fusefs.mount.Unmounter;
import org.fusefs.fusefs.testing.Capabilities;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tool's mount lifecycle in child processes: foreground readiness and SIGTERM, background
 * mounts, the live figures, umount of a killed daemon, persistence of an image across remounts.
 * Readiness is never a sleep: the tool reports "mounted" only after its probe getattr reached the
 * filesystem, and the test checks the mount right after that report.
 */
class MountLifecycleIT {
    private Path mp;
    private Path work;

    @BeforeEach
    void setUp() throws IOException {
        Capabilities.requireFuse();
        work = Files.createTempDirectory("fusefs-cli-");
        mp = Files.createDirectory(work.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (mp != null && Unmounter.isMounted(mp)) {
            Unmounter.fusermount(mp, true, 10_000);
        }
        if (mp != null) {
            Files.deleteIfExists(Pidfiles.logFile(mp));
        }
        if (work != null) {
            try (var s = Files.walk(work)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void foreground_isReadyWhenItSaysSo_andSigtermFlushesAndUnmounts() throws Exception {
        Process p = Cli.start("mount", "--size", "64M", "--memory", "64M", mp.toString());
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            assertNotNull(line, "the tool exited before mounting");
            assertTrue(line.startsWith("fusefs: mounted"), line);
            assertTrue(Unmounter.isMounted(mp), "reported mounted but not in mountinfo");
            Files.writeString(mp.resolve("f"), "data");
            assertEquals("data", Files.readString(mp.resolve("f")));
            assertEquals(0, Capabilities.run(java.util.List.of("kill", "-TERM", Long.toString(p.pid())), null, 10).status());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "daemon did not exit after SIGTERM");
            StringBuilder rest = new StringBuilder();
            for (String l; (l = r.readLine()) != null; ) {
                rest.append(l).append('\n');
            }
            assertFalse(Unmounter.isMounted(mp), "still mounted after SIGTERM:\n" + rest);
            assertTrue(rest.toString().contains("fusefs: unmounted"), rest.toString());
            assertTrue(rest.toString().contains("requests"), rest.toString());
            assertTrue(rest.toString().contains("worker_cpu_ns"), rest.toString());
        } finally {
            p.destroyForcibly();
        }
    }

    private static long daemonPid(String output) {
        Matcher m = Pattern.compile("daemon pid (\\d+)").matcher(output);
        assertTrue(m.find(), output);
        return Long.parseLong(m.group(1));
    }

    /** Whether process {@code pid} is gone or a zombie (exited, not yet reaped by init). */
    private static boolean exited(long pid) throws IOException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return true;
        }
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) == 'Z';
        } catch (java.nio.file.NoSuchFileException e) {
            return true;
        }
    }

    @Test
    void background_figures_andUmount() throws Exception {
        var r = Cli.run("mount", "--background", "--page-owner", "--size", "64M", "--memory", "64M", mp.toString());
        assertEquals(0, r.status(), r.output());
        assertTrue(Unmounter.isMounted(mp), "background mount returned before it was ready");
        long pid = daemonPid(r.output());
        try {
            byte[] data = new byte[100_000];
            new Random(7).nextBytes(data);
            Path f = mp.resolve("f");
            Files.write(f, data);

            var stat = Cli.run("stat", mp.toString());
            assertEquals(0, stat.status(), stat.output());
            for (String want : new String[] {"buddyinfo", "pagetypeinfo", "MemTotal", "nr_file_pages", "nr_dirty",
                    "nr_writeback", "pagecache_hits", "pagecache_misses", "fs_blocks_used", "requests", "worker_cpu_ns"}) {
                assertTrue(stat.output().contains(want), want + " missing from:\n" + stat.output());
            }
            var ext = Cli.run("extents", f.toString());
            assertEquals(0, ext.status(), ext.output());
            assertTrue(ext.output().contains("logical") && ext.output().lines().count() >= 2, ext.output());
            var owner = Cli.run("page-owner", mp.toString());
            assertEquals(0, owner.status(), owner.output());
            assertTrue(owner.output().matches("(?s).*\\d+ times: page allocated via order \\d+, type \\w+.*"),
                    "page_owner report without grouped allocations:\n" + owner.output());

            try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true); // clean pages: a memory failure drops them and the data is re-read
            }
            assertArrayEquals(data, Files.readAllBytes(f)); // cache the pages
            var poison = Cli.run("hwpoison", f.toString(), "4096");
            assertEquals(0, poison.status(), poison.output());
            assertTrue(poison.output().contains("memory failure on pfn"), poison.output());
            assertArrayEquals(data, Files.readAllBytes(f), "a clean page lost to memory failure is read again");
            var again = Cli.run("stat", mp.toString());
            assertTrue(again.output().contains("memory_failure_dropped 1"), again.output());

            var u = Cli.run("umount", mp.toString());
            assertEquals(0, u.status(), u.output());
            assertFalse(Unmounter.isMounted(mp));
            assertTrue(exited(pid), "umount returned before the daemon finished");
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void umount_cleansUpAfterAKilledDaemon() throws Exception {
        var r = Cli.run("mount", "--background", "--size", "64M", "--memory", "64M", mp.toString());
        assertEquals(0, r.status(), r.output());
        long pid = daemonPid(r.output());
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        daemon.destroyForcibly(); // SIGKILL
        daemon.onExit().get(30, TimeUnit.SECONDS);
        assertTrue(Unmounter.isMounted(mp), "a killed daemon leaves its mount behind");
        assertThrows(IOException.class, () -> Files.list(mp).close(), "the dead mount answers ENOTCONN");
        var u = Cli.run("umount", mp.toString());
        assertEquals(0, u.status(), u.output());
        assertFalse(Unmounter.isMounted(mp));
    }

    @Test
    void mkfsImage_persistsAcrossRemount() throws Exception {
        Path image = work.resolve("disk.img");
        var mk = Cli.run("mkfs", image.toString(), "--size", "128M");
        assertEquals(0, mk.status(), mk.output());
        byte[] data = new byte[300_000];
        new Random(3).nextBytes(data);
        var m = Cli.run("mount", "--background", "--memory", "64M", "--image", image.toString(), mp.toString());
        assertEquals(0, m.status(), m.output());
        Files.createDirectories(mp.resolve("dir"));
        Files.write(mp.resolve("dir/file"), data);
        Files.createSymbolicLink(mp.resolve("link"), Path.of("dir/file"));
        assertEquals(0, Cli.run("umount", mp.toString()).status());
        assertFalse(Unmounter.isMounted(mp));

        m = Cli.run("mount", "--background", "--memory", "64M", "--image", image.toString(), mp.toString());
        assertEquals(0, m.status(), m.output());
        try {
            assertArrayEquals(data, Files.readAllBytes(mp.resolve("dir/file")));
            assertEquals(Path.of("dir/file"), Files.readSymbolicLink(mp.resolve("link")));
            var owner = Cli.run("page-owner", mp.toString());
            assertEquals(0, owner.status(), owner.output());
            assertTrue(owner.output().contains("page_owner is off: mount with --page-owner"), owner.output());
        } finally {
            var u = Cli.run("umount", mp.toString());
            assertEquals(0, u.status(), u.output());
        }
    }
}
