package org.fusefs.fusefs.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Random;
import org.fusefs.cli.Backend;
import org.fusefs.extent.SetAttr;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.testing.TestBackends;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Open files on the extent filesystem on a RAM disk. */
class FileOperationsTest {
    private final Backend backend = TestBackends.ramDisk(64L << 20, 64L << 20);
    private final Vfs vfs = backend.vfs();
    private final FileOperations files = new FileOperations(vfs);

    @AfterEach
    void close() throws Exception {
        backend.close();
    }

    @Test
    void handle_keepsItsFileAcrossRename_andIsEbadfAfterRelease() {
        FileHandle h = files.create(Vfs.ROOT_INO, "f", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
        assertSame(h, files.get(h.fh()));
        vfs.rename(Vfs.ROOT_INO, "f", Vfs.ROOT_INO, "g", 0);
        // The handle still works after the name changed: nothing on the handle path looks names up.
        vfs.setattr(h.ino(), SetAttr.size(10), files.get(h.fh()).file());
        assertEquals(10, vfs.getattr(vfs.lookup(Vfs.ROOT_INO, "g").ino()).size());
        assertEquals(1, files.openCount());
        files.release(h.fh());
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> files.get(h.fh())).errno());
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> files.release(h.fh())).errno());
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> files.flush(h.fh())).errno());
        assertEquals(0, files.openCount());
    }

    @Test
    void readWrite_throughNativeMemory_roundTrip() {
        long seed = 7;
        byte[] data = new byte[3 * 4096 + 100];
        new Random(seed).nextBytes(data);
        FileHandle h = files.create(Vfs.ROOT_INO, "rw", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR, 0, 0);
        ByteBuffer src = ByteBuffer.allocateDirect(data.length).put(data).flip();
        long srcAddress = com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(src);
        assertEquals(data.length, files.write(h.fh(), 1000, srcAddress, data.length));
        files.fsync(h.fh(), true);
        ByteBuffer dst = ByteBuffer.allocateDirect(data.length);
        long dstAddress = com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(dst);
        assertEquals(data.length, files.read(h.fh(), 1000, dstAddress, data.length));
        byte[] back = new byte[data.length];
        dst.get(back);
        assertEquals(java.util.Arrays.toString(data), java.util.Arrays.toString(back), "seed " + seed);
        assertEquals(1000 + data.length, vfs.getattr(h.ino()).size());
        files.release(h.fh());
    }

    @Test
    void oDirect_isServedFromThePageCache() {
        FileHandle c = files.create(Vfs.ROOT_INO, "d", FileMode.S_IFREG | 0644, OpenFlags.O_RDWR, 0, 0);
        FileHandle h = files.open(c.ino(), OpenFlags.O_RDWR | OpenFlags.O_DIRECT);
        assertEquals(0, h.file().flags() & OpenFlags.O_DIRECT, "the filesystem never sees O_DIRECT");
        assertEquals(OpenFlags.O_RDWR, h.file().flags() & OpenFlags.O_ACCMODE);
        assertEquals(0, FileOperations.daemonFlags(OpenFlags.O_DIRECT));
        assertEquals(OpenFlags.O_WRONLY | OpenFlags.O_APPEND,
                FileOperations.daemonFlags(OpenFlags.O_WRONLY | OpenFlags.O_APPEND | OpenFlags.O_DIRECT));
    }

    @Test
    void opendir_hasNoFile_andReleasedirEndsIt() {
        FileHandle d = files.opendir(Vfs.ROOT_INO);
        assertEquals(Vfs.ROOT_INO, d.ino());
        assertNull(d.file());
        files.releasedir(d.fh());
        assertEquals(0, files.openCount());
    }

    @Test
    void openOfAMissingInode_isTheFilesystemsErrno_andInstallsNothing() {
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> files.open(123_456, OpenFlags.O_RDONLY)).errno());
        assertEquals(0, files.openCount());
    }
}
