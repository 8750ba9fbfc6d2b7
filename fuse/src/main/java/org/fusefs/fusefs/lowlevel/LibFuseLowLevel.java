package org.fusefs.fusefs.lowlevel;

import jnr.ffi.annotations.IgnoreError;

/**
 * libfuse 2.9's low-level API ({@code fuse_lowlevel.h}, {@code fuse_common.h}, {@code fuse_opt.h})
 * as jnr-ffi sees it. Every pointer is passed as a raw 64-bit value (x86_64): the request paths
 * build no {@code Pointer} objects. Functions on the request path ignore errno (nothing to save).
 */
public interface LibFuseLowLevel {
    // ---- mounting and the session

    int fuse_opt_add_arg(long args, String arg);

    @IgnoreError
    void fuse_opt_free_args(long args);

    /** Mounts with the mount options in {@code args} (consumed); 0 on failure (libfuse printed why). */
    long fuse_mount(String mountpoint, long args);

    void fuse_unmount(String mountpoint, long ch);

    /** A session for the remaining options of {@code args}; 0 on failure. */
    long fuse_lowlevel_new(long args, long ops, long opSize, long userdata);

    @IgnoreError
    void fuse_session_add_chan(long se, long ch);

    @IgnoreError
    void fuse_session_remove_chan(long ch);

    @IgnoreError
    void fuse_session_destroy(long se);

    @IgnoreError
    long fuse_chan_bufsize(long ch);

    /** Reads one request into {@code buf} (a {@code struct fuse_buf}); 0 at unmount, -EINTR to retry. */
    @IgnoreError
    int fuse_session_receive_buf(long se, long buf, long chp);

    @IgnoreError
    void fuse_session_process_buf(long se, long buf, long ch);

    @IgnoreError
    int fuse_session_exited(long se);

    @IgnoreError
    void fuse_session_exit(long se);

    @IgnoreError
    int fuse_lowlevel_notify_inval_inode(long ch, long ino, long off, long len);

    // ---- requests

    /** {@code const struct fuse_ctx *}: uid, gid, pid, umask of the caller. */
    @IgnoreError
    long fuse_req_ctx(long req);

    @IgnoreError
    int fuse_reply_err(long req, int err);

    @IgnoreError
    void fuse_reply_none(long req);

    @IgnoreError
    int fuse_reply_entry(long req, long entryParam);

    @IgnoreError
    int fuse_reply_attr(long req, long stat, double attrTimeout);

    @IgnoreError
    int fuse_reply_readlink(long req, long link);

    @IgnoreError
    int fuse_reply_write(long req, long count);

    @IgnoreError
    int fuse_reply_buf(long req, long buf, long size);

    /** Replies with the data of {@code count} struct iovec at {@code iov}, in one writev. */
    @IgnoreError
    int fuse_reply_iov(long req, long iov, int count);

    @IgnoreError
    int fuse_reply_statfs(long req, long statvfs);

    @IgnoreError
    int fuse_reply_xattr(long req, long count);

    @IgnoreError
    int fuse_reply_ioctl(long req, int result, long buf, long size);
}
