package org.fusefs.bench;

import java.nio.file.Paths;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jnr.ffi.Pointer;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The benchmark's baseline: a jnr-fuse filesystem that keeps only names and sizes. Reads return
 * zeros, writes are dropped, so what it costs is the FUSE round trip through libfuse and jnr-fuse.
 * Mounted with jnr-fuse's default (multi-threaded) loop and {@code big_writes}, like fusefs.
 *
 * <p>usage: {@code java -cp native-tests/target/classes:fuse/target/lib/* org.fusefs.bench.NoopFs MNT}
 * (blocks until unmounted). Thread-safe: the only state is a concurrent map.
 */
public final class NoopFs extends FuseStubFS {
    private final ConcurrentHashMap<String, AtomicLong> sizes = new ConcurrentHashMap<>();

    @Override
    public int getattr(String path, FileStat stat) {
        if (path.equals("/")) {
            stat.st_mode.set(FileStat.S_IFDIR | 0755);
            stat.st_nlink.set(2);
            return 0;
        }
        AtomicLong size = sizes.get(path);
        if (size == null) {
            return -ErrorCodes.ENOENT();
        }
        stat.st_mode.set(FileStat.S_IFREG | 0644);
        stat.st_nlink.set(1);
        stat.st_size.set(size.get());
        return 0;
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
        filler.apply(buf, ".", null, 0);
        filler.apply(buf, "..", null, 0);
        for (String name : sizes.keySet()) {
            filler.apply(buf, name.substring(1), null, 0);
        }
        return 0;
    }

    @Override
    public int create(String path, long mode, FuseFileInfo fi) {
        sizes.putIfAbsent(path, new AtomicLong());
        return 0;
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return sizes.containsKey(path) ? 0 : -ErrorCodes.ENOENT();
    }

    @Override
    public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        AtomicLong length = sizes.get(path);
        long n = length == null ? 0 : Math.max(0, Math.min(size, length.get() - offset));
        buf.setMemory(0, n, (byte) 0);
        return (int) n;
    }

    @Override
    public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        AtomicLong length = sizes.get(path);
        if (length != null) {
            length.accumulateAndGet(offset + size, Math::max);
        }
        return (int) size;
    }

    @Override
    public int truncate(String path, long size) {
        AtomicLong length = sizes.get(path);
        if (length == null) {
            return -ErrorCodes.ENOENT();
        }
        length.set(size);
        return 0;
    }

    @Override
    public int unlink(String path) {
        return sizes.remove(path) == null ? -ErrorCodes.ENOENT() : 0;
    }

    @Override
    public int utimens(String path, ru.serce.jnrfuse.struct.Timespec[] timespec) {
        return 0;
    }

    @Override
    public int fallocate(String path, int mode, long off, long length, FuseFileInfo fi) {
        return -ErrorCodes.EOPNOTSUPP();
    }

    public static void main(String[] args) {
        new NoopFs().mount(Paths.get(args[0]), true, false, new String[] {"-o", "big_writes"});
    }
}
