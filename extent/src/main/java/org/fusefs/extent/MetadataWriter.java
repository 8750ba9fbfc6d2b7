package org.fusefs.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.List;
import java.util.logging.Logger;
import org.fusefs.extent.alloc.NoSpaceException;
import org.fusefs.pagecache.AddressSpace;

/**
 * Writes a checkpoint: the in-memory metadata (inodes into the inode table, the extent tree
 * blocks, directory, xattr and symlink chains, the free-space chain and the superblock), each block
 * checksummed, as one journal transaction. Only the inodes marked dirty since the last checkpoint
 * ({@link DirtyInodes}) are encoded, into copies of their inode-table blocks as the last completed
 * checkpoint wrote them, so the cost follows what changed, not the number of inodes (jbd2 commits
 * the buffers a transaction dirtied). Only blocks that differ from the last completed checkpoint's
 * are written: changed inode-table blocks, chains and trees whose contents changed (to new blocks;
 * one that did not keeps its blocks, {@link Written}), the free-space chain when the map changed,
 * and the superblock. The first checkpoint after mount, and the one after a failed checkpoint,
 * encode every inode ({@code full}): mount records what it read (chains by their bytes, trees not),
 * so the first writes little but the trees; after a failure which blocks hold what is not known,
 * so it writes all.
 *
 * <p>Order on the device (each flush is a REQ_PREFLUSH that makes all completed writes durable):
 * <ol>
 *   <li>flush: the file data written back for this checkpoint, and the previous checkpoint's
 *       in-place writes, are durable before the journal is overwritten;</li>
 *   <li>the transaction (descriptors, images, commit) into the journal area; flush: committed;</li>
 *   <li>the same blocks in place, not flushed: until the next checkpoint's first flush, a crash
 *       is repaired by mount replaying this transaction;</li>
 *   <li>the blocks this checkpoint stopped using (and those freed since the previous one) become
 *       allocatable ({@link org.fusefs.extent.alloc.BlockAllocator#releaseDeferred}).</li>
 * </ol>
 * A clean unmount (and mkfs) then flushes and empties the journal, so that a clean image replays
 * nothing. A block left out of the transaction holds the same bytes in place already (written by an
 * earlier checkpoint, made durable by this one's first flush). New chain and tree blocks always
 * come from blocks free in the previous image; the previous image's blocks are freed deferred, so
 * the image on the device stays whole until the commit. When that is not possible (metadata does
 * not fit in the free blocks without the deferred ones, or the transaction is bigger than the
 * journal), the checkpoint is written in place without the journal, as before the journal existed,
 * after emptying it; a crash in the middle of that leaves an image that mount may refuse. A log
 * line says when this happens.
 *
 * <p>Called under the filesystem's lifecycle monitor; takes the namespace lock exclusively, closes
 * the gate of {@link DirtyInodes} (no inode outside the batch may change until it opens), then the
 * lock of every inode in the batch in inode order, then dataSem of each in turn. A full checkpoint
 * takes every inode lock before it closes the gate: a mutator of a clean inode waits at the gate
 * holding that inode's lock. The gate opens, and the locks are dropped, when the checkpoint has
 * committed (or failed).
 */
final class MetadataWriter {
    private static final Logger LOG = Logger.getLogger(MetadataWriter.class.getName());

    private final ExtentFs fs;
    private final Superblock sb;
    private final List<Long> blockNrs = new ArrayList<>();
    private final List<byte[]> images = new ArrayList<>();
    /** Set when the deferred blocks had to be released before the commit: no journal this time. */
    private boolean inPlace;
    /**
     * Whether the last checkpoint's record of what it wrote can be trusted (it completed): then
     * unchanged blocks are neither written nor moved.
     */
    private final boolean reuse;
    private final byte[][] lastTable;
    /** Encode every inode (after mount or a failed checkpoint), not only the dirty ones. */
    private final boolean full;

    private MetadataWriter(ExtentFs fs) {
        this.fs = fs;
        this.sb = fs.sb;
        this.lastTable = fs.lastTable;
        this.reuse = lastTable != null;
        this.full = !reuse || fs.dirty.all();
    }

    static void write(ExtentFs fs, int state) throws IOException {
        new MetadataWriter(fs).run(state);
    }

    private void run(int state) throws IOException {
        fs.ns.ns.writeLock().lock();
        List<Inode> locked = new ArrayList<>();
        boolean done = false;
        try {
            // The image must be one instant: no block may be allocated or freed, and no inode in it
            // change, between encoding the inodes and writing the free map. Namespace changes and
            // evictions are held off by the namespace lock; writes, truncates, fallocate, setattr
            // and xattr changes of the inodes in the batch by holding their locks; those of every
            // other inode by the closed gate of DirtyInodes, where they wait before changing
            // anything (see there); writeback allocation by writing the batch back under its locks
            // first (no other inode has a dirty page). Only this thread holds two inode locks (no
            // other takes a second one, nor the namespace lock under one); a thread waiting at the
            // gate holds the lock of an inode outside the batch only, so this cannot deadlock.
            //
            // The generations are read before the gate closes: a change counted by then was made by
            // then and marked its inode before it was made, so the inode is in the batch (a read
            // moving atime after the gate closed is kept for the next batch, and must not count as
            // covered by this one). Writeback below counts again what it allocates: at worst one
            // more checkpoint than needed.
            List<Inode> batch;
            long[] gens;
            if (full) {
                // Every inode: lock them all before closing the gate, since a mutator of a clean
                // inode waits at the gate holding its lock.
                batch = new ArrayList<>(fs.inodes.all());
                lockAll(batch, locked);
                gens = fs.checkpoints.generations();
                fs.dirty.close();
            } else {
                gens = fs.checkpoints.generations();
                batch = fs.dirty.close();
                lockAll(batch, locked);
            }
            for (Inode i : locked) {
                AddressSpace m = i.mapping;
                // A clean mapping has nothing to write or wait for (and asking costs a tree walk).
                if (m != null && !i.freed && (m.nrDirty() > 0 || m.nrWriteback() > 0)) {
                    m.writeAndWait(0, Long.MAX_VALUE);
                }
            }
            // Until this checkpoint completes, what is on the device is not known block by block.
            fs.lastTable = null;
            long highest = 0;
            for (Inode i : locked) {
                highest = Math.max(highest, i.ino);
            }
            // Blocks once written stay part of the table, so that freed inodes are zeroed on the device.
            sb.itableUsed = Math.max(sb.itableUsed, (highest + Superblock.INODES_PER_BLOCK - 1)
                    / Superblock.INODES_PER_BLOCK);
            byte[][] last = lastTable;
            byte[][] table;
            BitSet touched = new BitSet();
            if (full) {
                table = new byte[(int) sb.itableUsed][];
                for (int k = 0; k < table.length; k++) {
                    table[k] = new byte[BlockIo.BLOCK_SIZE];
                }
                touched.set(0, table.length);
            } else {
                // The last image, with copies of the blocks this batch changes (the old ones are
                // compared with below) and zeroed blocks for the part of the table new in use.
                table = Arrays.copyOf(last, (int) sb.itableUsed);
                for (int k = last.length; k < table.length; k++) {
                    table[k] = new byte[BlockIo.BLOCK_SIZE];
                    touched.set(k);
                }
            }
            for (Inode i : locked) {
                int k = (int) ((i.ino - 1) / Superblock.INODES_PER_BLOCK);
                if (!touched.get(k)) {
                    table[k] = table[k].clone();
                    touched.set(k);
                }
                fs.dirty.clean(i);
                Inode live = fs.inodes.get(i.ino);
                if (live != i) {
                    // Freed (evict released its blocks): the slot is zeroed, unless its number
                    // already went to a new inode, which is in the batch too.
                    if (live == null) {
                        int off = Superblock.inodeSlot(i.ino) * Superblock.INODE_SIZE;
                        Arrays.fill(table[k], off, off + Superblock.INODE_SIZE, (byte) 0);
                    }
                    continue;
                }
                writeInode(i, table);
            }
            if (fs.verifyClean && !full) {
                verifyClean(locked, last);
            }
            writeFreeChain();
            for (int k = touched.nextSetBit(0); k >= 0; k = touched.nextSetBit(k + 1)) {
                MetaBlock.seal(sb.uuid, sb.itableStart + k, table[k]);
                if (!reuse || k >= last.length || !Arrays.equals(table[k], last[k])) {
                    add(sb.itableStart + k, table[k]);
                }
            }
            // Deferred blocks are free in the image being written.
            sb.freeBlocks = fs.alloc.freeBlocks() + fs.alloc.deferredBlocks();
            sb.freeInodes = fs.inodes.count() - fs.inodes.usedCount();
            sb.nextGeneration = fs.inodes.nextGeneration();
            sb.state = state;
            long seq = fs.journalSeq + 1;
            sb.journalSeq = seq;
            add(0, sb.encode());
            long[] nrs = new long[blockNrs.size()];
            for (int k = 0; k < nrs.length; k++) {
                nrs[k] = blockNrs.get(k);
            }
            if (!inPlace && !fs.journal.fits(nrs.length)) {
                inPlace = true;
                LOG.warning(() -> fs.io.device().name() + ": checkpoint of " + nrs.length
                        + " blocks does not fit the journal of " + sb.journalBlocks
                        + " blocks; writing it in place without the journal");
            }
            if (inPlace) {
                writeInPlace(nrs);
            } else {
                fs.io.flush();
                fs.journal.write(seq, nrs, images);
                fs.io.flush();
                fs.io.writeAll(nrs, images);
                if (state == Superblock.STATE_CLEAN) {
                    fs.io.flush();
                    fs.journal.invalidate();
                    fs.io.flush();
                }
            }
            fs.journalSeq = seq;
            fs.lastTable = table;
            fs.alloc.releaseDeferred();
            fs.checkpoints.checkpointed(gens);
            done = true;
        } finally {
            fs.dirty.open(!done);
            for (Inode i : locked) {
                i.lock.unlock();
            }
            fs.ns.ns.writeLock().unlock();
        }
    }

    private static void lockAll(List<Inode> inodes, List<Inode> locked) {
        // Inode order; a freed inode and the new one that took its number are distinct locks.
        inodes.sort((a, b) -> Long.compare(a.ino, b.ino));
        for (Inode i : inodes) {
            i.lock.lock();
            locked.add(i);
        }
    }

    /**
     * The checkpoint without the journal: empties the journal first (after making the previous
     * checkpoint's in-place writes durable), so that mount cannot replay an older transaction
     * over this image, then writes everything but the superblock, flushes, and the superblock.
     */
    private void writeInPlace(long[] nrs) throws IOException {
        fs.io.flush();
        fs.journal.invalidate();
        fs.io.flush();
        int last = nrs.length - 1; // the superblock, added last
        fs.io.writeAll(Arrays.copyOf(nrs, last), images.subList(0, last));
        fs.io.flush();
        fs.io.write(0, images.get(last));
        fs.io.flush();
    }

    private void add(long nr, byte[] img) {
        blockNrs.add(nr);
        images.add(img);
    }

    private void addAll(long[] nrs, List<byte[]> imgs) {
        for (int k = 0; k < nrs.length; k++) {
            add(nrs[k], imgs.get(k));
        }
    }

    private long[] allocMeta(int count, List<Long> owned) throws IOException {
        long[] out = new long[count];
        if (count == 0) {
            return out;
        }
        List<long[]> pieces;
        try {
            pieces = fs.alloc.allocateAll(sb.firstDataBlock, count, Long.MAX_VALUE, true);
        } catch (NoSpaceException e) {
            if (inPlace || fs.alloc.deferredBlocks() == 0) {
                throw new IOException(fs.io.device().name() + ": no space left for metadata: " + e.getMessage(), e);
            }
            // Only the blocks the image on the device still uses are left: give up atomicity for
            // this checkpoint rather than fail it.
            inPlace = true;
            LOG.warning(() -> fs.io.device().name() + ": metadata needs blocks freed since the last checkpoint; "
                    + "writing this checkpoint in place without the journal");
            fs.alloc.releaseDeferred();
            try {
                pieces = fs.alloc.allocateAll(sb.firstDataBlock, count, Long.MAX_VALUE, true);
            } catch (NoSpaceException again) {
                throw new IOException(fs.io.device().name() + ": no space left for metadata: " + again.getMessage(),
                        again);
            }
        }
        int k = 0;
        for (long[] p : pieces) {
            for (long b = p[0]; b < p[0] + p[1]; b++) {
                out[k++] = b;
                owned.add(b);
            }
        }
        return out;
    }

    /**
     * What the last checkpoint wrote for one inode outside the inode table: the bytes of each chain
     * and the extents of the tree, with the blocks holding them. A checkpoint keeps the blocks of
     * every structure whose contents did not change (they hold that image already) and writes only
     * the others, to new blocks. Guarded by the lifecycle monitor and the inode's lock.
     */
    record Written(byte[] xattrs, long[] xattrBlocks, byte[] chain, long[] chainBlocks, List<Extent> extents,
            long[] treeBlocks) {
    }

    private void writeInode(Inode i, byte[][] table) throws IOException {
        Written old = reuse ? i.written : null;
        if (old == null) {
            // Which block holds what is not known (after mount, or a failed checkpoint): rewrite all.
            for (long b : i.metaBlocks) {
                fs.alloc.freeDeferred(b, 1);
            }
            old = new Written(null, new long[0], null, new long[0], null, new long[0]);
        }
        i.metaBlocks = new long[0];
        i.written = null;
        List<Long> owned = new ArrayList<>();
        byte[] tb = table[(int) ((i.ino - 1) / Superblock.INODES_PER_BLOCK)];
        int off = Superblock.inodeSlot(i.ino) * Superblock.INODE_SIZE;
        // An incremental checkpoint encodes over the slot's last image.
        Arrays.fill(tb, off, off + Superblock.INODE_SIZE, (byte) 0);
        ByteBuffer bb = MetaBlock.le(tb);
        byte[] xattrs = i.xattrs.isEmpty() ? null : InodeFormat.encodeXattrs(i.xattrs);
        long[] xattrBlocks = place(MetaChain.XATTR, i.ino, xattrs, old.xattrs(), old.xattrBlocks(), owned);
        byte[] chain = null;
        int magic = 0;
        if (i.isDir()) {
            chain = InodeFormat.encodeDir(i.dir);
            magic = MetaChain.DIR;
        } else if (i.isLnk()) {
            if (i.symlink.length <= InodeFormat.INLINE_SYMLINK) {
                System.arraycopy(i.symlink, 0, tb, off + InodeFormat.I_BLOCK, i.symlink.length);
            } else {
                chain = i.symlink;
                magic = MetaChain.SYMLINK;
            }
        }
        long[] chainBlocks = place(magic, i.ino, chain, old.chain(), old.chainBlocks(), owned);
        List<Extent> extents = null;
        long[] treeBlocks = new long[0];
        if (i.isReg()) {
            boolean same;
            i.dataSem.readLock().lock();
            try {
                // Compared in place: most files did not change, and copying every map costs.
                same = sameExtents(i.extents, old.extents());
                extents = same ? old.extents() : new ArrayList<>(i.extents.all());
            } finally {
                i.dataSem.readLock().unlock();
            }
            if (same) {
                // Same tree in the same blocks: only its root, in the inode, is needed again.
                treeBlocks = old.treeBlocks();
                ExtentTreeFormat.encode(extents, i.ino, treeBlocks, sb.uuid, bb, off + InodeFormat.I_BLOCK);
                for (long b : treeBlocks) {
                    owned.add(b);
                }
            } else {
                freeAll(old.treeBlocks());
                treeBlocks = allocMeta(ExtentTreeFormat.blocksNeeded(extents.size()), owned);
                addAll(treeBlocks, ExtentTreeFormat.encode(extents, i.ino, treeBlocks, sb.uuid, bb,
                        off + InodeFormat.I_BLOCK));
            }
        } else {
            freeAll(old.treeBlocks());
        }
        InodeFormat.encodeFields(bb, off, i, xattrBlocks.length > 0 ? xattrBlocks[0] : 0,
                chainBlocks.length > 0 ? chainBlocks[0] : 0);
        long[] m = new long[owned.size()];
        for (int k = 0; k < m.length; k++) {
            m[k] = owned.get(k);
        }
        i.metaBlocks = m;
        i.written = new Written(xattrs, xattrBlocks, chain, chainBlocks, extents, treeBlocks);
    }

    /**
     * A check for tests ({@link ExtentFs#verifyClean}): every live inode outside the batch encodes
     * to what the last checkpoint wrote for it, so no change escaped {@link DirtyInodes#mark}.
     * Walks every inode, so it costs what the incremental checkpoint saves. Reads clean inodes
     * without their locks, which the gate allows (their mutators wait before changing anything),
     * but a read moving atime meanwhile makes it fail: for single-threaded tests.
     */
    private void verifyClean(List<Inode> batch, byte[][] last) {
        Set<Inode> in = Collections.newSetFromMap(new IdentityHashMap<>());
        in.addAll(batch);
        for (Inode i : fs.inodes.all()) {
            if (in.contains(i)) {
                continue;
            }
            Written w = i.written;
            if (w == null || i.dirty) {
                throw new IllegalStateException("ino " + i.ino + " left out of the checkpoint: "
                        + (w == null ? "never written" : "dirty"));
            }
            byte[] xattrs = i.xattrs.isEmpty() ? null : InodeFormat.encodeXattrs(i.xattrs);
            byte[] chain = i.isDir() ? InodeFormat.encodeDir(i.dir)
                    : i.isLnk() && i.symlink.length > InodeFormat.INLINE_SYMLINK ? i.symlink : null;
            if (!Arrays.equals(xattrs, w.xattrs()) || !Arrays.equals(chain, w.chain())) {
                throw new IllegalStateException("ino " + i.ino + " changed xattrs or directory/symlink without a mark");
            }
            byte[] tb = last[(int) ((i.ino - 1) / Superblock.INODES_PER_BLOCK)].clone();
            int off = Superblock.inodeSlot(i.ino) * Superblock.INODE_SIZE;
            byte[] was = Arrays.copyOfRange(tb, off, off + Superblock.INODE_SIZE);
            Arrays.fill(tb, off, off + Superblock.INODE_SIZE, (byte) 0);
            ByteBuffer bb = MetaBlock.le(tb);
            if (i.isLnk() && i.symlink.length <= InodeFormat.INLINE_SYMLINK) {
                System.arraycopy(i.symlink, 0, tb, off + InodeFormat.I_BLOCK, i.symlink.length);
            }
            if (i.isReg()) {
                i.dataSem.readLock().lock();
                try {
                    if (!sameExtents(i.extents, w.extents())) {
                        throw new IllegalStateException("ino " + i.ino + " changed extents without a mark");
                    }
                } finally {
                    i.dataSem.readLock().unlock();
                }
                ExtentTreeFormat.encode(w.extents(), i.ino, w.treeBlocks(), sb.uuid, bb, off + InodeFormat.I_BLOCK);
            }
            InodeFormat.encodeFields(bb, off, i, w.xattrBlocks().length > 0 ? w.xattrBlocks()[0] : 0,
                    w.chainBlocks().length > 0 ? w.chainBlocks()[0] : 0);
            if (!Arrays.equals(was, Arrays.copyOfRange(tb, off, off + Superblock.INODE_SIZE))) {
                throw new IllegalStateException("ino " + i.ino + " changed attributes without a mark: now " + i);
            }
        }
    }

    private static boolean sameExtents(ExtentTree tree, List<Extent> old) {
        if (old == null || old.size() != tree.size()) {
            return false;
        }
        int k = 0;
        for (Extent e : tree.all()) {
            if (!e.equals(old.get(k++))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The blocks of one chain holding {@code data} (none for {@code null}): the old ones when the
     * contents are the same, else new ones, written, the old freed.
     */
    private long[] place(int magic, long ino, byte[] data, byte[] oldData, long[] oldBlocks, List<Long> owned)
            throws IOException {
        if (data != null && oldData != null && oldBlocks.length > 0 && Arrays.equals(data, oldData)) {
            for (long b : oldBlocks) {
                owned.add(b);
            }
            return oldBlocks;
        }
        freeAll(oldBlocks);
        if (data == null) {
            return new long[0];
        }
        long[] blocks = allocMeta(MetaChain.blocksFor(data.length), owned);
        addAll(blocks, MetaChain.encode(magic, ino, data, blocks, sb.uuid));
        return blocks;
    }

    private void freeAll(long[] blocks) {
        for (long b : blocks) {
            fs.alloc.freeDeferred(b, 1);
        }
    }

    private void writeFreeChain() throws IOException {
        // Nothing allocated or freed since the last checkpoint: the chain on the device is right.
        byte[] now = encodeFree(fs.alloc.freeAndDeferredExtents());
        if (reuse && fs.freeChainData != null && fs.freeChainBlocks.length > 0
                && Arrays.equals(now, fs.freeChainData)) {
            return;
        }
        freeAll(fs.freeChainBlocks);
        fs.freeChainBlocks = new long[0];
        fs.freeChainData = null;
        // The map records free and deferred blocks merged; taking a chain block from a free extent
        // next to a deferred one can split a merged extent, so allocate until the map fits.
        List<Long> owned = new ArrayList<>();
        List<long[]> free;
        while (true) {
            free = fs.alloc.freeAndDeferredExtents();
            int need = MetaChain.blocksFor(8 + 16 * free.size());
            if (owned.size() >= need) {
                break;
            }
            allocMeta(need - owned.size(), owned);
        }
        long[] blocks = new long[owned.size()];
        for (int k = 0; k < blocks.length; k++) {
            blocks[k] = owned.get(k);
        }
        byte[] data = encodeFree(free);
        addAll(blocks, MetaChain.encode(MetaChain.FREE, 0, data, blocks, sb.uuid));
        fs.freeChainBlocks = blocks;
        fs.freeChainData = data;
        sb.freeListHead = blocks[0];
        sb.freeListBlocks = blocks.length;
    }

    private static byte[] encodeFree(List<long[]> free) {
        ByteBuffer data = ByteBuffer.allocate(8 + 16 * free.size());
        data.putLong(free.size());
        for (long[] f : free) {
            data.putLong(f[0]);
            data.putLong(f[1]);
        }
        return data.array();
    }
}
