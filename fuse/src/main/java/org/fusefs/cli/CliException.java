package org.fusefs.cli;

/** A failure the user caused or can fix: printed as one clear line, the tool exits non-zero. */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Exit status for bad usage (unknown command, bad option value). */
    static final int USAGE = 2;
    /** Exit status for a failure of the environment or the operation. */
    static final int FAILED = 1;

    private final int status;

    CliException(int status, String message) {
        super(message);
        this.status = status;
    }

    static CliException usage(String message) {
        return new CliException(USAGE, message);
    }

    static CliException failed(String message) {
        return new CliException(FAILED, message);
    }

    int status() {
        return status;
    }
}
