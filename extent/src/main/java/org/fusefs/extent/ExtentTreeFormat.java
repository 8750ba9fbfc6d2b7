package org.fusefs.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The on-device form of an extent tree, as ext4 lays it out ({@code ext4_extents.h}): a 12-byte
 * node header ({@code eh_magic, eh_entries, eh_max, eh_depth, eh_generation}) followed by 12-byte
 * entries; leaves hold extents ({@code ee_block, ee_len, ee_start_hi, ee_start_lo}, an unwritten
 * extent storing its length plus 32768), interior nodes hold index entries ({@code ei_block,
 * ei_leaf_lo, ei_leaf_hi}). The root lives in the inode's 60-byte {@code i_block} and holds four
 * entries; when a file has more extents the tree grows leaf blocks of 340 entries and as many
 * index levels as needed. Each tree block ends with its checksum.
 */
final class ExtentTreeFormat {
    static final int MAGIC = 0xF30A;
    static final int HEADER = 12;
    static final int ENTRY = 12;
    static final int ROOT_BYTES = 60;
    static final int ROOT_MAX = (ROOT_BYTES - HEADER) / ENTRY;
    static final int BLOCK_MAX = (MetaBlock.CSUM_OFFSET - HEADER) / ENTRY;
    private static final int MAX_DEPTH = 5;

    private ExtentTreeFormat() {
    }

    /** Number of tree blocks (outside the inode) that {@code n} extents need. */
    static int blocksNeeded(int n) {
        int total = 0;
        int level = n;
        while (level > ROOT_MAX) {
            level = (level + BLOCK_MAX - 1) / BLOCK_MAX;
            total += level;
        }
        return total;
    }

    /**
     * Encodes {@code extents} into the inode root {@code root} (60 bytes at {@code rootOff}) and
     * into {@code blocks} (their numbers given, already allocated); returns the block images.
     */
    static List<byte[]> encode(List<Extent> extents, long ino, long[] blocks, byte[] uuid, ByteBuffer root,
            int rootOff) {
        List<byte[]> images = new ArrayList<>();
        int used = 0;
        // Entries of the current level: for leaves the extents, above them {first lblk, block}.
        List<long[]> level = new ArrayList<>(extents.size());
        for (Extent e : extents) {
            level.add(new long[] {e.lblk(), e.pblk(), e.len(), e.unwritten() ? 1 : 0});
        }
        int depth = 0;
        while (level.size() > ROOT_MAX) {
            List<long[]> up = new ArrayList<>();
            for (int s = 0; s < level.size(); s += BLOCK_MAX) {
                int e = Math.min(level.size(), s + BLOCK_MAX);
                long blockNr = blocks[used++];
                byte[] b = new byte[BlockIo.BLOCK_SIZE];
                ByteBuffer bb = MetaBlock.le(b);
                header(bb, 0, e - s, BLOCK_MAX, depth, ino);
                for (int k = s; k < e; k++) {
                    entry(bb, HEADER + (k - s) * ENTRY, level.get(k), depth);
                }
                MetaBlock.seal(uuid, blockNr, b);
                images.add(b);
                up.add(new long[] {level.get(s)[0], blockNr});
            }
            level = up;
            depth++;
        }
        header(root, rootOff, level.size(), ROOT_MAX, depth, ino);
        for (int k = 0; k < level.size(); k++) {
            entry(root, rootOff + HEADER + k * ENTRY, level.get(k), depth);
        }
        if (used != blocks.length) {
            throw new IllegalStateException("extent tree of ino " + ino + " used " + used + " of " + blocks.length
                    + " blocks");
        }
        return images;
    }

    private static void header(ByteBuffer bb, int off, int entries, int max, int depth, long ino) {
        bb.putShort(off, (short) MAGIC);
        bb.putShort(off + 2, (short) entries);
        bb.putShort(off + 4, (short) max);
        bb.putShort(off + 6, (short) depth);
        bb.putInt(off + 8, (int) ino);
    }

    private static void entry(ByteBuffer bb, int off, long[] v, int depth) {
        if (depth == 0) {
            bb.putInt(off, (int) v[0]);
            int len = (int) v[2] + (v[3] != 0 ? Extent.MAX_INIT_LEN : 0);
            bb.putShort(off + 4, (short) len);
            bb.putShort(off + 6, (short) (v[1] >>> 32));
            bb.putInt(off + 8, (int) v[1]);
        } else {
            bb.putInt(off, (int) v[0]);
            bb.putInt(off + 4, (int) v[1]);
            bb.putShort(off + 8, (short) (v[1] >>> 32));
            bb.putShort(off + 10, (short) 0);
        }
    }

    /** Reads a tree from the inode root, verifying each block; adds the tree blocks to {@code metaBlocks}. */
    static void decode(Mount.Reader r, long ino, ByteBuffer root, int rootOff, ExtentTree tree, List<Long> metaBlocks)
            throws IOException {
        String where = "root of the extent tree in inode " + ino;
        int depth = checkHeader(r, root, rootOff, ROOT_MAX, -1, where);
        walk(r, ino, root, rootOff, depth, tree, metaBlocks, where);
    }

    private static void walk(Mount.Reader r, long ino, ByteBuffer node, int off, int depth, ExtentTree tree,
            List<Long> metaBlocks, String where) throws IOException {
        int entries = Short.toUnsignedInt(node.getShort(off + 2));
        for (int k = 0; k < entries; k++) {
            int p = off + HEADER + k * ENTRY;
            long lblk = Integer.toUnsignedLong(node.getInt(p));
            if (depth == 0) {
                int raw = Short.toUnsignedInt(node.getShort(p + 4));
                boolean unwritten = raw > Extent.MAX_INIT_LEN;
                int len = unwritten ? raw - Extent.MAX_INIT_LEN : raw;
                long pblk = ((long) Short.toUnsignedInt(node.getShort(p + 6)) << 32)
                        | Integer.toUnsignedLong(node.getInt(p + 8));
                if (len == 0 || pblk < r.firstDataBlock() || pblk + len > r.blocksCount()) {
                    throw r.corrupt(where, "extent [" + lblk + ", +" + len + ") at block " + pblk
                            + " outside the data area");
                }
                try {
                    tree.load(new Extent(lblk, pblk, len, unwritten));
                } catch (IllegalStateException | IllegalArgumentException e) {
                    throw r.corrupt(where, e.getMessage());
                }
            } else {
                long child = Integer.toUnsignedLong(node.getInt(p + 4))
                        | ((long) Short.toUnsignedInt(node.getShort(p + 8)) << 32);
                String childWhere = "block " + child + " (extent tree of inode " + ino + ", depth " + (depth - 1) + ")";
                if (child < r.firstDataBlock() || child >= r.blocksCount()) {
                    throw r.corrupt(where, "index entry points to block " + child + " outside the data area");
                }
                byte[] b = r.readMeta(child, childWhere);
                metaBlocks.add(child);
                ByteBuffer cb = MetaBlock.le(b);
                checkHeader(r, cb, 0, BLOCK_MAX, depth - 1, childWhere);
                walk(r, ino, cb, 0, depth - 1, tree, metaBlocks, childWhere);
            }
        }
    }

    private static int checkHeader(Mount.Reader r, ByteBuffer bb, int off, int max, int wantDepth, String where)
            throws CorruptFsException {
        int magic = Short.toUnsignedInt(bb.getShort(off));
        int entries = Short.toUnsignedInt(bb.getShort(off + 2));
        int m = Short.toUnsignedInt(bb.getShort(off + 4));
        int depth = Short.toUnsignedInt(bb.getShort(off + 6));
        if (magic != MAGIC || m != max || entries > max || depth > MAX_DEPTH
                || (wantDepth >= 0 && depth != wantDepth)) {
            throw r.corrupt(where, "bad extent header (magic 0x" + Integer.toHexString(magic) + ", entries "
                    + entries + ", max " + m + ", depth " + depth + ")");
        }
        return depth;
    }
}
