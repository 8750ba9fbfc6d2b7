package org.fusefs.memory.buddy;

import java.util.Collection;

/** The failures that test threads collected, raised on the test's own thread. */
final class Failures {
    private Failures() {
    }

    /** Throws one AssertionError carrying every collected failure as suppressed, if there is any. */
    static void throwIfAny(Collection<Throwable> errors, String who) {
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError(errors.size() + " " + who + " failed");
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }
}
