package org.fusefs.fusefs.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.junit.jupiter.api.Test;

class ErrnoBarrierTest {

    @Test
    void errnoException_isAnsweredWithItsNegativeErrno() {
        for (Errno e : Errno.values()) {
            assertEquals(-e.code(), ErrnoBarrier.reply("op", "/p", new ErrnoException(e, "test")), e.name());
        }
    }

    @Test
    void unexpectedRuntimeException_isEioAndCounted() {
        long before = ErrnoBarrier.bugs();
        assertEquals(-5, ErrnoBarrier.reply("read", "/f", new IllegalStateException("broken invariant (expected in this test)")));
        assertEquals(before + 1, ErrnoBarrier.bugs());
    }

    @Test
    void errorsAndAssertions_areEioToo() {
        long before = ErrnoBarrier.bugs();
        assertEquals(-5, ErrnoBarrier.reply("write", "/f", new AssertionError("lock not held (expected in this test)")));
        assertEquals(-5, ErrnoBarrier.reply("write", "/f", new NullPointerException("expected in this test")));
        assertEquals(before + 2, ErrnoBarrier.bugs());
    }
}
