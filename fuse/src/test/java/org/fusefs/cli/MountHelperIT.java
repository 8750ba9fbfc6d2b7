package org.fusefs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fusefs.fusefs.mount.Unmounter;
import org.fusefs.fusefs.testing.Capabilities;
import org.junit.jupiter.api.Test;

/**
 * {@code install-mount-helper} puts mount.fuse.fusefs into /sbin; then mount(8) with
 * {@code -t fuse.fusefs} and an fstab line mount images and RAM disks. The helper is removed again.
 */
class MountHelperIT {

    @Test
    void mountT_andFstab_work_andTheHelperIsRemovedAfterwards() throws Exception {
        Capabilities.requireFuse();
        Capabilities.require("root".equals(System.getProperty("user.name")), "root (to install into /sbin)");
        Capabilities.require(Capabilities.onPath("mount"), "mount(8)");
        Path helper = Path.of("/sbin", InstallMountHelper.NAME);
        Capabilities.require(!Files.exists(helper), "no mount.fuse.fusefs installed by someone else");
        Path work = Files.createTempDirectory("fusefs-helper-");
        Path mp = Files.createDirectory(work.resolve("mnt"));
        Path image = work.resolve("disk.img");
        var installed = Cli.run("install-mount-helper");
        try {
            assertEquals(0, installed.status(), installed.output());
            assertTrue(Files.isExecutable(helper));
            assertEquals(0, Cli.run("mkfs", image.toString(), "--size", "64M").status());

            var r = Capabilities.run(List.of("mount", "-t", "fuse.fusefs", "-o", "memory=64M", image.toString(), mp.toString()), null, 300);
            assertEquals(0, r.status(), r.output());
            assertTrue(Unmounter.isMounted(mp), "mount -t returned before the mount was ready");
            assertEquals("fuse.fusefs", Unmounter.mountType(mp));
            Files.writeString(mp.resolve("kept"), "across mounts");
            assertEquals(0, Cli.run("umount", mp.toString()).status());

            Path fstab = Files.writeString(work.resolve("fstab"),
                    image + " " + mp + " fuse.fusefs defaults,noauto,memory=64M 0 0\n");
            r = Capabilities.run(List.of("mount", "-T", fstab.toString(), mp.toString()), null, 300);
            assertEquals(0, r.status(), r.output());
            assertEquals("across mounts", Files.readString(mp.resolve("kept")));
            assertEquals(0, Cli.run("umount", mp.toString()).status());

            r = Capabilities.run(List.of("mount", "-t", "fuse.fusefs", "-o", "size=64M,memory=64M", "ramdisk", mp.toString()), null, 300);
            assertEquals(0, r.status(), r.output());
            assertTrue(Unmounter.isMounted(mp));
            assertEquals(0, Cli.run("umount", mp.toString()).status());
        } finally {
            if (Unmounter.isMounted(mp)) {
                Unmounter.fusermount(mp, true, 10_000);
            }
            Cli.run("install-mount-helper", "--remove");
            Files.deleteIfExists(Pidfiles.logFile(mp));
            try (var s = Files.walk(work)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        assertFalse(Files.exists(helper), "the helper was not removed");
    }
}
