package org.fusefs.extent;

import static org.fusefs.extent.NamespaceTest.assertErrno;
import static org.fusefs.uapi.FallocFlag.COLLAPSE_RANGE;
import static org.fusefs.uapi.FallocFlag.INSERT_RANGE;
import static org.fusefs.uapi.FallocFlag.KEEP_SIZE;
import static org.fusefs.uapi.FallocFlag.NO_HIDE_STALE;
import static org.fusefs.uapi.FallocFlag.PUNCH_HOLE;
import static org.fusefs.uapi.FallocFlag.UNSHARE_RANGE;
import static org.fusefs.uapi.FallocFlag.WRITE_ZEROES;
import static org.fusefs.uapi.FallocFlag.ZERO_RANGE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.fusefs.uapi.Errno;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every fallocate mode and every error case of shared/spec/fallocate.md, as a user would check
 * them: size, content, SEEK_DATA / SEEK_HOLE and the extent map.
 */
class FallocateTest {
    private static final int BS = 4096;
    private static final long ROOT = Vfs.ROOT_INO;
    private static final long MAXBYTES = 17592186040320L;

    private FsFixture fx;
    private ExtentFs fs;

    @BeforeEach
    void setUp() throws Exception {
        fx = FsFixture.ram(64L << 20, 128L << 20);
        fs = fx.fs;
    }

    @AfterEach
    void tearDown() throws Exception {
        fx.close();
    }

    private OpenFile create(String name) {
        return fs.create(ROOT, name, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0, 0);
    }

    /** A file of {@code blocks} blocks where byte i holds (i / 4096 + 1) so that shifted blocks are recognisable. */
    private OpenFile patterned(String name, int blocks) {
        OpenFile f = create(name);
        byte[] b = new byte[blocks * BS];
        for (int k = 0; k < b.length; k++) {
            b[k] = (byte) (k / BS + 1);
        }
        assertEquals(b.length, fs.write(f, 0, b, 0, b.length));
        return f;
    }

    private byte[] read(OpenFile f, long pos, int len) {
        return DataPathTest.read(fs, f, pos, len);
    }

    private long size(OpenFile f) {
        return fs.getattr(f.ino()).size();
    }

    private static void assertFilled(byte[] b, int from, int to, int value, String what) {
        for (int k = from; k < to; k++) {
            if (b[k] != (byte) value) {
                throw new AssertionError(what + ": byte " + k + " is " + b[k] + ", expected " + value);
            }
        }
    }

    // ---- the VFS checks, in Linux 6.18's order --------------------------------------------------

    @Test
    void vfsChecksInOrder() {
        OpenFile f = patterned("v", 4);
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, 0, -1, BS));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, 0, 0, 0));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, 0, 0, -5));
        // len 0 with a bogus mode: EINVAL comes first
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, 0x100, 0, 0));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, NO_HIDE_STALE, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, 0x100, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, PUNCH_HOLE, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, COLLAPSE_RANGE | KEEP_SIZE, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, INSERT_RANGE | KEEP_SIZE, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, WRITE_ZEROES | KEEP_SIZE, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, PUNCH_HOLE | ZERO_RANGE | KEEP_SIZE, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, COLLAPSE_RANGE | INSERT_RANGE, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, ZERO_RANGE | COLLAPSE_RANGE, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, COLLAPSE_RANGE | PUNCH_HOLE | KEEP_SIZE, 0, BS));
        // read-only descriptor: EBADF, but a bad mode still wins
        OpenFile ro = fs.open(f.ino(), OpenFlags.O_RDONLY);
        assertErrno(Errno.EBADF, () -> fs.fallocate(ro, 0, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(ro, PUNCH_HOLE, 0, BS));
        // overflow and s_maxbytes, for every mode including KEEP_SIZE
        assertErrno(Errno.EFBIG, () -> fs.fallocate(f, 0, Long.MAX_VALUE - 10, 100));
        assertErrno(Errno.EFBIG, () -> fs.fallocate(f, KEEP_SIZE, MAXBYTES - BS, BS + 1));
        assertErrno(Errno.EFBIG, () -> fs.fallocate(f, PUNCH_HOLE | KEEP_SIZE, MAXBYTES, 1));
        // ext4 does not implement these two
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, UNSHARE_RANGE, 0, BS));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(f, WRITE_ZEROES, 0, BS));
        // the largest allowed end works
        fs.fallocate(f, KEEP_SIZE, MAXBYTES - BS, BS);
        assertEquals(4 * BS, size(f));
        fs.release(ro);
        fs.release(f);
    }

    @Test
    void fileTypeChecks() {
        long fifo = fs.mknod(ROOT, "fifo", FileMode.S_IFIFO | 0600, 0, 0, 0).ino();
        long sock = fs.mknod(ROOT, "sock", FileMode.S_IFSOCK | 0600, 0, 0, 0).ino();
        long chr = fs.mknod(ROOT, "chr", FileMode.S_IFCHR | 0600, 0x103, 0, 0).ino();
        long dir = fs.mkdir(ROOT, "dir", 0755, 0, 0).ino();
        OpenFile pf = fs.open(fifo, OpenFlags.O_RDWR);
        assertErrno(Errno.ESPIPE, () -> fs.fallocate(pf, 0, 0, BS));
        assertErrno(Errno.ENODEV, () -> fs.fallocate(fs.open(sock, OpenFlags.O_RDWR), 0, 0, BS));
        assertErrno(Errno.ENODEV, () -> fs.fallocate(fs.open(chr, OpenFlags.O_RDWR), 0, 0, BS));
        // A directory cannot be opened for writing, so EBADF comes first (step 4 before 10) ...
        assertErrno(Errno.EISDIR, () -> fs.open(dir, OpenFlags.O_RDWR));
        assertErrno(Errno.EBADF, () -> fs.fallocate(fs.open(dir, OpenFlags.O_RDONLY), 0, 0, BS));
        // ... and EISDIR is only reachable with a writable description, which the FUSE layer never has.
        OpenFileImpl forged = new OpenFileImpl(fs.inode(dir), OpenFlags.O_RDWR, null);
        assertErrno(Errno.EISDIR, () -> fs.fallocate(forged, 0, 0, BS));
    }

    @Test
    void collapseAndInsertChecks() {
        OpenFile f = patterned("c", 8);
        long mtime = fs.getattr(f.ino()).mtimeNs();
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, COLLAPSE_RANGE, 1, BS));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, COLLAPSE_RANGE, 0, BS + 1));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, COLLAPSE_RANGE, 512, 512));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, COLLAPSE_RANGE, 4 * BS, 4 * BS));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, COLLAPSE_RANGE, 4 * BS, 8 * BS));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, INSERT_RANGE, 1, BS));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, INSERT_RANGE, 0, 512));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, INSERT_RANGE, 8 * BS, BS));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(f, INSERT_RANGE, 9 * BS, BS));
        assertErrno(Errno.EFBIG, () -> fs.fallocate(f, INSERT_RANGE, 0, MAXBYTES - 7 * BS));
        // As in 6.18, the fs-level refusals above come after file_modified(): times moved.
        assertTrue(fs.getattr(f.ino()).mtimeNs() >= mtime);
        assertEquals(8 * BS, size(f));
        byte[] b = read(f, 0, 8 * BS);
        for (int blk = 0; blk < 8; blk++) {
            assertFilled(b, blk * BS, (blk + 1) * BS, blk + 1, "unchanged after refused ops");
        }
        // the largest insert that fits works
        fs.fallocate(f, INSERT_RANGE, 0, BS);
        assertEquals(9 * BS, size(f));
        fs.release(f);
    }

    // ---- effects of each mode ------------------------------------------------------------------

    @Test
    void allocateModeZeroGrowsSizeWithUnwrittenExtents() {
        OpenFile f = create("a");
        fs.write(f, 0, new byte[] {1, 2, 3, 4}, 0, 4);
        fs.fsync(f, false);
        fs.fallocate(f, 0, 100, 3 * BS);
        assertEquals(100 + 3 * BS, size(f));
        byte[] b = read(f, 0, 100 + 3 * BS);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, Arrays.copyOf(b, 4));
        assertFilled(b, 4, b.length, 0, "preallocated");
        List<FiemapExtent> m = fs.fiemap(f.ino(), 0, 0);
        assertEquals(2, m.size());
        assertFalse(m.get(0).unwritten());
        assertEquals(BS, m.get(0).length());
        assertTrue(m.get(1).unwritten());
        assertEquals(BS, m.get(1).logical());
        assertTrue(m.get(1).last());
        assertEquals(4 * 8, fs.getattr(f.ino()).blocks());
        // an unwritten extent is a hole for lseek
        assertEquals(0, fs.seekData(f.ino(), 0));
        assertEquals(BS, fs.seekHole(f.ino(), 0));
        assertErrno(Errno.ENXIO, () -> fs.seekData(f.ino(), BS));
        // writing into it turns it written
        fs.write(f, 2 * BS, new byte[] {9}, 0, 1);
        fs.fsync(f, false);
        assertEquals(2 * BS, fs.seekData(f.ino(), BS));
        assertEquals(3 * BS, fs.seekHole(f.ino(), 2 * BS));
        assertEquals(9, read(f, 2 * BS, 1)[0]);
        fs.release(f);
    }

    @Test
    void keepSizeBeyondEndNeverExposesOldData() {
        OpenFile f = create("k");
        byte[] junk = new byte[4 * BS];
        Arrays.fill(junk, (byte) 0x77);
        fs.write(f, 0, junk, 0, junk.length);
        fs.fsync(f, false);
        fs.setattr(f.ino(), SetAttr.size(100), f);
        long blocksBefore = fs.getattr(f.ino()).blocks();
        fs.fallocate(f, KEEP_SIZE, 0, 8 * BS);
        assertEquals(100, size(f));
        assertEquals(blocksBefore + 7 * 8, fs.getattr(f.ino()).blocks());
        fs.setattr(f.ino(), SetAttr.size(8 * BS), f);
        byte[] b = read(f, 0, 8 * BS);
        assertFilled(b, 0, 100, 0x77, "kept data");
        assertFilled(b, 100, 8 * BS, 0, "beyond the old end");
        fs.release(f);
    }

    @Test
    void punchHoleZeroesEdgesAndFreesWholeBlocks() {
        OpenFile f = patterned("p", 6);
        fs.fsync(f, false);
        long blocks = fs.getattr(f.ino()).blocks();
        fs.fallocate(f, PUNCH_HOLE | KEEP_SIZE, BS + 100, 3 * BS);
        assertEquals(6 * BS, size(f));
        byte[] b = read(f, 0, 6 * BS);
        assertFilled(b, 0, BS, 1, "before");
        assertFilled(b, BS, BS + 100, 2, "head of block 1");
        assertFilled(b, BS + 100, 4 * BS + 100, 0, "punched");
        assertFilled(b, 4 * BS + 100, 5 * BS, 5, "tail of block 4");
        assertFilled(b, 5 * BS, 6 * BS, 6, "after");
        // blocks 2 and 3 are freed; the partial blocks 1 and 4 stay
        assertEquals(blocks - 2 * 8, fs.getattr(f.ino()).blocks());
        assertEquals(2 * BS, fs.seekHole(f.ino(), 0));
        assertEquals(4 * BS, fs.seekData(f.ino(), 2 * BS));
        // after writeback and a remount the same
        fs.release(f);
        long ino = f.ino();
        ExtentFs g = remount();
        OpenFile r = g.open(ino, OpenFlags.O_RDONLY);
        assertArrayEquals(b, DataPathTest.read(g, r, 0, 6 * BS));
        g.release(r);
    }

    @Test
    void punchPastEndOfFileChangesNothing() {
        OpenFile f = patterned("pe", 2);
        fs.fallocate(f, KEEP_SIZE, 2 * BS, 4 * BS);
        long blocks = fs.getattr(f.ino()).blocks();
        fs.fallocate(f, PUNCH_HOLE | KEEP_SIZE, 2 * BS, 4 * BS);
        assertEquals(blocks, fs.getattr(f.ino()).blocks());
        assertEquals(2 * BS, size(f));
        fs.release(f);
    }

    @Test
    void zeroRangeWithAndWithoutKeepSize() {
        OpenFile f = patterned("z", 4);
        fs.fallocate(f, ZERO_RANGE, BS + 10, 2 * BS);
        assertEquals(4 * BS, size(f));
        byte[] b = read(f, 0, 4 * BS);
        assertFilled(b, 0, BS, 1, "before");
        assertFilled(b, BS, BS + 10, 2, "head");
        assertFilled(b, BS + 10, 3 * BS + 10, 0, "zeroed");
        assertFilled(b, 3 * BS + 10, 4 * BS, 4, "tail");
        List<FiemapExtent> m = fs.fiemap(f.ino(), 2 * BS, BS);
        assertEquals(1, m.size());
        assertTrue(m.get(0).unwritten(), "whole block of a zeroed range is unwritten");
        // beyond the end: grows without KEEP_SIZE, not with it
        fs.fallocate(f, ZERO_RANGE | KEEP_SIZE, 4 * BS, 2 * BS);
        assertEquals(4 * BS, size(f));
        fs.fallocate(f, ZERO_RANGE, 4 * BS, 2 * BS + 7);
        assertEquals(6 * BS + 7, size(f));
        assertFilled(read(f, 4 * BS, 2 * BS + 7), 0, 2 * BS + 7, 0, "zero range past the end");
        fs.release(f);
    }

    @Test
    void collapseShiftsDataDownWithoutCopying() {
        OpenFile f = patterned("col", 10);
        fs.fsync(f, false);
        List<FiemapExtent> before = fs.fiemap(f.ino(), 0, 0);
        assertEquals(1, before.size());
        long phys = before.get(0).physical();
        fs.fallocate(f, COLLAPSE_RANGE, 2 * BS, 3 * BS);
        assertEquals(7 * BS, size(f));
        byte[] b = read(f, 0, 7 * BS);
        int[] want = {1, 2, 6, 7, 8, 9, 10};
        for (int k = 0; k < 7; k++) {
            assertFilled(b, k * BS, (k + 1) * BS, want[k], "block " + k + " after collapse");
        }
        List<FiemapExtent> m = fs.fiemap(f.ino(), 0, 0);
        assertEquals(2, m.size());
        assertEquals(phys, m.get(0).physical());
        assertEquals(2 * BS, m.get(1).logical());
        assertEquals(phys + 5 * BS, m.get(1).physical(), "the tail moved in the map, not on the device");
        fs.release(f);
    }

    @Test
    void collapseSeesDirtyCachedDataAndInvalidatesCallers() {
        List<long[]> told = new java.util.ArrayList<>();
        fs.setInodeInvalidation((ino, off, len) -> told.add(new long[] {ino, off, len}));
        OpenFile f = patterned("dirty", 6);
        // not written back: the collapse must flush the cache from the offset before shifting
        fs.write(f, 5 * BS, new byte[] {42}, 0, 1);
        fs.fallocate(f, COLLAPSE_RANGE, BS, BS);
        assertEquals(42, read(f, 4 * BS, 1)[0]);
        assertEquals(5 * BS, size(f));
        assertEquals(1, told.size());
        assertEquals(f.ino(), told.get(0)[0]);
        assertEquals(BS, told.get(0)[1]);
        assertEquals(0, told.get(0)[2]);
        fs.release(f);
    }

    @Test
    void collapseInsertPunchAndZeroUnmapEveryMapping() {
        OpenFile f = patterned("mapped", 8);
        List<long[]> unmapped = new java.util.ArrayList<>();
        fs.mapping(f.ino()).addUnmapper((as, first, last) -> unmapped.add(new long[] {first, last}));
        // pages cached from index 0 to 7 (just written)
        fs.fallocate(f, COLLAPSE_RANGE, 2 * BS, BS);
        assertTrue(unmapped.stream().anyMatch(r -> r[0] <= 2 && r[1] >= 6), "collapse unmaps from its offset to the end");
        unmapped.clear();
        DataPathTest.read(fs, f, 0, 7 * BS);
        fs.fallocate(f, INSERT_RANGE, 3 * BS, BS);
        assertTrue(unmapped.stream().anyMatch(r -> r[0] <= 3 && r[1] >= 6), "insert unmaps from its offset to the end");
        unmapped.clear();
        DataPathTest.read(fs, f, 0, 8 * BS);
        fs.fallocate(f, PUNCH_HOLE | KEEP_SIZE, BS, 2 * BS);
        assertTrue(unmapped.stream().anyMatch(r -> r[0] <= 1 && r[1] >= 2), "punch unmaps its whole pages");
        unmapped.clear();
        DataPathTest.read(fs, f, 0, 8 * BS);
        fs.fallocate(f, ZERO_RANGE, 5 * BS, 2 * BS);
        assertTrue(unmapped.stream().anyMatch(r -> r[0] <= 5 && r[1] >= 6), "zero range unmaps its whole pages");
        fs.release(f);
    }

    @Test
    void insertLeavesAHoleAndShiftsDataUp() {
        OpenFile f = patterned("ins", 4);
        fs.fallocate(f, INSERT_RANGE, BS, 2 * BS);
        assertEquals(6 * BS, size(f));
        byte[] b = read(f, 0, 6 * BS);
        int[] want = {1, 0, 0, 2, 3, 4};
        for (int k = 0; k < 6; k++) {
            assertFilled(b, k * BS, (k + 1) * BS, want[k], "block " + k + " after insert");
        }
        assertEquals(BS, fs.seekHole(f.ino(), 0));
        assertEquals(3 * BS, fs.seekData(f.ino(), BS));
        List<FiemapExtent> m = fs.fiemap(f.ino(), 0, 0);
        assertEquals(2, m.size());
        assertEquals(3 * BS, m.get(1).logical());
        fs.release(f);
    }

    @Test
    void noStaleDataAfterInsertOrCollapseAtTheEnd() {
        OpenFile f = create("stale");
        byte[] x = new byte[2 * BS + 100];
        Arrays.fill(x, (byte) 'x');
        fs.write(f, 0, x, 0, x.length);
        fs.fsync(f, false);
        fs.setattr(f.ino(), SetAttr.size(BS + 50), f);
        fs.fallocate(f, INSERT_RANGE, 0, BS);
        assertEquals(2 * BS + 50, size(f));
        fs.fallocate(f, COLLAPSE_RANGE, 0, BS);
        assertEquals(BS + 50, size(f));
        fs.setattr(f.ino(), SetAttr.size(4 * BS), f);
        byte[] b = read(f, 0, 4 * BS);
        assertFilled(b, 0, BS + 50, 'x', "kept");
        assertFilled(b, BS + 50, 4 * BS, 0, "past the old end");
        fs.release(f);
    }

    @Test
    void outOfSpaceDuringPreallocationLeavesTheFileAsItWas() {
        OpenFile f = patterned("nospc", 2);
        InodeAttr before = fs.getattr(f.ino());
        long free = fs.statfs().availBlocks();
        assertErrno(Errno.ENOSPC, () -> fs.fallocate(f, 0, 0, (free + 10) * BS));
        assertErrno(Errno.ENOSPC, () -> fs.fallocate(f, KEEP_SIZE, 4 * BS, (free + 10) * BS));
        assertErrno(Errno.ENOSPC, () -> fs.fallocate(f, ZERO_RANGE, 4 * BS, (free + 10) * BS));
        InodeAttr after = fs.getattr(f.ino());
        assertEquals(before.size(), after.size());
        assertEquals(before.blocks(), after.blocks());
        assertEquals(free, fs.statfs().availBlocks());
        // exactly what is free works
        fs.fallocate(f, KEEP_SIZE, 2 * BS, free * BS);
        assertEquals(0, fs.statfs().availBlocks());
        assertErrno(Errno.ENOSPC, () -> fs.write(f, 1L << 30, new byte[1], 0, 1));
        fs.release(f);
    }

    @Test
    void unwrittenExtentsSurviveRemount() {
        OpenFile f = patterned("rm", 2);
        fs.fallocate(f, KEEP_SIZE, 2 * BS, 3 * BS);
        fs.fallocate(f, 0, 10 * BS, BS);
        fs.release(f);
        long ino = f.ino();
        List<FiemapExtent> m = fs.fiemap(ino, 0, 0);
        ExtentFs g = remount();
        assertEquals(m, g.fiemap(ino, 0, 0));
        assertEquals(11 * BS, g.getattr(ino).size());
    }

    private ExtentFs remount() {
        try {
            fs = fx.remount();
            return fs;
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
