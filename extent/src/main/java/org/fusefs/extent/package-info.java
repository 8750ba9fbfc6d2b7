/**
 * The extent filesystem: on-device format, block allocation, extent trees with unwritten extents,
 * every fallocate mode, and the {@link org.fusefs.extent.Vfs} file API that decides every errno.
 *
 * <h2>On-device format (4096-byte blocks, little-endian)</h2>
 * <pre>
 *   block 0                 superblock: magic, version, incompat features (extents, checksums), sizes,
 *                           UUID, label, free counts, head of the free-space chain, state, s_maxbytes
 *   1 .. journal            reserved for the journal (a later issue); never written yet
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
 * live in memory; {@link org.fusefs.extent.ExtentFs#sync} and {@link org.fusefs.extent.ExtentFs#unmount}
 * write all of them. File data goes through the page cache: a buffered write promises space (delayed
 * allocation; ENOSPC is reported by the write), writeback allocates blocks for whole runs of dirty
 * pages as unwritten extents, writes them, and converts them to written. A sync writes one
 * consistent image even while files change (it holds every inode lock and writes back first).
 * fsync writes a file's data back but not the metadata. Until the journal exists, a crash loses
 * metadata changes since the last sync, and a crash during sync leaves an image that mount refuses.
 *
 * <h2>Choices where Linux filesystems differ</h2>
 * errno order of Linux 6.18 (EOPNOTSUPP for invalid fallocate mode combinations); ext4's per-mode
 * checks and s_maxbytes (16 TiB - 4 KiB); preallocation that runs out of space leaves the file as it
 * was (XFS / tmpfs; ext4 keeps a partial allocation); unwritten extents are holes for SEEK_DATA
 * unless their data waits in the page cache; atime is not updated by reads (as noatime).
 */
package org.fusefs.extent;
