package org.fusefs.block;

/**
 * A block device: a capacity in 512-byte sectors and a queue that takes {@link Bio}s.
 *
 * <p>Mirrors {@code struct block_device} with its {@code gendisk} and request queue. Submission is
 * asynchronous; {@link Bio#submitAndWait} is the synchronous form. When the device's queue is full
 * {@link #submit} waits for room: a full queue is a state, not an error.
 */
public interface BlockDevice extends AutoCloseable {
    int SECTOR_SIZE = 512;

    /** A name for messages ("ram0", the image path). */
    String name();

    /** Capacity in bytes, a multiple of {@link #physicalBlockSize()}. */
    long capacity();

    default int logicalBlockSize() {
        return SECTOR_SIZE;
    }

    default int physicalBlockSize() {
        return 4096;
    }

    /**
     * Queues {@code bio}; its completion runs exactly once, possibly on another thread. I/O past
     * the capacity completes with {@link BlkStatus#IOERR} and a message naming the sector.
     */
    void submit(Bio bio);

    /** Releases the device; in-flight bios complete first. */
    @Override
    void close();
}
