package org.fusefs.extent;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.fusefs.block.Bio;
import org.fusefs.block.BioVec;
import org.fusefs.block.BlkStatus;
import org.fusefs.block.BlockDevice;

/** A sparse in-memory block device that completes bios synchronously; for tests of on-disk structures. */
final class TestDevice implements BlockDevice {
    private static final int BS = 4096;
    private final ConcurrentHashMap<Long, byte[]> blocks = new ConcurrentHashMap<>();
    /** Held shared by each write, exclusively by a snapshot: a snapshot is one instant. */
    private final ReentrantReadWriteLock instant = new ReentrantReadWriteLock();
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
        boolean write = bio.op() == org.fusefs.block.ReqOp.WRITE;
        if (write) {
            instant.readLock().lock();
        }
        try {
            transfer(bio, pos);
        } finally {
            if (write) {
                instant.readLock().unlock();
            }
        }
        bio.complete(BlkStatus.OK, null);
    }

    private void transfer(Bio bio, long pos) {
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
    }

    /**
     * A copy of the stored image at one instant: every write completed before it, none begun after,
     * as the device would hold them after a power cut then.
     */
    TestDevice snapshot(String newName) {
        TestDevice t = new TestDevice(newName, capacity);
        instant.writeLock().lock();
        try {
            blocks.forEach((k, v) -> t.blocks.put(k, v.clone()));
        } finally {
            instant.writeLock().unlock();
        }
        return t;
    }

    /** A copy of block {@code nr} as stored (null: never written, reads as zeros). */
    byte[] block(long nr) {
        byte[] b = blocks.get(nr);
        return b == null ? null : b.clone();
    }

    /** Stores {@code b} (null: never written) as block {@code nr}, as a power cut undoing a write would. */
    void restore(long nr, byte[] b) {
        if (b == null) {
            blocks.remove(nr);
        } else {
            blocks.put(nr, b.clone());
        }
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
