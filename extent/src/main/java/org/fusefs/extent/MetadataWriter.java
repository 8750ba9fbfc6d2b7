package org.fusefs.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.fusefs.block.Bio;
import org.fusefs.block.BlkIOException;
import org.fusefs.block.BlkStatus;
import org.fusefs.block.ReqOp;
import org.fusefs.extent.alloc.NoSpaceException;

/**
 * Writes the whole in-memory metadata to the device: every inode into the inode table, the extent
 * tree blocks, directory, xattr and symlink chains, the free-space chain, and the superblock last,
 * each block checksummed.
 *
 * <p>Each write allocates new blocks for the chains and trees after freeing those of the previous
 * write; without the journal (a later issue) a crash in the middle of this leaves an image that
 * mount rejects by its checksums. Called under the filesystem's lifecycle monitor; takes the
 * namespace lock exclusively, then every inode's lock in inode order, then dataSem of each in turn.
 */
final class MetadataWriter {
    private final ExtentFs fs;
    private final Superblock sb;
    private final List<Long> blockNrs = new ArrayList<>();
    private final List<byte[]> images = new ArrayList<>();

    private MetadataWriter(ExtentFs fs) {
        this.fs = fs;
        this.sb = fs.sb;
    }

    static void write(ExtentFs fs, int state) throws IOException {
        new MetadataWriter(fs).run(state);
    }

    private void run(int state) throws IOException {
        fs.ns.ns.writeLock().lock();
        List<Inode> locked = new ArrayList<>();
        try {
            // The image must be one instant: no block may be allocated or freed between writing the
            // trees and writing the free map. Namespace changes and evictions are held off by the
            // namespace lock; writes, truncates and fallocate by holding every inode lock (no other
            // thread takes two inode locks, nor the namespace lock under one, so this cannot
            // deadlock); writeback allocation by writing everything back under those locks first.
            List<Inode> all = new ArrayList<>(fs.inodes.all());
            all.sort((a, b) -> Long.compare(a.ino, b.ino));
            for (Inode i : all) {
                i.lock.lock();
                locked.add(i);
            }
            for (Inode i : all) {
                if (i.mapping != null && !i.freed) {
                    i.mapping.writeAndWait(0, Long.MAX_VALUE);
                }
            }
            long highest = 0;
            for (Inode i : fs.inodes.all()) {
                highest = Math.max(highest, i.ino);
            }
            // Blocks once written stay part of the table, so that freed inodes are zeroed on the device.
            sb.itableUsed = Math.max(sb.itableUsed, (highest + Superblock.INODES_PER_BLOCK - 1)
                    / Superblock.INODES_PER_BLOCK);
            byte[][] table = new byte[(int) sb.itableUsed][];
            for (int k = 0; k < table.length; k++) {
                table[k] = new byte[BlockIo.BLOCK_SIZE];
            }
            for (Inode i : fs.inodes.all()) {
                i.lock.lock();
                try {
                    writeInode(i, table);
                } finally {
                    i.lock.unlock();
                }
            }
            writeFreeChain();
            for (int k = 0; k < table.length; k++) {
                MetaBlock.seal(sb.uuid, sb.itableStart + k, table[k]);
                add(sb.itableStart + k, table[k]);
            }
            sb.freeBlocks = fs.alloc.freeBlocks();
            sb.freeInodes = fs.inodes.count() - fs.inodes.usedCount();
            sb.nextGeneration = fs.inodes.nextGeneration();
            sb.state = state;
            long[] nrs = new long[blockNrs.size()];
            for (int k = 0; k < nrs.length; k++) {
                nrs[k] = blockNrs.get(k);
            }
            fs.io.writeAll(nrs, images);
            flush();
            fs.io.write(0, sb.encode());
            flush();
        } finally {
            for (Inode i : locked) {
                i.lock.unlock();
            }
            fs.ns.ns.writeLock().unlock();
        }
    }

    private void flush() throws IOException {
        try {
            new Bio(ReqOp.FLUSH, 0, List.of(), 0, null).submitAndWait(fs.io.device());
        } catch (BlkIOException e) {
            if (e.status() != BlkStatus.NOTSUPP) {
                throw e;
            }
        }
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
            throw new IOException(fs.io.device().name() + ": no space left for metadata: " + e.getMessage(), e);
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

    private void writeInode(Inode i, byte[][] table) throws IOException {
        for (long b : i.metaBlocks) {
            fs.alloc.free(b, 1);
        }
        i.metaBlocks = new long[0];
        List<Long> owned = new ArrayList<>();
        byte[] tb = table[(int) ((i.ino - 1) / Superblock.INODES_PER_BLOCK)];
        int off = Superblock.inodeSlot(i.ino) * Superblock.INODE_SIZE;
        ByteBuffer bb = MetaBlock.le(tb);
        long xattrHead = 0;
        long chainHead = 0;
        if (!i.xattrs.isEmpty()) {
            byte[] data = InodeFormat.encodeXattrs(i.xattrs);
            long[] blocks = allocMeta(MetaChain.blocksFor(data.length), owned);
            addAll(blocks, MetaChain.encode(MetaChain.XATTR, i.ino, data, blocks, sb.uuid));
            xattrHead = blocks[0];
        }
        if (i.isDir()) {
            byte[] data = InodeFormat.encodeDir(i.dir);
            long[] blocks = allocMeta(MetaChain.blocksFor(data.length), owned);
            addAll(blocks, MetaChain.encode(MetaChain.DIR, i.ino, data, blocks, sb.uuid));
            chainHead = blocks[0];
        } else if (i.isLnk()) {
            if (i.symlink.length <= InodeFormat.INLINE_SYMLINK) {
                System.arraycopy(i.symlink, 0, tb, off + InodeFormat.I_BLOCK, i.symlink.length);
            } else {
                long[] blocks = allocMeta(MetaChain.blocksFor(i.symlink.length), owned);
                addAll(blocks, MetaChain.encode(MetaChain.SYMLINK, i.ino, i.symlink, blocks, sb.uuid));
                chainHead = blocks[0];
            }
        } else if (i.isReg()) {
            List<Extent> extents;
            i.dataSem.readLock().lock();
            try {
                extents = new ArrayList<>(i.extents.all());
            } finally {
                i.dataSem.readLock().unlock();
            }
            long[] blocks = allocMeta(ExtentTreeFormat.blocksNeeded(extents.size()), owned);
            addAll(blocks, ExtentTreeFormat.encode(extents, i.ino, blocks, sb.uuid, bb, off + InodeFormat.I_BLOCK));
        }
        InodeFormat.encodeFields(bb, off, i, xattrHead, chainHead);
        long[] m = new long[owned.size()];
        for (int k = 0; k < m.length; k++) {
            m[k] = owned.get(k);
        }
        i.metaBlocks = m;
    }

    private void writeFreeChain() throws IOException {
        for (long b : fs.freeChainBlocks) {
            fs.alloc.free(b, 1);
        }
        fs.freeChainBlocks = new long[0];
        // Taking blocks from the start of free extents never adds an extent, so the count only shrinks.
        int n = fs.alloc.freeExtentCount();
        List<Long> owned = new ArrayList<>();
        long[] blocks = allocMeta(MetaChain.blocksFor(8 + 16 * n), owned);
        List<long[]> free = fs.alloc.freeExtents();
        ByteBuffer data = ByteBuffer.allocate(8 + 16 * free.size());
        data.putLong(free.size());
        for (long[] f : free) {
            data.putLong(f[0]);
            data.putLong(f[1]);
        }
        addAll(blocks, MetaChain.encode(MetaChain.FREE, 0, data.array(), blocks, sb.uuid));
        fs.freeChainBlocks = blocks;
        sb.freeListHead = blocks[0];
        sb.freeListBlocks = blocks.length;
    }
}
