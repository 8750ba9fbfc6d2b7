package org.fusefs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountOptionsTest {

    @Test
    void defaults_areARamDiskInTheForeground() throws Exception {
        MountOptions o = MountOptions.parse(List.of("/mnt/x"));
        assertEquals(Path.of("/mnt/x"), o.mountPoint());
        assertNull(o.image());
        assertEquals(MountOptions.DEFAULT_SIZE, o.size());
        assertEquals(MountOptions.DEFAULT_MEMORY, o.memory());
        assertEquals(false, o.background());
        assertEquals(false, o.pageOwner(), "page_owner is off unless asked for, as in the kernel");
    }

    @Test
    void optionsAndFstabStyleOptions_areParsed() throws Exception {
        MountOptions o = MountOptions.parse(List.of("--image", "/i.img", "--size", "2G", "--background",
                "-o", "defaults,noauto,memory=512M,threads=4,ro", "/m"));
        assertEquals(Path.of("/i.img"), o.image());
        assertEquals(2L << 30, o.size());
        assertEquals(512L << 20, o.memory());
        assertEquals(4, o.threads());
        assertTrue(o.background());
        assertEquals(List.of("ro"), o.fuseOptions());
        assertTrue(MountOptions.parse(List.of("--page-owner", "/m")).pageOwner());
        assertTrue(MountOptions.parse(List.of("-o", "page_owner", "/m")).pageOwner());
    }

    @Test
    void outOfRangeValues_nameTheOptionAndTheRange() {
        CliException e = assertThrows(CliException.class, () -> MountOptions.parse(List.of("--memory", "1M", "/m")));
        assertEquals(CliException.USAGE, e.status());
        assertTrue(e.getMessage().contains("--memory") && e.getMessage().contains("16M..64G"), e.getMessage());
        e = assertThrows(CliException.class, () -> MountOptions.parse(List.of("--size", "huge", "/m")));
        assertTrue(e.getMessage().contains("not a size"), e.getMessage());
        e = assertThrows(CliException.class, () -> MountOptions.parse(List.of("--threads", "0", "/m")));
        assertTrue(e.getMessage().contains("1..64"), e.getMessage());
        e = assertThrows(CliException.class, () -> MountOptions.parse(List.of("--size", "99999999999T", "/m")));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    }

    @Test
    void missingOrDoubleMountPoint_isAUsageError() {
        assertTrue(assertThrows(CliException.class, () -> MountOptions.parse(List.of())).getMessage()
                .contains("missing MOUNTPOINT"));
        assertTrue(assertThrows(CliException.class, () -> MountOptions.parse(List.of("/a", "/b"))).getMessage()
                .contains("more than one"));
        assertTrue(assertThrows(CliException.class, () -> MountOptions.parse(List.of("--bogus", "/a"))).getMessage()
                .contains("unknown option --bogus"));
    }

    @Test
    void sizes_acceptBinaryUnits() throws Exception {
        assertEquals(8L << 30, Sizes.parse("x", "8G", 0, Long.MAX_VALUE));
        assertEquals(8L << 30, Sizes.parse("x", "8GiB".replace("B", ""), 0, Long.MAX_VALUE));
        assertEquals(4096, Sizes.parse("x", "4096", 0, Long.MAX_VALUE));
        assertEquals("16M", Sizes.format(16L << 20));
    }
}
