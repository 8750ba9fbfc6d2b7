package org.fusefs.fusefs.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fusefs.cli.Backend;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.ops.FsIntrospection;

/**
 * The CLI backend over {@link MemVfs}, selected with {@code -Dfusefs.backend=} in tests that mount
 * before the extent filesystem is available. Images are empty marker files; nothing persists.
 */
public final class MemBackend implements Backend {
    private final MemVfs vfs = new MemVfs();

    public static Backend open(Path image, long size, long memory, boolean pageOwner) {
        return new MemBackend();
    }

    public static void mkfs(Path image, long size) throws java.io.IOException {
        Files.write(image, new byte[0]);
    }

    @Override
    public Vfs vfs() {
        return vfs;
    }

    @Override
    public FsIntrospection introspection() {
        return new FsIntrospection() {
            @Override
            public String statReport() {
                return "memvfs: no memory core\n";
            }

            @Override
            public String pageOwnerReport() {
                return "memvfs: no page_owner\n";
            }

            @Override
            public Poison hwpoison(long ino, long offset) {
                return new Poison(-1, -1, "memvfs: no page frames");
            }
        };
    }

    @Override
    public String source() {
        return "memvfs";
    }

    @Override
    public void close() {
    }
}
