package org.fusefs.extent;

import java.io.IOException;
import org.fusefs.block.BlockDevice;
import org.fusefs.block.brd.RamDisk;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.pagecache.PageCache;

/** A filesystem on a sparse test device with its memory and page cache; remountable; closes all. */
final class FsFixture implements AutoCloseable {
    final PhysicalMemory mem;
    final PageCache cache;
    final BlockDevice dev;
    ExtentFs fs;

    FsFixture(long deviceBytes, long memoryBytes, MkfsOptions opt) throws IOException {
        this(new TestDevice("testdev", deviceBytes), memoryBytes, opt);
    }

    FsFixture(BlockDevice dev, long memoryBytes, MkfsOptions opt) throws IOException {
        this.mem = PhysicalMemory.create(MemoryConfig.builder().bytes(memoryBytes).build());
        this.cache = new PageCache(mem);
        this.dev = dev;
        this.fs = ExtentFs.mkfs(dev, mem, cache, opt);
    }

    /** A filesystem on a RAM disk of {@code diskBytes} with {@code memBytes} of simulated memory. */
    static FsFixture ram(long diskBytes, long memBytes) throws IOException {
        PhysicalMemory mem = PhysicalMemory.create(MemoryConfig.builder().bytes(memBytes).build());
        return new FsFixture(new RamDisk("ram0", diskBytes, mem), mem, MkfsOptions.defaults().withUuidSeed(42));
    }

    private FsFixture(BlockDevice dev, PhysicalMemory mem, MkfsOptions opt) throws IOException {
        this.mem = mem;
        this.cache = new PageCache(mem);
        this.dev = dev;
        this.fs = ExtentFs.mkfs(dev, mem, cache, opt);
    }

    static FsFixture small() throws IOException {
        return new FsFixture(64L << 20, 64L << 20, MkfsOptions.defaults().withUuidSeed(42));
    }

    /** Unmounts and mounts again; returns the new filesystem. */
    ExtentFs remount() throws IOException {
        fs.unmount();
        fs = ExtentFs.mount(dev, mem, cache);
        return fs;
    }

    @Override
    public void close() throws IOException {
        try {
            fs.unmount();
        } finally {
            cache.close();
            dev.close();
            mem.close();
        }
    }
}
