package org.fusefs.fusefs.testing;

import java.nio.file.Path;
import org.fusefs.cli.Backend;

/**
 * The filesystem the mounted tests run on: the extent filesystem when it is in the build, the
 * {@link MemVfs} double only until then.
 */
public final class TestBackends {
    public static final String EXTENT = "org.fusefs.cli.ExtentBackend";

    private TestBackends() {
    }

    public static boolean extentAvailable() {
        try {
            Class.forName(EXTENT);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** The value for {@code -Dfusefs.backend} in a child process. */
    public static String backendClass() {
        return extentAvailable() ? EXTENT : MemBackend.class.getName();
    }

    /** A fresh RAM-disk filesystem of {@code size} bytes with a {@code memory}-byte memory core. */
    public static Backend ramDisk(long size, long memory) throws Exception {
        return (Backend) Class.forName(backendClass())
                .getMethod("open", Path.class, long.class, long.class, boolean.class)
                .invoke(null, null, size, memory, false);
    }
}
