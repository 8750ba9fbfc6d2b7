package org.fusefs.extent;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.Random;
import org.fusefs.extent.alloc.BlockAllocator;
import org.fusefs.uapi.FileMode;

/**
 * Formats a device: superblock in block 0, the journal area after it (emptied), the inode table
 * (initialized lazily: only its first block now), then the data area, all free but for the root
 * directory's chain and the free-space map.
 */
final class Mkfs {
    static final long MIN_BLOCKS = 64;
    /** Default inode count cap, so that a RAM disk of terabytes does not get a table of gigabytes. */
    static final long DEFAULT_MAX_INODES = 1L << 22;

    private Mkfs() {
    }

    /** Blocks kept back from data for metadata written at sync: 1/64 of the device, at least 16. */
    static long metadataReserve(long blocks) {
        return Math.max(16, blocks / 64);
    }

    static void format(BlockIo io, MkfsOptions opt) throws IOException {
        long blocks = io.device().capacity() / BlockIo.BLOCK_SIZE;
        if (blocks < MIN_BLOCKS) {
            throw new IllegalArgumentException(io.device().name() + ": " + blocks + " blocks, mkfs needs at least "
                    + MIN_BLOCKS);
        }
        long journal = opt.journalBlocks() > 0 ? opt.journalBlocks() : Math.min(8192, Math.max(16, blocks / 64));
        long inodes = opt.inodes() > 0 ? opt.inodes() : Math.max(64, Math.min(blocks / 4, DEFAULT_MAX_INODES));
        inodes = Math.min(inodes, Integer.MAX_VALUE - 1);
        long itableBlocks = (inodes + Superblock.INODES_PER_BLOCK - 1) / Superblock.INODES_PER_BLOCK;
        Superblock sb = new Superblock();
        sb.blocksCount = blocks;
        sb.inodesCount = inodes;
        sb.journalStart = 1;
        sb.journalBlocks = journal;
        sb.itableStart = 1 + journal;
        sb.itableBlocks = itableBlocks;
        sb.firstDataBlock = sb.itableStart + itableBlocks;
        if (sb.firstDataBlock + 16 > blocks) {
            throw new IllegalArgumentException(io.device().name() + ": " + inodes + " inodes and a journal of "
                    + journal + " blocks leave no data area in " + blocks + " blocks");
        }
        sb.mkfsTimeNs = ExtentFs.now();
        sb.label = opt.label();
        Random rnd = opt.uuidSeed() != 0 ? new Random(opt.uuidSeed()) : new SecureRandom();
        rnd.nextBytes(sb.uuid);
        sb.uuid[6] = (byte) ((sb.uuid[6] & 0x0f) | 0x40);
        sb.uuid[8] = (byte) ((sb.uuid[8] & 0x3f) | 0x80);

        BlockAllocator alloc = new BlockAllocator(sb.firstDataBlock, blocks);
        alloc.free(sb.firstDataBlock, blocks - sb.firstDataBlock);
        InodeTable table = new InodeTable(inodes, 1);
        Inode root = table.allocate(FileMode.S_IFDIR | 0755);
        if (root.ino != Vfs.ROOT_INO) {
            throw new IllegalStateException("root allocated as inode " + root.ino);
        }
        long t = ExtentFs.now();
        root.nlink = 2;
        root.dir.parent = Vfs.ROOT_INO;
        root.size = BlockIo.BLOCK_SIZE;
        root.atimeNs = t;
        root.mtimeNs = t;
        root.ctimeNs = t;
        ExtentFs fs = new ExtentFs(io, null, sb, alloc, table);
        // A journal left by an earlier filesystem on the device must not be replayed over this one.
        fs.journal.invalidate();
        synchronized (fs.lifecycle) {
            MetadataWriter.write(fs, Superblock.STATE_CLEAN);
        }
    }
}
