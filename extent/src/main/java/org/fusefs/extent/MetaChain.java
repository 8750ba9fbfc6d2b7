package org.fusefs.extent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A chain of metadata blocks holding one byte stream: a directory's entries, an inode's xattrs, a
 * long symlink target, the free-space map. Each block has a 24-byte header (magic of the kind,
 * payload bytes in this block, owner inode, next block or 0) and ends with its checksum.
 */
final class MetaChain {
    static final int DIR = 0x42524944;      // "DIRB"
    static final int XATTR = 0x52544158;    // "XATR"
    static final int SYMLINK = 0x4c4d5953;  // "SYML"
    static final int FREE = 0x45455246;     // "FREE"
    static final int HEADER = 24;
    static final int PAYLOAD = MetaBlock.CSUM_OFFSET - HEADER;
    /** Longest symlink target (PATH_MAX - 1). */
    static final int MAX_SYMLINK = 4095;

    private MetaChain() {
    }

    static int blocksFor(int bytes) {
        return Math.max(1, (bytes + PAYLOAD - 1) / PAYLOAD);
    }

    /** Splits {@code data} over {@code blocks} (allocated by the caller) and returns the block images. */
    static List<byte[]> encode(int magic, long owner, byte[] data, long[] blocks, byte[] uuid) {
        if (blocks.length < blocksFor(data.length)) {
            throw new IllegalArgumentException(data.length + " bytes need " + blocksFor(data.length)
                    + " chain blocks, got " + blocks.length);
        }
        List<byte[]> out = new ArrayList<>(blocks.length);
        for (int k = 0; k < blocks.length; k++) {
            byte[] b = new byte[BlockIo.BLOCK_SIZE];
            ByteBuffer bb = MetaBlock.le(b);
            int from = k * PAYLOAD;
            int n = Math.max(0, Math.min(PAYLOAD, data.length - from));
            bb.putInt(0, magic);
            bb.putInt(4, n);
            bb.putLong(8, owner);
            bb.putLong(16, k + 1 < blocks.length ? blocks[k + 1] : 0);
            if (n > 0) {
                System.arraycopy(data, from, b, HEADER, n);
            }
            MetaBlock.seal(uuid, blocks[k], b);
            out.add(b);
        }
        return out;
    }

    /** Reads and verifies a chain from {@code head}; adds its blocks to {@code metaBlocks}. */
    static byte[] decode(Mount.Reader r, int magic, long owner, long head, String what, List<Long> metaBlocks)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long blk = head;
        long steps = 0;
        while (blk != 0) {
            String where = "block " + blk + " (" + what + ")";
            if (blk < r.firstDataBlock() || blk >= r.blocksCount() || ++steps > r.blocksCount()) {
                throw r.corrupt(what, "chain points to block " + blk + " outside the data area or loops");
            }
            byte[] b = r.readMeta(blk, where);
            metaBlocks.add(blk);
            ByteBuffer bb = MetaBlock.le(b);
            int n = bb.getInt(4);
            if (bb.getInt(0) != magic || n < 0 || n > PAYLOAD || bb.getLong(8) != owner) {
                throw r.corrupt(where, "bad chain header (magic 0x" + Integer.toHexString(bb.getInt(0)) + ", bytes "
                        + n + ", owner " + bb.getLong(8) + ")");
            }
            out.write(b, HEADER, n);
            blk = bb.getLong(16);
        }
        return out.toByteArray();
    }

    /** A generous estimate of a directory's serialized size, for its reported st_size. */
    static long dirBytesEstimate(int entries) {
        return 24 + (long) entries * 40;
    }
}
