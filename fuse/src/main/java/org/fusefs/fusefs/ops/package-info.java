/**
 * The mount's Java side without any native type: {@link org.fusefs.fusefs.ops.FileOperations}
 * (the open files of the mount, named by {@code fuse_file_info.fh} through the
 * {@link org.fusefs.fusefs.ops.HandleTable}), and {@link org.fusefs.fusefs.ops.IoctlHandler},
 * which answers the fusefs ioctls whose one definition is
 * {@code fuse/src/main/c/include/fusefs_ioctl.h} ({@link org.fusefs.fusefs.ops.FusefsIoctl}).
 * Errors are the {@code Vfs}'s {@link org.fusefs.uapi.ErrnoException}s, passed through untouched;
 * the adapter in {@code lowlevel} turns them into replies.
 */
package org.fusefs.fusefs.ops;
