package org.fusefs.memory;

/** Outcome of handling a memory failure, as {@code enum mf_result} in {@code mm/memory-failure.c}. */
public enum MfResult {
    /** Nothing to do: already poisoned, or not a page anyone can lose. */
    IGNORED,
    /** The page could not be isolated; data may be lost and the error stays visible. */
    FAILED,
    /** Handling was deferred (the page was busy); it completes later. */
    DELAYED,
    /** The page is isolated and the owner recovered or recorded the loss. */
    RECOVERED
}
