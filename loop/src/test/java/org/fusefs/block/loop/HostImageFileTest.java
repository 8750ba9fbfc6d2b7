package org.fusefs.block.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.kenai.jffi.MemoryIO;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostImageFileTest {
    private static final MemoryIO IO = MemoryIO.getInstance();

    @TempDir
    Path dir;
    private long region;

    @AfterEach
    void free() {
        if (region != 0) {
            IO.freeMemory(region);
        }
    }

    // Frames over our own native memory, so the test controls alignment and adjacency.
    private Page[] frames(int n, int misalign, boolean adjacent) {
        region = IO.allocateMemory((long) (2 * n + 2) * Page.SIZE, true);
        long base = ((region + Page.SIZE - 1) & -Page.SIZE) + misalign;
        Page[] pages = new Page[n];
        for (int i = 0; i < n; i++) {
            // Non-adjacent frames skip a page between them, so every frame is its own run.
            pages[i] = new Page(i, base + (long) i * Page.SIZE * (adjacent ? 1 : 2));
        }
        return pages;
    }

    @ParameterizedTest(name = "directIO={0} misalign={1} adjacent={2}")
    @CsvSource({"false,0,true", "false,16,false", "true,0,true", "true,0,false", "true,16,true", "true,16,false"})
    void pageArraysRoundTrip(boolean direct, int misalign, boolean adjacent) throws Exception {
        Path p = dir.resolve("f.img");
        byte[] data = new byte[5 * Page.SIZE - 1024];
        new Random(21).nextBytes(data);
        try (HostImageFile f = HostImageFile.create(p, 1 << 20, direct)) {
            Page[] src = frames(5, misalign, adjacent);
            put(src, 512, data);
            assertEquals(data.length, f.write(src, 512, data.length, 8192));
            f.fsync(true);
            Page[] dst = new Page[5];
            for (int i = 0; i < 5; i++) {
                dst[i] = src[i];
                dst[i].zero(0, Page.SIZE);
            }
            f.read(dst, 512, data.length, 8192);
            assertArrayEquals(data, get(dst, 512, data.length));
        }
        byte[] host = Arrays.copyOfRange(Files.readAllBytes(p), 8192, 8192 + data.length);
        assertArrayEquals(data, host);
    }

    @Test
    void readPastEndOfFileGivesZeros() throws Exception {
        Path p = dir.resolve("short.img");
        Files.write(p, new byte[] {1, 2, 3});
        try (HostImageFile f = HostImageFile.open(p, true, false)) {
            Page[] pg = frames(1, 0, true);
            IO.setMemory(pg[0].address(), Page.SIZE, (byte) 0x7f);
            f.read(pg, 0, Page.SIZE, 0);
            byte[] want = new byte[Page.SIZE];
            want[0] = 1;
            want[1] = 2;
            want[2] = 3;
            assertArrayEquals(want, get(pg, 0, Page.SIZE));
        }
    }

    @Test
    void createRefusesAnExistingFileAndErrorsNameThePath() throws Exception {
        Path p = dir.resolve("exists.img");
        Files.write(p, new byte[4096]);
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> HostImageFile.create(p, 4096, false));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void writeToAReadOnlyFileNamesPathAndPosition() throws Exception {
        Path p = dir.resolve("ro.img");
        Files.write(p, new byte[8192]);
        try (HostImageFile f = HostImageFile.open(p, true, false)) {
            Page[] pg = frames(1, 0, true);
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> f.write(pg, 0, 4096, 4096));
            assertTrue(e.getMessage().contains(p + ": pwrite of 4096 bytes at byte 4096 failed (EBADF"),
                    e.getMessage());
        }
    }

    private static void put(Page[] pages, int off, byte[] data) {
        int done = 0;
        for (int i = 0; done < data.length; i++) {
            int n = Math.min(data.length - done, Page.SIZE - off);
            pages[i].copyFrom(data, done, off, n);
            done += n;
            off = 0;
        }
    }

    private static byte[] get(Page[] pages, int off, int len) {
        byte[] out = new byte[len];
        int done = 0;
        for (int i = 0; done < len; i++) {
            int n = Math.min(len - done, Page.SIZE - off);
            pages[i].copyTo(off, out, done, n);
            done += n;
            off = 0;
        }
        return out;
    }
}
