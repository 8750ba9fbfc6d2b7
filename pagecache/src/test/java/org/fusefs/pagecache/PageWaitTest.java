package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.junit.jupiter.api.Test;

class PageWaitTest {

    @Test
    void theLockExcludesAndWakesItsSleepers() throws Exception {
        Page p = new Page(7, 0);
        long[] counter = {0};
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = new Thread(() -> {
                for (int i = 0; i < 20_000; i++) {
                    PageWait.lock(p);
                    try {
                        counter[0]++;
                    } finally {
                        PageWait.unlock(p);
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join(60_000);
            assertFalse(t.isAlive(), "a sleeper was never woken");
        }
        assertEquals(80_000, counter[0]);
        assertFalse(p.test(PageFlag.LOCKED));
        assertTrue(PageWait.trylock(p));
        assertFalse(PageWait.trylock(p));
        PageWait.unlock(p);
        assertThrows(IllegalStateException.class, () -> PageWait.unlock(p));
    }

    @Test
    void waitingForWritebackReturnsWhenItEnds() throws Exception {
        Page p = new Page(8, 0);
        p.set(PageFlag.WRITEBACK);
        AtomicLong woke = new AtomicLong();
        Thread waiter = new Thread(() -> {
            PageWait.waitOnWriteback(p);
            woke.set(System.nanoTime());
        });
        waiter.start();
        Thread.sleep(50);
        assertTrue(waiter.isAlive());
        long ended = System.nanoTime();
        PageWait.clearAndWake(p, PageFlag.WRITEBACK);
        waiter.join(5000);
        assertFalse(waiter.isAlive());
        assertTrue(woke.get() >= ended);
    }
}
