package org.fusefs.block;

import java.io.IOException;

/** A failed block request, carrying its {@link BlkStatus}. */
public class BlkIOException extends IOException {
    private static final long serialVersionUID = 1L;

    private final BlkStatus status;
    private final String detail;

    public BlkIOException(BlkStatus status, String detail) {
        super(status + ": " + detail);
        this.status = status;
        this.detail = detail;
    }

    public BlkIOException(BlkStatus status, String detail, Throwable cause) {
        this(status, detail);
        initCause(cause);
    }

    /** Returns the device's message without the status prefix. */
    public String detail() {
        return detail;
    }

    public BlkStatus status() {
        return status;
    }
}
