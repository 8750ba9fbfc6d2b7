package org.fusefs.pagecache;

import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.ffi.Pointer;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.PageMapping;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.fusefs.uapi.Errno;

/**
 * The cached pages of one file: page index to page, dirty and writeback tracking, buffered I/O.
 *
 * <p>Mirrors {@code struct address_space} and the buffered paths of {@code mm/filemap.c}.
 *
 * <p>Lock order (as at the top of {@code mm/rmap.c}):
 * <pre>
 *   inode lock (the caller: writes, truncates, direct I/O)
 *     page lock (PG_locked, {@link PageWait}; several only in ascending index order, by writeback)
 *       tree lock (the {@link PageTree} monitor: slots, tags and their counts, {@code removals})
 *         LRU lock ({@link Lru})
 *           allocator lock (inside {@code PhysicalMemory})
 * </pre>
 * Nothing sleeps on a page lock while holding the tree lock (only trylock there). Unmappers are
 * called with no page lock held. Reads take no lock on a hit: they copy from the page and then
 * check {@code removals}, a sequence count bumped whenever a page leaves this address space, and
 * retry under the page lock if it moved (the frame stays valid memory even when freed, so a
 * stale copy is harmless and thrown away).
 *
 * <p>Locking on entry: writes, truncates and direct I/O are called with the owner's inode lock
 * held; reads need no caller lock.
 */
public final class AddressSpace implements PageMapping {
    private final PageCache cache;
    private final AddressSpaceOperations ops;
    private final String name;
    final PageTree tree = new PageTree();
    final Errseq errseq = new Errseq();
    final Rmap rmap = new Rmap();
    final Readahead ra = new Readahead(this);
    // Bumped under the tree lock each time a page leaves; read lock-free by the read fast path.
    volatile long removals;
    // Written under the Writeback lock: on the dirty list, and since when. Volatile because
    // markDirty peeks at it without the lock to skip queueing an address space already queued.
    volatile boolean queued;
    volatile long dirtiedWhen;

    AddressSpace(PageCache cache, AddressSpaceOperations ops, String name) {
        this.cache = cache;
        this.ops = ops;
        this.name = name;
    }

    public AddressSpaceOperations ops() {
        return ops;
    }

    public PageCache cache() {
        return cache;
    }

    /** Reads up to {@code len} bytes at {@code pos} into native memory; clipped at {@code iSize}. */
    public int read(long pos, long dstAddress, int len, long iSize) throws IOException {
        return Filemap.read(this, pos, Filemap.NATIVE, dstAddress, null, 0, null, len, iSize);
    }

    public int read(long pos, byte[] dst, int off, int len, long iSize) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, dst.length);
        return Filemap.read(this, pos, Filemap.ARRAY, 0, dst, off, null, len, iSize);
    }

    /** Reads into {@code dst} from its position up to its limit, advancing the position. */
    public int read(long pos, ByteBuffer dst, long iSize) throws IOException {
        return Filemap.read(this, pos, Filemap.BUFFER, 0, null, 0, dst, dst.remaining(), iSize);
    }

    /** Reads into a direct jnr {@code Pointer} at {@code dstOff}; see {@link #read(long, long, int, long)}. */
    public int read(long pos, Pointer dst, long dstOff, int len, long iSize) throws IOException {
        return read(pos, directAddress(dst, dstOff, len), len, iSize);
    }

    /**
     * Reads up to {@code len} bytes at {@code pos} (not past {@code iSize}) by lending the locked
     * cache pages to {@code actor} rather than copying them ({@link SpliceRead}); returns the
     * bytes lent. Needs no caller lock, as {@link #read(long, long, int, long)}.
     */
    public int spliceRead(long pos, int len, long iSize, SpliceRead segments, SpliceRead.Actor actor)
            throws IOException {
        return Filemap.spliceRead(this, pos, len, iSize, segments, actor);
    }

    /**
     * Copies {@code len} bytes from native memory into the cache at {@code pos}, dirtying pages.
     * {@code iSize} is the size before the write: a partial page inside the file is read first, and
     * bytes of a touched page at or past {@code iSize} that the write does not cover become zero.
     * The caller updates the file size. May wait when dirty pages are over the limit.
     */
    public int write(long pos, long srcAddress, int len, long iSize) throws IOException {
        return Filemap.write(this, pos, Filemap.NATIVE, srcAddress, null, 0, null, len, iSize);
    }

    public int write(long pos, byte[] src, int off, int len, long iSize) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, src.length);
        return Filemap.write(this, pos, Filemap.ARRAY, 0, src, off, null, len, iSize);
    }

    /** Writes {@code src} from its position up to its limit, advancing the position. */
    public int write(long pos, ByteBuffer src, long iSize) throws IOException {
        return Filemap.write(this, pos, Filemap.BUFFER, 0, null, 0, src, src.remaining(), iSize);
    }

    /** Writes from a direct jnr {@code Pointer} at {@code srcOff}; see {@link #write(long, long, int, long)}. */
    public int write(long pos, Pointer src, long srcOff, int len, long iSize) throws IOException {
        return write(pos, directAddress(src, srcOff, len), len, iSize);
    }

    private static long directAddress(Pointer p, long off, int len) {
        if (!p.isDirect()) {
            throw new IllegalArgumentException("pointer is not direct (native) memory: " + p);
        }
        if (off < 0 || len < 0 || (p.size() > 0 && off + len > p.size())) {
            throw new IndexOutOfBoundsException("range [" + off + ", " + (off + len) + ") outside pointer of size " + p.size());
        }
        return p.address() + off;
    }

    /**
     * Writes back dirty pages in the byte range {@code [start, end]} and waits for them and for
     * writeback already under way there ({@code filemap_write_and_wait_range}). Throws
     * {@link WritebackException} if a write-back this call started failed; the error is recorded
     * in the error sequence as well, so use {@link #fsync} for fsync(2).
     */
    public void writeAndWait(long start, long end) throws IOException {
        checkRange(start, end);
        Errno err = WritebackBatch.writeRange(this, start >>> Page.SHIFT, end >>> Page.SHIFT, true,
                Long.MAX_VALUE);
        waitOnWriteback(start >>> Page.SHIFT, end >>> Page.SHIFT);
        if (err != null) {
            throw new WritebackException(err, "writeback of " + name + " [" + start + ", " + end + "] failed");
        }
    }

    /**
     * fsync(2) of {@code [start, end]} for the opener owning {@code cursor}
     * ({@code file_write_and_wait_range}): writes back and waits, then reports the first
     * write-back error recorded since the cursor last looked, once.
     */
    public void fsync(long start, long end, Errseq.Cursor cursor) throws IOException {
        try {
            writeAndWait(start, end);
        } catch (WritebackException e) {
            // Reported through the error sequence below, which also advances the cursor.
        }
        checkAndAdvance(cursor);
    }

    /** Samples the error sequence at open time; {@link #checkAndAdvance} reports errors since. */
    public Errseq.Cursor sampleErrseq() {
        return errseq.sample();
    }

    /** Throws the first write-back error recorded since {@code cursor}, once per cursor. */
    public void checkAndAdvance(Errseq.Cursor cursor) throws IOException {
        Errno e = errseq.checkAndAdvance(cursor);
        if (e != null) {
            throw new WritebackException(e, "write-back error on " + name);
        }
    }

    /**
     * Removes cached pages in {@code [start, end]} for good: waits for writeback, writes dirty pages
     * back first when {@code writeBackFirst}, unmaps them from every mapping, drops them. A partial
     * page at either edge is zeroed over the range instead of dropped (the owner zeroes the
     * device blocks). Use for truncate, hole punch, collapse and insert. Weaker:
     * {@link #invalidateClean}; for direct I/O: {@link #invalidateAndUnmap}.
     */
    public void truncateRange(long start, long end, boolean writeBackFirst) throws IOException {
        checkRange(start, end);
        if (writeBackFirst) {
            writeAndWait(start, end);
        }
        Truncate.truncateRange(this, start, end);
    }

    /**
     * Best effort: drops clean, unmapped, unlocked pages wholly inside {@code [start, end]}; never
     * blocks and skips whatever is busy ({@code invalidate_mapping_pages}). Returns pages dropped.
     * Stronger: {@link #invalidateAndUnmap}, {@link #truncateRange}.
     */
    public long invalidateClean(long start, long end) {
        checkRange(start, end);
        return Truncate.invalidateClean(this, start, end);
    }

    /**
     * Writes back, unmaps and drops every page overlapping {@code [start, end]}
     * ({@code invalidate_inode_pages2_range}); may sleep. Returns the pages it could not drop
     * because they were dirtied again meanwhile (the kernel's EBUSY). Used around direct I/O.
     */
    public long invalidateAndUnmap(long start, long end) throws IOException {
        checkRange(start, end);
        return Truncate.invalidateAndUnmap(this, start, end);
    }

    /** Direct I/O with the page-cache coherence steps of shared/spec/direct-io.md §3 around {@link AddressSpaceOperations#directIO}. */
    public long directIO(DioArgs args) throws IOException {
        if (args.length() == 0) {
            return ops.directIO(this, args);
        }
        long start = args.offset();
        long end = args.offset() + args.length() - 1;
        if (args.rw() == DioArgs.Rw.READ) {
            writeAndWait(start, end);
            return ops.directIO(this, args);
        }
        writeAndWait(start, end);
        Truncate.invalidateAndUnmap(this, start, end);
        long done = ops.directIO(this, args);
        try {
            // Pages faulted in while the write ran would hide it (kiocb_invalidate_post_direct_write).
            Truncate.invalidateAndUnmap(this, start, end);
        } catch (IOException e) {
            // As the kernel: failure to invalidate after the write is not the write's failure.
        }
        return done;
    }

    /** Registers a mapping that must drop its view of pages before they leave the cache. */
    public void addUnmapper(Unmapper unmapper) {
        rmap.add(unmapper);
    }

    public void removeUnmapper(Unmapper unmapper) {
        rmap.remove(unmapper);
    }

    /** Number of cached pages. */
    public long nrPages() {
        return tree.count();
    }

    /** Number of dirty pages. */
    public long nrDirty() {
        return tree.countTagged(PageTree.Tag.DIRTY);
    }

    /** Number of pages under writeback. */
    public long nrWriteback() {
        return tree.countTagged(PageTree.Tag.WRITEBACK);
    }

    /**
     * Returns the page caching page index {@code index}, or {@code null}; takes no reference, so
     * the answer may be stale at once. For hwpoison injection and figures.
     */
    public Page findPage(long index) {
        return tree.get(index);
    }

    @Override
    public MfResult memoryFailure(Page page) {
        return PageFailure.handle(this, page);
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public String toString() {
        return "AddressSpace[" + name + ", " + nrPages() + " pages]";
    }

    // ---- page life cycle, used by Filemap, WritebackBatch, Truncate, Reclaim, PageFailure ----

    /**
     * Returns the page at {@code index} locked, or {@code null} if none is cached
     * ({@code find_lock_page}). The tree lock makes "still here" and "now locked" one step, so a
     * locked page returned here stays in this address space until unlocked.
     */
    Page findLockPage(long index) {
        for (;;) {
            Page p;
            synchronized (tree) {
                p = tree.get(index);
                if (p == null) {
                    return null;
                }
                if (PageWait.trylock(p)) {
                    return p;
                }
            }
            PageWait.waitWhileSet(p, PageFlag.LOCKED);
        }
    }

    /**
     * Returns the page at {@code index} locked, adding a new, locked, not uptodate one if none is
     * cached ({@code __filemap_get_folio} with FGP_LOCK | FGP_CREAT). May reclaim or wait for
     * writeback to find a frame.
     */
    Page findOrCreateLocked(long index) throws IOException {
        for (;;) {
            Page p = findLockPage(index);
            if (p != null && p.test(PageFlag.HWPOISON)) {
                // Poisoned and not yet taken out by the handler (which waits for this lock): do
                // its work now and use a fresh frame.
                PageFailure.dropLocked(this, p);
                continue;
            }
            if (p != null) {
                return p;
            }
            Page fresh = cache.allocPage();
            fresh.setMapping(this, index);
            fresh.set(PageFlag.LOCKED);
            synchronized (tree) {
                if (tree.insertIfAbsent(index, fresh) == null) {
                    cache.pageAdded(fresh);
                    return fresh;
                }
            }
            fresh.clear(PageFlag.LOCKED);
            cache.freePage(fresh);
        }
    }

    /** Returns page {@code index} locked and uptodate, reading it if needed. */
    Page readLockedPage(long index) throws IOException {
        Page p = findOrCreateLocked(index);
        if (p.test(PageFlag.UPTODATE)) {
            cache.hits.increment();
            cache.clearReadahead(p);
            return p;
        }
        try {
            ops.readPage(this, p);
        } catch (IOException | RuntimeException e) {
            // The page stays cached and not uptodate; the next reader tries again.
            PageWait.unlock(p);
            throw e;
        }
        p.set(PageFlag.UPTODATE);
        cache.misses.increment();
        return p;
    }

    /** Sets PG_dirty on a locked page and tags it ({@code folio_mark_dirty}). */
    void markDirty(Page p) {
        if (p.testAndSet(PageFlag.DIRTY)) {
            return;
        }
        synchronized (tree) {
            tree.tagLocked(PageTree.Tag.DIRTY, p.index());
        }
        cache.dirtyChanged(1);
        if (!queued) {
            cache.writeback.queue(this);
        }
    }

    /**
     * Takes a locked page out of this address space: tree, tags, counters, LRU
     * ({@code __filemap_remove_folio}). The caller unlocks and then frees it (or keeps a poisoned
     * frame). A dirty page's data is dropped.
     */
    void removeLockedPage(Page p) {
        assert p.test(PageFlag.LOCKED);
        long index = p.index();
        boolean dirty = p.testAndClear(PageFlag.DIRTY);
        synchronized (tree) {
            if (!tree.removeLocked(index, p)) {
                throw new IllegalStateException("page is not at index " + index + " of " + name + ": " + p);
            }
            removals++;
            // Under the tree lock PG_lru can only go from set to clear (reclaim isolating the
            // page): a page reclaim has isolated needs no trip to the LRU lock.
            if (p.test(PageFlag.LRU)) {
                cache.lru.del(p);
            }
        }
        if (dirty) {
            cache.dirtyChanged(-1);
        }
        p.clear(PageFlag.MAPPED);
        cache.pageRemoved();
    }

    /**
     * Takes a clean, locked page out of the tree for reclaim, with the tree lock held: the part
     * of {@link #removeLockedPage} that needs the lock. The caller unlocks, frees and counts it
     * ({@link PageCache#pagesRemoved}); the page is isolated from the LRU already.
     */
    void removeCleanLocked(Page p) {
        assert Thread.holdsLock(tree) && p.test(PageFlag.LOCKED) && !p.test(PageFlag.DIRTY);
        if (!tree.removeLocked(p.index(), p)) {
            throw new IllegalStateException("page is not at index " + p.index() + " of " + name + ": " + p);
        }
        removals++;
        if (p.test(PageFlag.LRU)) {
            cache.lru.del(p);
        }
    }

    /** Puts an isolated page back on the LRU if it is still cached here; tree lock held. */
    void putbackLruLocked(Page p) {
        assert Thread.holdsLock(tree);
        if (p.mapping() == this && tree.get(p.index()) == p && !p.test(PageFlag.LRU)) {
            cache.lru.add(p);
        }
    }

    /** Puts an isolated page back on the LRU if it is still cached here. */
    void putbackLru(Page p) {
        synchronized (tree) {
            if (p.mapping() == this && tree.get(p.index()) == p && !p.test(PageFlag.LRU)) {
                cache.lru.add(p);
            }
        }
    }

    /** Waits for pages under writeback in {@code [first, last]} (page indexes). */
    void waitOnWriteback(long first, long last) {
        long[] idx = new long[64];
        long cursor = first;
        for (;;) {
            int n = tree.gatherTagged(PageTree.Tag.WRITEBACK, cursor, last, idx, idx.length);
            if (n == 0) {
                return;
            }
            for (int i = 0; i < n; i++) {
                // Writeback holds the page lock until it ends, so taking the lock waits for it.
                Page p = findLockPage(idx[i]);
                if (p != null) {
                    PageWait.waitOnWriteback(p);
                    PageWait.unlock(p);
                }
            }
            if (idx[n - 1] == last) {
                return;
            }
            cursor = idx[n - 1] + 1;
        }
    }

    private static void checkRange(long start, long end) {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("byte range [" + start + ", " + end + "] is empty or negative");
        }
    }
}
