package org.fusefs.extent;

/**
 * Told when a file's contents change behind the back of whoever caches them above the filesystem
 * (the kernel's FUSE page cache): collapse, insert, punch, zero range, memory failure.
 */
public interface InodeInvalidation {

    /** Cached data of {@code ino} in {@code [offset, offset+length)} is stale; {@code length} 0 means to the end. */
    void invalidate(long ino, long offset, long length);
}
