/*
 * Layouts of the libfuse 2.9 structs the jnr adapter touches by offset (fuse.h, fuse_common.h),
 * printed as NAME=VALUE for StructLayoutTest.
 */
#define FUSE_USE_VERSION 29
#define _FILE_OFFSET_BITS 64
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(void)
{
	struct fuse_operations op;
	const unsigned char *b = (const unsigned char *) &op;
	size_t i;

	memset(&op, 0, sizeof op);
	op.flag_utime_omit_ok = 1;
	for (i = 0; i < sizeof op; i++) {
		if (b[i] != 0) {
			printf("OPS_FLAGS_OFFSET=%zu\nFLAG_UTIME_OMIT_OK=%u\n", i, b[i]);
			break;
		}
	}
	printf("OPS_SIZE=%zu\n", sizeof(struct fuse_operations));
	printf("CONN_WANT=%zu\n", offsetof(struct fuse_conn_info, want));
	printf("FUSE_CAP_BIG_WRITES=%d\n", FUSE_CAP_BIG_WRITES);
	printf("FUSE_CAP_IOCTL_DIR=%d\n", FUSE_CAP_IOCTL_DIR);
	printf("FI_FH=%zu\n", offsetof(struct fuse_file_info, fh));
	printf("OPS_READ=%zu\nOPS_WRITE=%zu\n", offsetof(struct fuse_operations, read), offsetof(struct fuse_operations, write));
	printf("FUSE_BUF_SIZE=%zu\n", sizeof(struct fuse_buf));
	printf("FUSE_BUF_MEM=%zu\n", offsetof(struct fuse_buf, mem));
	printf("FUSE_BUF_FD=%zu\n", offsetof(struct fuse_buf, fd));
	printf("FUSE_BUF_POS=%zu\n", offsetof(struct fuse_buf, pos));
	printf("STAT_SIZE=%zu\n", sizeof(struct stat));
	printf("UTIME_NOW=%ld\nUTIME_OMIT=%ld\n", (long) UTIME_NOW, (long) UTIME_OMIT);
	return 0;
}
