package org.fusefs.extent;

import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.fusefs.pagecache.AddressSpace;
import org.fusefs.uapi.FileMode;

/**
 * One inode in memory: attributes, and depending on the type an extent tree (regular files), a
 * directory, or a symlink target; xattrs for all.
 *
 * <p>Mirrors {@code struct inode} with {@code struct ext4_inode_info}. Two locks, as in ext4:
 * {@link #lock} is {@code i_rwsem}, held by every change of size, contents or attributes and by
 * fallocate; {@link #dataSem} is {@code i_data_sem}, guarding {@link #extents} and {@link #pending}
 * and taken also by writeback and readpage, which run under page locks without the inode lock.
 * Order: namespace lock, inode lock, page lock, dataSem, allocator lock. Every change of what the
 * inode's on-device image holds marks it {@link #dirty} first ({@link DirtyInodes#mark}), so a
 * checkpoint encodes it.
 */
final class Inode {
    final long ino;
    final ReentrantLock lock = new ReentrantLock();
    final ReentrantReadWriteLock dataSem = new ReentrantReadWriteLock();
    /** filemap_invalidate_lock: shared by reads, exclusive while pages are dropped and extents edited. */
    final ReentrantReadWriteLock invalidateLock = new ReentrantReadWriteLock();

    // Attributes: written under lock (or the namespace lock for nlink), read without it.
    volatile int mode;
    volatile int uid;
    volatile int gid;
    volatile int nlink;
    volatile long size;
    /**
     * The end of the buffered write in progress, 0 when none (written under {@link #lock}). The
     * write copies into the page cache first and sets {@link #size} after, so writeback can meet
     * its freshly dirtied pages past {@code size}; it takes them as inside the file up to here
     * instead of dropping them as pages past the end (Linux avoids the window by setting i_size
     * in write_end while the page is still locked).
     */
    volatile long writeEnd;
    volatile long atimeNs;
    volatile long mtimeNs;
    volatile long ctimeNs;
    volatile long rdev;
    volatile long generation;
    /** chattr flags ({@link InodeFlags}), written under {@link #lock} and the namespace lock. */
    volatile int flags;

    /** Regular files: the block map; directories: unused in memory. Guarded by dataSem. */
    final ExtentTree extents = new ExtentTree();
    /** Blocks with dirty cached data over unwritten extents, not yet converted. Guarded by dataSem. */
    final BlockRangeSet pending = new BlockRangeSet();
    /**
     * Holes written into the cache whose blocks are promised but not allocated (delayed
     * allocation); writeback allocates them. Always a subset of {@link #pending}. Guarded by dataSem.
     */
    final BlockRangeSet delayed = new BlockRangeSet();

    /** Directories only; guarded by the namespace lock. */
    Directory dir;
    /** Symlinks only: the target bytes. */
    byte[] symlink;
    /** Xattrs by full name; guarded by lock. */
    final TreeMap<String, byte[]> xattrs = new TreeMap<>();

    /** Blocks of this inode's on-device metadata (tree blocks, chains) as last written; guarded by lock. */
    long[] metaBlocks = new long[0];
    /** What the last checkpoint wrote in {@link #metaBlocks}, or null when not known; guarded by lock. */
    MetadataWriter.Written written;
    /** Open file descriptions; guarded by lock. */
    int openCount;
    /** The page cache of a regular file, created on first use; guarded by lock. */
    volatile AddressSpace mapping;
    /**
     * Changed since the last checkpoint took its batch: written under {@link DirtyInodes}' monitor
     * (see there for the rule every change follows), read without it.
     */
    volatile boolean dirty;
    /** Set when the inode was freed; a late caller must not touch it. */
    volatile boolean freed;

    Inode(long ino, int mode) {
        this.ino = ino;
        this.mode = mode;
        if (FileMode.isDir(mode)) {
            dir = new Directory();
        }
    }

    boolean isReg() {
        return FileMode.isReg(mode);
    }

    boolean isDir() {
        return FileMode.isDir(mode);
    }

    boolean isLnk() {
        return FileMode.isLnk(mode);
    }

    int type() {
        return mode & FileMode.S_IFMT;
    }

    /** The d_type of this inode for directory entries. */
    int dtype() {
        return (mode & FileMode.S_IFMT) >>> 12;
    }

    @Override
    public String toString() {
        return "inode " + ino + " mode " + Integer.toOctalString(mode) + " size " + size;
    }
}
