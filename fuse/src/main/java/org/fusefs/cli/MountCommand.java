package org.fusefs.cli;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fusefs.fusefs.lowlevel.LowLevelMount;
import org.fusefs.fusefs.mount.Unmounter;

/**
 * {@code fusefs mount}: checks the environment, opens the filesystem, mounts it and serves it in
 * the foreground until Ctrl-C, SIGTERM or an unmount; then unmounts, flushes and closes. With
 * {@code --background} a detached child process does that and this process returns once the
 * child's mount answered its probe.
 */
final class MountCommand {
    static final String READY = "fusefs-ready";
    private static final long READY_TIMEOUT_MS = 60_000;
    private static final long UNMOUNT_DEADLINE_MS = 15_000;

    private MountCommand() {
    }

    static int run(List<String> args) throws CliException, IOException, InterruptedException {
        MountOptions o = MountOptions.parse(args);
        checkEnvironment(o);
        if (o.background()) {
            return background(args, o);
        }
        return foreground(o);
    }

    /** Everything that would make libfuse or the filesystem fail with an unclear message. */
    static void checkEnvironment(MountOptions o) throws CliException, IOException {
        checkEnvironment(o, Path.of("/dev/fuse"));
    }

    static void checkEnvironment(MountOptions o, Path devFuse) throws CliException, IOException {
        if (!Files.exists(devFuse)) {
            throw CliException.failed(devFuse + " is missing: load the fuse kernel module (modprobe fuse)"
                    + " or give the container the device");
        }
        if (!onPath("fusermount")) {
            throw CliException.failed("fusermount not found: install package fuse (apt-get install fuse)");
        }
        try {
            LowLevelMount.checkLibrary();
        } catch (IOException e) {
            throw CliException.failed(e.getMessage());
        }
        Path mp = o.mountPoint();
        if (!Files.exists(mp)) {
            throw CliException.failed("mount point " + mp + " does not exist (create it with mkdir)");
        }
        if (!Files.isDirectory(mp)) {
            throw CliException.failed("mount point " + mp + " is not a directory");
        }
        if (Unmounter.isMounted(mp)) {
            throw CliException.failed("mount point " + mp + " is busy: something is already mounted there"
                    + " (./fusefs umount " + mp + ")");
        }
        if (!o.fuseOptions().contains("nonempty")) {
            try (Stream<Path> s = Files.list(mp)) {
                if (s.findAny().isPresent()) {
                    throw CliException.failed("mount point " + mp + " is not empty (use -o nonempty to mount over it)");
                }
            }
        }
        Path image = o.image();
        if (image != null) {
            if (!Files.exists(image)) {
                throw CliException.failed("image " + image + " does not exist (make one with ./fusefs mkfs "
                        + image + " --size 8G)");
            }
            if (!Files.isRegularFile(image) && !image.toString().startsWith("/dev/")) {
                throw CliException.failed("image " + image + " is not a regular file");
            }
            if (!Files.isReadable(image) || !Files.isWritable(image)) {
                throw CliException.failed("image " + image + " is not readable and writable by this user");
            }
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static int foreground(MountOptions o) throws CliException, IOException, InterruptedException {
        Backend backend;
        try {
            backend = Backends.open(o.image(), o.size(), o.memory(), o.pageOwner());
        } catch (IOException | RuntimeException e) {
            throw CliException.failed((o.image() != null ? "image " + o.image() + " cannot be mounted"
                    + " (damaged or not a fusefs image): " : "filesystem cannot be created: ") + e.getMessage());
        }
        LowLevelMount mount;
        try {
            mount = LowLevelMount.mount(backend.vfs(), backend.introspection(), o.mountPoint(),
                    new LowLevelMount.Config(backend.source(), o.threads(), o.fuseOptions(), o.debug()), READY_TIMEOUT_MS);
        } catch (IOException | RuntimeException e) {
            backend.close();
            throw CliException.failed(e.getMessage());
        }
        Shutdown shutdown = new Shutdown(mount, backend);
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown::run, "fusefs-shutdown"));
        Pidfiles.write(o.mountPoint());
        if (o.readyLine()) {
            System.out.println(READY + " " + o.mountPoint());
            System.out.flush();
            // The parent stops reading once ready; further output goes to the log.
            System.setOut(new PrintStream(System.err, true, StandardCharsets.UTF_8));
        } else {
            System.err.println("fusefs: mounted " + backend.source() + " on " + o.mountPoint()
                    + " (Ctrl-C or ./fusefs umount " + o.mountPoint() + " to unmount)");
        }
        mount.awaitLoopEnd();
        shutdown.run();
        return 0;
    }

    /** Unmount, report, flush and close: once, whoever gets here first (main thread or signal). */
    private static final class Shutdown {
        private final LowLevelMount mount;
        private final Backend backend;
        private boolean done;

        Shutdown(LowLevelMount mount, Backend backend) {
            this.mount = mount;
            this.backend = backend;
        }

        synchronized void run() {
            if (done) {
                return;
            }
            done = true;
            mount.unmount(UNMOUNT_DEADLINE_MS);
            System.err.print("fusefs: unmounted " + mount.mountPoint() + "\n" + mount.daemonFigures());
            try {
                backend.close();
            } catch (IOException | RuntimeException e) {
                System.err.println("fusefs: flushing the filesystem failed: " + e);
            }
            Pidfiles.remove(mount.mountPoint());
            System.err.flush();
        }
    }

    private static int background(List<String> args, MountOptions o) throws CliException, IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (onPath("setsid")) {
            cmd.add("setsid"); // out of the terminal's process group: Ctrl-C in the shell must not reach it
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add("mount");
        cmd.add("--ready-line");
        for (String a : args) {
            if (!a.equals("--background") && !a.equals("-b")) {
                cmd.add(a);
            }
        }
        Path log = Pidfiles.logFile(o.mountPoint());
        Process child = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.to(log.toFile()))
                .start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(READY)) {
                    System.err.println("fusefs: mounted on " + o.mountPoint() + " (daemon pid " + child.pid()
                            + ", log " + log + ")");
                    return 0;
                }
            }
        }
        child.waitFor();
        String tail = String.join("\n", lastLines(log, 20));
        throw CliException.failed("mount failed (daemon exit " + child.exitValue() + "):\n" + tail);
    }

    private static List<String> lastLines(Path log, int n) throws IOException {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return all.subList(Math.max(0, all.size() - n), all.size());
    }
}
