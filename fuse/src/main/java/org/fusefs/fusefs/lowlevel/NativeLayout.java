package org.fusefs.fusefs.lowlevel;

import com.kenai.jffi.MemoryIO;
import org.fusefs.extent.InodeAttr;
import org.fusefs.extent.StatFs;

/**
 * Offsets and sizes of the libfuse 2.9 and glibc structs the low-level adapter reads and writes by
 * hand (x86_64, {@code _FILE_OFFSET_BITS=64}); {@code LowLevelLayoutTest} checks every constant
 * against the headers compiled with gcc. Writers put our records straight into native memory.
 */
final class NativeLayout {
    // struct stat
    static final int STAT_SIZE = 144;
    static final int ST_INO = 8;
    static final int ST_NLINK = 16;
    static final int ST_MODE = 24;
    static final int ST_UID = 28;
    static final int ST_GID = 32;
    static final int ST_RDEV = 40;
    static final int ST_SIZE = 48;
    static final int ST_BLKSIZE = 56;
    static final int ST_BLOCKS = 64;
    static final int ST_ATIME = 72;
    static final int ST_ATIME_NSEC = 80;
    static final int ST_MTIME = 88;
    static final int ST_MTIME_NSEC = 96;
    static final int ST_CTIME = 104;
    static final int ST_CTIME_NSEC = 112;

    // struct statvfs
    static final int STATVFS_SIZE = 112;
    static final int F_BSIZE = 0;
    static final int F_FRSIZE = 8;
    static final int F_BLOCKS = 16;
    static final int F_BFREE = 24;
    static final int F_BAVAIL = 32;
    static final int F_FILES = 40;
    static final int F_FFREE = 48;
    static final int F_FAVAIL = 56;
    static final int F_FSID = 64;
    static final int F_FLAG = 72;
    static final int F_NAMEMAX = 80;

    // struct fuse_entry_param
    static final int ENTRY_SIZE = 176;
    static final int ENTRY_INO = 0;
    static final int ENTRY_GENERATION = 8;
    static final int ENTRY_ATTR = 16;
    static final int ENTRY_ATTR_TIMEOUT = 160;
    static final int ENTRY_ENTRY_TIMEOUT = 168;

    // struct fuse_file_info
    static final int FI_SIZE = 40;
    static final int FI_FLAGS = 0;
    static final int FI_BITS = 20;
    static final int FI_FH = 24;
    /** Bits of the bit-field word at {@link #FI_BITS}. */
    static final int FI_DIRECT_IO = 1;
    static final int FI_KEEP_CACHE = 2;

    // struct fuse_entry_out, struct fuse_attr and struct fuse_open_out (linux/fuse.h, protocol
    // 7.9 and later): the wire form of an open or create reply, written whole because libfuse
    // 2.9's fuse_file_info has no bit for FOPEN_NOFLUSH
    static final int ENTRY_OUT_SIZE = 128;
    static final int EO_NODEID = 0;
    static final int EO_GENERATION = 8;
    static final int EO_ENTRY_VALID = 16;
    static final int EO_ATTR_VALID = 24;
    static final int EO_ENTRY_VALID_NSEC = 32;
    static final int EO_ATTR_VALID_NSEC = 36;
    static final int EO_ATTR = 40;
    static final int FA_INO = 0;
    static final int FA_SIZE = 8;
    static final int FA_BLOCKS = 16;
    static final int FA_ATIME = 24;
    static final int FA_MTIME = 32;
    static final int FA_CTIME = 40;
    static final int FA_ATIMENSEC = 48;
    static final int FA_MTIMENSEC = 52;
    static final int FA_CTIMENSEC = 56;
    static final int FA_MODE = 60;
    static final int FA_NLINK = 64;
    static final int FA_UID = 68;
    static final int FA_GID = 72;
    static final int FA_RDEV = 76;
    static final int FA_BLKSIZE = 80;
    static final int OPEN_OUT_SIZE = 16;
    static final int OO_FH = 0;
    static final int OO_OPEN_FLAGS = 8;
    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final int FOPEN_CACHE_DIR = 1 << 3;
    static final int FOPEN_NOFLUSH = 1 << 5;

    // struct fuse_ctx
    static final int CTX_UID = 0;
    static final int CTX_GID = 4;
    static final int CTX_PID = 8;
    static final int CTX_UMASK = 12;

    // struct fuse_conn_info
    static final int CONN_MAX_WRITE = 12;
    static final int CONN_MAX_READAHEAD = 16;
    static final int CONN_CAPABLE = 20;
    static final int CONN_WANT = 24;
    static final int FUSE_CAP_BIG_WRITES = 1 << 5;
    static final int FUSE_CAP_IOCTL_DIR = 1 << 11;

    // struct fuse_dirent (fuse_kernel.h): the READDIR reply record
    static final int DIRENT_INO = 0;
    static final int DIRENT_OFF = 8;
    static final int DIRENT_NAMELEN = 16;
    static final int DIRENT_TYPE = 20;
    static final int DIRENT_NAME = 24;

    // struct fuse_forget_data
    static final int FORGET_DATA_SIZE = 16;

    // struct fuse_args
    static final int ARGS_SIZE = 24;
    static final int ARGS_ARGC = 0;
    static final int ARGS_ARGV = 8;
    static final int ARGS_ALLOCATED = 16;

    // struct fuse_buf
    static final int FUSE_BUF_SIZE = 40;
    static final int FUSE_BUF_FLAGS = 8;
    static final int FUSE_BUF_MEM = 16;
    static final int FUSE_BUF_FD = 24;
    static final int FUSE_BUF_POS = 32;
    /** fuse_buf.flags: the data is in a file descriptor (splice), not in mem. */
    static final int FUSE_BUF_IS_FD = 1 << 1;

    // setattr's to_set bits
    static final int SET_ATTR_MODE = 1;
    static final int SET_ATTR_UID = 1 << 1;
    static final int SET_ATTR_GID = 1 << 2;
    static final int SET_ATTR_SIZE = 1 << 3;
    static final int SET_ATTR_ATIME = 1 << 4;
    static final int SET_ATTR_MTIME = 1 << 5;
    static final int SET_ATTR_ATIME_NOW = 1 << 7;
    static final int SET_ATTR_MTIME_NOW = 1 << 8;

    private static final long NS = 1_000_000_000L;
    private static final MemoryIO IO = MemoryIO.getInstance();

    private NativeLayout() {
    }

    /** Fills the {@code struct stat} at {@code st} (all 144 bytes are written). */
    static void writeStat(InodeAttr a, long st) {
        IO.setMemory(st, STAT_SIZE, (byte) 0);
        IO.putLong(st + ST_INO, a.ino());
        IO.putLong(st + ST_NLINK, a.nlink());
        IO.putInt(st + ST_MODE, a.mode());
        IO.putInt(st + ST_UID, a.uid());
        IO.putInt(st + ST_GID, a.gid());
        IO.putLong(st + ST_RDEV, a.rdev());
        IO.putLong(st + ST_SIZE, a.size());
        IO.putLong(st + ST_BLKSIZE, a.blksize());
        IO.putLong(st + ST_BLOCKS, a.blocks());
        IO.putLong(st + ST_ATIME, Math.floorDiv(a.atimeNs(), NS));
        IO.putLong(st + ST_ATIME_NSEC, Math.floorMod(a.atimeNs(), NS));
        IO.putLong(st + ST_MTIME, Math.floorDiv(a.mtimeNs(), NS));
        IO.putLong(st + ST_MTIME_NSEC, Math.floorMod(a.mtimeNs(), NS));
        IO.putLong(st + ST_CTIME, Math.floorDiv(a.ctimeNs(), NS));
        IO.putLong(st + ST_CTIME_NSEC, Math.floorMod(a.ctimeNs(), NS));
    }

    /** Fills the {@code struct fuse_entry_param} at {@code e} for {@code a}. */
    static void writeEntry(InodeAttr a, long e, double attrTimeout, double entryTimeout) {
        IO.putLong(e + ENTRY_INO, a.ino());
        IO.putLong(e + ENTRY_GENERATION, a.generation());
        writeStat(a, e + ENTRY_ATTR);
        IO.putDouble(e + ENTRY_ATTR_TIMEOUT, attrTimeout);
        IO.putDouble(e + ENTRY_ENTRY_TIMEOUT, entryTimeout);
    }

    /**
     * Fills the {@code struct fuse_entry_out} at {@code e} (all {@link #ENTRY_OUT_SIZE} bytes) as
     * libfuse's fill_entry would: a device number keeps its low 32 bits, as on the wire.
     */
    static void writeEntryOut(InodeAttr a, long e, long entryValidSeconds, long attrValidSeconds) {
        IO.setMemory(e, ENTRY_OUT_SIZE, (byte) 0);
        IO.putLong(e + EO_NODEID, a.ino());
        IO.putLong(e + EO_GENERATION, a.generation());
        IO.putLong(e + EO_ENTRY_VALID, entryValidSeconds);
        IO.putLong(e + EO_ATTR_VALID, attrValidSeconds);
        long fa = e + EO_ATTR;
        IO.putLong(fa + FA_INO, a.ino());
        IO.putLong(fa + FA_SIZE, a.size());
        IO.putLong(fa + FA_BLOCKS, a.blocks());
        IO.putLong(fa + FA_ATIME, Math.floorDiv(a.atimeNs(), NS));
        IO.putLong(fa + FA_MTIME, Math.floorDiv(a.mtimeNs(), NS));
        IO.putLong(fa + FA_CTIME, Math.floorDiv(a.ctimeNs(), NS));
        IO.putInt(fa + FA_ATIMENSEC, (int) Math.floorMod(a.atimeNs(), NS));
        IO.putInt(fa + FA_MTIMENSEC, (int) Math.floorMod(a.mtimeNs(), NS));
        IO.putInt(fa + FA_CTIMENSEC, (int) Math.floorMod(a.ctimeNs(), NS));
        IO.putInt(fa + FA_MODE, a.mode());
        IO.putInt(fa + FA_NLINK, a.nlink());
        IO.putInt(fa + FA_UID, a.uid());
        IO.putInt(fa + FA_GID, a.gid());
        IO.putInt(fa + FA_RDEV, (int) a.rdev());
        IO.putInt(fa + FA_BLKSIZE, a.blksize());
    }

    /** Fills the {@code struct fuse_open_out} at {@code o}. */
    static void writeOpenOut(long o, long fh, int openFlags) {
        IO.putLong(o + OO_FH, fh);
        IO.putInt(o + OO_OPEN_FLAGS, openFlags);
        IO.putInt(o + OO_OPEN_FLAGS + 4, 0);
    }

    /** Fills the {@code struct statvfs} at {@code st}. */
    static void writeStatvfs(StatFs s, long st) {
        IO.setMemory(st, STATVFS_SIZE, (byte) 0);
        IO.putLong(st + F_BSIZE, s.blockSize());
        IO.putLong(st + F_FRSIZE, s.blockSize());
        IO.putLong(st + F_BLOCKS, s.blocks());
        IO.putLong(st + F_BFREE, s.freeBlocks());
        IO.putLong(st + F_BAVAIL, s.availBlocks());
        IO.putLong(st + F_FILES, s.files());
        IO.putLong(st + F_FFREE, s.freeFiles());
        IO.putLong(st + F_FAVAIL, s.freeFiles());
        IO.putLong(st + F_FSID, s.fsid());
        IO.putLong(st + F_NAMEMAX, s.nameMax());
    }
}
