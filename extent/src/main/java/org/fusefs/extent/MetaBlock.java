package org.fusefs.extent;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The checksum every metadata block carries in its last four bytes: CRC32C over the filesystem
 * UUID, the block's own number and the first 4092 bytes, so that a flipped bit and a block written
 * to the wrong place are both caught (the seed idea of ext4's {@code metadata_csum}).
 */
final class MetaBlock {
    static final int CSUM_OFFSET = BlockIo.BLOCK_SIZE - 4;

    private MetaBlock() {
    }

    static int checksum(byte[] uuid, long blockNr, byte[] block) {
        CRC32C c = new CRC32C();
        c.update(uuid);
        for (int i = 0; i < 8; i++) {
            c.update((int) (blockNr >>> (8 * i)) & 0xff);
        }
        c.update(block, 0, CSUM_OFFSET);
        return (int) c.getValue();
    }

    /** Stores the checksum of {@code block} as block {@code blockNr}. */
    static void seal(byte[] uuid, long blockNr, byte[] block) {
        ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).putInt(CSUM_OFFSET, checksum(uuid, blockNr, block));
    }

    /** Whether the stored checksum matches. */
    static boolean verify(byte[] uuid, long blockNr, byte[] block) {
        int stored = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).getInt(CSUM_OFFSET);
        return stored == checksum(uuid, blockNr, block);
    }

    static ByteBuffer le(byte[] block) {
        return ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
    }
}
