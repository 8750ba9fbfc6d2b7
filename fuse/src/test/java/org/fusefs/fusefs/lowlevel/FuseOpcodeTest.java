package org.fusefs.fusefs.lowlevel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FuseOpcodeTest {
    @Test
    void slotsAndNames_followLinuxFuseH() {
        assertEquals("LOOKUP", FuseOpcode.name(FuseOpcode.slot(1)));
        assertEquals("CREATE", FuseOpcode.name(FuseOpcode.slot(35)));
        assertEquals("FALLOCATE", FuseOpcode.name(FuseOpcode.slot(43)));
        assertEquals("OP19", FuseOpcode.name(19), "19 is unused in the protocol");
        assertEquals(0, FuseOpcode.slot(4096), "CUSE_INIT and other large opcodes share slot 0");
        assertEquals(0, FuseOpcode.slot(-1));
        assertEquals("OTHER", FuseOpcode.name(0));
    }

    @Test
    void format_listsNonZeroCounts_mostFrequentFirst_tiesByOpcode() {
        long[] c = new long[FuseOpcode.SLOTS];
        assertEquals("-", FuseOpcode.format(c));
        c[3] = 5;
        c[1] = 7;
        c[16] = 5;
        c[0] = 1;
        assertEquals("LOOKUP=7 GETATTR=5 WRITE=5 OTHER=1", FuseOpcode.format(c));
    }
}
