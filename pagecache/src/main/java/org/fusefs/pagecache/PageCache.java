package org.fusefs.pagecache;

import java.io.IOException;
import org.fusefs.memory.PhysicalMemory;

/**
 * The page cache of one memory core: address spaces, writeback workers, LRU and reclaim.
 *
 * <p>SEAM: the pagecache module fills in writeback, reclaim and figures (issue 3).
 */
public final class PageCache implements AutoCloseable {
    private final PhysicalMemory memory;

    public PageCache(PhysicalMemory memory) {
        this.memory = memory;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    /** Creates the address space of one file. */
    public AddressSpace newAddressSpace(AddressSpaceOperations ops, String name) {
        return new AddressSpace(this, ops, name);
    }

    /** Writes back every dirty page of every address space and waits. */
    public void syncAll() throws IOException {
        throw new UnsupportedOperationException("pagecache: syncAll");
    }

    @Override
    public void close() {
    }
}
