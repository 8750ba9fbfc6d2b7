package org.fusefs.pagecache;

import java.util.concurrent.atomic.AtomicInteger;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;

/**
 * Sleeping on a page flag (LOCKED, WRITEBACK) and waking the sleepers: the page lock and
 * {@code wait_on_page_writeback}.
 *
 * <p>Mirrors the hashed page wait queues of {@code mm/filemap.c}: waiters of all pages share a
 * fixed table of queues keyed by pfn, so {@link Page} needs no queue of its own. A queue counts
 * its sleepers; clearing a flag takes the queue's monitor only when someone sleeps there. Why no
 * wake-up is lost: a sleeper raises the count and then re-tests the flag under the monitor; the
 * waker clears the flag and then reads the count (both sequentially consistent), so either the
 * sleeper sees the flag clear or the waker sees the sleeper and notifies under the same monitor.
 *
 * <p>Lock order: the page lock is taken after the caller's inode lock and before the address
 * space's tree lock; nothing is held while sleeping here except page locks the caller owns.
 */
final class PageWait {
    private static final int QUEUES = 256;
    private static final Queue[] TABLE = new Queue[QUEUES];

    static {
        for (int i = 0; i < QUEUES; i++) {
            TABLE[i] = new Queue();
        }
    }

    private static final class Queue {
        final AtomicInteger sleepers = new AtomicInteger();
    }

    private PageWait() {
    }

    private static Queue queue(Page page) {
        long h = page.pfn() * 0x9E3779B97F4A7C15L;
        return TABLE[(int) (h >>> 56) & (QUEUES - 1)];
    }

    /** Takes the page lock, sleeping while another thread holds it ({@code lock_page}). */
    static void lock(Page page) {
        while (page.testAndSet(PageFlag.LOCKED)) {
            waitWhileSet(page, PageFlag.LOCKED);
        }
    }

    /** Tries to take the page lock without sleeping ({@code trylock_page}). */
    static boolean trylock(Page page) {
        return !page.testAndSet(PageFlag.LOCKED);
    }

    /** Releases the page lock and wakes its sleepers ({@code unlock_page}). */
    static void unlock(Page page) {
        if (!page.testAndClear(PageFlag.LOCKED)) {
            throw new IllegalStateException("unlocking a page that is not locked: " + page);
        }
        wake(page);
    }

    /** Clears {@code flag} and wakes whoever waits for it. */
    static void clearAndWake(Page page, PageFlag flag) {
        page.clear(flag);
        wake(page);
    }

    /** Wakes the sleepers of the page's queue after one of its flags was cleared. */
    static void wake(Page page) {
        Queue q = queue(page);
        if (q.sleepers.get() > 0) {
            synchronized (q) {
                q.notifyAll();
            }
        }
    }

    /** Sleeps until {@code flag} is clear on {@code page}; returns at once when it is. */
    static void waitWhileSet(Page page, PageFlag flag) {
        if (!page.test(flag)) {
            return;
        }
        Queue q = queue(page);
        boolean interrupted = false;
        synchronized (q) {
            q.sleepers.incrementAndGet();
            try {
                while (page.test(flag)) {
                    try {
                        q.wait();
                    } catch (InterruptedException e) {
                        // A page lock sleep is uninterruptible (TASK_UNINTERRUPTIBLE); keep the status.
                        interrupted = true;
                    }
                }
            } finally {
                q.sleepers.decrementAndGet();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code folio_wait_writeback}. */
    static void waitOnWriteback(Page page) {
        waitWhileSet(page, PageFlag.WRITEBACK);
    }
}
