package org.fusefs.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.Test;

class RequestQueueTest {
    private static final long CAPACITY = 1 << 20;

    @Test
    void fullQueueMakesTheSubmitterWaitUntilATagIsFree() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger served = new AtomicInteger();
        RequestQueue q = new RequestQueue("gated", CAPACITY, 4, 1, bio -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            served.incrementAndGet();
        });
        try {
            List<Bio> bios = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Bio b = flush();
                bios.add(b);
                q.submit(b); // takes a tag without waiting
            }
            assertEquals(4, q.inFlight());
            Bio fifth = flush();
            Thread submitter = new Thread(() -> q.submit(fifth), "fifth-submitter");
            submitter.start();
            waitForState(submitter, Thread.State.WAITING);
            assertTrue(submitter.isAlive(), "the fifth submitter must wait while all 4 tags are taken");
            assertNull(fifth.status(), "the fifth bio is neither queued nor failed while waiting");
            assertEquals(4, q.inFlight());

            gate.countDown();
            submitter.join(5000);
            fifth.await();
            for (Bio b : bios) {
                b.await();
            }
            assertEquals(5, served.get());
            assertEquals(1, q.nrWaits(), "one submission found the queue full");
        } finally {
            gate.countDown();
            q.close();
        }
        assertEquals(0, q.inFlight());
    }

    @Test
    void closeDrainsQueuedRequestsAndRefusesNewOnes() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RequestQueue q = new RequestQueue("drain", CAPACITY, 8, 1, bio -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        List<Bio> bios = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Bio b = flush();
            bios.add(b);
            q.submit(b);
        }
        Thread closer = new Thread(q::close);
        closer.start();
        gate.countDown();
        closer.join(5000);
        for (Bio b : bios) {
            assertEquals(BlkStatus.OK, b.status(), "queued before close, served before close returned");
        }
        Bio late = flush();
        q.submit(late);
        assertEquals(BlkStatus.IOERR, late.status());
        assertTrue(late.errorDetail().contains("drain: device is closing"), late.errorDetail());
    }

    @Test
    void quiescedQueueHoldsRequestsUntilWoken() throws Exception {
        AtomicInteger served = new AtomicInteger();
        RequestQueue q = new RequestQueue("quiet", CAPACITY, 8, 2, bio -> served.incrementAndGet());
        try {
            q.quiesce();
            List<Bio> bios = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Bio b = flush();
                bios.add(b);
                q.submit(b);
            }
            Thread.sleep(50);
            assertEquals(0, served.get(), "nothing dispatched while quiesced");
            assertEquals(5, q.inFlight());
            q.unquiesce();
            for (Bio b : bios) {
                b.await();
            }
            assertEquals(5, served.get());
        } finally {
            q.close();
        }
    }

    @Test
    void closeDrainsAQuiescedQueue() throws Exception {
        RequestQueue q = new RequestQueue("quiet-close", CAPACITY, 8, 1, bio -> { });
        q.quiesce();
        Bio b = flush();
        q.submit(b);
        q.close();
        assertEquals(BlkStatus.OK, b.status());
    }

    @Test
    void driverFailureCompletesOnceWithItsStatus() throws Exception {
        RequestQueue q = new RequestQueue("failing", CAPACITY, 2, 1, bio -> {
            throw new BlkIOException(BlkStatus.MEDIUM, "failing: sector " + bio.sector() + " unreadable");
        });
        try {
            Bio b = new Bio(ReqOp.DISCARD, 8, List.of(), 4096, null);
            q.submit(b);
            BlkIOException e = org.junit.jupiter.api.Assertions.assertThrows(BlkIOException.class, b::await);
            assertEquals(BlkStatus.MEDIUM, e.status());
            assertEquals("failing: sector 8 unreadable", b.errorDetail());
        } finally {
            q.close();
        }
    }

    @Test
    void aPoolOfWorkersCompletesEveryBioExactlyOnceUnderManySubmitters() throws Exception {
        PhysicalMemory memory = PhysicalMemory.create(MemoryConfig.builder().bytes(8L << 20).build());
        Page page = memory.allocPage(MigrateType.UNMOVABLE);
        AtomicInteger served = new AtomicInteger();
        RequestQueue q = new RequestQueue("pool", CAPACITY, 16, 3, bio -> served.incrementAndGet());
        try {
            BlockDeviceStress.run(8, 4000, 42, q::submit, CAPACITY / 512, page);
        } finally {
            q.close();
            memory.freePages(page);
            memory.close();
        }
    }

    @Test
    void directIssueServesOnTheSubmitterUnlessQuiescedAndCloseWaitsForIt() throws Exception {
        List<String> servedOn = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch inDriver = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RequestQueue q = new RequestQueue("direct", CAPACITY, 4, 1, bio -> {
            servedOn.add(Thread.currentThread().getName());
            if (bio.sector() == 8) {
                inDriver.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        }, true);
        try {
            Bio idle = flush();
            q.submit(idle);
            assertEquals(BlkStatus.OK, idle.status(), "served before submit returned");
            assertEquals(Thread.currentThread().getName(), servedOn.get(0), "an idle queue serves on the submitter");

            q.quiesce();
            Bio held = flush();
            q.submit(held);
            assertNull(held.status(), "a quiesced queue dispatches nothing, directly or not");
            assertEquals(1, q.inFlight());
            q.unquiesce();
            held.await();
            assertEquals("direct-rq0", servedOn.get(1), "a queued bio is served by a worker");

            Bio slow = new Bio(ReqOp.READ, 8, List.of(), 0, null);
            Thread submitter = new Thread(() -> q.submit(slow), "slow-submitter");
            submitter.start();
            assertTrue(inDriver.await(5, TimeUnit.SECONDS));
            assertEquals("slow-submitter", servedOn.get(2));
            Thread closer = new Thread(q::close, "closer");
            closer.start();
            waitForState(closer, Thread.State.WAITING);
            closer.join(200);
            assertTrue(closer.isAlive(), "close waits for a request served by its submitter");
            release.countDown();
            closer.join(5000);
            submitter.join(5000);
            assertEquals(BlkStatus.OK, slow.status());
            assertEquals(0, q.inFlight());
            assertEquals(3, q.nrCompleted());
        } finally {
            release.countDown();
            q.close();
        }
    }

    private static Bio flush() {
        return new Bio(ReqOp.FLUSH, 0, List.of(), 0, null);
    }

    private static void waitForState(Thread t, Thread.State want) throws InterruptedException {
        // One read of the state per check: a waiting thread passes through BLOCKED when it is
        // woken to take a monitor again (Thread.join inside close), so a second read can differ.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Thread.State seen;
        while ((seen = t.getState()) != want && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(want, seen, t.getName());
    }
}
