package org.fusefs.block.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Random;
import org.fusefs.block.BlkIOException;
import org.fusefs.block.BlkStatus;
import org.fusefs.block.BlockDeviceStress;
import org.fusefs.block.BlockIo;
import org.fusefs.memory.MemoryConfig;
import org.fusefs.memory.PhysicalMemory;
import org.fusefs.memory.buddy.MigrateType;
import org.fusefs.memory.page.Page;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageFileDeviceTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;
    private PhysicalMemory memory;

    @BeforeEach
    void setUp() {
        memory = PhysicalMemory.create(MemoryConfig.builder().bytes(64 * MIB).build());
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private ImageFileDevice create(String name, long capacity, boolean direct) throws IOException {
        return ImageFileDevice.create(dir.resolve(name),
                ImageFileDevice.Options.defaults().withCapacity(capacity).withDirectIO(direct));
    }

    @ParameterizedTest(name = "directIO={0}")
    @ValueSource(booleans = {false, true})
    void newImageIsSparseAndReadsZeros(boolean direct) throws Exception {
        try (ImageFileDevice dev = create("sparse.img", 256 * MIB, direct)) {
            BlockIo io = new BlockIo(dev, memory);
            assertEquals(256 * MIB, dev.capacity());
            assertEquals(direct, dev.directIO());
            assertArrayEquals(new byte[100_000], io.read(100 * MIB + 7, 100_000));
            byte[] d = random(1, 8192);
            io.write(200 * MIB, d);
            io.flush();
            assertArrayEquals(d, io.read(200 * MIB, d.length));
        }
        long blocks = allocatedBytes(dir.resolve("sparse.img"));
        assertTrue(blocks < 1 * MIB, "256 MiB image with 8 KiB written allocates " + blocks + " bytes on the host");
    }

    @ParameterizedTest(name = "directIO={0}")
    @ValueSource(booleans = {false, true})
    void writesReachTheHostFileAfterFlush(boolean direct) throws Exception {
        Path img = dir.resolve("data.img");
        byte[] d = random(2, 3 * 4096 + 1000);
        try (ImageFileDevice dev = create("data.img", 16 * MIB, direct)) {
            BlockIo io = new BlockIo(dev, memory);
            io.write(5 * MIB + 300, d);
            io.flush();
        }
        byte[] host = new byte[d.length];
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
            f.seek(5 * MIB + 300);
            f.readFully(host);
        }
        assertArrayEquals(d, host);
        try (ImageFileDevice again = ImageFileDevice.open(img, ImageFileDevice.Options.defaults())) {
            assertEquals(16 * MIB, again.capacity());
            assertArrayEquals(d, new BlockIo(again, memory).read(5 * MIB + 300, d.length));
        }
    }

    @ParameterizedTest(name = "directIO={0}")
    @ValueSource(booleans = {false, true})
    void discardPunchesAHole(boolean direct) throws Exception {
        Path img = dir.resolve("punch.img");
        try (ImageFileDevice dev = create("punch.img", 16 * MIB, direct)) {
            BlockIo io = new BlockIo(dev, memory);
            io.write(4 * MIB, random(3, (int) (2 * MIB)));
            io.flush();
            long before = allocatedBytes(img);
            assertTrue(before >= 2 * MIB, "written 2 MiB, allocated " + before);
            io.discard(4 * MIB, 2 * MIB);
            long after = allocatedBytes(img);
            assertTrue(after < 64 * 1024, "after discard " + after + " bytes stay allocated");
            assertArrayEquals(new byte[(int) (2 * MIB)], io.read(4 * MIB, (int) (2 * MIB)));
            assertEquals(16 * MIB, Files.size(img), "discard keeps the size");
        }
    }

    @Test
    void writeZeroesZeroesTheRange() throws Exception {
        try (ImageFileDevice dev = create("zero.img", 16 * MIB, false)) {
            BlockIo io = new BlockIo(dev, memory);
            byte[] d = random(4, 64 * 1024);
            io.write(0, d);
            io.writeZeroes(4096 + 512, 8192);
            byte[] want = d.clone();
            Arrays.fill(want, 4096 + 512, 4096 + 512 + 8192, (byte) 0);
            assertArrayEquals(want, io.read(0, d.length));
        }
    }

    @Test
    void ioPastTheEndNamesFileAndSector() throws Exception {
        try (ImageFileDevice dev = create("small.img", 1 * MIB, false)) {
            BlockIo io = new BlockIo(dev, memory);
            BlkIOException e = assertThrows(BlkIOException.class, () -> io.write(1 * MIB, new byte[512]));
            assertEquals(BlkStatus.IOERR, e.status());
            assertTrue(e.getMessage().contains(dir.resolve("small.img") + ": sector 2048 beyond end"), e.getMessage());
            assertTrue(e.getMessage().contains("capacity 2048 sectors"), e.getMessage());
        }
    }

    @Test
    void missingImageIsNamed() {
        Path img = dir.resolve("nope.img");
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> ImageFileDevice.open(img, ImageFileDevice.Options.defaults()));
        assertTrue(e.getMessage().contains(img.toString()), e.getMessage());
    }

    @Test
    void directoryAsImageIsNamed() throws Exception {
        Path img = Files.createDirectory(dir.resolve("adir.img"));
        IOException e = assertThrows(IOException.class,
                () -> ImageFileDevice.open(img, ImageFileDevice.Options.defaults()));
        assertTrue(e.getMessage().contains(img.toString()) && e.getMessage().contains("not a regular file"),
                e.getMessage());
    }

    @Test
    void unreadableImageIsNamed() throws Exception {
        Path img = dir.resolve("locked.img");
        Files.write(img, new byte[8192]);
        // Root ignores mode bits, but not the immutable attribute: opening for writing gives EPERM.
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            String out = runStatus("chattr", "+i", img.toString());
            if (out != null) {
                // Only a host without the immutable attribute may skip, and never in CI.
                assertFalse("true".equals(System.getenv("CI")), "chattr +i failed in CI: " + out);
                assumeTrue(false, "chattr +i unsupported here: " + out);
            }
        } else {
            Files.setPosixFilePermissions(img, PosixFilePermissions.fromString("---------"));
        }
        try {
            AccessDeniedException e = assertThrows(AccessDeniedException.class,
                    () -> ImageFileDevice.open(img, ImageFileDevice.Options.defaults()));
            assertTrue(e.getMessage().contains(img.toString()), e.getMessage());
        } finally {
            if (root) {
                run("chattr", "-i", img.toString());
            }
        }
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        String out = runStatus(cmd);
        assertNull(out, out);
    }

    // Returns null on success, else the command and its output.
    private static String runStatus(String... cmd) throws IOException, InterruptedException {
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes());
        return proc.waitFor() == 0 ? null : String.join(" ", cmd) + ": " + out;
    }

    @Test
    void tooSmallImageIsNamed() throws Exception {
        Path img = dir.resolve("tiny.img");
        Files.write(img, new byte[100]);
        IOException e = assertThrows(IOException.class,
                () -> ImageFileDevice.open(img, ImageFileDevice.Options.defaults()));
        assertTrue(e.getMessage().contains(img + ": image too small: 100 bytes"), e.getMessage());

        Files.write(img, new byte[8192]);
        IOException e2 = assertThrows(IOException.class,
                () -> ImageFileDevice.open(img, ImageFileDevice.Options.defaults().withCapacity(MIB)));
        assertTrue(e2.getMessage().contains(img + ": image too small: 8192 bytes, need 1048576"), e2.getMessage());
    }

    @Test
    void readOnlyImageRefusesWrites() throws Exception {
        create("ro.img", MIB, false).close();
        try (ImageFileDevice dev = ImageFileDevice.open(dir.resolve("ro.img"),
                ImageFileDevice.Options.defaults().withReadOnly(true))) {
            BlockIo io = new BlockIo(dev, memory);
            assertArrayEquals(new byte[512], io.read(0, 512));
            BlkIOException e = assertThrows(BlkIOException.class, () -> io.write(0, new byte[512]));
            assertTrue(e.getMessage().contains("WRITE at sector 0 on a read-only image"), e.getMessage());
        }
    }

    @ParameterizedTest(name = "directIO={0}")
    @ValueSource(booleans = {false, true})
    void eightThreadsOfBiosCompleteExactlyOnce(boolean direct) throws Exception {
        try (ImageFileDevice dev = ImageFileDevice.create(dir.resolve("stress.img"),
                ImageFileDevice.Options.defaults().withCapacity(16 * MIB).withDirectIO(direct).withQueue(32, 3))) {
            Page page = memory.allocPage(MigrateType.UNMOVABLE);
            try {
                BlockDeviceStress.run(8, 2000, 12, dev::submit, dev.capacity() / 512, page);
            } finally {
                memory.freePages(page);
            }
            assertEquals(0, dev.queue().inFlight());
        }
    }

    static long allocatedBytes(Path p) throws IOException, InterruptedException {
        Process proc = new ProcessBuilder("stat", "-c", "%b %B", p.toString()).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes()).trim();
        assertEquals(0, proc.waitFor(), out);
        String[] f = out.split(" ");
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }

    static byte[] random(long seed, int len) {
        byte[] b = new byte[len];
        new Random(seed).nextBytes(b);
        return b;
    }
}
