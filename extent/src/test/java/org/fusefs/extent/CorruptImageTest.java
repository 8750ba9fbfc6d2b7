package org.fusefs.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fusefs.uapi.FallocFlag;
import org.fusefs.uapi.FileMode;
import org.fusefs.uapi.OpenFlags;
import org.junit.jupiter.api.Test;

/** A flipped byte in any metadata block makes mount refuse the image, naming the block. */
class CorruptImageTest {

    @Test
    void everyMetadataBlockIsChecked() throws Exception {
        TestDevice dev = new TestDevice("img0", 32L << 20);
        try (FsFixture f = new FsFixture(dev, 64L << 20, MkfsOptions.defaults().withUuidSeed(7).withInodes(600))) {
            ExtentFs fs = f.fs;
            long d = fs.mkdir(Vfs.ROOT_INO, "dir", 0755, 0, 0).ino();
            for (int k = 0; k < 300; k++) {
                fs.mknod(d, "file-with-a-longish-name-" + k, FileMode.S_IFREG | 0644, 0, 0, 0);
            }
            long a = fs.mknod(Vfs.ROOT_INO, "frag", FileMode.S_IFREG | 0644, 0, 0, 0).ino();
            OpenFileImpl of = new OpenFileImpl(fs.inode(a), OpenFlags.O_RDWR, null);
            for (int k = 0; k < 2000; k++) {
                fs.fallocate(of, FallocFlag.KEEP_SIZE, k * 8192L, 4096);
            }
            fs.symlink(Vfs.ROOT_INO, "long", "t".repeat(3000), 0, 0);
            fs.setxattr(a, "user.x", new byte[5000], 0);
            fs.unmount();

            List<Long> meta = new ArrayList<>();
            meta.add(0L);
            for (long b = fs.sb.itableStart; b < fs.sb.itableStart + fs.sb.itableUsed; b++) {
                meta.add(b);
            }
            for (long b : fs.freeChainBlocks) {
                meta.add(b);
            }
            for (Inode i : fs.inodes.all()) {
                for (long b : i.metaBlocks) {
                    meta.add(b);
                }
            }
            assertTrue(meta.size() > 40, "metadata blocks: " + meta.size());
            Random r = new Random(1234);
            for (long b : meta) {
                int off = r.nextInt(4096);
                dev.flip(b, off);
                CorruptFsException e = assertThrows(CorruptFsException.class, () -> ExtentFs.mount(dev, f.mem, f.cache),
                        "flip at block " + b + " offset " + off);
                assertTrue(e.getMessage().contains("block " + b), "message names block " + b + ": " + e.getMessage());
                dev.flip(b, off);
            }
            f.fs = ExtentFs.mount(dev, f.mem, f.cache);
            assertEquals(2000, f.fs.extentCount(a));
        }
    }
}
