package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fusefs.uapi.FileMode;
import org.junit.jupiter.api.Test;

/** The gate of {@link DirtyInodes}, step by step with a second thread as the checkpoint. */
class DirtyInodesTest {
    private static Inode inode(long ino) {
        return new Inode(ino, FileMode.S_IFREG | 0644);
    }

    /** Runs {@code r} on a new thread and waits for it. */
    private static <T> T on(java.util.function.Supplier<T> r) throws Exception {
        return CompletableFuture.supplyAsync(r, runnable -> new Thread(runnable).start()).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aMarkBeforeTheGateClosesIsInTheBatchOnce() {
        DirtyInodes d = new DirtyInodes();
        assertTrue(d.all(), "after mount the first checkpoint encodes every inode");
        Inode a = inode(5);
        d.mark(a);
        d.mark(a);
        List<Inode> batch = d.close();
        assertFalse(d.all());
        assertEquals(List.of(a), batch);
        assertTrue(a.dirty, "the mark stays set until the checkpoint cleans the inode under its lock");
        d.mark(a); // already dirty: returns at once, even with the gate closed
        d.clean(a);
        d.open(false);
        assertFalse(a.dirty);
        assertEquals(List.of(), d.close());
        d.open(true);
        assertTrue(d.all(), "after a failed checkpoint the next encodes every inode");
    }

    @Test
    void aMarkOfACleanInodeWaitsWhileTheGateIsClosed() throws Exception {
        DirtyInodes d = new DirtyInodes();
        Inode a = inode(7);
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread checkpoint = new Thread(() -> {
            d.close();
            closed.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            d.open(false);
        });
        checkpoint.start();
        closed.await();
        Thread mutator = new Thread(() -> d.mark(a));
        mutator.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (mutator.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(Thread.State.WAITING, mutator.getState(), "the mark must wait at the closed gate");
        assertFalse(a.dirty, "not marked while the checkpoint runs");
        release.countDown();
        mutator.join(10_000);
        assertFalse(mutator.isAlive(), "the mark goes on once the gate opens");
        assertTrue(a.dirty);
        checkpoint.join();
        assertEquals(List.of(a), d.close(), "the next checkpoint takes it");
    }

    @Test
    void anAtimeMarkWhileTheGateIsClosedJoinsTheNextBatch() throws Exception {
        DirtyInodes d = new DirtyInodes();
        Inode a = inode(9);
        d.close();
        // The checkpoint's own thread never waits at its gate.
        d.mark(inode(3));
        // A reader on another thread: no wait, and no mark a mutator could take for "in the batch".
        on(() -> {
            d.markTimes(a);
            return null;
        });
        assertFalse(a.dirty);
        d.open(false);
        assertTrue(a.dirty);
        List<Inode> next = d.close();
        assertTrue(next.contains(a), "the atime change joins the next batch: " + next);
    }
}
