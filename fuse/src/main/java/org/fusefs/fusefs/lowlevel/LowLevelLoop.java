package org.fusefs.fusefs.lowlevel;

import static org.fusefs.fusefs.lowlevel.NativeLayout.*;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import com.kenai.jffi.MemoryIO;

/**
 * The low-level session's request loop on a fixed pool of Java threads: each thread receives a
 * request into its own buffer and processes it, and our callbacks run on that same thread (jffi
 * attaches it once, not per call). Threads stop when the session exits (the channel read returns
 * 0 at unmount). Several threads are required, not an option: an invalidation sent from an ioctl
 * waits for READs another worker must serve (fuse-kernel.md §8.3).
 *
 * <p>The pool follows demand, in the way of libfuse's {@code fuse_loop_mt}: all threads are
 * created at start (none is created or attached on the request path), but only the first one
 * reads the channel. A worker that takes a request while every active worker is busy activates a
 * parked one, so a free reader always exists while a request is served (the invalidation rule
 * above); a worker that finishes a request while two others already wait on the channel parks
 * again. A single synchronous client is then served by two threads in turn instead of by all of
 * them round robin (the kernel wakes the reader that has waited longest: with eight readers a
 * cold thread, often on the other CPU). Measured on this 2-CPU machine, 4 KiB O_DIRECT random
 * reads by one job: eight readers 13,000 IOPS at 31 µs of daemon CPU per request, two readers
 * 41,000 at 13 µs.
 *
 * <p>Each worker counts its requests in its own slot (written only by that worker, read racily
 * for figures).
 */
final class LowLevelLoop {
    private static final int EINTR = 4;
    private static final int SLOT = 16; // longs per counter slot: one cache line apart
    private static final MemoryIO IO = MemoryIO.getInstance();

    private final LibFuseLowLevel lib;
    private final long session;
    private final long channel;
    private final Thread[] workers;
    private final long[] requests;
    /** Per worker, requests by opcode ({@link FuseOpcode#slot}): {@link FuseOpcode#SLOTS} longs each. */
    private final long[] byOpcode;
    private final long[] cpuAtExit;
    /** Workers waiting in (or about to enter) the channel read. */
    private final AtomicInteger waiting = new AtomicInteger();
    /** Workers processing a request. */
    private final AtomicInteger busy = new AtomicInteger();
    /** Workers allowed to read the channel; the others are parked on {@link #parked}. */
    private final AtomicInteger active = new AtomicInteger(1);
    private final Semaphore parked = new Semaphore(0);
    /** Times a parked worker was woken: a figure for tuning the parking rule. */
    private final LongAdder activations = new LongAdder();
    private volatile Throwable failure;

    LowLevelLoop(LibFuseLowLevel lib, long session, long channel, int threads, String name) {
        if (threads < 2) {
            throw new IllegalArgumentException("threads (" + threads + ") must be at least 2");
        }
        this.lib = lib;
        this.session = session;
        this.channel = channel;
        this.workers = new Thread[threads];
        this.requests = new long[threads * SLOT];
        this.byOpcode = new long[threads * FuseOpcode.SLOTS];
        this.cpuAtExit = new long[threads];
        for (int i = 0; i < threads; i++) {
            int id = i;
            workers[i] = new Thread(() -> run(id), name + "-worker-" + i);
            workers[i].setDaemon(true);
        }
    }

    void start() {
        for (Thread t : workers) {
            t.start();
        }
    }

    private void run(int id) {
        if (id > 0) {
            parked.acquireUninterruptibly();
            if (lib.fuse_session_exited(session) != 0) {
                return;
            }
        }
        LowLevelInval.becomeWorker();
        long bufsize = lib.fuse_chan_bufsize(channel);
        ByteBuffer memBuf = ByteBuffer.allocateDirect((int) bufsize);
        ByteBuffer ctl = ByteBuffer.allocateDirect(64);
        long mem = IO.getDirectBufferAddress(memBuf);
        long buf = IO.getDirectBufferAddress(ctl);
        long chp = buf + 48;
        int slot = id * SLOT;
        try {
            while (lib.fuse_session_exited(session) == 0) {
                if (waiting.get() >= 2) {
                    active.decrementAndGet();
                    parked.acquireUninterruptibly();
                    continue;
                }
                IO.putLong(buf, bufsize);
                IO.putInt(buf + FUSE_BUF_FLAGS, 0);
                IO.putLong(buf + FUSE_BUF_MEM, mem);
                IO.putInt(buf + FUSE_BUF_FD, 0);
                IO.putLong(buf + FUSE_BUF_POS, 0);
                IO.putLong(chp, channel);
                waiting.incrementAndGet();
                int res = lib.fuse_session_receive_buf(session, buf, chp);
                waiting.decrementAndGet();
                if (res == -EINTR) {
                    continue;
                }
                if (res <= 0) {
                    if (res < 0) {
                        failure = new IllegalStateException("fuse_session_receive_buf: " + res);
                        lib.fuse_session_exit(session);
                    }
                    break;
                }
                requests[slot]++;
                if ((IO.getInt(buf + FUSE_BUF_FLAGS) & FUSE_BUF_IS_FD) == 0) {
                    // fuse_in_header: len (u32), then the opcode.
                    byOpcode[id * FuseOpcode.SLOTS + FuseOpcode.slot(IO.getInt(IO.getLong(buf + FUSE_BUF_MEM) + 4))]++;
                }
                if (busy.incrementAndGet() >= active.get()) {
                    activateOne();
                }
                try {
                    lib.fuse_session_process_buf(session, buf, IO.getLong(chp));
                } finally {
                    busy.decrementAndGet();
                }
            }
        } catch (Throwable t) {
            failure = t;
            lib.fuse_session_exit(session);
        } finally {
            // Parked workers would wait for ever: let them see the session end.
            parked.release(workers.length);
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            cpuAtExit[id] = mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : 0;
            java.lang.ref.Reference.reachabilityFence(memBuf);
            java.lang.ref.Reference.reachabilityFence(ctl);
        }
    }

    /** Lets one more parked worker read the channel, unless all are active. */
    private void activateOne() {
        int n;
        do {
            n = active.get();
            if (n >= workers.length) {
                return;
            }
        } while (!active.compareAndSet(n, n + 1));
        activations.increment();
        parked.release();
    }

    /** Waits until every worker stopped; false when {@code millis} passed first. */
    boolean join(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        for (Thread t : workers) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return !anyAlive();
            }
            t.join(left);
        }
        return !anyAlive();
    }

    private boolean anyAlive() {
        for (Thread t : workers) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }

    void exit() {
        lib.fuse_session_exit(session);
        parked.release(workers.length);
    }

    Throwable failure() {
        return failure;
    }

    long requests() {
        long sum = 0;
        for (int i = 0; i < workers.length; i++) {
            sum += requests[i * SLOT];
        }
        return sum;
    }

    /** Requests served so far by opcode slot ({@link FuseOpcode#name(int)}), summed over the workers. */
    long[] requestsByOpcode() {
        long[] sum = new long[FuseOpcode.SLOTS];
        for (int w = 0; w < workers.length; w++) {
            for (int s = 0; s < FuseOpcode.SLOTS; s++) {
                sum[s] += byOpcode[w * FuseOpcode.SLOTS + s];
            }
        }
        return sum;
    }

    /** CPU time of the worker threads in nanoseconds (-1 when the JVM cannot tell). */
    long workerCpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported()) {
            return -1;
        }
        long sum = 0;
        for (int i = 0; i < workers.length; i++) {
            long ns = workers[i].isAlive() ? mx.getThreadCpuTime(workers[i].getId()) : -1;
            sum += ns > 0 ? ns : cpuAtExit[i];
        }
        return sum;
    }

    int threads() {
        return workers.length;
    }

    /** Parked workers woken since start. */
    long activations() {
        return activations.sum();
    }

    /** Workers not parked now (at most {@link #threads()}). */
    int activeThreads() {
        return active.get();
    }
}
