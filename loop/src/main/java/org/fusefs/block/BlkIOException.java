package org.fusefs.block;

import java.io.IOException;

/** A failed block request, carrying its {@link BlkStatus}. */
public class BlkIOException extends IOException {
    private static final long serialVersionUID = 1L;

    private final BlkStatus status;

    public BlkIOException(BlkStatus status, String detail) {
        super(status + ": " + detail);
        this.status = status;
    }

    public BlkStatus status() {
        return status;
    }
}
