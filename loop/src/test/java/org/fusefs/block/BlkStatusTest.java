package org.fusefs.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.fusefs.uapi.Errno;
import org.junit.jupiter.api.Test;

class BlkStatusTest {

    @Test
    void everyFailureHasAnErrnoAndOkHasNone() {
        assertNull(BlkStatus.OK.errno());
        for (BlkStatus s : BlkStatus.values()) {
            if (s != BlkStatus.OK) {
                assertNotNull(s.errno(), s.name());
            }
        }
        assertEquals(Errno.EIO, BlkStatus.IOERR.errno());
        assertEquals(Errno.EINVAL, BlkStatus.INVAL.errno());
        assertEquals(Errno.ENOSPC, BlkStatus.NOSPC.errno());
    }

    @Test
    void exceptionKeepsStatusAndDetail() {
        BlkIOException e = new BlkIOException(BlkStatus.MEDIUM, "ram0: sector 8 lost");
        assertEquals(BlkStatus.MEDIUM, e.status());
        assertEquals("ram0: sector 8 lost", e.detail());
        assertEquals("MEDIUM: ram0: sector 8 lost", e.getMessage());
    }
}
