package org.fusefs.fusefs.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's side of a mount: {@code /proc/self/mountinfo} says whether and what is mounted on a
 * directory, and {@code fusermount -u} unmounts, waited for (a lazy unmount left running is how the
 * next mount lands on a stale one). Used by the daemon's mount lifecycle and by {@code fusefs umount}.
 */
public final class Unmounter {
    private Unmounter() {
    }

    /** The mountinfo line of the mount at {@code dir}, or null. */
    public static String mountInfo(Path dir) throws IOException {
        String want = escape(dir.toAbsolutePath().normalize().toString());
        String found = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(want)) {
                found = line; // the last one is on top
            }
        }
        return found;
    }

    /** The filesystem type of the top mount at {@code dir} (e.g. {@code fuse.fusefs}), or null. */
    public static String mountType(Path dir) throws IOException {
        String line = mountInfo(dir);
        if (line == null) {
            return null;
        }
        int sep = line.indexOf(" - ");
        return line.substring(sep + 3).split(" ")[0];
    }

    public static boolean isMounted(Path dir) throws IOException {
        return mountInfo(dir) != null;
    }

    private static String escape(String s) {
        return s.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012");
    }

    /**
     * Runs {@code fusermount -u [-z] dir} and waits for it. Returns its error output (empty on
     * success).
     */
    public static String fusermount(Path dir, boolean lazy, long timeoutMillis) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("fusermount", "-u"));
        if (lazy) {
            cmd.add("-z");
        }
        cmd.add(dir.toAbsolutePath().toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            return "fusermount did not finish within " + timeoutMillis + " ms";
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return p.exitValue() == 0 ? "" : (out.isEmpty() ? "fusermount exit " + p.exitValue() : out);
    }
}
