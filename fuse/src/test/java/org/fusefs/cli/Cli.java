package org.fusefs.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fusefs.fusefs.testing.Capabilities;

/** Runs the packaged command-line tool ({@code fusefs.jar} + {@code lib/*}) in a child JVM. */
final class Cli {
    private Cli() {
    }

    static String classPath() {
        Path dir = Capabilities.moduleDir();
        String jar = System.getProperty("fusefs.jar", dir.resolve("target/fusefs.jar").toString());
        String lib = System.getProperty("fusefs.lib", dir.resolve("target/lib").toString());
        if (!Files.exists(Path.of(jar))) {
            throw new IllegalStateException(jar + " missing: run mvn package (or verify) first");
        }
        return jar + File.pathSeparator + lib + File.separator + "*";
    }

    static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(Main.class.getName());
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    static Capabilities.Result run(String... args) throws IOException, InterruptedException {
        return Capabilities.run(command(args), null, 180);
    }

    /** Starts the tool without waiting; stderr merged into stdout. */
    static Process start(String... args) throws IOException {
        return new ProcessBuilder(command(args)).redirectErrorStream(true).start();
    }
}
