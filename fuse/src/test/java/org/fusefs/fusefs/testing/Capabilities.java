package org.fusefs.fusefs.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine (FUSE, gcc, a tool): skipped when missing on a laptop, a
 * failure when {@code CI} is set, because a skipped mount test proves nothing.
 */
public final class Capabilities {
    private Capabilities() {
    }

    public static void require(boolean present, String what) {
        if (present) {
            return;
        }
        if (System.getenv("CI") != null && !System.getenv("CI").isEmpty()) {
            fail("CI is set but " + what + " is missing");
        }
        Assumptions.abort(what + " is missing");
    }

    public static void requireFuse() {
        require(Files.exists(Path.of("/dev/fuse")), "/dev/fuse");
        require(onPath("fusermount"), "fusermount (package fuse)");
    }

    public static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** The module directory ({@code fuse/}). */
    public static Path moduleDir() {
        Path p = Path.of("").toAbsolutePath();
        return Files.isDirectory(p.resolve("src/main/c")) ? p : p.resolve("fuse");
    }

    /** Compiles {@code src/test/c/NAME.c} with the fusefs header into target/test-native/NAME. */
    public static Path gcc(String name, String... extraFlags) throws IOException, InterruptedException {
        require(onPath("gcc"), "gcc");
        Path dir = moduleDir();
        Path out = dir.resolve("target/test-native");
        Files.createDirectories(out);
        Path exe = out.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O1", "-Wall", "-Werror", "-I" + dir.resolve("src/main/c/include")));
        cmd.addAll(List.of(extraFlags));
        cmd.addAll(List.of("-o", exe.toString(), dir.resolve("src/test/c/" + name + ".c").toString()));
        Result r = run(cmd, null, 60);
        if (r.status != 0) {
            fail("gcc " + name + ".c failed:\n" + r.output);
        }
        return exe;
    }

    /** The preload library built by the module's compile phase. */
    public static Path preloadLibrary() {
        Path lib = moduleDir().resolve("target/native/libfusefs-preload.so");
        if (!Files.exists(lib)) {
            fail("the build did not make " + lib);
        }
        return lib;
    }

    /** Exit status and combined output of a command. */
    public record Result(int status, String output) {
    }

    /** Runs a command with extra environment {@code env} (may be null), output merged, with a timeout. */
    public static Result run(List<String> cmd, java.util.Map<String, String> env, long timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true);
        if (env != null) {
            pb.environment().putAll(env);
        }
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
