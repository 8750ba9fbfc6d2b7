package org.fusefs.uapi;

/**
 * A failure a program is allowed to see: it carries the Linux errno that the file API decided.
 *
 * <p>Raised before any state changes. A broken internal invariant is never an
 * {@code ErrnoException}; it is an {@link IllegalStateException} that the FUSE barrier reports as
 * EIO and logs.
 */
public class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    public ErrnoException(Errno errno, String detail) {
        super(errno + ": " + detail);
        this.errno = errno;
    }

    public ErrnoException(Errno errno, String detail, Throwable cause) {
        super(errno + ": " + detail, cause);
        this.errno = errno;
    }

    /** Returns the errno a program sees. */
    public Errno errno() {
        return errno;
    }
}
