package org.fusefs.extent;

/** Filesystem figures for {@code statfs(2)}. */
public record StatFs(int blockSize, long blocks, long freeBlocks, long availBlocks, long files,
        long freeFiles, int nameMax, long fsid) {
}
