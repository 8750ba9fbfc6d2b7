package org.fusefs.uapi;

/**
 * A failure a program is allowed to see: it carries the Linux errno that the file API decided.
 *
 * <p>Raised before any state changes. A broken internal invariant is never an
 * {@code ErrnoException}; it is an {@link IllegalStateException} that the FUSE barrier reports as
 * EIO and logs.
 *
 * <p>No stack trace is captured: an errno is an answer, not a fault, and programs provoke them by
 * the thousand (every lookup of a missing name, the kernel's getxattr of security.capability
 * before each write); filling in a trace through the FUSE upcall's frames cost more than the
 * operation itself. The message and the errno say where it came from; a cause keeps its own trace.
 */
public class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    public ErrnoException(Errno errno, String detail) {
        super(errno + ": " + detail, null, true, false);
        this.errno = errno;
    }

    public ErrnoException(Errno errno, String detail, Throwable cause) {
        super(errno + ": " + detail, cause, true, false);
        this.errno = errno;
    }

    /** Returns the errno a program sees. */
    public Errno errno() {
        return errno;
    }
}
