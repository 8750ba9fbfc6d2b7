package org.fusefs.fusefs.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.fusefs.fusefs.testing.MemVfs;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

class IoctlHandlerTest {
    private final MemVfs vfs = new MemVfs();
    private final FsOperations ops = new FsOperations(vfs, new MountProbe("probe"));
    private final NodeIds nodeIds = new NodeIds();
    private final List<long[]> invalidated = new ArrayList<>();
    private String bigReport = "";
    private final IoctlHandler handler = new IoctlHandler(ops, new FsIntrospection() {
        @Override
        public String statReport() {
            return bigReport;
        }

        @Override
        public String pageOwnerReport() {
            return "owners\n";
        }

        @Override
        public Poison hwpoison(long ino, long offset) {
            return new Poison(77, 3, "recovered ino " + ino + " at " + offset);
        }
    }, () -> "daemon figures\n", nodeIds, (ino, off, len) -> invalidated.add(new long[] {ino, off, len}));

    private static ByteBuffer buf(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private FileHandle fileWith(String name, int pages) {
        FileHandle h = ops.create("/" + name, 0644, OpenFlags.O_RDWR, 0, 0);
        for (int i = 0; i < pages; i++) {
            byte[] page = new byte[4096];
            java.util.Arrays.fill(page, (byte) ('A' + i));
            vfs.write(h.file(), i * 4096L, ByteBuffer.wrap(page));
        }
        return h;
    }

    @Test
    void probe_answersTheMagic() {
        ByteBuffer d = buf(FusefsIoctl.PROBE_SIZE);
        assertEquals(0, handler.ioctl("/", 0, FusefsIoctl.PROBE, d));
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
                () -> handler.ioctl("/perm", h.fh(), FusefsIoctl.REPORT, d, stranger)).errno());
        assertEquals(Errno.EPERM, assertThrows(ErrnoException.class,
                () -> handler.ioctl("/perm", h.fh(), FusefsIoctl.HWPOISON, buf(FusefsIoctl.HWPOISON_SIZE), stranger)).errno());
        assertEquals(0, handler.ioctl("/perm", h.fh(), FusefsIoctl.REPORT, d, 0));
        assertEquals(0, handler.ioctl("/perm", h.fh(), FusefsIoctl.PROBE, buf(FusefsIoctl.PROBE_SIZE), stranger));
    }

    @Test
    void fallocateThroughAReadOnlyDescriptor_isEbadf() {
        fileWith("ro", 2);
        FileHandle ro = ops.open("/ro", OpenFlags.O_RDONLY);
        ByteBuffer d = buf(FusefsIoctl.FALLOCATE_SIZE);
        d.putLong(FusefsIoctl.FALLOCATE_OFFSET, 0).putLong(FusefsIoctl.FALLOCATE_LENGTH, 4096)
                .putInt(FusefsIoctl.FALLOCATE_MODE, FallocFlag.COLLAPSE_RANGE);
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class,
                () -> handler.ioctl("/ro", ro.fh(), FusefsIoctl.FALLOCATE, d)).errno());
    }

    @Test
    void unknownCommand_isEnotty() {
        assertEquals(Errno.ENOTTY, assertThrows(ErrnoException.class,
                () -> handler.ioctl("/", 0, 0x5401, buf(8))).errno());
    }

    @Test
    void collapse_shiftsData_learnsTheNodeid_andInvalidatesFromTheOffset() {
        FileHandle h = fileWith("f", 4);
        ByteBuffer d = buf(FusefsIoctl.FALLOCATE_SIZE);
        d.putLong(FusefsIoctl.FALLOCATE_NODEID, 99).putLong(FusefsIoctl.FALLOCATE_OFFSET, 4096)
                .putLong(FusefsIoctl.FALLOCATE_LENGTH, 4096).putInt(FusefsIoctl.FALLOCATE_MODE, FallocFlag.COLLAPSE_RANGE);
        assertEquals(0, handler.ioctl("/f", h.fh(), FusefsIoctl.FALLOCATE, d));
        assertEquals(3 * 4096, vfs.getattr(h.ino()).size());
        ByteBuffer page = ByteBuffer.allocate(1);
        vfs.read(h.file(), 4096, page);
        assertEquals('C', page.get(0));
        assertArrayEquals(new long[] {99}, nodeIds.of(h.ino()));
        assertTrue(invalidated.stream().anyMatch(x -> x[0] == h.ino() && x[1] == 4096 && x[2] == 0));
    }

    @Test
    void misalignedCollapse_isTheFilesystemsEinval() {
        FileHandle h = fileWith("g", 4);
        ByteBuffer d = buf(FusefsIoctl.FALLOCATE_SIZE);
        d.putLong(FusefsIoctl.FALLOCATE_OFFSET, 100).putLong(FusefsIoctl.FALLOCATE_LENGTH, 4096)
                .putInt(FusefsIoctl.FALLOCATE_MODE, FallocFlag.COLLAPSE_RANGE);
        assertEquals(Errno.EINVAL, assertThrows(ErrnoException.class,
                () -> handler.ioctl("/g", h.fh(), FusefsIoctl.FALLOCATE, d)).errno());
        assertEquals(4 * 4096, vfs.getattr(h.ino()).size());
    }

    @Test
    void seek_answersFromTheFilesystem() {
        FileHandle h = fileWith("s", 2);
        ops.ftruncate(h.fh(), 3 * 4096);
        ByteBuffer d = buf(FusefsIoctl.SEEK_SIZE);
        d.putLong(FusefsIoctl.SEEK_OFFSET, 0).putInt(FusefsIoctl.SEEK_WHENCE, FusefsIoctl.SEEK_HOLE);
        assertEquals(0, handler.ioctl("/s", h.fh(), FusefsIoctl.SEEK, d));
        assertEquals(2 * 4096, d.getLong(FusefsIoctl.SEEK_RESULT));
        d.putLong(FusefsIoctl.SEEK_OFFSET, 5 * 4096).putInt(FusefsIoctl.SEEK_WHENCE, FusefsIoctl.SEEK_DATA);
        assertEquals(Errno.ENXIO, assertThrows(ErrnoException.class,
                () -> handler.ioctl("/s", h.fh(), FusefsIoctl.SEEK, d)).errno());
    }

    @Test
    void longReport_isPagedFromOneRendering() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 40_000; i++) {
            sb.append("line ").append(i).append('\n');
        }
        bigReport = sb.toString();
        String expected = bigReport + "daemon figures\n";
        FileHandle dir = ops.opendir("/");
        StringBuilder got = new StringBuilder();
        long offset = 0;
        long total;
        int pages = 0;
        do {
            ByteBuffer d = buf(FusefsIoctl.REPORT_SIZE);
            d.putInt(FusefsIoctl.REPORT_KIND, FusefsIoctl.REPORT_STAT).putLong(FusefsIoctl.REPORT_OFFSET, offset);
            assertEquals(0, handler.ioctl("/", dir.fh(), FusefsIoctl.REPORT, d));
            total = d.getLong(FusefsIoctl.REPORT_TOTAL);
            int n = d.getInt(FusefsIoctl.REPORT_LENGTH);
            byte[] b = new byte[n];
            d.get(FusefsIoctl.REPORT_DATA_OFFSET, b);
            got.append(new String(b, StandardCharsets.UTF_8));
            offset += n;
            pages++;
            bigReport = "changed after the first page\n";
        } while (offset < total);
        assertEquals(expected, got.toString());
        assertEquals(3, pages);
    }

    @Test
    void hwpoison_reportsTheOutcome_andInvalidatesThePage() {
        FileHandle h = fileWith("p", 2);
        ByteBuffer d = buf(FusefsIoctl.HWPOISON_SIZE);
        d.putLong(FusefsIoctl.HWPOISON_NODEID, 5).putLong(FusefsIoctl.HWPOISON_OFFSET, 5000);
        assertEquals(0, handler.ioctl("/p", h.fh(), FusefsIoctl.HWPOISON, d));
        assertEquals(77, d.getLong(FusefsIoctl.HWPOISON_PFN));
        assertEquals(3, d.getInt(FusefsIoctl.HWPOISON_RESULT));
        byte[] msg = new byte[40];
        d.get(FusefsIoctl.HWPOISON_MESSAGE, msg);
        assertTrue(new String(msg, StandardCharsets.UTF_8).startsWith("recovered ino " + h.ino() + " at 5000"));
        assertTrue(invalidated.stream().anyMatch(x -> x[0] == h.ino() && x[1] == 4096 && x[2] == 4096));
    }
}
