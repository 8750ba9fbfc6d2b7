package org.fusefs.extent;

/**
 * A snapshot of an inode's attributes, what {@code stat(2)} reports. Times are nanoseconds since
 * the epoch; {@code blocks} counts 512-byte units as {@code st_blocks} does.
 */
public record InodeAttr(long ino, int mode, int nlink, int uid, int gid, long rdev, long size,
        long blocks, int blksize, long atimeNs, long mtimeNs, long ctimeNs, long generation) {
}
