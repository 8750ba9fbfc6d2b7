package org.fusefs.fusefs.jnr;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.lowlevel.LowLevelMount;
import org.fusefs.fusefs.ops.FsIntrospection;
import org.fusefs.fusefs.ops.FsOperations;
import org.fusefs.fusefs.ops.IoctlHandler;
import org.fusefs.fusefs.ops.MountProbe;
import org.fusefs.fusefs.ops.NodeIds;

/**
 * A mounted filesystem: {@code fuse_setup} mounts, a {@link FuseSessionLoop} serves requests, and
 * the mount counts as ready only when a probe {@code getattr} has reached the filesystem.
 * {@link #unmount} runs {@code fusermount -u} and waits for it, then for the loop, then tears the
 * session down, each step with a deadline.
 *
 * <p>State: {@code MOUNTED -> UNMOUNTING -> CLOSED}; transitions under {@code this}.
 */
public final class FuseMount {
    private static final System.Logger LOG = System.getLogger(FuseMount.class.getName());

    /** Lifecycle of a mount. */
    public enum State { MOUNTED, UNMOUNTING, CLOSED }

    /** What to mount and how. {@code extraOptions} are passed as {@code -o} options. */
    public record Config(String fsName, int threads, List<String> extraOptions, boolean debug) {
    }

    private final Path mountPoint;
    private final LibFuse2 lib;
    private final Pointer fuse;
    private final Pointer mountpointC;
    private final FuseSessionLoop loop;
    private final InvalNotifier notifier;
    private final JnrFuseAdapter adapter; // referenced so its native callbacks stay reachable
    private final long startNanos = System.nanoTime();
    private final LowLevelMount low; // non-null: the low-level adapter serves this mount
    // protected by this
    private State state = State.MOUNTED;

    private FuseMount(Path mountPoint, LibFuse2 lib, Pointer fuse, Pointer mountpointC, FuseSessionLoop loop,
            InvalNotifier notifier, JnrFuseAdapter adapter) {
        this.mountPoint = mountPoint;
        this.lib = lib;
        this.fuse = fuse;
        this.mountpointC = mountpointC;
        this.loop = loop;
        this.notifier = notifier;
        this.adapter = adapter;
        this.low = null;
    }

    private FuseMount(Path mountPoint, LowLevelMount low) {
        this.mountPoint = mountPoint;
        this.lib = null;
        this.fuse = null;
        this.mountpointC = null;
        this.loop = null;
        this.notifier = null;
        this.adapter = null;
        this.low = low;
    }

    /** The options every fusefs mount gets: throughput, kernel permission checks, a clear name. */
    static List<String> options(Config c) {
        List<String> o = new ArrayList<>();
        o.add("fsname=" + c.fsName().replace(",", "\\,"));
        o.add("subtype=fusefs");
        o.add("big_writes");
        o.add("max_read=131072");
        o.add("max_write=131072");
        o.add("default_permissions");
        if ("root".equals(System.getProperty("user.name"))) {
            o.add("allow_other");
        }
        o.addAll(c.extraOptions());
        return o;
    }

    /**
     * Mounts {@code vfs} at {@code mountPoint} and returns once the mount answers requests.
     *
     * @throws IOException when libfuse cannot mount or the probe does not arrive in time
     */
    public static FuseMount mount(Vfs vfs, FsIntrospection introspection, Path mountPoint, Config config,
            long readyTimeoutMillis) throws IOException {
        if (LowLevelMount.selected()) {
            return new FuseMount(mountPoint, LowLevelMount.mount(vfs, introspection, mountPoint, options(config),
                    config.threads(), config.debug(), readyTimeoutMillis));
        }
        LibFuse2 lib = LibraryLoader.create(LibFuse2.class).failImmediately().load("fuse");
        Runtime rt = Runtime.getSystemRuntime();
        MountProbe probe = new MountProbe(".fusefs-probe-" + Long.toHexString(System.nanoTime()));
        FsOperations ops = new FsOperations(vfs, probe);
        NodeIds nodeIds = new NodeIds();
        InvalNotifier notifier = new InvalNotifier(lib, nodeIds);
        vfs.setInodeInvalidation(notifier);
        FuseMount[] self = new FuseMount[1];
        IoctlHandler ioctls = new IoctlHandler(ops, introspection,
                () -> self[0] == null ? "" : self[0].daemonFigures(), nodeIds, notifier);
        JnrFuseAdapter adapter = new JnrFuseAdapter(ops, ioctls, notifier);

        List<String> argv = new ArrayList<>();
        argv.add("fusefs");
        argv.add("-f");
        if (config.debug()) {
            argv.add("-d");
        }
        argv.add(mountPoint.toAbsolutePath().toString());
        argv.add("-o");
        argv.add(String.join(",", options(config)));

        Pointer mpOut = Memory.allocateDirect(rt, 8);
        Pointer mtOut = Memory.allocateDirect(rt, 4);
        Pointer fuse = lib.fuse_setup(argv.size(), argv.toArray(new String[0]), adapter.operations(),
                adapter.operationsSize(), mpOut, mtOut, null);
        if (fuse == null || fuse.address() == 0) {
            throw new IOException("cannot mount " + mountPoint + " (libfuse's message above says why)");
        }
        Pointer se = lib.fuse_get_session(fuse);
        Pointer ch = lib.fuse_session_next_chan(se, null);
        notifier.attach(ch);
        FuseSessionLoop loop = new FuseSessionLoop(lib, se, ch, config.threads(), "fusefs");
        FuseMount m = new FuseMount(mountPoint, lib, fuse, mpOut.getPointer(0), loop, notifier, adapter);
        self[0] = m;
        loop.start();
        try {
            // The stat blocks until INIT is answered and the getattr reached us (or failed).
            Files.exists(mountPoint.resolve(probe.name()));
            if (!probe.await(readyTimeoutMillis)) {
                throw new IOException("mount " + mountPoint + " did not answer a probe within "
                        + readyTimeoutMillis + " ms");
            }
        } catch (IOException | RuntimeException e) {
            m.unmount(5000);
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            m.unmount(5000);
            throw new IOException("interrupted while waiting for the mount", e);
        }
        return m;
    }

    /**
     * Checks that libfuse 2 can be loaded; the message names the Debian package when it cannot.
     */
    public static void checkLibrary() throws IOException {
        checkLibrary("fuse");
    }

    static void checkLibrary(String name) throws IOException {
        try {
            LibraryLoader.create(LibFuse2.class).failImmediately().load(name);
        } catch (LinkageError | RuntimeException e) {
            throw new IOException("libfuse.so.2 cannot be loaded: install package libfuse2 "
                    + "(apt-get install libfuse2)");
        }
    }

    public Path mountPoint() {
        return mountPoint;
    }

    public synchronized State state() {
        if (low != null) {
            return low.mounted() ? State.MOUNTED : low.closed() ? State.CLOSED : State.UNMOUNTING;
        }
        return state;
    }

    /** Blocks until the request loop ended (someone unmounted the filesystem). */
    public void awaitLoopEnd() throws InterruptedException {
        if (low != null) {
            low.awaitLoopEnd();
            return;
        }
        while (!loop.join(60_000)) {
            // keep waiting
        }
    }

    /**
     * Requests served, CPU time of the request threads (user + system, so the kernel's /dev/fuse
     * work is included) and of the whole process, and uptime, as lines of text.
     */
    public String daemonFigures() {
        if (low != null) {
            return low.daemonFigures();
        }
        long req = loop.requests();
        long cpu = loop.workerCpuNanos();
        double perReq = req == 0 ? 0 : cpu / 1000.0 / req;
        long processCpu = processCpuNanos();
        return String.format("daemon:%n  threads        %d%n  requests       %d%n  worker_cpu_ns  %d%n"
                + "  cpu_per_req_us %.2f%n  process_cpu_ns %d%n  uptime_ms      %d%n  eio_bugs       %d%n",
                loop.threads(), req, cpu, perReq, processCpu, (System.nanoTime() - startNanos) / 1_000_000L,
                ErrnoBarrier.bugs());
    }

    /** CPU time of the whole daemon process (all threads, JIT and GC included), -1 if unknown. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /**
     * Unmounts (if still mounted), waits for the request loop and tears the session down. Idempotent.
     * A mount still in use is detached lazily; the loop then ends when its last user is gone, or
     * the session is ended at the deadline.
     */
    public void unmount(long deadlineMillis) {
        if (low != null) {
            low.unmount(deadlineMillis);
            return;
        }
        synchronized (this) {
            if (state != State.MOUNTED) {
                return;
            }
            state = State.UNMOUNTING;
        }
        long deadline = System.currentTimeMillis() + deadlineMillis;
        try {
            if (Unmounter.isMounted(mountPoint)) {
                Unmounter.fusermount(mountPoint, false, deadlineMillis);
                if (Unmounter.isMounted(mountPoint)) {
                    Unmounter.fusermount(mountPoint, true, deadlineMillis);
                }
            }
            boolean stopped = loop.join(Math.max(1, deadline - System.currentTimeMillis()));
            if (!stopped) {
                loop.exit();
                stopped = loop.join(2000);
            }
            notifier.detach();
            if (stopped) {
                lib.fuse_teardown(fuse, mountpointC);
            } else {
                LOG.log(System.Logger.Level.WARNING, "fusefs: request loop of " + mountPoint
                        + " did not stop; session left in place");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "fusefs: unmount " + mountPoint + ": " + e.getMessage());
        } finally {
            synchronized (this) {
                state = State.CLOSED;
            }
        }
        if (loop.failure() != null) {
            LOG.log(System.Logger.Level.WARNING, "fusefs: request loop failed", loop.failure());
        }
        if (adapter == null) {
            throw new IllegalStateException("adapter");
        }
    }

    static long waitFor(Process p, long millis) throws InterruptedException {
        if (!p.waitFor(millis, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
