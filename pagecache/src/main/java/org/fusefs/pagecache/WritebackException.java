package org.fusefs.pagecache;

import java.io.IOException;
import org.fusefs.uapi.Errno;

/**
 * A write-back failure reported to fsync or to a caller waiting for writeback: carries the errno
 * the owner of the data gave ({@link Errno#EIO} unless it said otherwise), for the file API to
 * return.
 */
public final class WritebackException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Errno errno;

    public WritebackException(Errno errno, String message) {
        super(message + ": " + errno);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
