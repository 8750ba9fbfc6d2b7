package org.fusefs.block.brd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.Random;
import org.fusefs.block.DeviceRangeFile;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.page.Page;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.pagecache.PageCache;
import org.junit.jupiter.api.Test;

/**
 * The filesystem's default arrangement: the page cache and the RAM disk under it take frames from
 * the same memory core. Written data lands in disk pages, the cache gives its pages back under
 * pressure, and everything reads back.
 */
class PageCacheOnRamDiskTest {
    private static final long MIB = 1 << 20;
    private static final long SEED = 3;

    @Test
    void cacheAndDiskShareTheMemoryCore() throws Exception {
        long file = 48 * MIB;
        try (PhysicalMemory memory = PhysicalMemory.create(MemoryConfig.builder().bytes(128 * MIB).build());
                RamDisk disk = new RamDisk("ram0", 256 * MIB, memory);
                PageCache cache = new PageCache(memory)) {
            AddressSpace as = cache.newAddressSpace(new DeviceRangeFile(disk, 0, file), "ram0-file");
            MessageDigest written = MessageDigest.getInstance("SHA-256");
            Random r = new Random(SEED);
            byte[] buf = new byte[(int) MIB];
            for (long pos = 0; pos < file; pos += buf.length) {
                r.nextBytes(buf);
                written.update(buf);
                assertEquals(buf.length, as.write(pos, buf, 0, buf.length, pos));
            }
            as.writeAndWait(0, file - 1);
            assertEquals(file / Page.SIZE, disk.nrPages(), "every written page is a disk page");
            long used = memory.totalPages() - memory.nrFreePages();
            assertTrue(used >= disk.nrPages(), "disk pages count as used frames: " + used);

            MessageDigest back = MessageDigest.getInstance("SHA-256");
            for (long pos = 0; pos < file; pos += buf.length) {
                assertEquals(buf.length, as.read(pos, buf, 0, buf.length, file));
                back.update(buf);
            }
            assertArrayEquals(written.digest(), back.digest(), "seed " + SEED);
        }
    }
}
