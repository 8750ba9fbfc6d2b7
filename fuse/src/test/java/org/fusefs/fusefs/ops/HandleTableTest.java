package org.fusefs.fusefs.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.junit.jupiter.api.Test;

class HandleTableTest {
    private final HandleTable table = new HandleTable();

    private FileHandle open(long ino) {
        return table.install(fh -> new FileHandle(fh, ino, null));
    }

    @Test
    void installedHandle_isFoundByItsFh() {
        FileHandle h = open(7);
        assertNotEquals(0, h.fh(), "fh 0 means no handle to libfuse");
        assertSame(h, table.get(h.fh()));
        assertEquals(1, table.size());
    }

    @Test
    void removedHandle_isEbadf_andItsSlotReuseGetsANewFh() {
        FileHandle a = open(1);
        assertSame(a, table.remove(a.fh()));
        ErrnoException e = assertThrows(ErrnoException.class, () -> table.get(a.fh()));
        assertEquals(Errno.EBADF, e.errno());
        FileHandle b = open(2);
        assertEquals((int) a.fh(), (int) b.fh(), "slot reused");
        assertNotEquals(a.fh(), b.fh(), "generation differs");
        assertThrows(ErrnoException.class, () -> table.get(a.fh()));
        assertThrows(ErrnoException.class, () -> table.remove(a.fh()));
        assertSame(b, table.get(b.fh()));
    }

    @Test
    void neverIssuedHandles_areEbadf() {
        for (long fh : new long[] {0, -1, 1, 1L << 40, Long.MAX_VALUE}) {
            assertEquals(Errno.EBADF, assertThrows(ErrnoException.class, () -> table.get(fh)).errno(), "fh " + fh);
        }
    }

    @Test
    void tableGrows_andKeepsEveryHandle() {
        List<FileHandle> hs = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            hs.add(open(i));
        }
        for (int i = 0; i < hs.size(); i++) {
            assertSame(hs.get(i), table.get(hs.get(i).fh()), "handle " + i);
            assertEquals(i, table.get(hs.get(i).fh()).ino());
        }
        assertEquals(1000, table.size());
    }

    @Test
    void concurrentInstallAndRemove_neverLoseOrDuplicateAHandle() throws Exception {
        long seed = 42;
        Set<Long> issued = ConcurrentHashMap.newKeySet();
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            Random rnd = new Random(seed + t);
            ts[t] = new Thread(() -> {
                List<FileHandle> mine = new ArrayList<>();
                for (int i = 0; i < 20_000; i++) {
                    if (mine.isEmpty() || rnd.nextBoolean()) {
                        FileHandle h = open(i);
                        assertTrue(issued.add(h.fh()), "fh issued twice: " + h.fh() + " (seed " + seed + ")");
                        mine.add(h);
                    } else {
                        FileHandle h = mine.remove(rnd.nextInt(mine.size()));
                        assertSame(h, table.get(h.fh()));
                        table.remove(h.fh());
                    }
                }
                for (FileHandle h : mine) {
                    assertSame(h, table.get(h.fh()), "seed " + seed);
                    table.remove(h.fh());
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(0, table.size());
        assertTrue(new HashSet<>(issued).size() > 1000);
    }
}
