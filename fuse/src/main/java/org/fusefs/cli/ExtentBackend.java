package org.fusefs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fusefs.block.BlockDevice;
import org.fusefs.block.brd.RamDisk;
import org.fusefs.block.loop.ImageFileDevice;
import org.fusefs.extent.ExtentFs;
import org.fusefs.extent.StatFs;
import org.fusefs.extent.Vfs;
import org.fusefs.fusefs.ops.FsIntrospection;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.PageCache;

/**
 * The extent filesystem with everything under it: the memory core (simulated physical memory that
 * holds the page cache), the page cache, and the device, a RAM disk or an image file. A RAM disk
 * takes its pages from a memory of its own, so that the disk cannot starve the page cache and the
 * memory core's figures are the cache's.
 *
 * <p>Close order is the reverse of open: the filesystem (writes everything back), the device, the
 * page cache, the memories.
 */
public final class ExtentBackend implements Backend, FsIntrospection {
    private static final long MEMORY_UNIT = 4096L << MemoryConfig.MAX_ORDER;
    static final long MAX_RAM_DISK = 4L << 40;

    private final PhysicalMemory memory;
    private final PhysicalMemory diskMemory; // null for an image
    private final PageCache cache;
    private final BlockDevice device;
    private final ExtentFs fs;
    private final String source;
    private final Path image;

    private ExtentBackend(PhysicalMemory memory, PhysicalMemory diskMemory, PageCache cache, BlockDevice device,
            ExtentFs fs, String source, Path image) {
        this.memory = memory;
        this.diskMemory = diskMemory;
        this.cache = cache;
        this.device = device;
        this.fs = fs;
        this.source = source;
        this.image = image;
    }

    static long roundToMemoryUnit(long bytes) {
        return (bytes + MEMORY_UNIT - 1) / MEMORY_UNIT * MEMORY_UNIT;
    }

    private static PhysicalMemory memory(long bytes, boolean pageOwner) {
        return PhysicalMemory.create(MemoryConfig.builder().bytes(roundToMemoryUnit(bytes)).pageOwner(pageOwner).build());
    }

    /** A fresh filesystem on a RAM disk of {@code size} bytes ({@code image} null) or the one in {@code image}. */
    public static Backend open(Path image, long size, long memoryBytes, boolean pageOwner) throws IOException {
        if (image == null && size > MAX_RAM_DISK) {
            throw new IllegalArgumentException("RAM disk size (" + size + ") above " + MAX_RAM_DISK + " bytes");
        }
        PhysicalMemory mem = memory(memoryBytes, pageOwner);
        PhysicalMemory diskMem = null;
        PageCache cache = null;
        BlockDevice dev = null;
        try {
            cache = new PageCache(mem);
            ExtentFs fs;
            if (image == null) {
                long capacity = size / 4096 * 4096;
                diskMem = memory(capacity, false);
                dev = new RamDisk("ram0", capacity, diskMem);
                fs = ExtentFs.mkfs(dev, mem, cache);
                return new ExtentBackend(mem, diskMem, cache, dev, fs, "fusefs-ram0", null);
            }
            dev = ImageFileDevice.open(image, ImageFileDevice.Options.defaults());
            fs = ExtentFs.mount(dev, mem, cache);
            return new ExtentBackend(mem, null, cache, dev, fs, image.toAbsolutePath().toString(), image);
        } catch (IOException | RuntimeException | Error e) {
            if (dev != null) {
                dev.close();
            }
            if (cache != null) {
                cache.close();
            }
            mem.close();
            if (diskMem != null) {
                diskMem.close();
            }
            throw e;
        }
    }

    /** Makes a new image file of {@code size} bytes holding an empty filesystem. */
    public static void mkfs(Path image, long size) throws IOException {
        PhysicalMemory mem = memory(64L << 20, false);
        PageCache cache = new PageCache(mem);
        BlockDevice dev = null;
        try {
            dev = ImageFileDevice.create(image, ImageFileDevice.Options.defaults().withCapacity(size / 4096 * 4096));
            ExtentFs.mkfs(dev, mem, cache).unmount();
        } finally {
            if (dev != null) {
                dev.close();
            }
            cache.close();
            mem.close();
        }
    }

    @Override
    public Vfs vfs() {
        return fs;
    }

    @Override
    public FsIntrospection introspection() {
        return this;
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public String statReport() {
        StringBuilder sb = new StringBuilder();
        sb.append("== memory core (").append(memory.totalPages() * 4096 >> 20).append(" MiB) ==\n");
        sb.append("-- buddyinfo --\n").append(memory.buddyinfo());
        sb.append("-- pagetypeinfo --\n").append(memory.pagetypeinfo());
        sb.append("-- meminfo --\n").append(memory.meminfo());
        sb.append("== page cache ==\n").append(cache.stats().render());
        StatFs s = fs.statfs();
        sb.append("== device ==\n");
        sb.append("device ").append(device.name()).append('\n');
        sb.append("capacity_bytes ").append(device.capacity()).append('\n');
        sb.append("fs_blocks ").append(s.blocks()).append('\n');
        sb.append("fs_blocks_used ").append(s.blocks() - s.freeBlocks()).append('\n');
        sb.append("fs_blocks_free ").append(s.freeBlocks()).append('\n');
        sb.append("fs_inodes_used ").append(s.files() - s.freeFiles()).append('\n');
        if (device instanceof RamDisk rd) {
            sb.append("ramdisk_pages ").append(rd.nrPages()).append('\n');
            sb.append("ramdisk_lost_pages ").append(rd.nrLostPages()).append('\n');
            sb.append("== RAM disk memory core (").append(diskMemory.totalPages() * 4096 >> 20).append(" MiB) ==\n");
            sb.append("-- buddyinfo --\n").append(diskMemory.buddyinfo());
            sb.append("-- meminfo --\n").append(diskMemory.meminfo());
        } else if (image != null) {
            try {
                sb.append("image_file ").append(image.toAbsolutePath()).append('\n');
                sb.append("image_bytes ").append(Files.size(image)).append('\n');
            } catch (IOException e) {
                sb.append("image_bytes unknown (").append(e.getMessage()).append(")\n");
            }
        }
        return sb.toString();
    }

    @Override
    public String pageOwnerReport() {
        if (!memory.pageOwnerEnabled()) {
            return "page_owner is off: mount with --page-owner (or -o page_owner) to record every allocation\n";
        }
        return memory.pageOwnerReport();
    }

    @Override
    public Poison hwpoison(long ino, long offset) {
        AddressSpace as = fs.mapping(ino);
        long index = offset / Page.SIZE;
        Page p = as.findPage(index);
        if (p == null) {
            // Bring the page in, so that the failure hits the page that caches the offset.
            org.fusefs.extent.OpenFile f = fs.open(ino, org.fusefs.uapi.OpenFlags.O_RDONLY);
            try {
                fs.read(f, offset, java.nio.ByteBuffer.allocate(1));
            } finally {
                fs.release(f);
            }
            p = as.findPage(index);
        }
        if (p == null) {
            return new Poison(-1, -1, "no page caches offset " + offset + " of ino " + ino);
        }
        long pfn = p.pfn();
        MfResult r = memory.poison(pfn);
        return new Poison(pfn, r.ordinal(), "memory failure on pfn " + pfn + " (ino " + ino + " page "
                + index + "): " + r);
    }

    @Override
    public void close() throws IOException {
        try {
            fs.unmount();
        } finally {
            device.close();
            cache.close();
            memory.close();
            if (diskMemory != null) {
                diskMemory.close();
            }
        }
    }
}
