/**
 * The block layer: {@link org.fusefs.block.BlockDevice}, {@link org.fusefs.block.Bio} made of page
 * segments, the {@link org.fusefs.block.RequestQueue} with bounded depth that every device serves
 * its requests through, {@link org.fusefs.block.BlkStatus} with its errno table, the
 * {@link org.fusefs.block.BackingFile} a file-backed device reads and writes, and
 * {@link org.fusefs.block.BlockIo} for synchronous byte-range metadata I/O.
 *
 * <p>Mirrors {@code block/} and {@code include/linux/blk_types.h}. Devices live in
 * {@code org.fusefs.block.brd} (the RAM disk) and {@code org.fusefs.block.loop} (the image-file
 * device; the loop device later). Nothing here imports the filesystem.
 *
 * <p>Threads: any thread may submit; completions run on a queue worker. A completion must not wait
 * for room in the queue it completes from. No lock of this package is held while a driver or a
 * completion runs, so the block layer sits below the page lock and the allocator lock in the lock
 * order (inode, page, allocator) and takes nothing above them.
 */
package org.fusefs.block;
