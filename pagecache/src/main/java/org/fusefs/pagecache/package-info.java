/**
 * The page cache: cached file pages over the simulated physical memory, buffered I/O, writeback,
 * reclaim, truncation and memory-failure handling ({@code mm/filemap.c}, {@code mm/truncate.c},
 * {@code mm/page-writeback.c}, {@code fs/fs-writeback.c}, {@code mm/vmscan.c}).
 *
 * <p>Public entry points: {@link org.fusefs.pagecache.PageCache} (one per memory core: figures,
 * sync, configuration through {@link org.fusefs.pagecache.PageCacheConfig}) and
 * {@link org.fusefs.pagecache.AddressSpace} (one per file). The owner of the data implements
 * {@link org.fusefs.pagecache.AddressSpaceOperations}. Inside: {@code PageTree} (index to page)
 * and {@code Marks} (its DIRTY and WRITEBACK tags, a bit per slot), {@code Filemap} (buffered
 * read and write), {@code WritebackBatch} and
 * {@code Writeback} (deferred writing, workers, throttling), {@code Truncate}, {@code Lru} and
 * {@code Reclaim}, {@code Rmap}, {@code PageFailure}, {@code PageWait} (page lock and
 * writeback waits), {@link org.fusefs.pagecache.Errseq}.
 *
 * <p>Lock order: inode lock (the caller), page lock, tree lock, LRU lock, allocator lock. See
 * {@link org.fusefs.pagecache.AddressSpace} for the details.
 *
 * <p>For the filesystem: fsync(2) is {@link org.fusefs.pagecache.AddressSpace#fsync} (or
 * {@code writeAndWait} then {@code checkAndAdvance} with the opener's cursor, ignoring the
 * first's exception); {@link org.fusefs.pagecache.WritebackException#errno()} carries the errno
 * the owner's {@code writePages} gave (an {@code ErrnoException}), EIO otherwise. Truncation
 * zeroes the partial edge pages in the cache only; the device blocks are the owner's to zero.
 * {@code writePages} must not need the inode lock: writers hold it while they are throttled.
 */
package org.fusefs.pagecache;
