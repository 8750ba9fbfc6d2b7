package org.fusefs.pagecache;

/**
 * A snapshot of the page cache's figures, for the command-line tool and tests.
 *
 * @param cached pages in the cache ({@code nr_file_pages})
 * @param dirty dirty pages ({@code nr_dirty})
 * @param writeback pages under writeback ({@code nr_writeback})
 * @param reclaimed pages reclaimed since start ({@code pgsteal})
 * @param hits pages that buffered reads found cached and uptodate (counted per page touched)
 * @param misses pages that buffered I/O had to read from the owner first ({@code readPage} calls)
 * @param writtenBack pages written back since start
 * @param writebackErrors failed {@code writePages} calls
 * @param throttled times a writer waited for writeback ({@code balance_dirty_pages})
 * @param workersAlive writeback workers alive now
 * @param workersStarted writeback workers started since start
 * @param poisoned pages dropped for memory failure
 * @param dirtyLimit dirty pages at which writers are throttled
 */
public record PageCacheStats(long cached, long dirty, long writeback, long reclaimed, long hits,
        long misses, long writtenBack, long writebackErrors, long throttled, int workersAlive,
        long workersStarted, long poisoned, long dirtyLimit) {

    /** Renders the figures one per line, {@code /proc/vmstat} style. */
    public String render() {
        return "nr_file_pages " + cached + '\n'
                + "nr_dirty " + dirty + '\n'
                + "nr_writeback " + writeback + '\n'
                + "nr_dirty_threshold " + dirtyLimit + '\n'
                + "pgsteal " + reclaimed + '\n'
                + "pagecache_hits " + hits + '\n'
                + "pagecache_misses " + misses + '\n'
                + "pages_written_back " + writtenBack + '\n'
                + "writeback_errors " + writebackErrors + '\n'
                + "balance_dirty_pages_waits " + throttled + '\n'
                + "writeback_workers_alive " + workersAlive + '\n'
                + "writeback_workers_started " + workersStarted + '\n'
                + "memory_failure_dropped " + poisoned + '\n';
    }
}
