package org.fusefs.extent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * The metadata journal: one transaction at a time in the journal area, holding a checkpoint (every
 * metadata block the {@link MetadataWriter} writes, the superblock included), so that a checkpoint
 * reaches the device all or not at all. jbd2's idea in its simplest form: no wrap-around, no revoke
 * records; a transaction is written only once the previous one is in place and flushed.
 *
 * <p>Layout, from {@code sb.journalStart}:
 * <pre>
 *   descriptor blocks   magic "JDSC", entries in this block, sequence number, blocks in the
 *                       transaction, then up to {@value #PER_DESCRIPTOR} target block numbers (8 bytes each)
 *   block images        in the order of the descriptors' entries, each already sealed for its target
 *   commit block        magic "JCMT", sequence number, blocks in the transaction, CRC32C over the
 *                       descriptor blocks and the images
 * </pre>
 * Descriptor and commit blocks are sealed like every metadata block (for their journal block
 * number). A transaction is valid when all of them check and the commit's CRC matches; the commit
 * CRC also catches a commit that reached the device before the images it covers.
 *
 * <p>Not thread-safe: used under the filesystem's lifecycle monitor (or by mount before anyone
 * else sees the filesystem).
 */
final class Journal {
    static final int DESCRIPTOR = 0x4353444a; // "JDSC"
    static final int COMMIT = 0x544d434a;     // "JCMT"
    static final int HEADER = 24;
    static final int PER_DESCRIPTOR = (MetaBlock.CSUM_OFFSET - HEADER) / 8;
    private static final Logger LOG = Logger.getLogger(Journal.class.getName());

    private final BlockIo io;
    private final Superblock sb;

    Journal(BlockIo io, Superblock sb) {
        this.io = io;
        this.sb = sb;
    }

    static int descriptorsFor(int count) {
        return Math.max(1, (count + PER_DESCRIPTOR - 1) / PER_DESCRIPTOR);
    }

    /** Whether a transaction of {@code count} blocks fits in the journal area. */
    boolean fits(int count) {
        return (long) descriptorsFor(count) + count + 1 <= sb.journalBlocks;
    }

    /**
     * Writes transaction {@code seq} (descriptors, images, commit) into the journal and waits for
     * the writes to complete; the caller flushes before (to order it after the data and the
     * previous checkpoint) and after (to make it durable).
     */
    void write(long seq, long[] targets, List<byte[]> images) throws IOException {
        int n = targets.length;
        if (!fits(n)) {
            throw new IllegalArgumentException("transaction of " + n + " blocks does not fit the journal of "
                    + sb.journalBlocks + " blocks");
        }
        int d = descriptorsFor(n);
        long[] where = new long[d + n + 1];
        List<byte[]> blocks = new ArrayList<>(d + n + 1);
        CRC32C crc = new CRC32C();
        for (int k = 0; k < d; k++) {
            byte[] b = new byte[BlockIo.BLOCK_SIZE];
            ByteBuffer bb = MetaBlock.le(b);
            int from = k * PER_DESCRIPTOR;
            int entries = Math.min(PER_DESCRIPTOR, n - from);
            bb.putInt(0, DESCRIPTOR);
            bb.putInt(4, entries);
            bb.putLong(8, seq);
            bb.putLong(16, n);
            for (int e = 0; e < entries; e++) {
                bb.putLong(HEADER + 8 * e, targets[from + e]);
            }
            where[k] = sb.journalStart + k;
            MetaBlock.seal(sb.uuid, where[k], b);
            crc.update(b);
            blocks.add(b);
        }
        for (int k = 0; k < n; k++) {
            where[d + k] = sb.journalStart + d + k;
            crc.update(images.get(k));
            blocks.add(images.get(k));
        }
        byte[] c = new byte[BlockIo.BLOCK_SIZE];
        ByteBuffer cb = MetaBlock.le(c);
        cb.putInt(0, COMMIT);
        cb.putLong(8, seq);
        cb.putLong(16, n);
        cb.putInt(HEADER, (int) crc.getValue());
        where[d + n] = sb.journalStart + d + n;
        MetaBlock.seal(sb.uuid, where[d + n], c);
        blocks.add(c);
        io.writeAll(where, blocks);
    }

    /**
     * Empties the journal by zeroing its first descriptor, so that nothing is replayed over an
     * image written in place without it (mkfs, clean unmount, an oversized checkpoint).
     */
    void invalidate() throws IOException {
        io.write(sb.journalStart, new byte[BlockIo.BLOCK_SIZE]);
    }

    /** A committed transaction read back from the journal. */
    record Transaction(long seq, long[] targets, List<byte[]> images) {
    }

    /**
     * Reads the transaction in the journal; {@code null} when there is none or it is torn (a
     * descriptor or the commit missing, bad or of another sequence, or the CRC not matching).
     * Targets outside the device or inside the journal or past the geometry make it corrupt.
     */
    Transaction read() throws IOException {
        if (sb.journalBlocks < 3) {
            return null;
        }
        byte[] first = readBlock(sb.journalStart);
        ByteBuffer fb = MetaBlock.le(first);
        if (fb.getInt(0) != DESCRIPTOR || !MetaBlock.verify(sb.uuid, sb.journalStart, first)) {
            return null;
        }
        long seq = fb.getLong(8);
        long count = fb.getLong(16);
        if (count <= 0 || count > sb.journalBlocks || !fits((int) count)) {
            return null;
        }
        int n = (int) count;
        int d = descriptorsFor(n);
        CRC32C crc = new CRC32C();
        long[] targets = new long[n];
        for (int k = 0; k < d; k++) {
            long nr = sb.journalStart + k;
            byte[] b = k == 0 ? first : readBlock(nr);
            ByteBuffer bb = MetaBlock.le(b);
            int entries = Math.min(PER_DESCRIPTOR, n - k * PER_DESCRIPTOR);
            if (bb.getInt(0) != DESCRIPTOR || !MetaBlock.verify(sb.uuid, nr, b) || bb.getLong(8) != seq
                    || bb.getLong(16) != n || bb.getInt(4) != entries) {
                return null;
            }
            for (int e = 0; e < entries; e++) {
                targets[k * PER_DESCRIPTOR + e] = bb.getLong(HEADER + 8 * e);
            }
            crc.update(b);
        }
        List<byte[]> images = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            byte[] b = readBlock(sb.journalStart + d + k);
            crc.update(b);
            images.add(b);
        }
        long cnr = sb.journalStart + d + n;
        byte[] c = readBlock(cnr);
        ByteBuffer cb = MetaBlock.le(c);
        if (cb.getInt(0) != COMMIT || !MetaBlock.verify(sb.uuid, cnr, c) || cb.getLong(8) != seq
                || cb.getLong(16) != n || cb.getInt(HEADER) != (int) crc.getValue()) {
            return null;
        }
        for (long t : targets) {
            boolean inJournal = t >= sb.journalStart && t < sb.journalStart + sb.journalBlocks;
            if (t < 0 || t >= sb.blocksCount || inJournal) {
                throw new CorruptFsException(io.device().name() + ": journal transaction " + seq
                        + " targets block " + t + " outside the metadata area");
            }
        }
        return new Transaction(seq, targets, images);
    }

    /**
     * Mount-time recovery: replays the committed transaction left in the journal (writes its
     * blocks in place, flushes, then empties the journal) and returns its sequence number, or -1
     * when there was nothing to replay. Replaying twice writes the same blocks twice: idempotent.
     */
    long recover() throws IOException {
        Transaction t = read();
        if (t == null) {
            return -1;
        }
        LOG.info(() -> io.device().name() + ": replaying journal transaction " + t.seq() + " ("
                + t.targets().length + " blocks)");
        io.writeAll(t.targets(), t.images());
        io.flush();
        invalidate();
        io.flush();
        return t.seq();
    }

    private byte[] readBlock(long nr) throws IOException {
        byte[] b = new byte[BlockIo.BLOCK_SIZE];
        io.read(nr, b);
        return b;
    }
}
