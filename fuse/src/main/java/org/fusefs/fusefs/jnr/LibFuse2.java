package org.fusefs.fusefs.jnr;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;

/**
 * The parts of libfuse 2.9 that jnr-fuse does not bind: mounting without {@code fuse_main}, the
 * session's request loop (run by our own threads, see {@link FuseSessionLoop}) and the
 * invalidation notify. Signatures from {@code fuse.h}, {@code fuse_lowlevel.h} of fuse-2.9.9.
 */
public interface LibFuse2 {
    /** Parses argv, mounts, creates the {@code struct fuse*}; NULL on failure (libfuse printed why). */
    Pointer fuse_setup(int argc, String[] argv, Pointer op, long opSize, Pointer mountpointOut,
            Pointer multithreadedOut, Pointer userData);

    void fuse_teardown(Pointer fuse, Pointer mountpoint);

    @IgnoreError
    Pointer fuse_get_session(Pointer fuse);

    @IgnoreError
    Pointer fuse_session_next_chan(Pointer se, Pointer ch);

    @IgnoreError
    long fuse_chan_bufsize(Pointer ch);

    /** Reads one request into {@code buf} (a {@code struct fuse_buf}); 0 at unmount, -EINTR to retry. */
    @IgnoreError
    int fuse_session_receive_buf(Pointer se, Pointer buf, Pointer chp);

    @IgnoreError
    void fuse_session_process_buf(Pointer se, Pointer buf, Pointer ch);

    @IgnoreError
    int fuse_session_exited(Pointer se);

    @IgnoreError
    void fuse_session_exit(Pointer se);

    @IgnoreError
    int fuse_lowlevel_notify_inval_inode(Pointer ch, long nodeid, long off, long len);
}
