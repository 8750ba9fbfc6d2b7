package org.fusefs.extent;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The superblock in block 0: identity (magic, format version, features, UUID, label), geometry
 * (block size and count, the journal area, the inode table, the first data block) and the state
 * that changes at each checkpoint (free counts, the head of the free-space map, clean or mounted,
 * the journal sequence number).
 *
 * <p>Mirrors {@code struct ext4_super_block}. Little-endian, checksummed like every metadata block.
 */
final class Superblock {
    static final long MAGIC = 0x3153465458455546L; // "FUSEXTFS1" little-endian, minus the 9th byte
    static final int VERSION = 1;
    /** Incompatible features: extents, checksums; a mount refuses any bit it does not know. */
    static final int INCOMPAT_EXTENTS = 1;
    static final int INCOMPAT_CSUM = 2;
    static final int INCOMPAT_KNOWN = INCOMPAT_EXTENTS | INCOMPAT_CSUM;
    static final int STATE_CLEAN = 1;
    static final int STATE_MOUNTED = 2;
    static final int INODE_SIZE = 256;
    static final int INODES_PER_BLOCK = (BlockIo.BLOCK_SIZE - 4) / INODE_SIZE;
    /** ext4's s_maxbytes for 4 KiB blocks with extents: 2^32 blocks minus one, in bytes. */
    static final long MAX_BYTES = 17592186040320L;

    int version = VERSION;
    int incompat = INCOMPAT_KNOWN;
    int blockSize = BlockIo.BLOCK_SIZE;
    long blocksCount;
    long inodesCount;
    long journalStart;
    long journalBlocks;
    long itableStart;
    long itableBlocks;
    /**
     * Inode-table blocks initialized so far, from the start of the table (ext4's lazy inode-table
     * init): blocks past it have never been written, hold no inode, and are neither read nor
     * checked at mount.
     */
    long itableUsed;
    long firstDataBlock;
    long freeBlocks;
    long freeInodes;
    long freeListHead;
    long freeListBlocks;
    long nextGeneration = 1;
    int state = STATE_CLEAN;
    long mkfsTimeNs;
    long mountCount;
    /**
     * Sequence number of the journal transaction that wrote this superblock (0 before the first):
     * the next transaction takes a higher one, also after a remount.
     */
    long journalSeq;
    byte[] uuid = new byte[16];
    String label = "";

    byte[] encode() {
        byte[] b = new byte[BlockIo.BLOCK_SIZE];
        ByteBuffer bb = MetaBlock.le(b);
        bb.putLong(0, MAGIC);
        bb.putInt(8, version);
        bb.putInt(12, incompat);
        bb.putInt(16, blockSize);
        bb.putInt(20, INODE_SIZE);
        bb.putLong(24, blocksCount);
        bb.putLong(32, inodesCount);
        bb.putLong(40, journalStart);
        bb.putLong(48, journalBlocks);
        bb.putLong(56, itableStart);
        bb.putLong(64, itableBlocks);
        bb.putLong(72, firstDataBlock);
        bb.putLong(80, freeBlocks);
        bb.putLong(88, freeInodes);
        bb.putLong(96, freeListHead);
        bb.putLong(104, freeListBlocks);
        bb.putLong(112, nextGeneration);
        bb.putInt(120, state);
        bb.putLong(128, mkfsTimeNs);
        bb.putLong(136, mountCount);
        bb.putLong(144, MAX_BYTES);
        bb.putLong(152, itableUsed);
        System.arraycopy(uuid, 0, b, 160, 16);
        byte[] l = label.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(l, 0, b, 176, Math.min(l.length, 64));
        bb.putLong(240, journalSeq);
        MetaBlock.seal(uuid, 0, b);
        return b;
    }

    /** Parses block 0; a bad magic, version, feature set or checksum is a {@link CorruptFsException}. */
    static Superblock decode(String dev, byte[] b) throws CorruptFsException {
        ByteBuffer bb = MetaBlock.le(b);
        if (bb.getLong(0) != MAGIC) {
            throw new CorruptFsException(dev + ": block 0: no fusefs superblock (bad magic 0x"
                    + Long.toHexString(bb.getLong(0)) + ")");
        }
        Superblock sb = new Superblock();
        sb.uuid = Arrays.copyOfRange(b, 160, 176);
        if (!MetaBlock.verify(sb.uuid, 0, b)) {
            throw new CorruptFsException(dev + ": block 0 (superblock): checksum mismatch");
        }
        sb.version = bb.getInt(8);
        sb.incompat = bb.getInt(12);
        sb.blockSize = bb.getInt(16);
        if (sb.version != VERSION || (sb.incompat & ~INCOMPAT_KNOWN) != 0 || sb.blockSize != BlockIo.BLOCK_SIZE
                || bb.getInt(20) != INODE_SIZE) {
            throw new CorruptFsException(dev + ": block 0 (superblock): unsupported version " + sb.version
                    + ", features 0x" + Integer.toHexString(sb.incompat) + " or block size " + sb.blockSize);
        }
        sb.blocksCount = bb.getLong(24);
        sb.inodesCount = bb.getLong(32);
        sb.journalStart = bb.getLong(40);
        sb.journalBlocks = bb.getLong(48);
        sb.itableStart = bb.getLong(56);
        sb.itableBlocks = bb.getLong(64);
        sb.firstDataBlock = bb.getLong(72);
        sb.freeBlocks = bb.getLong(80);
        sb.freeInodes = bb.getLong(88);
        sb.freeListHead = bb.getLong(96);
        sb.freeListBlocks = bb.getLong(104);
        sb.nextGeneration = bb.getLong(112);
        sb.state = bb.getInt(120);
        sb.mkfsTimeNs = bb.getLong(128);
        sb.mountCount = bb.getLong(136);
        sb.itableUsed = bb.getLong(152);
        sb.journalSeq = bb.getLong(240);
        int n = 0;
        while (n < 64 && b[176 + n] != 0) {
            n++;
        }
        sb.label = new String(b, 176, n, StandardCharsets.UTF_8);
        return sb;
    }

    /** The block and slot of inode {@code ino} in the inode table. */
    long inodeBlock(long ino) {
        return itableStart + (ino - 1) / INODES_PER_BLOCK;
    }

    static int inodeSlot(long ino) {
        return (int) ((ino - 1) % INODES_PER_BLOCK);
    }
}
