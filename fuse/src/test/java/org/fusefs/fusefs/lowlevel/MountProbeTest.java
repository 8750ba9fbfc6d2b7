package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fusefs.extent.Vfs;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.junit.jupiter.api.Test;

class MountProbeTest {

    @Test
    void probeLookup_isObserved_andAnsweredEnoent() throws Exception {
        MountProbe probe = new MountProbe(".probe-1");
        probe.lookup(Vfs.ROOT_INO, "other");
        probe.lookup(Vfs.ROOT_INO + 1, ".probe-1"); // same name in another directory is not the probe
        assertFalse(probe.observedAlready());
        assertFalse(probe.await(0));
        assertEquals(Errno.ENOENT, assertThrows(ErrnoException.class, () -> probe.lookup(Vfs.ROOT_INO, ".probe-1")).errno());
        assertTrue(probe.observedAlready());
        assertTrue(probe.await(0));
    }

    @Test
    void probeName_isOnePathComponent() {
        assertThrows(IllegalArgumentException.class, () -> new MountProbe(""));
        assertThrows(IllegalArgumentException.class, () -> new MountProbe("a/b"));
        assertEquals("p", new MountProbe("p").name());
    }
}
