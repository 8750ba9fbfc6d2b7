package org.fusefs.pagecache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import com.kenai.jffi.MemoryIO;
import org.fusefs.memory.page.Page;
import org.fusefs.memory.page.PageFlag;
import org.junit.jupiter.api.Test;

class SpliceReadTest {
    private static final MemoryIO IO = MemoryIO.getInstance();

    private static byte[] fill(TestStore store, int pages, long seed) {
        byte[] all = store.fillRandom(pages, seed);
        store.size = all.length;
        return all;
    }

    /** The bytes a splice read of {@code [pos, pos + len)} lends, checked against {@code all}. */
    private static byte[] lendAndCheck(AddressSpace as, SpliceRead sr, byte[] all, long pos, int len, String where)
            throws IOException {
        AtomicReference<byte[]> got = new AtomicReference<>();
        int n = as.spliceRead(pos, len, all.length, sr, s -> got.set(collect(s, new ArrayList<>(), as, pos)));
        int expect = (int) Math.max(0, Math.min(len, all.length - pos));
        assertEquals(expect, n, "count " + where + ": pos " + pos + " len " + len);
        assertArrayEquals(java.util.Arrays.copyOfRange(all, (int) Math.min(pos, all.length), (int) Math.min(pos, all.length) + expect),
                got.get(), "bytes " + where + ": pos " + pos);
        return got.get();
    }

    /** Gathers what the actor was lent, and checks every lent page is locked while it runs. */
    private static byte[] collect(SpliceRead s, List<Page> seen, AddressSpace as, long pos) {
        int total = 0;
        for (int i = 0; i < s.count(); i++) {
            total += s.length(i);
        }
        byte[] out = new byte[total];
        int at = 0;
        for (int i = 0; i < s.count(); i++) {
            IO.getByteArray(s.address(i), out, at, s.length(i));
            Page p = as.findPage((pos + at) >>> Page.SHIFT);
            assertTrue(p.test(PageFlag.LOCKED), "lent page " + p.index() + " is locked");
            seen.add(p);
            at += s.length(i);
        }
        return out;
    }

    @Test
    void lendsTheBytesReadWouldCopyAtAnyAlignmentAndUnlocksAfter() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            byte[] all = fill(store, 96, 21);
            AddressSpace as = f.cache.newAddressSpace(store, "splice");
            SpliceRead sr = new SpliceRead(1); // grows on demand
            Random r = new Random(22);
            for (int step = 0; step < 300; step++) {
                long pos = r.nextInt(all.length + 2 * Page.SIZE);
                int len = r.nextInt(40 * Page.SIZE);
                List<Page> seen = new ArrayList<>();
                AtomicReference<byte[]> got = new AtomicReference<>();
                int n = as.spliceRead(pos, len, all.length, sr, s -> got.set(collect(s, seen, as, pos)));
                int expect = (int) Math.max(0, Math.min(len, all.length - pos));
                assertEquals(expect, n, "count at step " + step + " (seed 22): pos " + pos + " len " + len);
                byte[] want = new byte[expect];
                if (expect > 0) {
                    System.arraycopy(all, (int) pos, want, 0, expect);
                }
                assertArrayEquals(want, got.get(), "bytes at step " + step + " (seed 22): pos " + pos);
                for (Page p : seen) {
                    assertFalse(p.test(PageFlag.LOCKED), "page " + p.index() + " unlocked at step " + step);
                }
                assertEquals(0, sr.count());
            }
        }
    }

    @Test
    void truncateWaitsForTheActorAndTheLentFramesKeepTheirData() throws Exception {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            byte[] all = fill(store, 16, 23);
            AddressSpace as = f.cache.newAddressSpace(store, "trunc");
            SpliceRead sr = new SpliceRead(4);
            CountDownLatch lent = new CountDownLatch(1);
            CountDownLatch truncating = new CountDownLatch(1);
            AtomicBoolean truncated = new AtomicBoolean();
            Thread t = new Thread(() -> {
                try {
                    lent.await();
                    truncating.countDown();
                    as.truncateRange(0, Long.MAX_VALUE, false);
                    truncated.set(true);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            t.start();
            AtomicReference<byte[]> got = new AtomicReference<>();
            as.spliceRead(0, 8 * Page.SIZE, all.length, sr, s -> {
                lent.countDown();
                try {
                    truncating.await();
                    Thread.sleep(100); // the truncate is now waiting on the first lent page
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                assertFalse(truncated.get(), "truncate finished while pages were lent");
                got.set(collect(s, new ArrayList<>(), as, 0));
            });
            t.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(t.isAlive(), "truncate still blocked after the pages were returned");
            assertTrue(truncated.get());
            byte[] want = new byte[8 * Page.SIZE];
            System.arraycopy(all, 0, want, 0, want.length);
            assertArrayEquals(want, got.get());
            assertEquals(0, as.nrPages());
        }
    }

    @Test
    void anActorFailureUnlocksThePagesAndPropagates() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            byte[] all = fill(store, 8, 24);
            AddressSpace as = f.cache.newAddressSpace(store, "fail");
            SpliceRead sr = new SpliceRead(8);
            List<Page> seen = new ArrayList<>();
            IOException boom = new IOException("reply failed");
            IOException e = assertThrows(IOException.class, () -> as.spliceRead(0, all.length, all.length, sr, s -> {
                collect(s, seen, as, 0);
                throw boom;
            }));
            assertSame(boom, e);
            assertEquals(8, seen.size());
            for (Page p : seen) {
                assertFalse(p.test(PageFlag.LOCKED), "page " + p.index());
            }
            // The same instance serves the next read.
            lendAndCheck(as, sr, all, Page.SIZE, 10, "after the failure");
        }
    }

    @Test
    void aReadErrorOnTheFirstPageThrowsAndLaterOnesShortenTheCount() throws IOException {
        try (Fixture f = new Fixture()) {
            TestStore store = new TestStore();
            byte[] all = fill(store, 64, 25);
            AddressSpace as = f.cache.newAddressSpace(store, "err");
            SpliceRead sr = new SpliceRead(8);
            store.failReads.set(1000);
            AtomicBoolean called = new AtomicBoolean();
            assertThrows(IOException.class, () -> as.spliceRead(0, 4 * Page.SIZE, all.length, sr, s -> called.set(true)));
            assertFalse(called.get(), "the actor ran for a failed read");
            store.failReads.set(0);
            // Cache pages 0..1 only, then let every further device read fail.
            byte[] two = new byte[2 * Page.SIZE];
            as.read(0, two, 0, two.length, all.length);
            as.truncateRange(2L * Page.SIZE, Long.MAX_VALUE, false);
            store.failReads.set(1000);
            AtomicReference<byte[]> got = new AtomicReference<>();
            int n = as.spliceRead(100, 4 * Page.SIZE, all.length, sr, s -> got.set(collect(s, new ArrayList<>(), as, 100)));
            assertEquals(2 * Page.SIZE - 100, n);
            byte[] want = new byte[n];
            System.arraycopy(all, 100, want, 0, n);
            assertArrayEquals(want, got.get());
        }
    }

    @Test
    void lendingWhileReadaheadReclaimsInASmallCoreNeitherDeadlocksNorCorrupts() throws IOException {
        // 4 MiB of memory, a 16 MiB file: every lent span's readahead allocates under reclaim
        // while this thread holds the span's earlier pages locked.
        try (Fixture f = new Fixture(4L << 20, PageCacheConfig.builder().dirtyExpire(Duration.ofSeconds(30))
                .workerIdle(Duration.ofMillis(200)).build())) {
            TestStore store = new TestStore();
            byte[] all = fill(store, 4096, 26);
            AddressSpace as = f.cache.newAddressSpace(store, "big");
            SpliceRead sr = new SpliceRead(33);
            for (int pass = 0; pass < 2; pass++) {
                for (long pos = 0; pos < all.length; pos += 128 * 1024) {
                    lendAndCheck(as, sr, all, pos, 128 * 1024, "in pass " + pass + " (seed 26)");
                }
            }
            assertTrue(f.cache.stats().reclaimed() > 0, "the core was too large to force reclaim");
        }
    }
}
