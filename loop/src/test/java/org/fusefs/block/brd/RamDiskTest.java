package org.fusefs.block.brd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import org.fusefs.block.Bio;
import org.fusefs.block.BioVec;
import org.fusefs.block.BlkIOException;
import org.fusefs.block.BlkStatus;
import org.fusefs.block.BlockIo;
import org.fusefs.block.ReqOp;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.MfResult;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RamDiskTest {
    private static final long MIB = 1 << 20;

    private PhysicalMemory memory;
    private RamDisk disk;
    private BlockIo io;

    @BeforeEach
    void setUp() {
        memory = PhysicalMemory.create(MemoryConfig.builder().bytes(64 * MIB).build());
        disk = new RamDisk("ram0", 256 * MIB, memory);
        io = new BlockIo(disk, memory);
    }

    @AfterEach
    void tearDown() {
        disk.close();
        memory.close();
    }

    @Test
    void neverWrittenRangeReadsZerosAndHoldsNoMemory() throws Exception {
        long free = memory.nrFreePages();
        byte[] b = io.read(100 * MIB + 123, 70_000);
        assertArrayEquals(new byte[70_000], b);
        assertEquals(0, disk.nrPages());
        assertEquals(free, memory.nrFreePages(), "a read of a hole must not allocate");
    }

    @Test
    void writtenPagesShowInMemoryAndReturnOnDiscardAndClose() throws Exception {
        long free = memory.nrFreePages();
        byte[] data = random(1, 5 * Page.SIZE);
        io.write(8 * Page.SIZE, data);
        assertEquals(5, disk.nrPages());
        assertEquals(free - 5, memory.nrFreePages(), "five disk pages in use");
        assertArrayEquals(data, io.read(8 * Page.SIZE, data.length));

        io.discard(9 * Page.SIZE, 2 * Page.SIZE);
        assertEquals(3, disk.nrPages());
        assertEquals(free - 3, memory.nrFreePages(), "discard gave two pages back");
        assertArrayEquals(new byte[2 * Page.SIZE], io.read(9 * Page.SIZE, 2 * Page.SIZE));

        disk.close();
        assertEquals(free, memory.nrFreePages(), "close gave every page back");
    }

    @Test
    void unalignedByteRangesRoundTrip() throws Exception {
        Random r = new Random(7);
        byte[] model = new byte[64 * 1024];
        for (int step = 0; step < 200; step++) {
            int pos = r.nextInt(model.length - 1);
            int len = 1 + r.nextInt(Math.min(9000, model.length - pos));
            byte[] d = new byte[len];
            r.nextBytes(d);
            System.arraycopy(d, 0, model, pos, len);
            io.write(pos, d);
            int rp = r.nextInt(model.length - 1);
            int rl = 1 + r.nextInt(model.length - rp);
            byte[] got = io.read(rp, rl);
            byte[] want = Arrays.copyOfRange(model, rp, rp + rl);
            assertArrayEquals(want, got, "seed 7 step " + step);
        }
    }

    @Test
    void writeZeroesClearsPartialPagesAndFreesWholeOnes() throws Exception {
        byte[] data = random(2, 4 * Page.SIZE);
        io.write(0, data);
        io.writeZeroes(1024, 2 * Page.SIZE + 512);
        byte[] want = data.clone();
        Arrays.fill(want, 1024, 1024 + 2 * Page.SIZE + 512, (byte) 0);
        assertArrayEquals(want, io.read(0, data.length));
        assertEquals(3, disk.nrPages(), "page 1 was wholly zeroed and freed");
    }

    @Test
    void ioPastTheEndNamesTheSector() {
        long sectors = disk.capacity() / 512;
        BlkIOException e = assertThrows(BlkIOException.class, () -> io.read(disk.capacity() - 512, 1024));
        assertEquals(BlkStatus.IOERR, e.status());
        assertTrue(e.getMessage().contains("ram0: sector " + (sectors - 1) + " beyond end"), e.getMessage());
        assertTrue(e.getMessage().contains("capacity " + sectors + " sectors"), e.getMessage());
        BlkIOException d = assertThrows(BlkIOException.class, () -> io.discard(disk.capacity(), 4096));
        assertTrue(d.getMessage().contains("sector " + sectors), d.getMessage());
    }

    @Test
    void misalignedLengthIsInvalid() throws Exception {
        Page p = memory.allocPage(MigrateType.UNMOVABLE);
        try {
            Bio bio = Bio.of(ReqOp.WRITE, 0, List.of(new BioVec(p, 0, 100)));
            BlkIOException e = assertThrows(BlkIOException.class, () -> bio.submitAndWait(disk));
            assertEquals(BlkStatus.INVAL, e.status());
            assertTrue(e.getMessage().contains("length 100 at sector 0"), e.getMessage());
        } finally {
            memory.freePages(p);
        }
    }

    @Test
    void flushSucceeds() throws Exception {
        io.write(0, random(3, 4096));
        io.flush();
        assertEquals(1, disk.nrPages());
    }

    @Test
    void memoryFailureLosesThePageAndReadsFailWithMedium() throws Exception {
        byte[] data = random(4, 3 * Page.SIZE);
        io.write(0, data);
        long free = memory.nrFreePages();
        Page victim = findDiskPage(1);
        assertEquals(MfResult.RECOVERED, memory.poison(victim.pfn()));
        assertEquals(2, disk.nrPages());
        assertEquals(1, disk.nrLostPages());

        BlkIOException e = assertThrows(BlkIOException.class, () -> io.read(Page.SIZE + 512, 512));
        assertEquals(BlkStatus.MEDIUM, e.status());
        assertTrue(e.getMessage().contains("sector 8 lost"), e.getMessage());
        assertArrayEquals(Arrays.copyOf(data, Page.SIZE), io.read(0, Page.SIZE), "neighbours intact");

        byte[] fresh = random(5, Page.SIZE);
        io.write(Page.SIZE, fresh);
        assertArrayEquals(fresh, io.read(Page.SIZE, Page.SIZE), "a whole-page write replaces lost data");
        assertEquals(0, disk.nrLostPages());
        disk.close();
        // Pages 0 and 2 and the fresh page 1 come back; the poisoned frame never does.
        assertEquals(free + 2, memory.nrFreePages());
    }

    @Test
    void eightThreadsOfBiosCompleteExactlyOnce() throws Exception {
        long free = memory.nrFreePages();
        try (RamDisk small = new RamDisk("ram1", 16 * MIB, memory, 32, 2)) {
            Page page = memory.allocPage(MigrateType.UNMOVABLE);
            try {
                org.fusefs.block.BlockDeviceStress.run(8, 3000, 11, small::submit, small.capacity() / 512, page);
            } finally {
                memory.freePages(page);
            }
            assertEquals(0, small.queue().inFlight());
            assertEquals(free - small.nrPages(), memory.nrFreePages(), "every disk page is counted once");
        }
        assertEquals(free, memory.nrFreePages(), "close gave every page back");
    }

    @Test
    void racingFirstWritesToOnePageInstallOnePageAndLeakNone() throws Exception {
        long free = memory.nrFreePages();
        for (int round = 0; round < 50; round++) {
            long index = round;
            CyclicBarrier start = new CyclicBarrier(4);
            List<Thread> ts = new ArrayList<>();
            AtomicReference<Throwable> err = new AtomicReference<>();
            for (int t = 0; t < 4; t++) {
                byte[] d = new byte[Page.SIZE];
                Arrays.fill(d, (byte) (t + 1));
                ts.add(new Thread(() -> {
                    try {
                        start.await();
                        io.write(index * Page.SIZE, d);
                    } catch (Throwable e) {
                        err.compareAndSet(null, e);
                    }
                }));
            }
            ts.forEach(Thread::start);
            for (Thread t : ts) {
                t.join();
            }
            if (err.get() != null) {
                throw new AssertionError("round " + round, err.get());
            }
            byte[] got = io.read(index * Page.SIZE, Page.SIZE);
            byte first = got[0];
            assertTrue(first >= 1 && first <= 4, "round " + round + ": page holds one writer's bytes");
            assertEquals(round + 1, disk.nrPages(), "round " + round + ": one page per written index");
        }
        assertEquals(free - 50, memory.nrFreePages(), "losers of the insert race gave their pages back");
    }

    @Test
    void threadsOnTheirOwnRegionsReadBackTheirOwnBytes() throws Exception {
        int threads = 8;
        int region = 1 << 20;
        List<Thread> ts = new ArrayList<>();
        AtomicReference<Throwable> err = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int tid = t;
            ts.add(new Thread(() -> {
                long seed = 100 + tid;
                Random r = new Random(seed);
                byte[] model = new byte[region];
                long base = (long) tid * region;
                try {
                    for (int step = 0; step < 150; step++) {
                        int pos = r.nextInt(region - 1);
                        int len = 1 + r.nextInt(Math.min(20_000, region - pos));
                        byte[] d = new byte[len];
                        r.nextBytes(d);
                        System.arraycopy(d, 0, model, pos, len);
                        io.write(base + pos, d);
                        if (step % 10 == 9) {
                            io.discard(base + 8 * Page.SIZE, 2 * Page.SIZE);
                            Arrays.fill(model, 8 * Page.SIZE, 10 * Page.SIZE, (byte) 0);
                        }
                        int rp = r.nextInt(region - 1);
                        int rl = 1 + r.nextInt(Math.min(50_000, region - rp));
                        assertArrayEquals(Arrays.copyOfRange(model, rp, rp + rl), io.read(base + rp, rl),
                                "seed " + seed + " step " + step);
                    }
                } catch (Throwable e) {
                    err.compareAndSet(null, e);
                }
            }));
        }
        ts.forEach(Thread::start);
        for (Thread t : ts) {
            t.join();
        }
        if (err.get() != null) {
            throw new AssertionError(err.get());
        }
    }

    private Page findDiskPage(long index) {
        for (long pfn = 0; pfn < memory.totalPages(); pfn++) {
            Page p = memory.pfnToPage(pfn);
            if (p.mapping() == disk && p.index() == index) {
                return p;
            }
        }
        throw new AssertionError("no disk page with index " + index);
    }

    static byte[] random(long seed, int len) {
        byte[] b = new byte[len];
        new Random(seed).nextBytes(b);
        return b;
    }
}
