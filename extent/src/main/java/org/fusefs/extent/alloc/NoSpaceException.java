package org.fusefs.extent.alloc;

/** The allocator cannot satisfy a request; the file API turns this into ENOSPC. */
public final class NoSpaceException extends Exception {
    private static final long serialVersionUID = 1L;

    public NoSpaceException(String detail) {
        super(detail);
    }
}
