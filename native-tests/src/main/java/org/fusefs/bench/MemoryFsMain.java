package org.fusefs.bench;

import java.nio.file.Paths;

import ru.serce.jnrfuse.examples.MemoryFS;

/**
 * Mounts jnr-fuse's example {@link MemoryFS} on a given mount point. Its own main mounts on the
 * fixed path /tmp/mntm with libfuse debug output (every request printed), which would measure the
 * terminal; this launcher mounts it like {@link NoopFs}: blocking, no debug, {@code big_writes}.
 */
public final class MemoryFsMain {
    private MemoryFsMain() {
    }

    public static void main(String[] args) {
        new MemoryFS().mount(Paths.get(args[0]), true, false, new String[] {"-o", "big_writes"});
    }
}
