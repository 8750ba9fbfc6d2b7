package org.fusefs.fusefs.ops;

/**
 * The live figures of the mounted filesystem that the command-line tool reads through ioctls:
 * implemented over the filesystem's memory core, page cache and device.
 */
public interface FsIntrospection {

    /** buddyinfo, pagetypeinfo, meminfo, page-cache counters and device usage, as text. */
    String statReport();

    /** The page_owner report of the memory core. */
    String pageOwnerReport();

    /** Outcome of {@link #hwpoison}. {@code result} is an MfResult ordinal, -1 when nothing was done. */
    record Poison(long pfn, int result, String message) {
    }

    /** Injects a memory failure on the page frame caching byte {@code offset} of inode {@code ino}. */
    Poison hwpoison(long ino, long offset);

    /** A filesystem with no memory figures. */
    FsIntrospection NONE = new FsIntrospection() {
        @Override
        public String statReport() {
            return "";
        }

        @Override
        public String pageOwnerReport() {
            return "page_owner: not available\n";
        }

        @Override
        public Poison hwpoison(long ino, long offset) {
            return new Poison(-1, -1, "memory failure injection not available");
        }
    };
}
