package org.fusefs.fusefs.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.fusefs.cli.Backend;
import org.fusefs.cli.ExtentBackend;

/** The filesystem the tests run on: the extent filesystem on a RAM disk, as {@code fusefs mount} makes it. */
public final class TestBackends {
    private TestBackends() {
    }

    /**
     * A fresh RAM-disk filesystem of {@code size} bytes with a {@code memory}-byte memory core. Fails
     * unchecked, so that a test can make one in a field initializer; the test closes it.
     */
    public static Backend ramDisk(long size, long memory) {
        try {
            return ExtentBackend.open(null, size, memory, false);
        } catch (IOException e) {
            throw new UncheckedIOException("RAM disk of " + size + " bytes with " + memory + " bytes of memory", e);
        }
    }
}
