/**
 * The mount's Java side without any jnr type: {@link org.fusefs.fusefs.ops.FsOperations} turns
 * FUSE's path-based calls into inode-based {@link org.fusefs.extent.Vfs} calls (a path resolved
 * once per call, open files in the {@link org.fusefs.fusefs.ops.HandleTable}), and
 * {@link org.fusefs.fusefs.ops.IoctlHandler} answers the fusefs ioctls whose one definition is
 * {@code fuse/src/main/c/include/fusefs_ioctl.h}. Errors are the {@code Vfs}'s
 * {@link org.fusefs.uapi.ErrnoException}s, passed through untouched.
 */
package org.fusefs.fusefs.ops;
