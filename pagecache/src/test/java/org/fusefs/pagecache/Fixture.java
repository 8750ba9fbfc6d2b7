package org.fusefs.pagecache;

import java.time.Duration;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;

/** A small memory core and page cache for one test; close it. */
final class Fixture implements AutoCloseable {
    final PhysicalMemory memory;
    final PageCache cache;

    Fixture(long memBytes, PageCacheConfig config) {
        memory = PhysicalMemory.create(MemoryConfig.builder().bytes(memBytes).build());
        cache = new PageCache(memory, config);
    }

    Fixture() {
        this(64L << 20, PageCacheConfig.builder().dirtyExpire(Duration.ofSeconds(30))
                .workerIdle(Duration.ofMillis(200)).build());
    }

    @Override
    public void close() {
        cache.close();
        memory.close();
    }
}
