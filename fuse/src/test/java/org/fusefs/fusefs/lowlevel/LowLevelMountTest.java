package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class LowLevelMountTest {

    @Test
    void missingLibfuse_namesTheDebianPackage() {
        IOException e = assertThrows(IOException.class, () -> LowLevelMount.checkLibrary("fuse-that-does-not-exist"));
        assertTrue(e.getMessage().contains("install package libfuse2"), e.getMessage());
    }

    @Test
    void mountOptions_serveThroughputAndKernelPermissions() {
        List<String> o = LowLevelMount.options(new LowLevelMount.Config("img,with,commas", 8, List.of("ro"), false));
        assertTrue(o.containsAll(List.of("big_writes", "max_read=131072", "max_write=131072", "default_permissions",
                "subtype=fusefs", "ro")), o.toString());
        assertTrue(o.contains("fsname=img\\,with\\,commas"), o.toString());
    }
}
