package org.fusefs.extent;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When a checkpoint is committed besides sync and unmount: by fsync, fdatasync and fsyncdir (unless
 * one already covers their changes), and by an allocation short of space while freed blocks wait
 * for one. Counts changes of metadata to tell.
 *
 * <p>Two generations count changes, each bumped after the change is made, never before: all
 * metadata changes ({@code metaGen}), and those fdatasync must commit ({@code dataSyncGen}: all but
 * changes of times alone). A checkpoint reads both just before it closes the gate of
 * {@link DirtyInodes}: a change counted by then was made by then, and marked its inode dirty before
 * it was made, so the inode is in the batch, whose locks the checkpoint takes before it encodes;
 * the checkpoint covers it. Once committed it records them. fsync reads its generation after writing
 * back its data: when a committed checkpoint read one at least as high, nothing it must commit is
 * missing (jbd2's group commit, for free) and only a device flush remains.
 *
 * <p>Locking: the generations are atomics. {@link #commit} and {@link #forSpace} take the
 * filesystem's lifecycle monitor and then every lock the metadata writer takes, so their callers
 * hold no filesystem lock: they are called from the file API's entry points only.
 */
final class Checkpoints {
    private final ExtentFs fs;
    private final AtomicLong metaGen = new AtomicLong(1);
    private final AtomicLong dataSyncGen = new AtomicLong(1);
    /** The generations the last committed checkpoint read (0: none since mount); monotonic. */
    private volatile long checkpointedGen;
    private volatile long checkpointedDataSyncGen;

    Checkpoints(ExtentFs fs) {
        this.fs = fs;
    }

    /** Counts a change of metadata; called after the change is made. */
    void metadataChanged() {
        dataSyncGen.incrementAndGet();
        metaGen.incrementAndGet();
    }

    /** Counts a change of times alone, which fdatasync does not commit. */
    void timesChanged() {
        metaGen.incrementAndGet();
    }

    /** The current generations {all, fdatasync's}, read by a checkpoint before it closes its gate. */
    long[] generations() {
        return new long[] {metaGen.get(), dataSyncGen.get()};
    }

    /** Called by a checkpoint once committed: the generations it read are on the device. */
    void checkpointed(long[] gens) {
        checkpointedGen = gens[0];
        checkpointedDataSyncGen = gens[1];
    }

    /**
     * fsync's, fdatasync's and fsyncdir's commit, after the caller wrote back its data: when it
     * returns, every change counted before the call (with {@code datasync} all but changes of times
     * alone) and all data written back before it are on the device.
     */
    void commit(boolean datasync, String why) {
        fs.checkMounted();
        long want = datasync ? dataSyncGen.get() : metaGen.get();
        try {
            if (!covered(want, datasync)) {
                synchronized (fs.lifecycle) {
                    fs.checkMounted();
                    if (!covered(want, datasync)) {
                        // Its first flush makes the data written back so far durable.
                        MetadataWriter.write(fs, Superblock.STATE_MOUNTED);
                        return;
                    }
                }
            }
            // Data written back after the covering checkpoint's first flush (an overwrite in place
            // changes no metadata) still needs one.
            fs.io.flush();
        } catch (IOException e) {
            throw ExtentFs.eio(why + ": checkpoint of " + fs.io.device().name(), e);
        }
    }

    private boolean covered(long want, boolean datasync) {
        return (datasync ? checkpointedDataSyncGen : checkpointedGen) >= want;
    }

    /**
     * Whether an allocation that found too little space may succeed after a checkpoint: blocks
     * freed since the last one wait for it ({@code ext4_should_retry_alloc}).
     */
    boolean shouldRetryAlloc() {
        return fs.alloc.deferredBlocks() > 0;
    }

    /**
     * Commits a checkpoint so that the blocks freed since the last one become allocatable (an
     * allocation short of space); nothing to do when another thread's checkpoint released them.
     */
    void forSpace(String why) {
        fs.checkMounted();
        try {
            synchronized (fs.lifecycle) {
                fs.checkMounted();
                if (fs.alloc.deferredBlocks() > 0) {
                    MetadataWriter.write(fs, Superblock.STATE_MOUNTED);
                }
            }
        } catch (IOException e) {
            throw ExtentFs.eio(why + ": checkpoint of " + fs.io.device().name(), e);
        }
    }
}
