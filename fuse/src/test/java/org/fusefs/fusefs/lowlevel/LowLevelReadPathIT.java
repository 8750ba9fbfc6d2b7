package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Through a real mount: reads answered from lent cache pages return the file's bytes at any
 * offset and length, and missing names are cached by the kernel as negative dentries without
 * ever hiding a name created, linked or renamed later.
 */
class LowLevelReadPathIT {
    @RegisterExtension
    static final TestMount FS = new TestMount("fusefs-read-it", 128L << 20, 32L << 20);

    @Test
    void readsAtRandomOffsetsAndLengthsReturnTheFileBytes() throws Exception {
        // 48 MiB through a 32 MiB memory core: reads miss, read ahead and reclaim while lending.
        long seed = 31;
        Random r = new Random(seed);
        byte[] data = new byte[(48 << 20) + 123];
        r.nextBytes(data);
        Path f = FS.mp().resolve("random.bin");
        Files.write(f, data);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer all = ByteBuffer.allocate(data.length);
            while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
                // sequential, in the kernel's 128 KiB requests
            }
            assertArrayEquals(data, all.array(), "sequential read-back (seed " + seed + ")");
            for (int step = 0; step < 400; step++) {
                long pos = (long) (r.nextDouble() * (data.length + 8192));
                int len = 1 + r.nextInt(300_000);
                ByteBuffer b = ByteBuffer.allocate(len);
                int n = 0;
                int got;
                while (b.hasRemaining() && (got = ch.read(b, pos + n)) > 0) {
                    n += got;
                }
                int expect = (int) Math.max(0, Math.min(len, data.length - pos));
                assertEquals(expect, n, "count at step " + step + " (seed " + seed + "), pos " + pos + " len " + len);
                for (int k = 0; k < n; k++) {
                    if (b.get(k) != data[(int) pos + k]) {
                        throw new AssertionError("byte " + k + " at step " + step + " (seed " + seed + "), pos " + pos);
                    }
                }
            }
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void missingNamesAreCachedButNeverHideANewName() throws Exception {
        Path d = Files.createDirectories(FS.mp().resolve("neg"));
        Path missing = d.resolve("missing");
        assertFalse(Files.exists(missing));
        long before = FS.requests();
        for (int i = 0; i < 200; i++) {
            assertFalse(Files.exists(missing));
        }
        long asked = FS.requests() - before;
        assertTrue(asked < 20, "200 lookups of a missing name reached the daemon " + asked + " times");

        Files.writeString(missing, "now here");
        assertEquals("now here", Files.readString(missing), "created over a negative dentry");

        Path dir = d.resolve("dir");
        assertFalse(Files.exists(dir));
        Files.createDirectory(dir);
        assertTrue(Files.isDirectory(dir));

        Path link = d.resolve("link");
        assertFalse(Files.exists(link));
        Files.createLink(link, missing);
        assertEquals("now here", Files.readString(link));

        Path sym = d.resolve("sym");
        assertFalse(Files.exists(sym, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        Files.createSymbolicLink(sym, Path.of("missing"));
        assertEquals("now here", Files.readString(sym));

        Path target = d.resolve("renamed");
        assertFalse(Files.exists(target));
        Files.move(missing, target);
        assertEquals("now here", Files.readString(target));
        assertFalse(Files.exists(missing), "the old name is gone after the rename");

        Files.delete(target);
        assertFalse(Files.exists(target));
        Files.writeString(target, "again");
        assertEquals("again", Files.readString(target));
    }
}
