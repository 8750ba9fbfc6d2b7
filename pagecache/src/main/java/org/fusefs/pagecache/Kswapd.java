package org.fusefs.pagecache;

import java.util.concurrent.atomic.AtomicLong;
import org.fusefs.memory.PhysicalMemory;

/**
 * The background reclaimer of one page cache ({@code kswapd} of {@code mm/vmscan.c}): woken when
 * an allocation finds free memory under the low watermark, it reclaims clean pages a batch at a
 * time until free memory is back at the high watermark, so that allocations on the request path
 * usually find a free frame and reclaim there only below the min watermark.
 *
 * <p>One thread, started on the first wake-up and gone after {@link PageCacheConfig#workerIdle()}
 * without one (as the writeback workers). A pass that frees nothing (every old page dirty, under
 * writeback, mapped or locked) wakes writeback and retries after a pause that doubles up to
 * {@value #MAX_BACKOFF_MS} ms, ignoring wake-ups meanwhile: allocators then reclaim directly and,
 * failing that, write back themselves, as before.
 *
 * <p>Locking: {@code lock} guards the thread's life and is never held while reclaiming; the
 * reclaim itself takes the locks {@link Reclaim} takes, none of a caller's. {@link #wake} is a
 * volatile read while the thread is already at work.
 */
final class Kswapd {
    private static final long MAX_BACKOFF_MS = 64;
    // Largest reclaim request per pass: the high watermark is reached in several, so that a pass
    // never holds up pages the allocating threads could already use.
    private static final long PASS_PAGES = 256;

    private final PageCache cache;
    private final Reclaim reclaim;
    private final PhysicalMemory memory;
    private final long idleNanos;
    private final Object lock = new Object();
    // Set under lock by wake, cleared under lock by the thread when it goes to sleep.
    private volatile boolean awake;
    // protected by lock
    private Thread thread;
    // protected by lock
    private boolean closed;
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong reclaimed = new AtomicLong();

    Kswapd(PageCache cache, Reclaim reclaim, PageCacheConfig config) {
        this.cache = cache;
        this.reclaim = reclaim;
        this.memory = cache.memory();
        this.idleNanos = config.workerIdle().toNanos();
    }

    /** Asks for free memory up to the high watermark ({@code wakeup_kswapd}); never sleeps. */
    void wake() {
        if (awake) {
            return;
        }
        synchronized (lock) {
            if (awake || closed) {
                return;
            }
            awake = true;
            if (thread == null) {
                started.incrementAndGet();
                thread = new Thread(this::run, "kswapd-" + started.get());
                thread.setDaemon(true);
                thread.start();
            } else {
                lock.notifyAll();
            }
        }
    }

    private void run() {
        long backoffMs = 0;
        try {
            for (;;) {
                boolean progress = balance();
                synchronized (lock) {
                    if (closed) {
                        return;
                    }
                    if (!progress) {
                        // Stay awake (wake-ups are no use now) and try again after a pause.
                        backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1, 2 * backoffMs));
                        waitMillis(backoffMs);
                        continue;
                    }
                    backoffMs = 0;
                    awake = false;
                    // An allocation that saw us awake just now did not wake us: look once more.
                    if (memory.nrFreePages() < memory.lowWatermarkPages()) {
                        awake = true;
                        continue;
                    }
                    long idleSince = System.nanoTime();
                    while (!awake && !closed) {
                        long left = idleNanos - (System.nanoTime() - idleSince);
                        if (left <= 0) {
                            // Under the lock, so that a wake-up from now on starts a new thread.
                            thread = null;
                            return;
                        }
                        waitMillis(Math.max(1, left / 1_000_000));
                    }
                    if (closed) {
                        return;
                    }
                }
            }
        } finally {
            synchronized (lock) {
                if (thread == Thread.currentThread()) {
                    thread = null;
                    awake = false;
                }
                lock.notifyAll();
            }
        }
    }

    /**
     * Reclaims until free memory reaches the high watermark ({@code balance_pgdat}). Returns false
     * if a pass freed nothing while memory was still short.
     */
    private boolean balance() {
        long high = memory.highWatermarkPages();
        for (;;) {
            long free = memory.nrFreePages();
            if (free >= high || isClosed()) {
                return true;
            }
            long got = reclaim.reclaim(Math.min(PASS_PAGES, high - free));
            if (got == 0) {
                if (cache.nrDirtyPages() > 0) {
                    cache.writeback.wakeForReclaim();
                }
                return false;
            }
            reclaimed.addAndGet(got);
        }
    }

    private void waitMillis(long ms) {
        try {
            lock.wait(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Whether the thread is alive now. */
    boolean alive() {
        synchronized (lock) {
            return thread != null;
        }
    }

    /** Threads started since the page cache was made. */
    long started() {
        return started.get();
    }

    /** Pages this reclaimer freed. */
    long reclaimed() {
        return reclaimed.get();
    }

    /** Stops the thread and waits for it. */
    void close() {
        Thread t;
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
            t = thread;
        }
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
