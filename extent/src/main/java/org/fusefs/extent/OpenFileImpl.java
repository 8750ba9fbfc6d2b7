package org.fusefs.extent;

import org.fusefs.pagecache.Errseq;

/** One open file description of this filesystem: the inode, the flags, the write-back error cursor. */
final class OpenFileImpl implements OpenFile {
    final Inode inode;
    private final int flags;
    /** Sampled at open; fsync reports write-back errors seen since (null for non-regular files). */
    final Errseq.Cursor cursor;
    volatile boolean released;

    OpenFileImpl(Inode inode, int flags, Errseq.Cursor cursor) {
        this.inode = inode;
        this.flags = flags;
        this.cursor = cursor;
    }

    @Override
    public long ino() {
        return inode.ino;
    }

    @Override
    public int flags() {
        return flags;
    }

    @Override
    public String toString() {
        return "open ino " + inode.ino + " flags 0" + Integer.toOctalString(flags);
    }
}
