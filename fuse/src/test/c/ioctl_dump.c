/* Prints every value of fusefs_ioctl.h as NAME=VALUE lines, for FusefsIoctlHeaderTest. */
#include <stddef.h>
#include <stdio.h>
#include "fusefs_ioctl.h"

#define P(name, value) printf("%s=%lld\n", name, (long long) (value))

int main(void)
{
	P("IOC_TYPE", FUSEFS_IOC_TYPE);
	P("MAGIC", FUSEFS_MAGIC);
	P("PROTOCOL_VERSION", FUSEFS_PROTOCOL_VERSION);
	P("FUSE_SUPER_MAGIC", FUSEFS_FUSE_SUPER_MAGIC);
	P("PROBE", (int) FUSEFS_IOC_PROBE);
	P("FALLOCATE", (int) FUSEFS_IOC_FALLOCATE);
	P("SEEK", (int) FUSEFS_IOC_SEEK);
	P("HWPOISON", (int) FUSEFS_IOC_HWPOISON);
	P("REPORT", (int) FUSEFS_IOC_REPORT);
	P("PROBE_SIZE", sizeof(struct fusefs_probe));
	P("FALLOCATE_SIZE", sizeof(struct fusefs_fallocate));
	P("SEEK_SIZE", sizeof(struct fusefs_seek));
	P("HWPOISON_SIZE", sizeof(struct fusefs_hwpoison));
	P("REPORT_SIZE", sizeof(struct fusefs_report));
	P("POISON_MESSAGE", FUSEFS_POISON_MESSAGE);
	P("REPORT_DATA", FUSEFS_REPORT_DATA);
	P("REPORT_STAT", FUSEFS_REPORT_STAT);
	P("REPORT_EXTENTS", FUSEFS_REPORT_EXTENTS);
	P("REPORT_PAGE_OWNER", FUSEFS_REPORT_PAGE_OWNER);
	P("FALLOCATE_NODEID", offsetof(struct fusefs_fallocate, nodeid));
	P("FALLOCATE_OFFSET", offsetof(struct fusefs_fallocate, offset));
	P("FALLOCATE_LENGTH", offsetof(struct fusefs_fallocate, length));
	P("FALLOCATE_MODE", offsetof(struct fusefs_fallocate, mode));
	P("SEEK_OFFSET", offsetof(struct fusefs_seek, offset));
	P("SEEK_WHENCE", offsetof(struct fusefs_seek, whence));
	P("SEEK_RESULT", offsetof(struct fusefs_seek, result));
	P("HWPOISON_NODEID", offsetof(struct fusefs_hwpoison, nodeid));
	P("HWPOISON_OFFSET", offsetof(struct fusefs_hwpoison, offset));
	P("HWPOISON_PFN", offsetof(struct fusefs_hwpoison, pfn));
	P("HWPOISON_RESULT", offsetof(struct fusefs_hwpoison, result));
	P("HWPOISON_MESSAGE", offsetof(struct fusefs_hwpoison, message));
	P("REPORT_KIND", offsetof(struct fusefs_report, kind));
	P("REPORT_OFFSET", offsetof(struct fusefs_report, offset));
	P("REPORT_TOTAL", offsetof(struct fusefs_report, total));
	P("REPORT_LENGTH", offsetof(struct fusefs_report, length));
	P("REPORT_DATA_OFFSET", offsetof(struct fusefs_report, data));
	return 0;
}
