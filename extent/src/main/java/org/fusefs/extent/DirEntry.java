package org.fusefs.extent;

/**
 * One directory entry as readdir returns it: {@code nextOffset} is the cookie that resumes the
 * listing after this entry, stable across concurrent creates and deletes. {@code type} is the
 * d_type: the file-type bits of the mode shifted right by 12 (DT_FIFO 1, DT_CHR 2, DT_DIR 4,
 * DT_BLK 6, DT_REG 8, DT_LNK 10, DT_SOCK 12).
 */
public record DirEntry(String name, long ino, int type, long nextOffset) {
}
