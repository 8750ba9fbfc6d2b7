package org.fusefs.extent;

import static org.fusefs.uapi.FallocFlag.COLLAPSE_RANGE;
import static org.fusefs.uapi.FallocFlag.INSERT_RANGE;
import static org.fusefs.uapi.FallocFlag.KEEP_SIZE;
import static org.fusefs.uapi.FallocFlag.PUNCH_HOLE;
import static org.fusefs.uapi.FallocFlag.ZERO_RANGE;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.ErrnoException;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/**
 * Randomized model test: 100,000 operations (write, truncate, every fallocate mode, read, fsync,
 * remount) over several files at once, each compared with a plain byte array per file. Every
 * remount also runs mount's space check (every block free or used exactly once), so a leaked or
 * doubly used block fails too. A mismatch names the seed, the step and the operation.
 */
class FileModelTest {
    private static final int BS = 4096;
    private static final int FILES = 4;
    private static final int MAX_SIZE = 96 * BS;
    private static final int STEPS_PER_SEED = 25_000;
    private static final int REMOUNT_EVERY = 1_000;

    /** The reference: a file is its bytes. */
    private static final class Model {
        byte[] data = new byte[0];

        int size() {
            return data.length;
        }

        void resize(int n) {
            data = Arrays.copyOf(data, n);
        }

        void zero(int from, int to) {
            Arrays.fill(data, Math.min(from, data.length), Math.min(to, data.length), (byte) 0);
        }
    }

    @Test
    void hundredThousandOperationsMatchTheModel() throws Exception {
        for (long seed : new long[] {11, 22, 33, 44}) {
            run(seed);
        }
    }

    private void run(long seed) throws IOException {
        Random r = new Random(seed);
        try (FsFixture fx = FsFixture.ram(16L << 20, 96L << 20)) {
            Model[] model = new Model[FILES];
            long[] ino = new long[FILES];
            OpenFile[] open = new OpenFile[FILES];
            for (int k = 0; k < FILES; k++) {
                model[k] = new Model();
                open[k] = fx.fs.create(Vfs.ROOT_INO, "f" + k, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
                ino[k] = open[k].ino();
            }
            for (int step = 0; step < STEPS_PER_SEED; step++) {
                int k = r.nextInt(FILES);
                String op = "?";
                try {
                    if (step > 0 && step % REMOUNT_EVERY == 0) {
                        op = "remount";
                        for (int j = 0; j < FILES; j++) {
                            fx.fs.release(open[j]);
                        }
                        ExtentFs fs = fx.remount();
                        for (int j = 0; j < FILES; j++) {
                            open[j] = fs.open(ino[j], OpenFlags.O_RDWR);
                            compareAll(fs, open[j], model[j], "after remount, file " + j);
                        }
                        continue;
                    }
                    op = step(r, fx.fs, open[k], model[k]);
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError("seed " + seed + " step " + step + " file " + k + " op " + op + ": "
                            + e.getMessage(), e);
                }
            }
            for (int j = 0; j < FILES; j++) {
                compareAll(fx.fs, open[j], model[j], "seed " + seed + " at the end, file " + j);
                fx.fs.release(open[j]);
            }
        }
    }

    private static int blockAligned(Random r, int max) {
        return r.nextInt(Math.max(1, max / BS)) * BS;
    }

    /** Runs one random operation on the file and the model; returns its description. */
    private static String step(Random r, ExtentFs fs, OpenFile f, Model m) {
        int size = m.size();
        int choice = r.nextInt(100);
        if (choice < 25) {
            int pos = r.nextInt(MAX_SIZE - 1);
            int len = 1 + r.nextInt(Math.min(3 * BS, MAX_SIZE - pos));
            byte[] b = new byte[len];
            r.nextBytes(b);
            String op = "write(" + pos + ", " + len + ")";
            check(len == fs.write(f, pos, b, 0, len), op + " short");
            if (pos + len > size) {
                m.resize(pos + len);
            }
            System.arraycopy(b, 0, m.data, pos, len);
            return op;
        }
        if (choice < 35) {
            int n = r.nextInt(MAX_SIZE);
            String op = "truncate(" + n + ")";
            fs.setattr(f.ino(), SetAttr.size(n), f);
            m.resize(n);
            return op;
        }
        if (choice < 50) {
            int pos = size == 0 ? 0 : r.nextInt(size + BS);
            int len = r.nextInt(4 * BS);
            String op = "read(" + pos + ", " + len + ")";
            byte[] got = DataPathTest.read(fs, f, pos, len);
            int want = Math.max(0, Math.min(len, size - pos));
            check(got.length == want, op + " returned " + got.length + ", model " + want);
            for (int i = 0; i < want; i++) {
                if (got[i] != m.data[pos + i]) {
                    throw new AssertionError(op + ": byte at " + (pos + i) + " is " + got[i] + ", model " + m.data[pos + i]);
                }
            }
            return op;
        }
        if (choice < 53) {
            fs.fsync(f, false);
            return "fsync";
        }
        if (choice < 58) {
            return seekCheck(r, fs, f, m);
        }
        int off;
        int len;
        int mode;
        int kind = r.nextInt(7);
        if (kind >= 5) {
            off = blockAligned(r, MAX_SIZE);
            len = BS * (1 + r.nextInt(8));
        } else {
            off = r.nextInt(MAX_SIZE - 1);
            len = 1 + r.nextInt(Math.min(6 * BS, MAX_SIZE - off));
        }
        mode = switch (kind) {
            case 0 -> 0;
            case 1 -> KEEP_SIZE;
            case 2 -> PUNCH_HOLE | KEEP_SIZE;
            case 3 -> ZERO_RANGE;
            case 4 -> ZERO_RANGE | KEEP_SIZE;
            case 5 -> COLLAPSE_RANGE;
            default -> INSERT_RANGE;
        };
        String op = "fallocate(mode 0x" + Integer.toHexString(mode) + ", " + off + ", " + len + ") size " + size;
        Errno expect = null;
        if (mode == COLLAPSE_RANGE && off + len >= size) {
            expect = Errno.EINVAL;
        } else if (mode == INSERT_RANGE && (off >= size || size + len > MAX_SIZE + 8 * BS)) {
            expect = off >= size ? Errno.EINVAL : null;
            if (expect == null) {
                return "skipped " + op;
            }
        }
        try {
            fs.fallocate(f, mode, off, len);
            check(expect == null, op + " succeeded, model expected " + expect);
        } catch (ErrnoException e) {
            check(e.errno() == expect, op + " failed with " + e.errno() + ", model expected " + expect);
            return op + " -> " + e.errno();
        }
        int end = off + len;
        switch (kind) {
            case 0 -> {
                if (end > size) {
                    m.resize(end);
                }
            }
            case 1 -> {
            }
            case 2 -> m.zero(off, end);
            case 3 -> {
                if (end > size) {
                    m.resize(end);
                }
                m.zero(off, end);
            }
            case 4 -> m.zero(off, end);
            case 5 -> {
                byte[] n = new byte[size - len];
                System.arraycopy(m.data, 0, n, 0, off);
                System.arraycopy(m.data, end, n, off, size - end);
                m.data = n;
            }
            default -> {
                byte[] n = new byte[size + len];
                System.arraycopy(m.data, 0, n, 0, off);
                System.arraycopy(m.data, off, n, end, size - off);
                m.data = n;
            }
        }
        check(fs.getattr(f.ino()).size() == m.size(), op + ": size " + fs.getattr(f.ino()).size() + ", model " + m.size());
        return op;
    }

    /** SEEK_DATA / SEEK_HOLE never skip data: everything they jump over reads as zeros in the model. */
    private static String seekCheck(Random r, ExtentFs fs, OpenFile f, Model m) {
        int size = m.size();
        if (size == 0) {
            return "seek on empty file";
        }
        int off = r.nextInt(size);
        String op = "seek(" + off + ") size " + size;
        long data;
        try {
            data = fs.seekData(f.ino(), off);
        } catch (ErrnoException e) {
            check(e.errno() == Errno.ENXIO, op + ": SEEK_DATA " + e.errno());
            data = size;
        }
        check(data >= off && data <= size, op + ": SEEK_DATA " + data);
        for (int i = off; i < data; i++) {
            check(m.data[i] == 0, op + ": SEEK_DATA " + data + " skipped model data at " + i);
        }
        long hole = fs.seekHole(f.ino(), off);
        check(hole >= off && hole <= size, op + ": SEEK_HOLE " + hole);
        if (hole < size) {
            int blockEnd = (int) Math.min(size, (hole / BS + 1) * BS);
            for (long i = hole; i < blockEnd; i++) {
                check(m.data[(int) i] == 0, op + ": SEEK_HOLE " + hole + " but model data at " + i);
            }
        }
        return op;
    }

    private static void compareAll(ExtentFs fs, OpenFile f, Model m, String where) {
        check(fs.getattr(f.ino()).size() == m.size(), where + ": size " + fs.getattr(f.ino()).size() + ", model "
                + m.size());
        byte[] got = DataPathTest.read(fs, f, 0, m.size());
        if (!Arrays.equals(got, m.data)) {
            int i = Arrays.mismatch(got, m.data);
            throw new AssertionError(where + ": first difference at byte " + i);
        }
    }

    private static void check(boolean ok, String msg) {
        if (!ok) {
            throw new AssertionError(msg);
        }
    }
}
