package org.fusefs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;

/**
 * Where a mount's daemon records its pid and log: {@code /run/fusefs} (mode 0700, root only) or,
 * for other users, a directory of their own under the temporary directory. {@code umount} uses the
 * pid to wait until the daemon has flushed and exited.
 */
final class Pidfiles {
    private Pidfiles() {
    }

    static Path dir() throws IOException {
        Path d = "root".equals(System.getProperty("user.name")) ? Path.of("/run/fusefs")
                : Path.of(System.getProperty("java.io.tmpdir"), "fusefs-" + System.getProperty("user.name"));
        if (!Files.isDirectory(d)) {
            Files.createDirectories(d);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        }
        return d;
    }

    private static String key(Path mountPoint) {
        String abs = mountPoint.toAbsolutePath().normalize().toString();
        return abs.replace('/', '_');
    }

    static Path logFile(Path mountPoint) throws IOException {
        return dir().resolve("mount" + key(mountPoint) + ".log");
    }

    static void write(Path mountPoint) {
        try {
            Files.writeString(dir().resolve("mount" + key(mountPoint) + ".pid"),
                    ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("fusefs: cannot record the daemon's pid: " + e.getMessage());
        }
    }

    static OptionalLong read(Path mountPoint) {
        try {
            Path p = dir().resolve("mount" + key(mountPoint) + ".pid");
            if (!Files.exists(p)) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(Long.parseLong(Files.readString(p).trim()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    static void remove(Path mountPoint) {
        try {
            Files.deleteIfExists(dir().resolve("mount" + key(mountPoint) + ".pid"));
        } catch (IOException e) {
            // nothing to clean
        }
    }
}
