package org.fusefs.fusefs.lowlevel;

import static org.fusefs.fusefs.lowlevel.NativeLayout.ARGS_SIZE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import com.kenai.jffi.MemoryIO;
import jnr.ffi.LibraryLoader;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.mount.Unmounter;
import org.fusefs.fusefs.ops.FileOperations;
import org.fusefs.fusefs.ops.FsIntrospection;
import org.fusefs.fusefs.ops.IoctlHandler;

/**
 * A mount served through libfuse 2.9's low-level API: {@code fuse_mount} mounts,
 * {@code fuse_lowlevel_new} makes the session, a {@link LowLevelLoop} serves it, and the mount
 * counts as ready once a probe lookup reached the filesystem. {@link #unmount} runs
 * {@code fusermount -u}, waits for the loop, then removes the channel, destroys the session and
 * releases the channel, each step with a deadline.
 *
 * <p>State: {@code MOUNTED -> UNMOUNTING -> CLOSED}; transitions happen under {@code this}.
 */
public final class LowLevelMount {
    private static final System.Logger LOG = System.getLogger(LowLevelMount.class.getName());
    private static final MemoryIO IO = MemoryIO.getInstance();

    private enum State { MOUNTED, UNMOUNTING, CLOSED }

    /**
     * What to mount and how: {@code fsName} is the source /proc/mounts shows, {@code threads} the
     * request loop's threads (at least 2), {@code extraOptions} more {@code -o} options, {@code debug}
     * libfuse's {@code -d} trace.
     */
    public record Config(String fsName, int threads, List<String> extraOptions, boolean debug) {
    }

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

    /** Checks that libfuse 2 can be loaded; the message names the Debian package when it cannot. */
    public static void checkLibrary() throws IOException {
        checkLibrary("fuse");
    }

    static void checkLibrary(String name) throws IOException {
        try {
            LibraryLoader.create(LibFuseLowLevel.class).failImmediately().load(name);
        } catch (LinkageError | RuntimeException e) {
            throw new IOException("libfuse.so.2 cannot be loaded: install package libfuse2 "
                    + "(apt-get install libfuse2)");
        }
    }

    /**
     * Mounts {@code vfs} at {@code mountPoint} and returns once the mount answers requests.
     *
     * @throws IOException when libfuse cannot mount or the probe does not arrive in time
     */
    public static LowLevelMount mount(Vfs vfs, FsIntrospection introspection, Path mountPoint, Config config,
            long readyTimeoutMillis) throws IOException {
        LibFuseLowLevel lib = LibraryLoader.create(LibFuseLowLevel.class).failImmediately().load("fuse");
        MountProbe probe = new MountProbe(".fusefs-probe-" + Long.toHexString(System.nanoTime()));
        FileOperations files = new FileOperations(vfs);
        LowLevelInval notifier = new LowLevelInval(lib);
        LowLevelMount[] self = new LowLevelMount[1];
        IoctlHandler ioctls = new IoctlHandler(files, introspection,
                () -> self[0] == null ? "" : self[0].daemonFigures(), notifier);
        LowLevelFs fs = new LowLevelFs(lib, files, ioctls, notifier, probe);
        LowLevelOps operations = new LowLevelOps(fs);

        ByteBuffer argsMem = ByteBuffer.allocateDirect(ARGS_SIZE);
        long args = IO.getDirectBufferAddress(argsMem);
        IO.setMemory(args, ARGS_SIZE, (byte) 0);
        String mp = mountPoint.toAbsolutePath().toString();
        long ch;
        long se;
        try {
            add(lib, args, "fusefs");
            if (config.debug()) {
                add(lib, args, "-d");
            }
            add(lib, args, "-o");
            add(lib, args, String.join(",", options(config)));
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
        LowLevelLoop loop = new LowLevelLoop(lib, se, ch, Math.max(2, config.threads()), "fusefs");
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

    /**
     * Requests served (in all and by opcode, most frequent first), worker CPU time, uptime and
     * inodes the kernel holds, as lines of text.
     */
    public String daemonFigures() {
        long req = loop.requests();
        long cpu = loop.workerCpuNanos();
        double perReq = req == 0 ? 0 : cpu / 1000.0 / req;
        return String.format("daemon:%n  threads        %d%n  threads_active %d%n  activations    %d%n  requests       %d%n"
                + "  requests_by_op %s%n"
                + "  worker_cpu_ns  %d%n  cpu_per_req_us %.2f%n  uptime_ms      %d%n  kernel_inodes  %d%n"
                + "  eio_bugs       %d%n",
                loop.threads(), loop.activeThreads(), loop.activations(), req, FuseOpcode.format(loop.requestsByOpcode()),
                cpu, perReq, (System.nanoTime() - startNanos) / 1_000_000L, fs.lookups().size(), LowLevelFs.bugs());
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
