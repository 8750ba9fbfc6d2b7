package org.fusefs.fusefs.lowlevel;

import static org.fusefs.fusefs.lowlevel.NativeLayout.ARGS_SIZE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import com.kenai.jffi.MemoryIO;
import jnr.ffi.LibraryLoader;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.jnr.Unmounter;
import org.fusefs.fusefs.ops.FsIntrospection;
import org.fusefs.fusefs.ops.FsOperations;
import org.fusefs.fusefs.ops.IoctlHandler;
import org.fusefs.fusefs.ops.MountProbe;
import org.fusefs.fusefs.ops.NodeIds;

/**
 * A mount served through libfuse 2.9's low-level API: {@code fuse_mount} mounts,
 * {@code fuse_lowlevel_new} makes the session, a {@link LowLevelLoop} serves it, and the mount
 * counts as ready once a probe lookup reached the filesystem. {@link #unmount} runs
 * {@code fusermount -u}, waits for the loop, then removes the channel, destroys the session and
 * releases the channel, each step with a deadline.
 *
 * <p>Selected by default; {@code FUSEFS_API=high} (or {@code -Dfusefs.api=high}) selects the
 * high-level adapter instead. State transitions happen under {@code this}.
 */
public final class LowLevelMount {
    private static final System.Logger LOG = System.getLogger(LowLevelMount.class.getName());
    private static final MemoryIO IO = MemoryIO.getInstance();

    private enum State { MOUNTED, UNMOUNTING, CLOSED }

    private final Path mountPoint;
    private final LibFuseLowLevel lib;
    private final long session;
    private final long channel;
    private final LowLevelLoop loop;
    private final LowLevelInval notifier;
    private final LowLevelOps operations; // referenced so that the native closures stay reachable
    private final LowLevelFs fs;
    private final long startNanos = System.nanoTime();
    // protected by this
    private State state = State.MOUNTED;

    private LowLevelMount(Path mountPoint, LibFuseLowLevel lib, long session, long channel, LowLevelLoop loop,
            LowLevelInval notifier, LowLevelOps operations, LowLevelFs fs) {
        this.mountPoint = mountPoint;
        this.lib = lib;
        this.session = session;
        this.channel = channel;
        this.loop = loop;
        this.notifier = notifier;
        this.operations = operations;
        this.fs = fs;
    }

    /** True unless {@code FUSEFS_API} / {@code -Dfusefs.api} asks for the high-level adapter. */
    public static boolean selected() {
        String api = System.getProperty("fusefs.api", System.getenv("FUSEFS_API"));
        return api == null || !api.trim().toLowerCase(Locale.ROOT).startsWith("high");
    }

    /**
     * Mounts {@code vfs} at {@code mountPoint} with {@code options} ({@code -o} options, already
     * escaped) and returns once the mount answers requests. {@code threads} is raised to 2.
     *
     * @throws IOException when libfuse cannot mount or the probe does not arrive in time
     */
    public static LowLevelMount mount(Vfs vfs, FsIntrospection introspection, Path mountPoint, List<String> options,
            int threads, boolean debug, long readyTimeoutMillis) throws IOException {
        LibFuseLowLevel lib = LibraryLoader.create(LibFuseLowLevel.class).failImmediately().load("fuse");
        MountProbe probe = new MountProbe(".fusefs-probe-" + Long.toHexString(System.nanoTime()));
        FsOperations ops = new FsOperations(vfs, probe);
        LowLevelInval notifier = new LowLevelInval(lib);
        LowLevelMount[] self = new LowLevelMount[1];
        IoctlHandler ioctls = new IoctlHandler(ops, introspection,
                () -> self[0] == null ? "" : self[0].daemonFigures(), new NodeIds(), notifier);
        LowLevelFs fs = new LowLevelFs(lib, ops, ioctls, notifier, probe);
        LowLevelOps operations = new LowLevelOps(fs);

        ByteBuffer argsMem = ByteBuffer.allocateDirect(ARGS_SIZE);
        long args = IO.getDirectBufferAddress(argsMem);
        IO.setMemory(args, ARGS_SIZE, (byte) 0);
        String mp = mountPoint.toAbsolutePath().toString();
        long ch;
        long se;
        try {
            add(lib, args, "fusefs");
            if (debug) {
                add(lib, args, "-d");
            }
            add(lib, args, "-o");
            add(lib, args, String.join(",", options));
            ch = lib.fuse_mount(mp, args);
            if (ch == 0) {
                throw new IOException("cannot mount " + mountPoint + " (libfuse's message above says why)");
            }
            se = lib.fuse_lowlevel_new(args, operations.address(), LowLevelOps.OPS_SIZE, 0);
            if (se == 0) {
                lib.fuse_unmount(mp, ch);
                throw new IOException("cannot start a FUSE session on " + mountPoint
                        + " (libfuse's message above says why)");
            }
        } finally {
            lib.fuse_opt_free_args(args);
        }
        lib.fuse_session_add_chan(se, ch);
        vfs.setInodeInvalidation(notifier);
        notifier.attach(ch);
        LowLevelLoop loop = new LowLevelLoop(lib, se, ch, Math.max(2, threads), "fusefs");
        LowLevelMount m = new LowLevelMount(mountPoint, lib, se, ch, loop, notifier, operations, fs);
        self[0] = m;
        loop.start();
        try {
            // The stat blocks until INIT is answered and the lookup reached us (or failed).
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

    private static void add(LibFuseLowLevel lib, long args, String arg) throws IOException {
        if (lib.fuse_opt_add_arg(args, arg) != 0) {
            throw new IOException("fuse_opt_add_arg(" + arg + ") failed");
        }
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** Blocks until the request loop ended (someone unmounted the filesystem). */
    public void awaitLoopEnd() throws InterruptedException {
        while (!loop.join(60_000)) {
            // keep waiting
        }
    }

    public synchronized boolean mounted() {
        return state == State.MOUNTED;
    }

    public synchronized boolean closed() {
        return state == State.CLOSED;
    }

    /** Requests served, worker CPU time, uptime and inodes the kernel holds, as lines of text. */
    public String daemonFigures() {
        long req = loop.requests();
        long cpu = loop.workerCpuNanos();
        double perReq = req == 0 ? 0 : cpu / 1000.0 / req;
        return String.format("daemon:%n  api            lowlevel%n  threads        %d%n  threads_active %d%n  activations    %d%n  requests       %d%n"
                + "  worker_cpu_ns  %d%n  cpu_per_req_us %.2f%n  uptime_ms      %d%n  kernel_inodes  %d%n"
                + "  eio_bugs       %d%n",
                loop.threads(), loop.activeThreads(), loop.activations(), req, cpu, perReq, (System.nanoTime() - startNanos) / 1_000_000L,
                fs.lookups().size(), LowLevelFs.bugs());
    }

    /**
     * Unmounts (if still mounted), waits for the request loop and tears the session down.
     * Idempotent. A mount still in use is detached lazily; the loop then ends when its last user
     * is gone, or the session is ended at the deadline.
     */
    public void unmount(long deadlineMillis) {
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
                lib.fuse_session_remove_chan(channel);
                lib.fuse_session_destroy(session);
                lib.fuse_unmount(mountPoint.toAbsolutePath().toString(), channel);
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
        java.lang.ref.Reference.reachabilityFence(operations);
    }
}
