package org.fusefs.fusefs.ops;

import org.fusefs.extent.OpenFile;

/**
 * One open file or directory of the mount: what {@code fuse_file_info.fh} refers to (the kernel's
 * {@code struct fuse_file} seen from the daemon). {@code file} is null for a directory. The last rendered report is kept here so that a client can
 * page through it with FUSEFS_IOC_REPORT without the figures changing between pages.
 */
public final class FileHandle {
    private final long fh;
    private final long ino;
    private final OpenFile file;
    // protected by this
    private byte[] report;
    private int reportKind;

    FileHandle(long fh, long ino, OpenFile file) {
        this.fh = fh;
        this.ino = ino;
        this.file = file;
    }

    public long fh() {
        return fh;
    }

    public long ino() {
        return ino;
    }

    /** The open file description, or null for a directory. */
    public OpenFile file() {
        return file;
    }

    /** Returns the report kept for paging when it is of {@code kind}, else null. */
    synchronized byte[] report(int kind) {
        return reportKind == kind ? report : null;
    }

    synchronized void keepReport(int kind, byte[] text) {
        this.reportKind = kind;
        this.report = text;
    }
}
