package org.fusefs.fusefs.jnr;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * libfuse's request loop run by a fixed pool of Java threads (shared/spec/jnr-fuse.md §9): each
 * thread receives a request into its own buffer and processes it; the callbacks run on that same
 * thread, so jffi never attaches and detaches a thread per call as it does under
 * {@code fuse_loop_mt}. Threads stop when the session exits (the mount is gone: the channel read
 * returns 0).
 *
 * <p>Each worker counts its requests in its own slot (written only by that worker; read racily
 * for figures, which is fine for a counter).
 */
final class FuseSessionLoop {
    private static final int EINTR = 4;
    // struct fuse_buf { size_t size; enum fuse_buf_flags flags; void *mem; int fd; off_t pos; }
    static final int FUSE_BUF_SIZE = 40;
    static final int FUSE_BUF_FLAGS = 8;
    static final int FUSE_BUF_MEM = 16;
    static final int FUSE_BUF_FD = 24;
    static final int FUSE_BUF_POS = 32;
    private static final int SLOT = 16;          // longs per counter slot: one cache line apart

    private final LibFuse2 lib;
    private final Pointer session;
    private final Pointer channel;
    private final Thread[] workers;
    private final long[] requests;
    private final long[] cpuAtExit;
    private volatile Throwable failure;

    FuseSessionLoop(LibFuse2 lib, Pointer session, Pointer channel, int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads (" + threads + ") must be at least 1");
        }
        this.lib = lib;
        this.session = session;
        this.channel = channel;
        this.workers = new Thread[threads];
        this.requests = new long[threads * SLOT];
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
        InvalNotifier.becomeWorker();
        Runtime rt = Runtime.getSystemRuntime();
        long bufsize = lib.fuse_chan_bufsize(channel);
        Pointer mem = Memory.allocateDirect(rt, (int) bufsize);
        Pointer buf = Memory.allocateDirect(rt, FUSE_BUF_SIZE);
        Pointer chp = Memory.allocateDirect(rt, 8);
        int slot = id * SLOT;
        try {
            while (lib.fuse_session_exited(session) == 0) {
                buf.putLong(0, bufsize);
                buf.putInt(FUSE_BUF_FLAGS, 0);
                buf.putAddress(FUSE_BUF_MEM, mem.address());
                buf.putInt(FUSE_BUF_FD, 0);
                buf.putLong(FUSE_BUF_POS, 0);
                chp.putAddress(0, channel.address());
                int res = lib.fuse_session_receive_buf(session, buf, chp);
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
                lib.fuse_session_process_buf(session, buf, channel);
            }
        } catch (Throwable t) {
            failure = t;
            lib.fuse_session_exit(session);
        } finally {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            cpuAtExit[id] = mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : 0;
        }
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
    }

    Throwable failure() {
        return failure;
    }

    /** Requests processed since start. */
    long requests() {
        long sum = 0;
        for (int i = 0; i < workers.length; i++) {
            sum += requests[i * SLOT];
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
}
