package org.fusefs.fusefs.ops;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Mount readiness: the mounting code stats a path only this probe knows, and the mount counts as
 * ready when that getattr reaches the filesystem (instead of sleeping and hoping).
 */
public final class MountProbe {
    private final String path;
    private final CountDownLatch seen = new CountDownLatch(1);

    public MountProbe(String name) {
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("probe name (" + name + ") must be one path component");
        }
        this.path = "/" + name;
    }

    /** The probe's name inside the mount's root directory. */
    public String name() {
        return path.substring(1);
    }

    boolean matches(String p) {
        return path.equals(p);
    }

    void observed() {
        seen.countDown();
    }

    /** Waits for the probe getattr; false when {@code timeoutMillis} passed first. */
    public boolean await(long timeoutMillis) throws InterruptedException {
        return seen.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    public boolean observedAlready() {
        return seen.getCount() == 0;
    }
}
