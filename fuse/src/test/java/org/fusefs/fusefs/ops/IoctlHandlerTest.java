package org.fusefs.fusefs.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.fusefs.cli.Backend;
import org.fusefs.extent.InodeFlags;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.testing.TestBackends;
import org.fusefs.memory.MfResult;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The ioctls on the extent filesystem on a RAM disk, with its real memory core and page cache. */
class IoctlHandlerTest {
    private final Backend backend = TestBackends.ramDisk(64L << 20, 64L << 20);
    private final Vfs vfs = backend.vfs();
    private final FileOperations files = new FileOperations(vfs);
    private final List<long[]> invalidated = new ArrayList<>();
    private String daemonFigures = "daemon figures\n";
    private final IoctlHandler handler = new IoctlHandler(files, backend.introspection(), () -> daemonFigures,
            (ino, off, len) -> invalidated.add(new long[] {ino, off, len}));

    @AfterEach
    void close() throws Exception {
        backend.close();
    }

    private static ByteBuffer buf(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A file of {@code pages} pages filled with 'A', 'B', ..., open read-write. */
    private FileHandle fileWith(String name, int pages) {
        FileHandle h = files.create(Vfs.ROOT_INO, name, FileMode.S_IFREG | 0644, OpenFlags.O_RDWR, 0, 0);
        for (int i = 0; i < pages; i++) {
            byte[] page = new byte[4096];
            java.util.Arrays.fill(page, (byte) ('A' + i));
            assertEquals(4096, vfs.write(h.file(), i * 4096L, ByteBuffer.wrap(page)));
        }
        return h;
    }

    /** A {@code struct fusefs_fallocate}. */
    private static ByteBuffer fallocateArgs(int mode, long offset, long length) {
        ByteBuffer d = buf(FusefsIoctl.FALLOCATE_SIZE);
        d.putLong(FusefsIoctl.FALLOCATE_OFFSET, offset).putLong(FusefsIoctl.FALLOCATE_LENGTH, length)
                .putInt(FusefsIoctl.FALLOCATE_MODE, mode);
        return d;
    }

    private byte byteAt(FileHandle h, long pos) {
        ByteBuffer b = ByteBuffer.allocate(1);
        assertEquals(1, vfs.read(h.file(), pos, b));
        return b.get(0);
    }

    private ByteBuffer report(long ino, long fh, int kind, long offset) {
        ByteBuffer d = buf(FusefsIoctl.REPORT_SIZE);
        d.putInt(FusefsIoctl.REPORT_KIND, kind).putLong(FusefsIoctl.REPORT_OFFSET, offset);
        assertEquals(0, handler.ioctl(ino, fh, FusefsIoctl.REPORT, d));
        return d;
    }

    private static String text(ByteBuffer d) {
        byte[] b = new byte[d.getInt(FusefsIoctl.REPORT_LENGTH)];
        d.get(FusefsIoctl.REPORT_DATA_OFFSET, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void probe_answersTheMagic() {
        ByteBuffer d = buf(FusefsIoctl.PROBE_SIZE);
        assertEquals(0, handler.ioctl(Vfs.ROOT_INO, 0, FusefsIoctl.PROBE, d));
        assertEquals(FusefsIoctl.MAGIC, d.getInt(0));
        assertEquals(FusefsIoctl.PROTOCOL_VERSION, d.getInt(4));
    }

    @Test
    void figuresAndPoison_areForTheOwnerAndRootOnly() {
        FileHandle h = fileWith("perm", 1);
        ByteBuffer d = buf(FusefsIoctl.REPORT_SIZE);
        d.putInt(FusefsIoctl.REPORT_KIND, FusefsIoctl.REPORT_STAT);
        int owner = IoctlHandler.processUid();
        int stranger = owner == 4242 ? 4243 : 4242;
        assertEquals(Errno.EPERM, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), h.fh(), FusefsIoctl.REPORT, d, stranger)).errno());
        assertEquals(Errno.EPERM, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), h.fh(), FusefsIoctl.HWPOISON, buf(FusefsIoctl.HWPOISON_SIZE), stranger)).errno());
        assertEquals(0, handler.ioctl(h.ino(), h.fh(), FusefsIoctl.REPORT, d, 0));
        assertEquals(0, handler.ioctl(h.ino(), h.fh(), FusefsIoctl.PROBE, buf(FusefsIoctl.PROBE_SIZE), stranger));
    }

    @Test
    void fallocateThroughAReadOnlyDescriptor_isEbadf() {
        FileHandle rw = fileWith("ro", 2);
        FileHandle ro = files.open(rw.ino(), OpenFlags.O_RDONLY);
        ByteBuffer d = fallocateArgs(FallocFlag.COLLAPSE_RANGE, 0, 4096);
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class,
                () -> handler.ioctl(ro.ino(), ro.fh(), FusefsIoctl.FALLOCATE, d)).errno());
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class,
                () -> handler.ioctl(ro.ino(), 0, FusefsIoctl.FALLOCATE, d)).errno(), "no open file at all");
        assertEquals(2 * 4096, vfs.getattr(rw.ino()).size());
        assertEquals(List.of(), invalidatedList());
    }

    @Test
    void fallocateOnADirectory_isEisdir() {
        FileHandle dir = files.opendir(Vfs.ROOT_INO);
        ByteBuffer d = fallocateArgs(FallocFlag.PUNCH_HOLE | FallocFlag.KEEP_SIZE, 0, 4096);
        assertEquals(Errno.EISDIR, assertThrows(ErrnoException.class,
                () -> handler.ioctl(Vfs.ROOT_INO, dir.fh(), FusefsIoctl.FALLOCATE, d)).errno());
    }

    @Test
    void inodeFlags_throughFlagsAndFsxattr_asChattrAndXfsIoSendThem() {
        FileHandle h = fileWith("flags", 3);
        ByteBuffer set = buf(4).putInt(0, InodeFlags.FS_APPEND_FL | InodeFlags.FS_NODUMP_FL);
        assertEquals(0, handler.ioctl(h.ino(), h.fh(), IoctlHandler.FS_IOC_SETFLAGS, set));
        ByteBuffer get = buf(4);
        assertEquals(0, handler.ioctl(h.ino(), h.fh(), IoctlHandler.FS_IOC_GETFLAGS, get));
        assertEquals(InodeFlags.FS_APPEND_FL | InodeFlags.FS_NODUMP_FL, get.getInt(0));
        // The kernel reads the old flags through FSGETXATTR before every SETFLAGS.
        ByteBuffer fsx = buf(28);
        assertEquals(0, handler.ioctl(h.ino(), 0, IoctlHandler.FS_IOC_FSGETXATTR, fsx));
        assertEquals(InodeFlags.FS_XFLAG_APPEND | InodeFlags.FS_XFLAG_NODUMP, fsx.getInt(0), "fsx_xflags");
        assertEquals(vfs.fiemap(h.ino(), 0, Long.MAX_VALUE).size(), fsx.getInt(8), "fsx_nextents");
        fsx.putInt(0, InodeFlags.FS_XFLAG_IMMUTABLE);
        assertEquals(0, handler.ioctl(h.ino(), 0, IoctlHandler.FS_IOC_FSSETXATTR, fsx));
        assertEquals(InodeFlags.FS_IMMUTABLE_FL, vfs.getflags(h.ino()));
        ByteBuffer sync = buf(28).putInt(0, 0x20); // FS_XFLAG_SYNC: not kept here
        assertEquals(Errno.EOPNOTSUPP, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), 0, IoctlHandler.FS_IOC_FSSETXATTR, sync)).errno());
        ByteBuffer project = buf(28).putInt(12, 7);
        assertEquals(Errno.EOPNOTSUPP, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), 0, IoctlHandler.FS_IOC_FSSETXATTR, project)).errno());
        assertEquals(InodeFlags.FS_IMMUTABLE_FL, vfs.getflags(h.ino()), "refused changes leave the flags");
        // Directories too (chattr opens them read-only; FUSE sends the ioctl on the opendir handle).
        FileHandle dir = files.opendir(Vfs.ROOT_INO);
        assertEquals(0, handler.ioctl(Vfs.ROOT_INO, dir.fh(), IoctlHandler.FS_IOC_SETFLAGS,
                buf(4).putInt(0, InodeFlags.FS_NOATIME_FL)));
        assertEquals(InodeFlags.FS_NOATIME_FL, vfs.getflags(Vfs.ROOT_INO));
        vfs.setflags(Vfs.ROOT_INO, 0);
        vfs.setflags(h.ino(), 0);
    }

    @Test
    void unknownCommand_isEnotty() {
        assertEquals(Errno.ENOTTY, assertThrows(ErrnoException.class,
                () -> handler.ioctl(Vfs.ROOT_INO, 0, 0x5401, buf(8))).errno());
    }

    @Test
    void staleHandle_isEbadf() {
        FileHandle h = fileWith("stale", 1);
        files.release(h.fh());
        ByteBuffer d = buf(FusefsIoctl.SEEK_SIZE);
        d.putInt(FusefsIoctl.SEEK_WHENCE, FusefsIoctl.SEEK_DATA);
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), h.fh(), FusefsIoctl.SEEK, d)).errno());
    }

    @Test
    void collapse_shiftsData_andInvalidatesFromTheOffset() {
        FileHandle h = fileWith("f", 4);
        ByteBuffer d = fallocateArgs(FallocFlag.COLLAPSE_RANGE, 4096, 4096);
        d.putLong(FusefsIoctl.FALLOCATE_NODEID, 99);
        assertEquals(0, handler.ioctl(h.ino(), h.fh(), FusefsIoctl.FALLOCATE, d));
        assertEquals(3 * 4096, vfs.getattr(h.ino()).size());
        assertEquals('A', byteAt(h, 0));
        assertEquals('C', byteAt(h, 4096));
        assertEquals('D', byteAt(h, 2 * 4096));
        // The struct's nodeid (99) is not ours: the invalidation names the inode itself.
        assertTrue(invalidated.stream().anyMatch(x -> x[0] == h.ino() && x[1] == 4096 && x[2] == 0),
                invalidatedList().toString());
        assertTrue(invalidated.stream().noneMatch(x -> x[0] == 99), invalidatedList().toString());
    }

    @Test
    void insert_shiftsDataUp_andInvalidatesFromTheOffset() {
        FileHandle h = fileWith("ins", 2);
        ByteBuffer d = fallocateArgs(FallocFlag.INSERT_RANGE, 0, 4096);
        assertEquals(0, handler.ioctl(h.ino(), h.fh(), FusefsIoctl.FALLOCATE, d));
        assertEquals(3 * 4096, vfs.getattr(h.ino()).size());
        assertEquals(0, byteAt(h, 0));
        assertEquals('A', byteAt(h, 4096));
        assertEquals('B', byteAt(h, 2 * 4096));
        assertTrue(invalidated.stream().anyMatch(x -> x[0] == h.ino() && x[1] == 0 && x[2] == 0),
                invalidatedList().toString());
    }

    @Test
    void misalignedCollapse_isTheFilesystemsEinval() {
        FileHandle h = fileWith("g", 4);
        ByteBuffer d = fallocateArgs(FallocFlag.COLLAPSE_RANGE, 100, 4096);
        assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), h.fh(), FusefsIoctl.FALLOCATE, d)).errno());
        assertEquals(4 * 4096, vfs.getattr(h.ino()).size());
        assertEquals('B', byteAt(h, 4096));
    }

    @Test
    void seek_answersFromTheFilesystem() {
        FileHandle h = fileWith("s", 2);
        files.fsync(h.fh(), false);
        vfs.setattr(h.ino(), org.fusefs.extent.SetAttr.size(3 * 4096), h.file());
        ByteBuffer d = buf(FusefsIoctl.SEEK_SIZE);
        d.putLong(FusefsIoctl.SEEK_OFFSET, 0).putInt(FusefsIoctl.SEEK_WHENCE, FusefsIoctl.SEEK_HOLE);
        assertEquals(0, handler.ioctl(h.ino(), h.fh(), FusefsIoctl.SEEK, d));
        assertEquals(2 * 4096, d.getLong(FusefsIoctl.SEEK_RESULT));
        d.putLong(FusefsIoctl.SEEK_OFFSET, 4096).putInt(FusefsIoctl.SEEK_WHENCE, FusefsIoctl.SEEK_DATA);
        assertEquals(0, handler.ioctl(h.ino(), 0, FusefsIoctl.SEEK, d), "without a handle: the request's inode");
        assertEquals(4096, d.getLong(FusefsIoctl.SEEK_RESULT));
        d.putLong(FusefsIoctl.SEEK_OFFSET, 5 * 4096).putInt(FusefsIoctl.SEEK_WHENCE, FusefsIoctl.SEEK_DATA);
        assertEquals(Errno.ENXIO, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), h.fh(), FusefsIoctl.SEEK, d)).errno());
        d.putLong(FusefsIoctl.SEEK_OFFSET, 0).putInt(FusefsIoctl.SEEK_WHENCE, 7);
        assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), h.fh(), FusefsIoctl.SEEK, d)).errno());
    }

    @Test
    void longReport_isPagedFromOneRendering() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 40_000; i++) {
            sb.append("line ").append(i).append('\n');
        }
        daemonFigures = sb.toString();
        FileHandle dir = files.opendir(Vfs.ROOT_INO);
        StringBuilder got = new StringBuilder();
        long offset = 0;
        long total;
        int pages = 0;
        do {
            ByteBuffer d = report(Vfs.ROOT_INO, dir.fh(), FusefsIoctl.REPORT_STAT, offset);
            total = d.getLong(FusefsIoctl.REPORT_TOTAL);
            String page = text(d);
            got.append(page);
            offset += d.getInt(FusefsIoctl.REPORT_LENGTH);
            pages++;
            daemonFigures = "changed after the first page\n";
        } while (offset < total);
        String whole = got.toString();
        assertEquals(total, whole.getBytes(StandardCharsets.UTF_8).length);
        assertTrue(whole.startsWith("== memory core ("), whole.substring(0, 80));
        assertTrue(whole.contains("-- buddyinfo --"), "the memory core's figures");
        assertTrue(whole.contains("== page cache =="), "the page cache's figures");
        assertTrue(whole.endsWith(sb.toString()), "every page from the first rendering");
        assertTrue(pages >= 3, "pages " + pages);
    }

    @Test
    void extentsReport_listsTheFilesExtents() {
        FileHandle h = fileWith("ext", 3);
        files.fsync(h.fh(), false);
        String text = text(report(h.ino(), h.fh(), FusefsIoctl.REPORT_EXTENTS, 0));
        assertTrue(text.startsWith("ext "), text);
        assertTrue(text.lines().skip(1).anyMatch(l -> l.startsWith("0 ")), text);
        assertTrue(text.contains("last"), text);
        FileHandle empty = files.create(Vfs.ROOT_INO, "empty", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR, 0, 0);
        assertTrue(text(report(empty.ino(), 0, FusefsIoctl.REPORT_EXTENTS, 0)).contains("(no extents)"));
        ByteBuffer bad = buf(FusefsIoctl.REPORT_SIZE);
        bad.putInt(FusefsIoctl.REPORT_KIND, 42);
        assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), h.fh(), FusefsIoctl.REPORT, bad)).errno());
    }

    @Test
    void pageOwnerReport_saysHowToTurnItOn() {
        String text = text(report(Vfs.ROOT_INO, 0, FusefsIoctl.REPORT_PAGE_OWNER, 0));
        assertTrue(text.contains("--page-owner"), text);
    }

    @Test
    void hwpoison_poisonsThePageCachingTheOffset_andInvalidatesIt() {
        FileHandle h = fileWith("p", 2);
        files.fsync(h.fh(), false);
        ByteBuffer d = buf(FusefsIoctl.HWPOISON_SIZE);
        d.putLong(FusefsIoctl.HWPOISON_NODEID, 5).putLong(FusefsIoctl.HWPOISON_OFFSET, 5000);
        assertEquals(0, handler.ioctl(h.ino(), h.fh(), FusefsIoctl.HWPOISON, d));
        long pfn = d.getLong(FusefsIoctl.HWPOISON_PFN);
        int result = d.getInt(FusefsIoctl.HWPOISON_RESULT);
        assertTrue(pfn >= 0, "pfn " + pfn);
        assertEquals(MfResult.RECOVERED.ordinal(), result, "a clean cached page is dropped");
        byte[] msg = new byte[FusefsIoctl.POISON_MESSAGE];
        d.get(FusefsIoctl.HWPOISON_MESSAGE, msg);
        String text = new String(msg, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("memory failure on pfn " + pfn + " (ino " + h.ino() + " page 1)"), text);
        assertNotEquals(-1, text.indexOf('\0'), "NUL-terminated");
        assertTrue(invalidated.stream().anyMatch(x -> x[0] == h.ino() && x[1] == 4096 && x[2] == 4096),
                invalidatedList().toString());
        assertEquals('B', byteAt(h, 5000), "the clean page is read again from the device");
        ByteBuffer neg = buf(FusefsIoctl.HWPOISON_SIZE);
        neg.putLong(FusefsIoctl.HWPOISON_OFFSET, -1);
        assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class,
                () -> handler.ioctl(h.ino(), h.fh(), FusefsIoctl.HWPOISON, neg)).errno());
    }

    @Test
    void shortBuffer_isEinval() {
        assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class,
                () -> handler.ioctl(Vfs.ROOT_INO, 0, FusefsIoctl.PROBE, null)).errno());
        assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class,
                () -> handler.ioctl(Vfs.ROOT_INO, 0, FusefsIoctl.REPORT, buf(64))).errno());
    }

    private List<String> invalidatedList() {
        return invalidated.stream().map(java.util.Arrays::toString).toList();
    }
}
