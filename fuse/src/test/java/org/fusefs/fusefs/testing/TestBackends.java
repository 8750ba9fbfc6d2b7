package org.fusefs.fusefs.testing;

import org.fusefs.cli.Backend;
import org.fusefs.cli.ExtentBackend;

/** The filesystem the tests run on: the extent filesystem on a RAM disk, as {@code fusefs mount} makes it. */
public final class TestBackends {
    private TestBackends() {
    }

    /** A fresh RAM-disk filesystem of {@code size} bytes with a {@code memory}-byte memory core. */
    public static Backend ramDisk(long size, long memory) throws Exception {
        return ExtentBackend.open(null, size, memory, false);
    }
}
