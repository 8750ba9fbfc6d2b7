package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fusefs.cli.Backend;
import org.fusefs.fusefs.mount.Unmounter;
import org.fusefs.fusefs.testing.Capabilities;
import org.fusefs.fusefs.testing.TestBackends;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh RAM-disk filesystem mounted through the adapter on a fresh temporary directory for the
 * tests of one class ({@code @RegisterExtension static final TestMount fs = ...}). After the class
 * it unmounts, checks that nothing is left mounted, closes the filesystem and removes the
 * directory, also when a step before failed.
 */
final class TestMount implements BeforeAllCallback, AfterAllCallback {
    private final String name;
    private final long size;
    private final long memory;
    private Path mp;
    private Backend backend;
    private LowLevelMount mount;

    /** A {@code size}-byte RAM disk with a {@code memory}-byte memory core; {@code name} is its fsname. */
    TestMount(String name, long size, long memory) {
        this.name = name;
        this.size = size;
        this.memory = memory;
    }

    /** The mount point. */
    Path mp() {
        return mp;
    }

    /** The mount, for its daemon figures. */
    LowLevelMount mount() {
        return mount;
    }

    /** FUSE requests the daemon served so far (its own count, as {@code ./fusefs stat} shows). */
    long requests() {
        for (String line : mount.daemonFigures().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals("requests")) {
                return Long.parseLong(f[1]);
            }
        }
        throw new AssertionError("no request count in " + mount.daemonFigures());
    }

    /** Requests with opcode {@code op} ("FLUSH", "READDIR", ...) served so far. */
    long requests(String op) {
        for (String line : mount.daemonFigures().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals("requests_by_op")) {
                for (int k = 1; k < f.length; k++) {
                    if (f[k].startsWith(op + "=")) {
                        return Long.parseLong(f[k].substring(op.length() + 1));
                    }
                }
                return 0;
            }
        }
        throw new AssertionError("no requests_by_op in " + mount.daemonFigures());
    }

    /**
     * The request count once it stopped moving: RELEASE and FORGET are sent in the background
     * after the system call returned.
     */
    long settledRequests() throws InterruptedException {
        long n = requests();
        for (int quiet = 0; quiet < 5; ) {
            Thread.sleep(20);
            long m = requests();
            quiet = m == n ? quiet + 1 : 0;
            n = m;
        }
        return n;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Capabilities.requireFuse();
        mp = Files.createTempDirectory(name + "-");
        backend = TestBackends.ramDisk(size, memory);
        mount = LowLevelMount.mount(backend.vfs(), backend.introspection(), mp,
                new LowLevelMount.Config(name, 4, List.of(), false), 30_000);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (mount != null) {
                mount.unmount(15_000);
                assertFalse(Unmounter.isMounted(mp), "still mounted after unmount");
            }
        } finally {
            try {
                if (backend != null) {
                    backend.close();
                }
            } finally {
                if (mp != null) {
                    Files.deleteIfExists(mp);
                }
            }
        }
    }
}
