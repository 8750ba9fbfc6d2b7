/*
 * The ioctl commands a fusefs mount answers: the one definition shared by the daemon (Java, see
 * org.fusefs.fusefs.ops.FusefsIoctl, checked against this file by FusefsIoctlHeaderTest), the
 * preload library and the command-line tool.
 *
 * FUSE forwards only "restricted" ioctls: the kernel copies _IOC_SIZE(cmd) bytes in (for _IOW)
 * and out (for _IOR) around the request, at most 16383 bytes. Everything is little-endian x86_64
 * with natural alignment; every struct is padded to a multiple of 8 by explicit reserved fields.
 *
 * Commands that change the contents of a file behind the kernel's page cache carry the caller's
 * st_ino in `nodeid`. The daemon no longer reads it (it serves libfuse's low-level API, where the
 * request names the inode and the nodeid is the inode number); the field stays so that protocol
 * version 1 keeps its layout.
 */
#ifndef FUSEFS_IOCTL_H
#define FUSEFS_IOCTL_H

#include <stdint.h>
#include <linux/ioctl.h>

#define FUSEFS_IOC_TYPE 0xF5
/* "FUSF": answered by PROBE so that a caller knows the mount is fusefs and not another FUSE fs. */
#define FUSEFS_MAGIC 0x46535546u
#define FUSEFS_PROTOCOL_VERSION 1u
/* statfs(2) f_type of every FUSE mount. */
#define FUSEFS_FUSE_SUPER_MAGIC 0x65735546

struct fusefs_probe {
	uint32_t magic;
	uint32_t version;
};

/* fallocate(2) with any mode, in particular COLLAPSE_RANGE and INSERT_RANGE, which the kernel's
 * FUSE refuses before the daemon sees them. The caller must have written the file back (fsync)
 * first: dirty pages laundered after the shift would land at their old offsets. */
struct fusefs_fallocate {
	uint64_t nodeid;
	int64_t offset;
	int64_t length;
	int32_t mode;
	uint32_t reserved;
};

/* lseek(2) SEEK_DATA / SEEK_HOLE answered from the extent map: libfuse 2.9's protocol is too old
 * for the kernel to ask. */
struct fusefs_seek {
	int64_t offset;
	int32_t whence;
	uint32_t reserved;
	int64_t result;
};

/* A memory failure on the page frame that caches byte `offset` of the file. */
#define FUSEFS_POISON_MESSAGE 224
struct fusefs_hwpoison {
	uint64_t nodeid;
	int64_t offset;
	int64_t pfn;            /* out: the page frame, -1 when no page caches that offset */
	int32_t result;         /* out: org.fusefs.memory.MfResult ordinal, -1 when nothing was done */
	uint32_t reserved;
	char message[FUSEFS_POISON_MESSAGE]; /* out: NUL-terminated description */
};

/* A text report, paged: call with offset 0, then with offset += length until offset == total.
 * The daemon renders the report at offset 0 and serves later pages from that same rendering, kept
 * with the open file. */
#define FUSEFS_REPORT_STAT 1       /* memory core, page cache, device, daemon figures (any file) */
#define FUSEFS_REPORT_EXTENTS 2    /* the extent map of this file */
#define FUSEFS_REPORT_PAGE_OWNER 3 /* page_owner report of the memory core (any file) */
#define FUSEFS_REPORT_DATA 16320
struct fusefs_report {
	uint32_t kind;
	uint32_t reserved;
	uint64_t offset;
	uint64_t total;         /* out */
	uint32_t length;        /* out: bytes of data[] used */
	uint32_t reserved2;
	char data[FUSEFS_REPORT_DATA];
};

#define FUSEFS_IOC_PROBE     _IOR(FUSEFS_IOC_TYPE, 1, struct fusefs_probe)
#define FUSEFS_IOC_FALLOCATE _IOW(FUSEFS_IOC_TYPE, 2, struct fusefs_fallocate)
#define FUSEFS_IOC_SEEK      _IOWR(FUSEFS_IOC_TYPE, 3, struct fusefs_seek)
#define FUSEFS_IOC_HWPOISON  _IOWR(FUSEFS_IOC_TYPE, 4, struct fusefs_hwpoison)
#define FUSEFS_IOC_REPORT    _IOWR(FUSEFS_IOC_TYPE, 5, struct fusefs_report)

#endif
