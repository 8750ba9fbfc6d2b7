package org.fusefs.fusefs.lowlevel;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fusefs.extent.Vfs;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;

/**
 * Mount readiness: the mounting code stats a name in the root directory that only this probe
 * knows, and the mount counts as ready when that lookup reaches the filesystem (instead of
 * sleeping and hoping). Thread-safe.
 */
final class MountProbe {
    private final String name;
    private final CountDownLatch seen = new CountDownLatch(1);

    MountProbe(String name) {
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("probe name (" + name + ") must be one path component");
        }
        this.name = name;
    }

    /** The probe's name inside the mount's root directory. */
    String name() {
        return name;
    }

    /**
     * Called by every lookup before the filesystem's: for the probe's own name in the root directory
     * marks the probe observed and throws ENOENT (nothing of that name exists); returns otherwise.
     */
    void lookup(long parent, String entry) {
        if (parent == Vfs.ROOT_INO && name.equals(entry)) {
            seen.countDown();
            throw new ErrnoException(Errno.ENOENT, "mount probe " + entry);
        }
    }

    /** Waits for the probe lookup; false when {@code timeoutMillis} passed first. */
    boolean await(long timeoutMillis) throws InterruptedException {
        return seen.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    boolean observedAlready() {
        return seen.getCount() == 0;
    }
}
