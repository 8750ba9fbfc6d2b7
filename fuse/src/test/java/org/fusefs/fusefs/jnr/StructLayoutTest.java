package org.fusefs.fusefs.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.fusefs.fusefs.testing.Capabilities;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The offsets the adapter writes by hand (jnr-fuse maps those fields as padding, or not at all),
 * checked against libfuse 2.9's headers compiled with gcc.
 */
class StructLayoutTest {
    private static final Map<String, Long> C = new HashMap<>();

    @BeforeAll
    static void compile() throws Exception {
        Capabilities.require(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/include/fuse/fuse.h")),
                "libfuse-dev headers");
        var exe = Capabilities.gcc("struct_layout", "-D_FILE_OFFSET_BITS=64", "-I/usr/include/fuse");
        var r = Capabilities.run(List.of(exe.toString()), null, 30);
        assertEquals(0, r.status(), r.output());
        for (String line : r.output().split("\n")) {
            String[] kv = line.split("=");
            C.put(kv[0], Long.parseLong(kv[1]));
        }
    }

    @Test
    void adapterOffsets_matchLibfuse() {
        assertEquals(C.get("OPS_FLAGS_OFFSET"), (long) JnrFuseAdapter.OPS_FLAGS_OFFSET);
        assertEquals(C.get("FLAG_UTIME_OMIT_OK"), (long) JnrFuseAdapter.FLAG_UTIME_OMIT_OK);
        assertEquals(C.get("CONN_WANT"), (long) JnrFuseAdapter.CONN_WANT);
        assertEquals(C.get("FUSE_CAP_BIG_WRITES"), (long) JnrFuseAdapter.FUSE_CAP_BIG_WRITES);
        assertEquals(C.get("FUSE_CAP_IOCTL_DIR"), (long) JnrFuseAdapter.FUSE_CAP_IOCTL_DIR);
        assertEquals(C.get("UTIME_NOW"), JnrFuseAdapter.UTIME_NOW);
        assertEquals(C.get("UTIME_OMIT"), JnrFuseAdapter.UTIME_OMIT);
        assertEquals(C.get("OPS_READ"), (long) RawIo.OPS_READ);
        assertEquals(C.get("OPS_WRITE"), (long) RawIo.OPS_WRITE);
        assertEquals(C.get("FI_FH"), (long) RawIo.FI_FH);
    }

    @Test
    void fuseBuf_matchesLibfuse() {
        assertEquals(C.get("FUSE_BUF_SIZE"), (long) FuseSessionLoop.FUSE_BUF_SIZE);
        assertEquals(C.get("FUSE_BUF_MEM"), (long) FuseSessionLoop.FUSE_BUF_MEM);
        assertEquals(C.get("FUSE_BUF_FD"), (long) FuseSessionLoop.FUSE_BUF_FD);
        assertEquals(C.get("FUSE_BUF_POS"), (long) FuseSessionLoop.FUSE_BUF_POS);
    }

    @Test
    void jnrFuseStructs_weRelyOn_matchLibfuse() {
        Runtime rt = Runtime.getSystemRuntime();
        assertEquals(C.get("STAT_SIZE"), (long) Struct.size(new FileStat(rt)));
        assertEquals(C.get("FI_FH"), FuseFileInfo.of(jnr.ffi.Memory.allocateDirect(rt, 64)).fh.offset());
        // fuse_setup copies op_size bytes: jnr-fuse's struct must not be larger than libfuse's.
        long jnrOps = Struct.size(new ru.serce.jnrfuse.struct.FuseOperations(rt));
        assertTrue(jnrOps <= C.get("OPS_SIZE"), "jnr-fuse fuse_operations " + jnrOps + " > " + C.get("OPS_SIZE"));
        assertTrue(jnrOps > JnrFuseAdapter.OPS_FLAGS_OFFSET, "the flags word lies inside jnr-fuse's struct");
    }
}
