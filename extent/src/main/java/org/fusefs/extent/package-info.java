/**
 * The extent filesystem: on-device format, block allocation, extent trees with unwritten extents,
 * every fallocate mode, and the {@link org.fusefs.extent.Vfs} file API that decides every errno.
 *
 * <h2>On-device format (4096-byte blocks, little-endian)</h2>
 * <pre>
 *   block 0                 superblock: magic, version, incompat features (extents, checksums), sizes,
 *                           UUID, label, free counts, head of the free-space chain, state, s_maxbytes
 *   1 .. journal            the metadata journal: one transaction, see below (default: 1/64 of the
 *                           device, between 16 and 8192 blocks)
 *   inode table             15 inodes of 256 bytes per block; only the blocks up to the highest inode in
 *                           use are initialized (lazy inode-table init)
 *   data area               file data and the metadata blocks below, from the free-space allocator
 * </pre>
 * Metadata blocks in the data area: extent tree index and leaf blocks (ext4's layout: 12-byte
 * header and 12-byte entries, root of four entries in the inode), and chains of blocks with a 24-byte
 * header for directory entries, xattrs, long symlink targets and the free-space map (start and
 * length of every free extent). Every metadata block, the superblock and the inode table included,
 * ends with a CRC32C over the filesystem UUID, its own block number and its contents; mount checks
 * them all, the headers, and that every data-area block is free or used exactly once, and refuses
 * the image with a {@link org.fusefs.extent.CorruptFsException} naming the block.
 *
 * <h2>In memory, and when it reaches the device</h2>
 * Inodes, directories (hash by name, ordered map by readdir cookie), extent trees and the free map
 * live in memory. File data goes through the page cache: a buffered write promises space (delayed
 * allocation; ENOSPC is reported by the write), writeback allocates blocks for whole runs of dirty
 * pages as unwritten extents, writes them, and converts them to written. Metadata reaches the device
 * only as a <em>checkpoint</em> of all of it, written by {@link org.fusefs.extent.MetadataWriter}: at
 * {@link org.fusefs.extent.ExtentFs#sync}, {@link org.fusefs.extent.ExtentFs#unmount}, fsync,
 * fdatasync and fsyncdir, and when an allocation short of space needs the blocks freed since the
 * last one. Every change of an inode marks it dirty first ({@link org.fusefs.extent.DirtyInodes},
 * as {@code ext4_mark_inode_dirty}); a checkpoint takes the dirty inodes' locks, holds every other
 * inode unchanged (their mutators wait at a gate before changing anything), writes back the dirty
 * inodes' pages (no other inode has one), so it is one consistent instant. It encodes only the
 * dirty inodes, and writes only what differs from the previous checkpoint: inode-table blocks that
 * changed, the chains and trees whose contents changed (to new blocks; unchanged ones keep theirs),
 * the free-space chain when the map changed, and the superblock. The first checkpoint after mount
 * encodes every inode (mount records what it read, so it writes only extent-tree blocks again);
 * after a checkpoint that failed the next encodes and writes all.
 *
 * <h2>The journal</h2>
 * Each checkpoint is one transaction in the journal area (jbd2's idea in its simplest form: one
 * transaction at a time, always at the start of the area, no wrap-around, no revoke records):
 * <pre>
 *   descriptor blocks   "JDSC", entries in the block, sequence number, blocks in the transaction,
 *                       then up to 508 target block numbers
 *   block images        the new contents of every target: changed inode-table blocks, new tree and
 *                       chain blocks, the free-space chain, the superblock (which records the sequence number)
 *   commit block        "JCMT", sequence number, block count, CRC32C over descriptors and images
 * </pre>
 * Order: flush (the data written back, and the previous checkpoint's writes in place, are durable);
 * descriptors, images and commit; flush (committed: this is when fsync returns); the same blocks in
 * place, not flushed (the next checkpoint's first flush covers them; until then mount replays the
 * transaction). A clean unmount flushes and empties the journal (zeroes its first block), so a
 * clean image replays nothing. Mount replays a transaction whose descriptors, commit and CRC all
 * check (writes its blocks in place, flushes, empties the journal) before it reads any metadata; a
 * torn one (commit missing, bad, or not matching) is ignored, and the image in place is the previous
 * checkpoint, complete. Replay is idempotent: a crash during replay replays again.
 *
 * <p>New tree and chain blocks always come from blocks free in the image on the device: every block
 * freed since the last checkpoint (by truncate, unlink, punch hole, collapse, or by the checkpoint
 * itself for the previous tree and chain blocks) waits in the allocator's deferred set, counted as
 * free by statfs, and becomes allocatable only after the next commit. A write or fallocate that
 * finds too little space while blocks wait commits a checkpoint and tries once more (ext4's
 * {@code ext4_should_retry_alloc}); writeback does not (it runs under page locks and dataSem, where
 * taking every inode lock could deadlock), and needs not: it allocates only space promised at
 * write(2), which never includes deferred blocks.
 *
 * <p>Crash semantics: after a crash (a killed daemon, a power cut) the image mounts and shows the
 * state of the last committed checkpoint exactly; everything fsynced (or synced) is there, data and
 * metadata (fdatasync: all but times), and changes after the last checkpoint are lost. File data
 * overwritten in place before a checkpoint shows the new bytes in the old state, as in ext4's
 * ordered mode. Two cases go without the journal and are logged: a checkpoint bigger than the
 * journal area, and one whose new metadata fits only in the blocks still waiting (the filesystem
 * nearly full); they are written in place after emptying the journal, and a crash in the middle of
 * them leaves an image that mount may refuse.
 *
 * <p>Cost: fsync is a checkpoint: it writes back the dirty pages of the inodes changed since the
 * last one, encodes those inodes (directories and xattrs in full, trees compared extent by extent),
 * encodes the free map when blocks were allocated or freed (CPU in proportion to what changed, not
 * to the number of files), writes the changed metadata blocks twice (journal, then in place), and
 * flushes the device twice. fsync
 * and fsyncdir skip the checkpoint when no metadata changed since the last one, fdatasync when only
 * times changed (an overwrite in place): then the data and one flush; concurrent fsyncs share one
 * checkpoint when it began after their changes.
 *
 * <h2>Choices where Linux filesystems differ</h2>
 * errno order of Linux 6.18 (EOPNOTSUPP for invalid fallocate mode combinations); ext4's per-mode
 * checks and s_maxbytes (16 TiB - 4 KiB); preallocation that runs out of space leaves the file as it
 * was (XFS / tmpfs; ext4 keeps a partial allocation); unwritten extents are holes for SEEK_DATA
 * unless their data waits in the page cache; atime is not updated by reads (as noatime).
 */
package org.fusefs.extent;
