package org.fusefs.extent;

/** An open file description: the inode, the open flags, and the write-back error cursor. */
public interface OpenFile {
    long ino();

    int flags();
}
