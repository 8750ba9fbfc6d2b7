package org.fusefs.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.fusefs.fusefs.mount.Unmounter;

/**
 * {@code fusefs umount [--lazy] MOUNTPOINT}: unmounts with {@code fusermount -u}, also a mount whose
 * daemon was killed, and waits until the daemon has flushed its filesystem and exited.
 */
final class UmountCommand {
    private static final long FUSERMOUNT_TIMEOUT_MS = 30_000;
    private static final long DAEMON_EXIT_TIMEOUT_MS = 120_000;

    private UmountCommand() {
    }

    static int run(List<String> args) throws CliException, IOException, InterruptedException {
        boolean lazy = false;
        Path mp = null;
        for (String a : args) {
            if (a.equals("--lazy") || a.equals("-z")) {
                lazy = true;
            } else if (a.startsWith("-")) {
                throw CliException.usage("umount: unknown option " + a);
            } else if (mp != null) {
                throw CliException.usage("umount: more than one mount point");
            } else {
                mp = Path.of(a);
            }
        }
        if (mp == null) {
            throw CliException.usage("umount: missing MOUNTPOINT (usage: ./fusefs umount [--lazy] MOUNTPOINT)");
        }
        String type = Unmounter.mountType(mp);
        if (type == null) {
            throw CliException.failed(mp + " is not mounted");
        }
        if (!type.startsWith("fuse")) {
            throw CliException.failed(mp + " is not a fusefs mount (filesystem type " + type + ")");
        }
        OptionalLong pid = Pidfiles.read(mp);
        String err = Unmounter.fusermount(mp, lazy, FUSERMOUNT_TIMEOUT_MS);
        if (!err.isEmpty() && Unmounter.isMounted(mp)) {
            if (err.contains("busy")) {
                throw CliException.failed(mp + " is busy: files are open or a process works in it"
                        + " (close them, or ./fusefs umount --lazy " + mp + ")");
            }
            throw CliException.failed("cannot unmount " + mp + ": " + err);
        }
        if (pid.isPresent()) {
            Optional<ProcessHandle> daemon = ProcessHandle.of(pid.getAsLong());
            if (daemon.isPresent() && daemon.get().info().command().orElse("").contains("java")) {
                try {
                    daemon.get().onExit().get(DAEMON_EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw CliException.failed("unmounted " + mp + ", but its daemon (pid " + pid.getAsLong()
                            + ") did not finish flushing within " + DAEMON_EXIT_TIMEOUT_MS / 1000 + " s");
                }
            }
            Pidfiles.remove(mp);
        }
        return 0;
    }
}
