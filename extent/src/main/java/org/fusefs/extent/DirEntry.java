package org.fusefs.extent;

/**
 * One directory entry as readdir returns it: {@code nextOffset} is the cookie that resumes the
 * listing after this entry, stable across concurrent creates and deletes.
 */
public record DirEntry(String name, long ino, int type, long nextOffset) {
}
