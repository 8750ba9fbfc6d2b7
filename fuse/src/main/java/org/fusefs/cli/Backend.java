package org.fusefs.cli;

import java.io.IOException;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.ops.FsIntrospection;

/**
 * The filesystem a mount serves, with what it stands on (device, memory core): opened by
 * {@link Backends}, closed after the mount is gone.
 */
public interface Backend extends AutoCloseable {
    Vfs vfs();

    FsIntrospection introspection();

    /** The name shown as the mount's source in /proc/mounts. */
    String source();

    /** Writes everything back and closes the filesystem and its device. */
    @Override
    void close() throws IOException;
}
