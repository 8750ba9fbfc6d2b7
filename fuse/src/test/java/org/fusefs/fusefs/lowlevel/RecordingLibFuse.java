package org.fusefs.fusefs.lowlevel;

import static org.fusefs.fusefs.lowlevel.NativeLayout.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import com.kenai.jffi.MemoryIO;

/**
 * libfuse's request side as the adapter sees it, recording every reply instead of writing it to
 * /dev/fuse: the seam where the adapter meets native code, so that {@link LowLevelFs} runs on a
 * real filesystem without a kernel. Replies copy what the native structs hold at the time of the
 * call. The mount and session functions are not for this seam and throw.
 */
final class RecordingLibFuse implements LibFuseLowLevel {
    private static final MemoryIO IO = MemoryIO.getInstance();

    /** One reply: which {@code fuse_reply_*}, and the fields of what it carried. */
    static final class Reply {
        final String kind;
        int err;
        long ino;
        long fh;
        long count;
        int mode;
        int uid;
        int gid;
        long size;
        byte[] data;

        /** The reply's bytes read as the little-endian wire structs of the kernel. */
        java.nio.ByteBuffer wire() {
            return java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        }

        Reply(String kind) {
            this.kind = kind;
        }

        @Override
        public String toString() {
            return kind + "(err " + err + ", ino " + ino + ", fh " + fh + ", count " + count + ", size " + size + ")";
        }
    }

    final List<Reply> replies = new ArrayList<>();
    /** {ino, offset, length, number of replies sent before it}. */
    final List<long[]> invalidations = new ArrayList<>();
    /**
     * What fuse_reply_buf returns (open, create and opendir replies are written whole with it):
     * -ENOENT when the opener was interrupted.
     */
    int openResult;
    private final ByteBuffer ctx = ByteBuffer.allocateDirect(16);
    private final long ctxAddress = IO.getDirectBufferAddress(ctx);

    /** Sets the uid and gid of the caller every later request comes from. */
    void caller(int uid, int gid) {
        IO.putInt(ctxAddress + CTX_UID, uid);
        IO.putInt(ctxAddress + CTX_GID, gid);
    }

    Reply last() {
        if (replies.isEmpty()) {
            throw new AssertionError("no reply at all");
        }
        return replies.get(replies.size() - 1);
    }

    private Reply add(String kind) {
        Reply r = new Reply(kind);
        replies.add(r);
        return r;
    }

    private static void stat(Reply r, long st) {
        r.ino = IO.getLong(st + ST_INO);
        r.mode = IO.getInt(st + ST_MODE);
        r.uid = IO.getInt(st + ST_UID);
        r.gid = IO.getInt(st + ST_GID);
        r.size = IO.getLong(st + ST_SIZE);
    }

    private static byte[] bytes(long address, long size) {
        byte[] b = new byte[(int) size];
        if (size > 0) {
            IO.getByteArray(address, b, 0, b.length);
        }
        return b;
    }

    // ---- requests

    @Override
    public long fuse_req_ctx(long req) {
        return ctxAddress;
    }

    @Override
    public int fuse_reply_err(long req, int err) {
        add("err").err = err;
        return 0;
    }

    @Override
    public void fuse_reply_none(long req) {
        add("none");
    }

    @Override
    public int fuse_reply_entry(long req, long entryParam) {
        stat(add("entry"), entryParam + ENTRY_ATTR);
        return 0;
    }

    @Override
    public int fuse_reply_attr(long req, long stat, double attrTimeout) {
        stat(add("attr"), stat);
        return 0;
    }

    @Override
    public int fuse_reply_readlink(long req, long link) {
        add("readlink").data = bytes(link, IO.getStringLength(link));
        return 0;
    }

    @Override
    public int fuse_reply_write(long req, long count) {
        add("write").count = count;
        return 0;
    }

    @Override
    public int fuse_reply_buf(long req, long buf, long size) {
        Reply r = add("buf");
        r.count = size;
        r.data = bytes(buf, size);
        return openResult;
    }

    /** Recorded as a "buf" reply holding the iovecs' bytes in order; {@code size} is the iovec count. */
    @Override
    public int fuse_reply_iov(long req, long iov, int count) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            out.writeBytes(bytes(IO.getLong(iov + 16L * i), IO.getLong(iov + 16L * i + 8)));
        }
        Reply r = add("buf");
        r.data = out.toByteArray();
        r.count = r.data.length;
        r.size = count;
        return 0;
    }

    @Override
    public int fuse_reply_statfs(long req, long statvfs) {
        add("statfs").count = IO.getLong(statvfs + F_NAMEMAX);
        return 0;
    }

    @Override
    public int fuse_reply_xattr(long req, long count) {
        add("xattr").count = count;
        return 0;
    }

    @Override
    public int fuse_reply_ioctl(long req, int result, long buf, long size) {
        Reply r = add("ioctl");
        r.err = result;
        r.count = size;
        r.data = buf == 0 ? new byte[0] : bytes(buf, size);
        return 0;
    }

    @Override
    public int fuse_lowlevel_notify_inval_inode(long ch, long ino, long off, long len) {
        invalidations.add(new long[] {ino, off, len, replies.size()});
        return 0;
    }

    /** The names of a READDIR reply's {@code struct fuse_dirent}s, in order. */
    static List<String> direntNames(byte[] reply) {
        ByteBuffer b = ByteBuffer.wrap(reply).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        List<String> names = new ArrayList<>();
        int at = 0;
        while (at < reply.length) {
            int len = b.getInt(at + DIRENT_NAMELEN);
            names.add(new String(reply, at + DIRENT_NAME, len, StandardCharsets.UTF_8));
            at += (DIRENT_NAME + len + 7) & ~7;
        }
        return names;
    }

    // ---- not for this seam

    private static UnsupportedOperationException notHere() {
        return new UnsupportedOperationException("mounting is not part of the recording seam");
    }

    @Override
    public int fuse_opt_add_arg(long args, String arg) {
        throw notHere();
    }

    @Override
    public void fuse_opt_free_args(long args) {
        throw notHere();
    }

    @Override
    public long fuse_mount(String mountpoint, long args) {
        throw notHere();
    }

    @Override
    public void fuse_unmount(String mountpoint, long ch) {
        throw notHere();
    }

    @Override
    public long fuse_lowlevel_new(long args, long ops, long opSize, long userdata) {
        throw notHere();
    }

    @Override
    public void fuse_session_add_chan(long se, long ch) {
        throw notHere();
    }

    @Override
    public void fuse_session_remove_chan(long ch) {
        throw notHere();
    }

    @Override
    public void fuse_session_destroy(long se) {
        throw notHere();
    }

    @Override
    public long fuse_chan_bufsize(long ch) {
        throw notHere();
    }

    @Override
    public int fuse_session_receive_buf(long se, long buf, long chp) {
        throw notHere();
    }

    @Override
    public void fuse_session_process_buf(long se, long buf, long ch) {
        throw notHere();
    }

    @Override
    public int fuse_session_exited(long se) {
        throw notHere();
    }

    @Override
    public void fuse_session_exit(long se) {
        throw notHere();
    }
}
