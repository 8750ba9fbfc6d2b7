package org.fusefs.fusefs.lowlevel;

import static org.fusefs.fusefs.lowlevel.NativeLayout.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import com.kenai.jffi.MemoryIO;
import org.fusefs.cli.Backend;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.ops.FileOperations;
import org.fusefs.fusefs.ops.FusefsIoctl;
import org.fusefs.fusefs.ops.IoctlHandler;
import org.fusefs.fusefs.testing.TestBackends;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The low-level operations on the extent filesystem on a RAM disk, with libfuse's reply side
 * recorded ({@link RecordingLibFuse}): what each request answers, and what happens to open files.
 */
class LowLevelFsTest {
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final long REQ = 0x5eed;

    private final Backend backend = TestBackends.ramDisk(64L << 20, 64L << 20);
    private final Vfs vfs = backend.vfs();
    private final FileOperations files = new FileOperations(vfs);
    private final RecordingLibFuse lib = new RecordingLibFuse();
    private final LowLevelInval notifier = new LowLevelInval(lib);
    private final MountProbe probe = new MountProbe(".probe-1");
    private final LowLevelFs fs = new LowLevelFs(lib, files,
            new IoctlHandler(files, backend.introspection(), () -> "", notifier), notifier, probe);
    private final List<ByteBuffer> nativeMemory = new ArrayList<>(); // reachable until the test ends

    @BeforeEach
    void attach() {
        vfs.setInodeInvalidation(notifier);
        notifier.attach(1);
        lib.caller(0, 0);
    }

    @AfterEach
    void close() throws Exception {
        notifier.detach();
        backend.close();
    }

    private long alloc(int size) {
        ByteBuffer b = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
        nativeMemory.add(b);
        return IO.getDirectBufferAddress(b);
    }

    private long cstr(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        long a = alloc(b.length + 1);
        IO.putZeroTerminatedByteArray(a, b, 0, b.length);
        return a;
    }

    /** A {@code struct fuse_file_info} with open flags {@code flags} and no handle yet. */
    private long fi(int flags) {
        long fi = alloc(FI_SIZE);
        IO.putInt(fi + FI_FLAGS, flags);
        return fi;
    }

    private RecordingLibFuse.Reply expect(String kind) {
        RecordingLibFuse.Reply r = lib.last();
        assertEquals(kind, r.kind, r.toString());
        return r;
    }

    private void expectOk() {
        assertEquals(0, expect("err").err, "fuse_reply_err(req, 0) is the success reply");
    }

    private void expectErr(Errno e) {
        assertEquals(e.code(), expect("err").err, "errno");
    }

    /** Creates {@code name} in {@code dir}, open read-write through {@code fi}; returns its inode. */
    private long create(long dir, String name, long fi) {
        fs.create(REQ, dir, cstr(name), FileMode.S_IFREG | 0644, fi);
        RecordingLibFuse.Reply r = expect("buf");
        assertEquals(ENTRY_OUT_SIZE + OPEN_OUT_SIZE, r.count, "fuse_entry_out then fuse_open_out");
        ByteBuffer w = r.wire();
        long ino = w.getLong(EO_NODEID);
        assertNotEquals(0, ino);
        assertTrue(FileMode.isReg(w.getInt(EO_ATTR + FA_MODE)), Integer.toOctalString(w.getInt(EO_ATTR + FA_MODE)));
        assertEquals(LowLevelFs.CACHE_SECONDS, w.getLong(EO_ENTRY_VALID));
        assertEquals(LowLevelFs.CACHE_SECONDS, w.getLong(EO_ATTR_VALID));
        assertEquals(LowLevelFs.FILE_OPEN_FLAGS, w.getInt(ENTRY_OUT_SIZE + OO_OPEN_FLAGS));
        // The kernel sends the handle back with every later request on the file.
        IO.putLong(fi + FI_FH, w.getLong(ENTRY_OUT_SIZE + OO_FH));
        return ino;
    }

    /** Opens {@code ino} through {@code fi} and checks the fuse_open_out the kernel receives. */
    private void open(long ino, long fi) {
        fs.open(REQ, ino, fi);
        expectOpenReply(fi, LowLevelFs.FILE_OPEN_FLAGS, "KEEP_CACHE | NOFLUSH: cached pages survive the open, close sends no FLUSH");
    }

    /** Opens directory {@code ino} through {@code fi} and checks the fuse_open_out the kernel receives. */
    private void opendir(long ino, long fi) {
        fs.opendir(REQ, ino, fi);
        expectOpenReply(fi, LowLevelFs.DIR_OPEN_FLAGS, "KEEP_CACHE | CACHE_DIR: the kernel keeps listings across opendirs");
    }

    /** An open reply written whole (fuse_open_out) with {@code flags}; its handle goes into {@code fi}. */
    private void expectOpenReply(long fi, int flags, String why) {
        RecordingLibFuse.Reply r = expect("buf");
        assertEquals(OPEN_OUT_SIZE, r.count, "fuse_open_out");
        assertEquals(flags, r.wire().getInt(OO_OPEN_FLAGS), why);
        // The kernel sends the handle back with every later request on the file.
        IO.putLong(fi + FI_FH, r.wire().getLong(OO_FH));
    }

    @Test
    void errno_isTheFilesystemsForErrnoException_andEioForAnythingElse() {
        for (Errno e : Errno.values()) {
            assertEquals(e.code(), LowLevelFs.errno("op", 1, new ErrnoException(e, "test")), e.name());
        }
        long before = LowLevelFs.bugs();
        assertEquals(Errno.EIO.code(), LowLevelFs.errno("read", 2,
                new IllegalStateException("broken invariant (expected in this test)")));
        assertEquals(Errno.EIO.code(), LowLevelFs.errno("write", 2, new AssertionError("lock not held (expected in this test)")));
        assertEquals(Errno.EIO.code(), LowLevelFs.errno("write", 2, new NullPointerException("expected in this test")));
        assertEquals(before + 3, LowLevelFs.bugs(), "every unexpected exception is counted");
    }

    @Test
    void lookupOfAMissingName_isANegativeEntry_butTheProbesIsEnoent() {
        fs.lookup(REQ, Vfs.ROOT_INO, cstr("nothing-here"));
        assertEquals(0, expect("entry").ino, "node id 0: a negative dentry the kernel may keep");
        assertFalse(probe.observedAlready());
        fs.lookup(REQ, Vfs.ROOT_INO, cstr(".probe-1"));
        expectErr(Errno.ENOENT);
        assertTrue(probe.observedAlready());
        fs.lookup(REQ, Vfs.ROOT_INO, cstr(".probe-1"));
        expectErr(Errno.ENOENT); // every later probe lookup must reach the daemon too
        assertEquals(0, fs.lookups().size(), "neither answer is counted as a kernel inode");
    }

    @Test
    void entryReplies_raiseTheLookupCount_andForgetLowersIt() {
        fs.mkdir(REQ, Vfs.ROOT_INO, cstr("d"), 0755);
        long d = expect("entry").ino;
        assertTrue(FileMode.isDir(lib.last().mode), Integer.toOctalString(lib.last().mode));
        fs.lookup(REQ, Vfs.ROOT_INO, cstr("d"));
        assertEquals(d, expect("entry").ino);
        assertEquals(2, fs.lookups().of(d));
        fs.forget(REQ, d, 2);
        expect("none");
        assertEquals(0, fs.lookups().of(d));
    }

    @Test
    void openHandle_survivesRename_setattrGoesThroughIt_andReleaseEndsIt() {
        long fi = fi(OpenFlags.O_RDWR | OpenFlags.O_CREAT);
        long ino = create(Vfs.ROOT_INO, "f", fi);
        long fh = IO.getLong(fi + FI_FH);
        assertNotEquals(0, fh);
        fs.rename(REQ, Vfs.ROOT_INO, cstr("f"), Vfs.ROOT_INO, cstr("g"));
        expectOk();
        // ftruncate: SETATTR with the handle; the handle still works after the name changed.
        long attr = alloc(STAT_SIZE);
        IO.putLong(attr + ST_SIZE, 10);
        fs.setattr(REQ, ino, attr, SET_ATTR_SIZE, fi);
        assertEquals(10, expect("attr").size);
        assertEquals(1, files.openCount());
        fs.release(REQ, ino, fi);
        expectOk();
        assertEquals(0, files.openCount());
        fs.release(REQ, ino, fi);
        expectErr(Errno.EBADF);
        fs.setattr(REQ, ino, attr, SET_ATTR_SIZE, fi);
        expectErr(Errno.EBADF);
    }

    @Test
    void interruptedOpen_releasesTheHandleNobodyWillRelease() {
        lib.openResult = -Errno.ENOENT.code();
        long ino = create(Vfs.ROOT_INO, "f", fi(OpenFlags.O_RDWR));
        assertEquals(0, files.openCount(), "create");
        assertEquals(0, fs.lookups().of(ino), "the kernel never received the entry: no FORGET will come");
        open(ino, fi(OpenFlags.O_RDONLY));
        assertEquals(0, files.openCount(), "open");
        opendir(Vfs.ROOT_INO, fi(OpenFlags.O_RDONLY));
        assertEquals(0, files.openCount(), "opendir");
    }

    @Test
    void readdir_fromAnOpendirHandle_listsEveryEntry() {
        fs.mkdir(REQ, Vfs.ROOT_INO, cstr("d"), 0755);
        long d = expect("entry").ino;
        fs.mknod(REQ, d, cstr("x"), FileMode.S_IFREG | 0644, 0);
        expect("entry");
        long fi = fi(OpenFlags.O_RDONLY);
        opendir(d, fi);
        fs.readdir(REQ, d, 4096, 0, fi);
        assertEquals(List.of(".", "..", "x"), RecordingLibFuse.direntNames(expect("buf").data));
        fs.releasedir(REQ, d, fi);
        expectOk();
        assertEquals(0, files.openCount());
    }

    @Test
    void setattr_changesOnlyTheFieldsItNames() {
        lib.caller(5, 6);
        fs.mknod(REQ, Vfs.ROOT_INO, cstr("o"), FileMode.S_IFREG | 0640, 0);
        RecordingLibFuse.Reply made = expect("entry");
        assertEquals(5, made.uid);
        assertEquals(6, made.gid);
        long attr = alloc(STAT_SIZE);
        IO.putInt(attr + ST_UID, 77); // not named in to_set: chown(path, -1, 9)
        IO.putInt(attr + ST_GID, 9);
        IO.putInt(attr + ST_MODE, FileMode.S_IFREG | 0777);
        fs.setattr(REQ, made.ino, attr, SET_ATTR_GID, 0);
        RecordingLibFuse.Reply r = expect("attr");
        assertEquals(5, r.uid);
        assertEquals(9, r.gid);
        assertEquals(0640, r.mode & 07777);
    }

    @Test
    void writeThenRead_throughTheRequestBuffers() {
        long seed = 11;
        byte[] data = new byte[10_000];
        new Random(seed).nextBytes(data);
        long fi = fi(OpenFlags.O_RDWR);
        long ino = create(Vfs.ROOT_INO, "rw", fi);
        long buf = alloc(data.length);
        IO.putByteArray(buf, data, 0, data.length);
        fs.write(REQ, ino, buf, data.length, 4096, fi);
        assertEquals(data.length, expect("write").count);
        fs.fsync(REQ, ino, 0, fi);
        expectOk();
        fs.read(REQ, ino, 1 << 17, 4096, fi);
        assertArrayEquals(data, expect("buf").data, "seed " + seed);
        fs.read(REQ, ino, 100, 0, fi);
        assertArrayEquals(new byte[100], expect("buf").data, "the hole before the data reads zeros");
        fs.read(REQ, ino, 100, 4096, fi(OpenFlags.O_RDONLY)); // fh 0: never issued
        expectErr(Errno.EBADF);
    }

    @Test
    void xattrs_followTheSizeProtocol() {
        long ino = create(Vfs.ROOT_INO, "x", fi(OpenFlags.O_RDWR));
        byte[] blue = "blue".getBytes(StandardCharsets.UTF_8);
        long value = alloc(blue.length);
        IO.putByteArray(value, blue, 0, blue.length);
        fs.setxattr(REQ, ino, cstr("user.color"), value, blue.length, 0);
        expectOk();
        fs.getxattr(REQ, ino, cstr("user.color"), 0);
        assertEquals(4, expect("xattr").count, "size 0 asks for the length");
        fs.getxattr(REQ, ino, cstr("user.color"), 3);
        expectErr(Errno.ERANGE);
        fs.getxattr(REQ, ino, cstr("user.color"), 64);
        assertArrayEquals(blue, expect("buf").data);
        fs.listxattr(REQ, ino, 64);
        assertArrayEquals("user.color\0".getBytes(StandardCharsets.UTF_8), expect("buf").data);
        fs.removexattr(REQ, ino, cstr("user.color"));
        expectOk();
        fs.listxattr(REQ, ino, 0);
        assertEquals(0, expect("xattr").count);
    }

    @Test
    void statfsAndReadlink_replyTheFilesystemsAnswers() {
        fs.statfs(REQ, Vfs.ROOT_INO);
        assertEquals(vfs.statfs().nameMax(), expect("statfs").count);
        fs.symlink(REQ, cstr("some/where"), Vfs.ROOT_INO, cstr("l"));
        long l = expect("entry").ino;
        fs.readlink(REQ, l);
        assertArrayEquals("some/where".getBytes(StandardCharsets.UTF_8), expect("readlink").data);
    }

    /**
     * On a request-loop thread, the invalidations an ioctl raises reach the kernel after the
     * filesystem call and before the reply, naming the request's inode (shared/spec/fuse-kernel.md §8.3).
     */
    @Test
    void ioctlCollapse_deliversItsInvalidationsBeforeTheReply() throws Exception {
        long fi = fi(OpenFlags.O_RDWR);
        long ino = create(Vfs.ROOT_INO, "c", fi);
        byte[] page = new byte[4096];
        long buf = alloc(page.length);
        for (int i = 0; i < 4; i++) {
            java.util.Arrays.fill(page, (byte) ('A' + i));
            IO.putByteArray(buf, page, 0, page.length);
            fs.write(REQ, ino, buf, page.length, i * 4096L, fi);
            assertEquals(4096, expect("write").count);
        }
        long in = alloc(FusefsIoctl.FALLOCATE_SIZE);
        IO.setMemory(in, FusefsIoctl.FALLOCATE_SIZE, (byte) 0);
        IO.putLong(in + FusefsIoctl.FALLOCATE_OFFSET, 4096);
        IO.putLong(in + FusefsIoctl.FALLOCATE_LENGTH, 4096);
        IO.putInt(in + FusefsIoctl.FALLOCATE_MODE, FallocFlag.COLLAPSE_RANGE);
        Throwable[] failure = new Throwable[1];
        Thread worker = new Thread(() -> {
            try {
                LowLevelInval.becomeWorker();
                fs.ioctl(REQ, ino, FusefsIoctl.FALLOCATE, 0, fi, 0, in, FusefsIoctl.FALLOCATE_SIZE, 0);
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "fusefs-test-worker");
        int before = lib.replies.size();
        worker.start();
        worker.join();
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
        RecordingLibFuse.Reply r = expect("ioctl");
        assertEquals(0, r.err, "ioctl result");
        assertEquals(before + 1, lib.replies.size(), "one reply");
        assertEquals(3 * 4096, vfs.getattr(ino).size());
        assertTrue(lib.invalidations.stream().anyMatch(x -> x[0] == ino && x[1] == 4096 && x[2] == 0),
                "the pages from the offset on");
        for (long[] x : lib.invalidations) {
            assertEquals(before, x[3], "delivered after the call, before the reply");
        }
        fs.ioctl(REQ, ino, 0x5401, 0, fi, 0, 0, 0, 0);
        expectErr(Errno.ENOTTY);
    }
}
