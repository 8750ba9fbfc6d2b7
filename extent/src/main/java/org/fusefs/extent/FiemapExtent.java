package org.fusefs.extent;

/** One extent of a file's map, as FIEMAP reports it; byte units. */
public record FiemapExtent(long logical, long physical, long length, boolean unwritten, boolean last) {
}
