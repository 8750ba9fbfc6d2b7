package org.fusefs.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fusefs.extent.alloc.BlockAllocator;
import org.fusefs.pagecache.PageCache;
import org.fusefs.uapi.FileMode;

/**
 * Mounting: reads the superblock, replays the journal when it holds a committed checkpoint, reads
 * the free-space chain, the inode table and every inode's tree
 * and chains, verifying each metadata block's checksum and header, then checks that every block
 * of the data area is either free or used exactly once (a small fsck). Any failure is a
 * {@link CorruptFsException} naming the device and the block.
 */
final class Mount {
    private Mount() {
    }

    /** Reads and verifies metadata blocks for the decoders. */
    static final class Reader {
        private final BlockIo io;
        private final Superblock sb;
        private final byte[] buf = new byte[BlockIo.BLOCK_SIZE];

        Reader(BlockIo io, Superblock sb) {
            this.io = io;
            this.sb = sb;
        }

        long firstDataBlock() {
            return sb.firstDataBlock;
        }

        long blocksCount() {
            return sb.blocksCount;
        }

        /** Reads block {@code nr} and checks its checksum; {@code where} names it in messages. */
        byte[] readMeta(long nr, String where) throws IOException {
            byte[] b = new byte[BlockIo.BLOCK_SIZE];
            io.read(nr, b);
            if (!MetaBlock.verify(sb.uuid, nr, b)) {
                throw corrupt(where, "checksum mismatch");
            }
            return b;
        }

        CorruptFsException corrupt(String where, String what) {
            return new CorruptFsException(io.device().name() + ": " + where + ": " + what);
        }
    }

    static ExtentFs mount(BlockIo io, PageCache cache) throws IOException {
        String dev = io.device().name();
        byte[] b0 = new byte[BlockIo.BLOCK_SIZE];
        io.read(0, b0);
        Superblock sb = Superblock.decode(dev, b0);
        long devBlocks = io.device().capacity() / BlockIo.BLOCK_SIZE;
        if (sb.blocksCount > devBlocks || sb.firstDataBlock >= sb.blocksCount
                || sb.itableStart + sb.itableBlocks != sb.firstDataBlock
                || sb.itableBlocks * Superblock.INODES_PER_BLOCK < sb.inodesCount
                || sb.itableUsed > sb.itableBlocks) {
            throw new CorruptFsException(dev + ": block 0 (superblock): geometry does not fit the device ("
                    + sb.blocksCount + " blocks, device has " + devBlocks + ", data from " + sb.firstDataBlock + ")");
        }
        if (sb.journalStart < 1 || sb.journalStart + sb.journalBlocks > sb.itableStart) {
            throw new CorruptFsException(dev + ": block 0 (superblock): journal [" + sb.journalStart + ", +"
                    + sb.journalBlocks + ") overlaps the inode table or the superblock");
        }
        // A checkpoint committed to the journal but maybe not all in place: write it in place before
        // reading anything (its superblock included, so read that again).
        if (new Journal(io, sb).recover() >= 0) {
            io.read(0, b0);
            Superblock replayed = Superblock.decode(dev, b0);
            if (replayed.blocksCount != sb.blocksCount || replayed.journalStart != sb.journalStart
                    || replayed.journalBlocks != sb.journalBlocks || replayed.itableStart != sb.itableStart) {
                throw new CorruptFsException(dev + ": block 0 (superblock): geometry changed by journal replay");
            }
            sb = replayed;
        }
        Reader r = new Reader(io, sb);
        BlockAllocator alloc = new BlockAllocator(sb.firstDataBlock, sb.blocksCount);
        List<Long> freeChain = new ArrayList<>();
        byte[] free = MetaChain.decode(r, MetaChain.FREE, 0, sb.freeListHead, "free-space map", freeChain);
        loadFree(r, alloc, free);
        InodeTable table = new InodeTable(sb.inodesCount, sb.nextGeneration);
        byte[][] tableImages = new byte[(int) sb.itableUsed][];
        for (long k = 0; k < sb.itableUsed; k++) {
            long nr = sb.itableStart + k;
            byte[] tb = r.readMeta(nr, "block " + nr + " (inode table)");
            tableImages[(int) k] = tb.clone();
            ByteBuffer bb = MetaBlock.le(tb);
            for (int s = 0; s < Superblock.INODES_PER_BLOCK; s++) {
                long ino = k * Superblock.INODES_PER_BLOCK + s + 1;
                int off = s * Superblock.INODE_SIZE;
                if (ino > sb.inodesCount || bb.getInt(off) == 0) {
                    continue;
                }
                table.load(loadInode(r, nr, bb, off, ino));
            }
        }
        Inode root = table.get(Vfs.ROOT_INO);
        if (root == null || !root.isDir()) {
            throw r.corrupt("block " + sb.itableStart + " (inode table)", "root inode 1 missing or not a directory");
        }
        ExtentFs fs = new ExtentFs(io, cache, sb, alloc, table);
        fs.freeChainBlocks = toArray(freeChain);
        fs.freeChainData = free;
        fs.lastTable = tableImages;
        checkSpace(r, fs, freeChain);
        recoverOrphans(fs);
        alloc.setReserve(Mkfs.metadataReserve(sb.blocksCount));
        sb.mountCount++;
        sb.state = Superblock.STATE_MOUNTED;
        io.write(0, sb.encode());
        return fs;
    }

    /**
     * Frees the inodes that were unlinked but still open when the image was written (ext4's orphan
     * recovery): nothing names them any more, and nobody holds them open after a mount.
     */
    private static void recoverOrphans(ExtentFs fs) {
        for (Inode i : new ArrayList<>(fs.inodes.all())) {
            if (i.nlink == 0) {
                i.lock.lock();
                try {
                    fs.evictIfUnusedLocked(i);
                } finally {
                    i.lock.unlock();
                }
            }
        }
    }

    private static void loadFree(Reader r, BlockAllocator alloc, byte[] data) throws CorruptFsException {
        ByteBuffer bb = ByteBuffer.wrap(data);
        if (data.length < 8) {
            throw r.corrupt("free-space map", "truncated");
        }
        long n = bb.getLong();
        if (n < 0 || n * 16 > data.length - 8) {
            throw r.corrupt("free-space map", n + " extents do not fit its " + data.length + " bytes");
        }
        for (long k = 0; k < n; k++) {
            long s = bb.getLong();
            long l = bb.getLong();
            try {
                alloc.free(s, l);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw r.corrupt("free-space map", "extent " + k + ": " + e.getMessage());
            }
        }
    }

    private static Inode loadInode(Reader r, long tableBlock, ByteBuffer bb, int off, long ino) throws IOException {
        String where = "block " + tableBlock + " (inode table, inode " + ino + ")";
        int mode = bb.getInt(off);
        int type = mode & FileMode.S_IFMT;
        if (type != FileMode.S_IFREG && type != FileMode.S_IFDIR && type != FileMode.S_IFLNK
                && type != FileMode.S_IFIFO && type != FileMode.S_IFSOCK && type != FileMode.S_IFCHR
                && type != FileMode.S_IFBLK) {
            throw r.corrupt(where, "bad mode 0" + Integer.toOctalString(mode));
        }
        Inode i = InodeFormat.decodeFields(bb, off, ino);
        if (i.size < 0 || i.size > Superblock.MAX_BYTES || i.nlink < 0) {
            throw r.corrupt(where, "bad size " + i.size + " or link count " + i.nlink);
        }
        List<Long> xattrBlocks = new ArrayList<>();
        List<Long> chainBlocks = new ArrayList<>();
        List<Long> treeBlocks = new ArrayList<>();
        byte[] xattrs = null;
        byte[] chain = null;
        long xh = InodeFormat.xattrHead(bb, off);
        try {
            if (xh != 0) {
                xattrs = MetaChain.decode(r, MetaChain.XATTR, ino, xh, "xattrs of inode " + ino, xattrBlocks);
                InodeFormat.decodeXattrs(xattrs, i.xattrs);
            }
            long ch = InodeFormat.chainHead(bb, off);
            if (i.isDir()) {
                chain = MetaChain.decode(r, MetaChain.DIR, ino, ch, "directory inode " + ino, chainBlocks);
                InodeFormat.decodeDir(chain, i.dir);
            } else if (i.isLnk()) {
                if (i.size <= InodeFormat.INLINE_SYMLINK) {
                    i.symlink = Arrays.copyOfRange(bb.array(), off + InodeFormat.I_BLOCK,
                            off + InodeFormat.I_BLOCK + (int) i.size);
                } else {
                    i.symlink = MetaChain.decode(r, MetaChain.SYMLINK, ino, ch, "symlink inode " + ino, chainBlocks);
                    chain = i.symlink;
                }
                if (i.symlink.length != i.size || i.size == 0) {
                    throw r.corrupt(where, "symlink of " + i.symlink.length + " bytes, size " + i.size);
                }
            } else if (i.isReg()) {
                ExtentTreeFormat.decode(r, ino, bb, off + InodeFormat.I_BLOCK, i.extents, treeBlocks);
            }
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException | IllegalStateException e) {
            throw r.corrupt(where, "malformed contents: " + e);
        }
        List<Long> meta = new ArrayList<>(xattrBlocks);
        meta.addAll(chainBlocks);
        meta.addAll(treeBlocks);
        i.metaBlocks = toArray(meta);
        // What is on the device, for the first checkpoint to keep what did not change. A chain's
        // bytes are what it holds whatever their split; a tree is always rewritten (its split over
        // blocks is not known to match what encoding would give), so no extents are recorded.
        i.written = new MetadataWriter.Written(xattrs, toArray(xattrBlocks), chain, toArray(chainBlocks), null,
                toArray(treeBlocks));
        return i;
    }

    /** Every data-area block is free or used by exactly one owner; names the first that is not. */
    private static void checkSpace(Reader r, ExtentFs fs, List<Long> freeChain) throws CorruptFsException {
        List<long[]> used = new ArrayList<>();
        for (long b : freeChain) {
            used.add(new long[] {b, 1, 0});
        }
        for (Inode i : fs.inodes.all()) {
            for (long b : i.metaBlocks) {
                used.add(new long[] {b, 1, i.ino});
            }
            for (Extent e : i.extents.all()) {
                used.add(new long[] {e.pblk(), e.len(), i.ino});
            }
        }
        used.sort((a, b) -> Long.compare(a[0], b[0]));
        long prevEnd = -1;
        long total = 0;
        for (long[] u : used) {
            if (u[0] < prevEnd) {
                throw r.corrupt("block " + u[0], "used twice (second owner inode " + u[2] + ")");
            }
            if (fs.alloc.anyFree(u[0], u[1])) {
                throw r.corrupt("block " + u[0], "used by inode " + u[2] + " and also in the free-space map");
            }
            prevEnd = u[0] + u[1];
            total += u[1];
        }
        long area = fs.sb.blocksCount - fs.sb.firstDataBlock;
        if (total + fs.alloc.freeBlocks() != area) {
            throw r.corrupt("free-space map", (area - total - fs.alloc.freeBlocks())
                    + " blocks of the data area are neither free nor used");
        }
        // Link counts: a name per link; a directory also has "." and each subdirectory's "..".
        java.util.HashMap<Long, Integer> links = new java.util.HashMap<>();
        for (Inode i : fs.inodes.all()) {
            if (i.isDir()) {
                if (i.nlink > 0) {
                    links.merge(i.ino, i.ino == Vfs.ROOT_INO ? 2 : 1, Integer::sum);
                }
                for (Directory.Entry e : i.dir.all()) {
                    Inode child = fs.inodes.get(e.ino());
                    if (child == null || child.dtype() != e.type()) {
                        throw r.corrupt("directory inode " + i.ino, "entry '" + e.name() + "' names "
                                + (child == null ? "free inode " : "inode of another type ") + e.ino());
                    }
                    links.merge(e.ino(), 1, Integer::sum);
                    if (child.isDir()) {
                        links.merge(i.ino, 1, Integer::sum);
                        if (child.dir.parent != i.ino) {
                            throw r.corrupt("directory inode " + e.ino(), "parent " + child.dir.parent + ", but named in "
                                    + i.ino);
                        }
                    }
                }
            }
        }
        for (Inode i : fs.inodes.all()) {
            int want = links.getOrDefault(i.ino, 0);
            if (i.nlink != want) {
                throw r.corrupt("inode " + i.ino, "link count " + i.nlink + " but " + want + " links found");
            }
        }
    }

    private static long[] toArray(List<Long> l) {
        long[] a = new long[l.size()];
        for (int k = 0; k < a.length; k++) {
            a[k] = l.get(k);
        }
        return a;
    }
}
