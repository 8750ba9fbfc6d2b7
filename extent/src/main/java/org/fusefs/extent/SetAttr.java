package org.fusefs.extent;

/**
 * The attribute changes of one {@code setattr} call; {@code null} leaves a field as it is.
 * Times may be {@link #NOW}, meaning the current time.
 */
public record SetAttr(Integer mode, Integer uid, Integer gid, Long size, Long atimeNs, Long mtimeNs) {
    /** A time value that means "now" ({@code UTIME_NOW}). */
    public static final long NOW = Long.MIN_VALUE;

    public static SetAttr mode(int mode) {
        return new SetAttr(mode, null, null, null, null, null);
    }

    public static SetAttr owner(Integer uid, Integer gid) {
        return new SetAttr(null, uid, gid, null, null, null);
    }

    public static SetAttr size(long size) {
        return new SetAttr(null, null, null, size, null, null);
    }

    public static SetAttr times(Long atimeNs, Long mtimeNs) {
        return new SetAttr(null, null, null, null, atimeNs, mtimeNs);
    }
}
