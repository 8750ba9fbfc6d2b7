package org.fusefs.pagecache;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.fusefs.uapi.Errno;

/**
 * Background writeback and writer throttling of one page cache ({@code fs/fs-writeback.c},
 * {@code mm/page-writeback.c}).
 *
 * <p>Address spaces with dirty pages wait on a dirty list, oldest first ({@code b_dirty}).
 * Writeback workers take them from it once their oldest dirty page is older than the expire time,
 * or at once while dirty pages are over the background threshold. Workers are started on demand,
 * at most {@link PageCacheConfig#maxWorkers()}, and exit after
 * {@link PageCacheConfig#workerIdle()} with nothing to do (the lazy workqueue idea). Writers
 * that push dirty pages over the dirty limit sleep until writeback brings them under it
 * ({@code balance_dirty_pages}).
 *
 * <p>Locking: {@code lock} guards the dirty list and worker counts and is never held while
 * taking a page or tree lock; {@code throttle} is a plain wait point for throttled writers.
 */
final class Writeback {
    private final PageCache cache;
    private final PageCacheConfig config;
    private final Object lock = new Object();
    private final Object throttle = new Object();
    // protected by lock
    private final ArrayDeque<AddressSpace> dirtyList = new ArrayDeque<>();
    // protected by lock: address spaces a worker is writing now
    private final IdentityHashMap<AddressSpace, Integer> inFlight = new IdentityHashMap<>();
    // protected by lock
    private int alive;
    // protected by lock
    private int idle;
    // protected by lock
    private boolean closed;
    // protected by lock
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong workerSeq = new AtomicLong();
    private final long backgroundThresh;
    private static final long URGENT_NANOS = 1_000_000_000L;
    // When reclaim last asked for writeback; far in the past at first.
    private volatile long urgentSince = System.nanoTime() - 2 * URGENT_NANOS;
    private final long dirtyLimit;

    Writeback(PageCache cache, PageCacheConfig config, long totalPages) {
        this.cache = cache;
        this.config = config;
        this.dirtyLimit = Math.max(16, (long) (totalPages * config.dirtyRatio()));
        this.backgroundThresh = Math.max(8, (long) (totalPages * config.backgroundRatio()));
    }

    long dirtyLimit() {
        return dirtyLimit;
    }

    /** Puts an address space that just got dirty pages on the dirty list. */
    void queue(AddressSpace as) {
        synchronized (lock) {
            if (as.queued || closed) {
                return;
            }
            as.queued = true;
            as.dirtiedWhen = System.nanoTime();
            dirtyList.addLast(as);
            ensureWorkerLocked();
            lock.notifyAll();
        }
    }

    /** Wakes workers, starting one if needed, because dirty pages are over the background threshold. */
    private void kick() {
        synchronized (lock) {
            ensureWorkerLocked();
            lock.notifyAll();
        }
    }

    private boolean overBackground() {
        return cache.nrDirtyPages() > backgroundThresh || System.nanoTime() - urgentSince < URGENT_NANOS;
    }

    /**
     * Reclaim found dirty pages where it wanted clean ones: write back without waiting for the
     * expire time for a while (the kernel's wakeup_flusher_threads from vmscan). Never sleeps.
     */
    void wakeForReclaim() {
        urgentSince = System.nanoTime();
        kick();
    }

    private void ensureWorkerLocked() {
        if (closed || dirtyList.isEmpty() || alive >= config.maxWorkers()) {
            return;
        }
        // One worker for expiry; more only while over the background threshold with more files
        // waiting than idle workers to take them.
        if (alive == 0 || (idle == 0 && overBackground() && dirtyList.size() > 1)) {
            alive++;
            started.incrementAndGet();
            Thread t = new Thread(this::workerLoop, "writeback-" + workerSeq.incrementAndGet());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void workerLoop() {
        long idleSince = System.nanoTime();
        long expire = config.dirtyExpire().toNanos();
        long idleLimit = config.workerIdle().toNanos();
        try {
            for (;;) {
                AddressSpace as;
                synchronized (lock) {
                    idle++;
                    try {
                        for (;;) {
                            if (closed) {
                                return;
                            }
                            AddressSpace head = dirtyList.peekFirst();
                            long now = System.nanoTime();
                            if (head != null && (overBackground() || now - head.dirtiedWhen >= expire)) {
                                as = dirtyList.pollFirst();
                                as.queued = false;
                                inFlight.merge(as, 1, Integer::sum);
                                break;
                            }
                            long waitNs;
                            if (head == null) {
                                waitNs = idleLimit - (now - idleSince);
                                if (waitNs <= 0) {
                                    return;
                                }
                            } else {
                                waitNs = expire - (now - head.dirtiedWhen);
                            }
                            waitNanos(lock, Math.max(waitNs, 100_000));
                        }
                    } finally {
                        idle--;
                    }
                }
                try {
                    // A bounded slice per turn so that one big file does not starve the others.
                    WritebackBatch.writeRange(as, 0, Long.MAX_VALUE, true, 4L * config.writebackBatch());
                } finally {
                    long dirtiedWhen = as.dirtiedWhen;
                    boolean more = as.nrDirty() > 0;
                    synchronized (lock) {
                        inFlight.computeIfPresent(as, (k, v) -> v == 1 ? null : v - 1);
                        if (more && !as.queued && !closed) {
                            as.queued = true;
                            as.dirtiedWhen = dirtiedWhen;
                            dirtyList.addLast(as);
                        }
                        lock.notifyAll();
                    }
                    idleSince = System.nanoTime();
                }
            }
        } finally {
            synchronized (lock) {
                alive--;
                threads.remove(Thread.currentThread());
                // A file queued while this worker decided to exit must not be left without one.
                ensureWorkerLocked();
            }
        }
    }

    private static void waitNanos(Object monitor, long nanos) {
        try {
            monitor.wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Throttles a writer while dirty pages are over the limit ({@code balance_dirty_pages}). */
    void balanceDirtyPages() {
        long dirty = cache.nrDirtyPages();
        if (dirty <= backgroundThresh) {
            return;
        }
        kick();
        if (dirty <= dirtyLimit) {
            return;
        }
        cache.throttled.incrementAndGet();
        synchronized (throttle) {
            while (cache.nrDirtyPages() > dirtyLimit && !isClosed()) {
                kick();
                waitNanos(throttle, 10_000_000);
            }
        }
    }

    /** Called after each written batch: throttled writers re-check the dirty count. */
    void wakeThrottled() {
        synchronized (throttle) {
            throttle.notifyAll();
        }
    }

    /**
     * For an allocation that found nothing clean to reclaim: writes back a slice of the oldest
     * dirty files in the calling thread, skipping locked pages (reclaim never sleeps on a page
     * lock: the allocating thread may be inside an owner's {@code writePages}), or waits a little
     * for writeback under way. Returns false when it could do nothing and nothing is in flight.
     */
    boolean writebackForReclaim() {
        List<AddressSpace> dirty;
        boolean busy;
        synchronized (lock) {
            dirty = new ArrayList<>(dirtyList);
            busy = !inFlight.isEmpty();
        }
        Errno[] ignored = new Errno[1];
        for (AddressSpace as : dirty) {
            if (WritebackBatch.run(as, 0, Long.MAX_VALUE, false, config.writebackBatch(), ignored) > 0) {
                return true;
            }
        }
        if (busy || cache.nrWritebackPages() > 0) {
            synchronized (throttle) {
                waitNanos(throttle, 5_000_000);
            }
            return true;
        }
        return false;
    }

    /** Address spaces that are dirty or being written now. */
    List<AddressSpace> snapshotDirty() {
        synchronized (lock) {
            List<AddressSpace> l = new ArrayList<>(dirtyList);
            l.addAll(inFlight.keySet());
            return l;
        }
    }

    int workersAlive() {
        synchronized (lock) {
            return alive;
        }
    }

    long workersStarted() {
        return started.get();
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Stops the workers; dirty pages stay dirty (call {@link PageCache#syncAll} first to keep them). */
    void close() {
        List<Thread> ts;
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
            ts = new ArrayList<>(threads);
        }
        wakeThrottled();
        for (Thread t : ts) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
