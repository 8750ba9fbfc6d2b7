package org.fusefs.block;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The request queue of one block device: bounded depth, worker threads that hand each {@link Bio}
 * to the driver and complete it exactly once.
 *
 * <p>Mirrors the role of {@code struct request_queue} with its tag set in {@code block/blk-mq.c}:
 * {@code depth} is the number of tags, so it bounds requests queued <em>and</em> being served. When
 * every tag is taken, {@link #submit} waits on a condition until a worker frees one (a full queue
 * is a state, not an error). The checks of {@code bio_check_eod()} (I/O past the capacity) and of
 * the logical block size run in the submitter, before a tag is taken.
 *
 * <p>Locking: one internal lock guards the FIFO, the tag count and the state; the driver and the
 * bio's completion run without it. A bio's {@code endIo} runs on a worker and must not wait for
 * room in the same queue (it would wait for itself).
 *
 * <p>Stop and wake: {@link #quiesce} stops dispatch (requests still queue up to the depth) and
 * waits until no request is in the driver, as {@code blk_mq_quiesce_queue()} does before a device
 * is reconfigured; {@link #unquiesce} wakes the workers again.
 *
 * <p>Close: new submissions complete with {@link BlkStatus#IOERR}; everything already queued is
 * served before {@link #close} returns (the queue drains), so no request is ever lost.
 */
public final class RequestQueue implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RequestQueue.class.getName());

    /** What a device does with one request: its {@code queue_rq}. */
    @FunctionalInterface
    public interface Driver {
        /**
         * Serves {@code bio}, which is within the capacity and sector-aligned. Returns normally for
         * success; a failure throws with the status and a message naming the device and sector.
         * The queue completes the bio in both cases; the driver never calls {@link Bio#complete}.
         */
        void handle(Bio bio) throws BlkIOException;
    }

    private final String name;
    private final long capacitySectors;
    private final int depth;
    private final Driver driver;
    private final boolean directIssue;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notFull = lock.newCondition();
    private final Condition notEmpty = lock.newCondition();
    private final ArrayDeque<Bio> fifo;
    private final List<Thread> workers = new ArrayList<>();
    private final Condition idle = lock.newCondition();
    // Guarded by lock: tags taken (queued + being served), requests in the driver now, whether
    // dispatch is stopped, and whether close has begun.
    private int inFlight;
    private int active;
    private int activeDirect; // of active, those served by their submitters
    private long waits;
    private long completed;
    private boolean quiesced;
    private boolean dying;

    /**
     * Starts {@code workers} daemon threads serving requests for a device of {@code capacityBytes}.
     *
     * @throws IllegalArgumentException if depth or workers is not positive, or the capacity is not
     *     a multiple of the sector size
     */
    public RequestQueue(String name, long capacityBytes, int depth, int workers, Driver driver) {
        this(name, capacityBytes, depth, workers, driver, false);
    }

    /**
     * As {@link #RequestQueue(String, long, int, int, Driver)}; with {@code directIssue} a bio that
     * finds the queue empty and dispatch running is served on the submitting thread, as
     * {@code blk_mq_try_issue_directly()} does: it still takes a tag (so depth, quiesce and close
     * see it), but skips the hand-off to a worker and back, two context switches per request. Its
     * completion then runs on the submitter, so only for drivers whose users never submit while
     * holding something their completions need (a RAM disk, where {@code brd} serves every bio in
     * the submitter's context anyway).
     */
    public RequestQueue(String name, long capacityBytes, int depth, int workers, Driver driver, boolean directIssue) {
        if (depth <= 0 || workers <= 0) {
            throw new IllegalArgumentException(
                    name + ": depth (" + depth + ") and workers (" + workers + ") must be positive");
        }
        if (capacityBytes < 0 || capacityBytes % BlockDevice.SECTOR_SIZE != 0) {
            throw new IllegalArgumentException(name + ": capacity (" + capacityBytes + ") must be a multiple of 512");
        }
        this.name = name;
        this.capacitySectors = capacityBytes / BlockDevice.SECTOR_SIZE;
        this.depth = depth;
        this.driver = driver;
        this.directIssue = directIssue;
        this.fifo = new ArrayDeque<>(depth);
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::work, name + "-rq" + i);
            t.setDaemon(true);
            this.workers.add(t);
        }
        this.workers.forEach(Thread::start);
    }

    /** Returns the number of tags. */
    public int depth() {
        return depth;
    }

    /** Returns the requests queued or being served now. */
    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Returns how many submissions found every tag taken and had to wait. */
    public long nrWaits() {
        lock.lock();
        try {
            return waits;
        } finally {
            lock.unlock();
        }
    }

    /** Returns how many requests the workers have served (successfully or not). */
    public long nrCompleted() {
        lock.lock();
        try {
            return completed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return name + ": depth " + depth + " in_flight " + inFlight + " completed " + completed
                    + " full_waits " + waits + (quiesced ? " quiesced" : "") + (dying ? " dying" : "");
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues {@code bio}, waiting while all tags are taken. A bio that fails the checks, or that
     * arrives after close began, is completed at once on the calling thread with INVAL or IOERR.
     * If the submitter is interrupted while waiting, the bio completes with IOERR and the interrupt
     * status is kept.
     */
    public void submit(Bio bio) {
        try {
            check(bio);
        } catch (BlkIOException e) {
            bio.complete(e.status(), e.detail());
            return;
        }
        String refused = null;
        boolean direct = false;
        lock.lock();
        try {
            if (!dying && inFlight == depth) {
                waits++;
            }
            while (!dying && inFlight == depth) {
                notFull.await();
            }
            if (dying) {
                refused = "device is closing";
            } else if (directIssue && !quiesced && fifo.isEmpty()) {
                inFlight++;
                active++;
                activeDirect++;
                direct = true;
            } else {
                inFlight++;
                fifo.addLast(bio);
                notEmpty.signal();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            refused = "interrupted waiting for a free tag";
        } finally {
            lock.unlock();
        }
        if (refused != null) {
            bio.complete(BlkStatus.IOERR, name + ": " + refused + ", " + bio + " refused");
        } else if (direct) {
            try {
                serve(bio);
            } finally {
                finish(true);
            }
        }
    }

    // A served request gives its tag back. Caller does not hold the lock.
    private void finish(boolean direct) {
        lock.lock();
        try {
            if (direct) {
                activeDirect--;
            }
            inFlight--;
            active--;
            completed++;
            notFull.signal();
            if (active == 0 || dying) {
                idle.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks {@code bio} against the logical block size (INVAL) and the capacity (IOERR), as
     * {@code bio_check_eod()} does; usable by drivers that serve requests without a queue.
     */
    public static void check(Bio bio, String device, long capacitySectors) throws BlkIOException {
        if (bio.op() == ReqOp.FLUSH) {
            return;
        }
        long size = bio.size();
        if (size % BlockDevice.SECTOR_SIZE != 0) {
            throw new BlkIOException(BlkStatus.INVAL,
                    device + ": length " + size + " at sector " + bio.sector() + " is not a multiple of 512");
        }
        long sectors = size / BlockDevice.SECTOR_SIZE;
        if (bio.sector() > capacitySectors || sectors > capacitySectors - bio.sector()) {
            throw new BlkIOException(BlkStatus.IOERR, device + ": sector " + bio.sector() + " beyond end ("
                    + sectors + " sectors requested, capacity " + capacitySectors + " sectors)");
        }
    }

    private void check(Bio bio) throws BlkIOException {
        check(bio, name, capacitySectors);
    }

    private void work() {
        while (true) {
            Bio bio;
            lock.lock();
            try {
                while ((fifo.isEmpty() || quiesced) && !dying) {
                    notEmpty.awaitUninterruptibly();
                }
                bio = fifo.pollFirst();
                if (bio == null) {
                    return; // dying and drained
                }
                active++;
            } finally {
                lock.unlock();
            }
            try {
                serve(bio);
            } finally {
                finish(false);
            }
        }
    }

    // Completes exactly once: the driver's outcome decides the status, complete() runs once here.
    private void serve(Bio bio) {
        BlkStatus st = BlkStatus.OK;
        String detail = null;
        try {
            driver.handle(bio);
        } catch (BlkIOException e) {
            st = e.status();
            detail = e.detail();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, name + ": driver failed on " + bio, e);
            st = BlkStatus.IOERR;
            detail = name + ": driver failed on " + bio + ": " + e;
        }
        try {
            bio.complete(st, detail);
        } catch (RuntimeException e) {
            // A failing endIo belongs to the submitter; the worker must live on for the others.
            LOG.log(System.Logger.Level.ERROR, name + ": completion of " + bio + " threw", e);
        }
    }

    /**
     * Stops dispatching and waits until no request is being served. Submissions still queue (and
     * wait when the queue is full); nothing is dispatched until {@link #unquiesce} or close. Must not
     * be called from a bio's completion, which runs inside the dispatch it would wait for.
     */
    public void quiesce() {
        lock.lock();
        try {
            quiesced = true;
            while (active > 0) {
                idle.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Resumes dispatch after {@link #quiesce}. */
    public void unquiesce() {
        lock.lock();
        try {
            quiesced = false;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new requests, serves everything queued (even if quiesced) and stops the workers. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            dying = true;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        for (Thread t : workers) {
            if (t == Thread.currentThread()) {
                continue;
            }
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        // Requests served directly by their submitters finish too before the device goes away.
        lock.lock();
        try {
            while (activeDirect > 0) {
                idle.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
