/**
 * The only package that imports {@code ru.serce.jnrfuse} or {@code jnr.ffi}: the adapter (one
 * {@code FuseStubFS} subclass plus allocation-free read/write closures), the errno barrier, our
 * own pool of threads running libfuse 2.9's request loop ({@code fuse_setup} /
 * {@code fuse_session_receive_buf} / {@code fuse_session_process_buf}), the kernel cache
 * invalidation notifier, the mount lifecycle and the client side of the ioctls. Facts about the
 * binding and the kernel it relies on: shared/spec/jnr-fuse.md and shared/spec/fuse-kernel.md.
 *
 * <p>Known limit of libfuse 2's high-level API: without {@code -o use_ino} (which we do not use)
 * every path names its own FUSE node, so two hard links of one file are two kernel inodes with two
 * page caches, and {@code st_ino} is the FUSE nodeid. Invalidation after collapse, insert or
 * memory failure reaches the nodes whose nodeid a client passed in an ioctl (the preload library
 * and the tool pass the {@code st_ino} of the descriptor they use).
 */
package org.fusefs.fusefs.jnr;
