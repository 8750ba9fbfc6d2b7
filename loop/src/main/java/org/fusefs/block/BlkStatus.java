package org.fusefs.block;

import org.fusefs.uapi.Errno;

/**
 * Completion status of a {@link Bio}, with its errno beside it as {@code blk_errors[]} in
 * {@code block/blk-core.c}.
 */
public enum BlkStatus {
    OK(null), NOTSUPP(Errno.EOPNOTSUPP), MEDIUM(Errno.ENODATA), NOSPC(Errno.ENOSPC),
    IOERR(Errno.EIO), AGAIN(Errno.EAGAIN), INVAL(Errno.EINVAL);

    private final Errno errno;

    BlkStatus(Errno errno) {
        this.errno = errno;
    }

    /** Returns the errno a caller reports for this status; {@code null} for OK. */
    public Errno errno() {
        return errno;
    }
}
