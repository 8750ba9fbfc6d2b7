package org.fusefs.fusefs.ops;

/**
 * The ioctl commands and struct layouts of {@code fuse/src/main/c/include/fusefs_ioctl.h}, seen
 * from Java. The header is the definition; {@code FusefsIoctlHeaderTest} compiles a C program that
 * prints the header's values and compares them with these.
 */
public final class FusefsIoctl {
    public static final int IOC_TYPE = 0xF5;
    public static final int MAGIC = 0x46535546;
    public static final int PROTOCOL_VERSION = 1;
    public static final long FUSE_SUPER_MAGIC = 0x65735546L;

    public static final int PROBE_SIZE = 8;
    public static final int FALLOCATE_SIZE = 32;
    public static final int SEEK_SIZE = 24;
    public static final int POISON_MESSAGE = 224;
    public static final int HWPOISON_SIZE = 32 + POISON_MESSAGE;
    public static final int REPORT_DATA = 16320;
    public static final int REPORT_SIZE = 32 + REPORT_DATA;

    public static final int REPORT_STAT = 1;
    public static final int REPORT_EXTENTS = 2;
    public static final int REPORT_PAGE_OWNER = 3;

    static final int IOC_WRITE = 1;
    static final int IOC_READ = 2;

    public static final int PROBE = ioc(IOC_READ, 1, PROBE_SIZE);
    public static final int FALLOCATE = ioc(IOC_WRITE, 2, FALLOCATE_SIZE);
    public static final int SEEK = ioc(IOC_READ | IOC_WRITE, 3, SEEK_SIZE);
    public static final int HWPOISON = ioc(IOC_READ | IOC_WRITE, 4, HWPOISON_SIZE);
    public static final int REPORT = ioc(IOC_READ | IOC_WRITE, 5, REPORT_SIZE);

    // Field offsets, named after the C fields.
    public static final int FALLOCATE_NODEID = 0;
    public static final int FALLOCATE_OFFSET = 8;
    public static final int FALLOCATE_LENGTH = 16;
    public static final int FALLOCATE_MODE = 24;
    public static final int SEEK_OFFSET = 0;
    public static final int SEEK_WHENCE = 8;
    public static final int SEEK_RESULT = 16;
    public static final int HWPOISON_NODEID = 0;
    public static final int HWPOISON_OFFSET = 8;
    public static final int HWPOISON_PFN = 16;
    public static final int HWPOISON_RESULT = 24;
    public static final int HWPOISON_MESSAGE = 32;
    public static final int REPORT_KIND = 0;
    public static final int REPORT_OFFSET = 8;
    public static final int REPORT_TOTAL = 16;
    public static final int REPORT_LENGTH = 24;
    public static final int REPORT_DATA_OFFSET = 32;

    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    private FusefsIoctl() {
    }

    /** The kernel's {@code _IOC(dir, type, nr, size)} for our type. */
    static int ioc(int dir, int nr, int size) {
        if (size < 0 || size > 0x3FFF) {
            throw new IllegalArgumentException("ioctl size (" + size + ") does not fit _IOC_SIZE");
        }
        return (dir << 30) | (size << 16) | (IOC_TYPE << 8) | nr;
    }

    /** {@code _IOC_SIZE(cmd)}: how many bytes the kernel copies for this command. */
    public static int size(int cmd) {
        return (cmd >>> 16) & 0x3FFF;
    }
}
