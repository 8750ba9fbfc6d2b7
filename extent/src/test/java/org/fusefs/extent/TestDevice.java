package org.fusefs.extent;

import java.util.concurrent.ConcurrentHashMap;
import org.fusefs.block.Bio;
import org.fusefs.block.BioVec;
import org.fusefs.block.BlkStatus;
import org.fusefs.block.BlockDevice;

/** A sparse in-memory block device that completes bios synchronously; for tests of on-disk structures. */
final class TestDevice implements BlockDevice {
    private static final int BS = 4096;
    private final ConcurrentHashMap<Long, byte[]> blocks = new ConcurrentHashMap<>();
    private final long capacity;
    private final String name;

    TestDevice(String name, long capacity) {
        this.name = name;
        this.capacity = capacity;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public void submit(Bio bio) {
        long pos = bio.sector() * SECTOR_SIZE;
        if (pos + bio.size() > capacity) {
            bio.complete(BlkStatus.IOERR, name + ": sector " + bio.sector() + " beyond capacity");
            return;
        }
        switch (bio.op()) {
            case READ, WRITE -> {
                for (BioVec v : bio.vecs()) {
                    int done = 0;
                    while (done < v.length()) {
                        long blk = (pos + done) / BS;
                        int in = (int) ((pos + done) % BS);
                        int n = Math.min(BS - in, v.length() - done);
                        if (bio.op() == org.fusefs.block.ReqOp.READ) {
                            byte[] b = blocks.get(blk);
                            if (b == null) {
                                v.page().zero(v.offset() + done, n);
                            } else {
                                v.page().copyFrom(b, in, v.offset() + done, n);
                            }
                        } else {
                            byte[] b = blocks.computeIfAbsent(blk, k -> new byte[BS]);
                            v.page().copyTo(v.offset() + done, b, in, n);
                        }
                        done += n;
                    }
                    pos += v.length();
                }
            }
            default -> {
            }
        }
        bio.complete(BlkStatus.OK, null);
    }

    /** A copy of the stored image as it is now (blocks being written meanwhile may be torn). */
    TestDevice snapshot(String newName) {
        TestDevice t = new TestDevice(newName, capacity);
        blocks.forEach((k, v) -> t.blocks.put(k, v.clone()));
        return t;
    }

    /** Flips one byte of the stored image (corruption tests). */
    void flip(long block, int offset) {
        byte[] b = blocks.computeIfAbsent(block, k -> new byte[BS]);
        b[offset] ^= 0x5a;
    }

    @Override
    public void close() {
    }
}
