package org.fusefs.fusefs.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.testing.MemVfs;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

class FsOperationsTest {
    private final MountProbe probe = new MountProbe(".probe-1");
    private final FsOperations ops = new FsOperations(new MemVfs(), probe);

    @Test
    void resolve_walksEveryComponent_andToleratesDoubleSlashes() {
        ops.mkdir("/a", 0755, 0, 0);
        ops.mkdir("/a/b", 0755, 0, 0);
        ops.mknod("/a/b/f", FileMode.S_IFREG | 0644, 0, 0, 0);
        long ino = ops.resolve("/a/b/f").ino();
        assertEquals(ino, ops.resolve("/a//b/f").ino());
        assertEquals(Vfs.ROOT_INO, ops.resolve("/").ino());
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> ops.resolve("/a/x/f")).errno());
        assertEquals(Errno.ENOTDIR, assertThrows(ErrnoException.class, () -> ops.resolve("/a/b/f/g")).errno());
    }

    @Test
    void probeGetattr_isObserved_andAnsweredEnoent() throws Exception {
        assertFalse(probe.observedAlready());
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> ops.getattr("/.probe-1")).errno());
        assertTrue(probe.await(0));
    }

    @Test
    void openReadWriteRelease_goThroughTheHandle() {
        FileHandle h = ops.create("/f", 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
        ops.rename("/f", "/g", 0);
        // The handle still works after the path changed: no path lookups on the handle path.
        ops.ftruncate(h.fh(), 10);
        assertEquals(10, ops.fgetattr(h.fh()).size());
        ops.release(h.fh());
        assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> ops.fgetattr(h.fh())).errno());
        assertEquals(0, ops.handles().size());
    }

    @Test
    void readdir_fromAHandle_listsEntries() {
        ops.mkdir("/d", 0755, 0, 0);
        ops.mknod("/d/x", FileMode.S_IFREG | 0644, 0, 0, 0);
        FileHandle d = ops.opendir("/d");
        List<String> names = new ArrayList<>();
        ops.readdir("/d", d.fh(), 0, e -> names.add(e.name()));
        assertEquals(List.of(".", "..", "x"), names);
        ops.releasedir(d.fh());
        assertEquals(Errno.ENOTDIR, assertThrows(ErrnoException.class, () -> ops.opendir("/d/x")).errno());
    }

    @Test
    void chown_withMinusOne_leavesThatIdUnchanged() {
        ops.mknod("/o", FileMode.S_IFREG | 0644, 0, 5, 6);
        ops.chown("/o", 0xFFFFFFFFL, 9);
        assertEquals(5, ops.getattr("/o").uid());
        assertEquals(9, ops.getattr("/o").gid());
    }
}
