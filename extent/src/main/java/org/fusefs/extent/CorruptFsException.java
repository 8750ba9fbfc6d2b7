package org.fusefs.extent;

import java.io.IOException;

/** A filesystem image that fails a check at mount; the message names the device and the block. */
public final class CorruptFsException extends IOException {
    private static final long serialVersionUID = 1L;

    public CorruptFsException(String message) {
        super(message);
    }
}
