package org.fusefs.fusefs.lowlevel;

import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's request opcodes ({@code enum fuse_opcode} of linux/fuse.h) by name, for the
 * daemon's figures: which requests a workload costs is what a FUSE filesystem's speed turns on
 * (a LOOKUP before every create, a GETXATTR before every write, a GETATTR of the directory after
 * every change with default_permissions), and {@code ./fusefs stat} shows it.
 */
final class FuseOpcode {
    /** Counter slots: opcodes 1..{@code SLOTS - 1} by number, slot 0 for anything else. */
    static final int SLOTS = 64;
    private static final String[] NAMES = new String[SLOTS];

    static {
        String[] known = {
            "1 LOOKUP", "2 FORGET", "3 GETATTR", "4 SETATTR", "5 READLINK", "6 SYMLINK", "8 MKNOD",
            "9 MKDIR", "10 UNLINK", "11 RMDIR", "12 RENAME", "13 LINK", "14 OPEN", "15 READ",
            "16 WRITE", "17 STATFS", "18 RELEASE", "20 FSYNC", "21 SETXATTR", "22 GETXATTR",
            "23 LISTXATTR", "24 REMOVEXATTR", "25 FLUSH", "26 INIT", "27 OPENDIR", "28 READDIR",
            "29 RELEASEDIR", "30 FSYNCDIR", "31 GETLK", "32 SETLK", "33 SETLKW", "34 ACCESS",
            "35 CREATE", "36 INTERRUPT", "37 BMAP", "38 DESTROY", "39 IOCTL", "40 POLL",
            "41 NOTIFY_REPLY", "42 BATCH_FORGET", "43 FALLOCATE", "44 READDIRPLUS", "45 RENAME2",
            "46 LSEEK", "47 COPY_FILE_RANGE", "48 SETUPMAPPING", "49 REMOVEMAPPING", "50 SYNCFS",
            "51 TMPFILE",
        };
        for (String k : known) {
            String[] f = k.split(" ");
            NAMES[Integer.parseInt(f[0])] = f[1];
        }
    }

    private FuseOpcode() {
    }

    /** The counter slot of {@code opcode}. */
    static int slot(int opcode) {
        return opcode > 0 && opcode < SLOTS ? opcode : 0;
    }

    /** The name of slot {@code slot} ("OTHER" for slot 0 and numbers without a name). */
    static String name(int slot) {
        String n = slot > 0 && slot < SLOTS ? NAMES[slot] : null;
        return n != null ? n : slot == 0 ? "OTHER" : "OP" + slot;
    }

    /** "LOOKUP=12 GETATTR=3 ...": the non-zero counts, most frequent first; "-" when none. */
    static String format(long[] counts) {
        List<Integer> slots = new ArrayList<>();
        for (int s = 0; s < counts.length; s++) {
            if (counts[s] > 0) {
                slots.add(s);
            }
        }
        if (slots.isEmpty()) {
            return "-";
        }
        slots.sort((a, b) -> counts[a] != counts[b] ? Long.compare(counts[b], counts[a]) : Integer.compare(a, b));
        StringBuilder sb = new StringBuilder();
        for (int s : slots) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(name(s)).append('=').append(counts[s]);
        }
        return sb.toString();
    }
}
