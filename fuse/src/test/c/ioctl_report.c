/* Asks FUSEFS_IOC_REPORT (stat) of PATH; prints "report=0 total=N" or "report=ERRNO". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "fusefs_ioctl.h"

int main(int argc, char **argv)
{
	static struct fusefs_report r;
	int fd;

	if (argc != 2)
		return 2;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		printf("open=%s\n", strerrorname_np(errno));
		return 1;
	}
	r.kind = FUSEFS_REPORT_STAT;
	if (ioctl(fd, FUSEFS_IOC_REPORT, &r) != 0) {
		printf("report=%s\n", strerrorname_np(errno));
		return 0;
	}
	printf("report=0 total=%llu\n", (unsigned long long) r.total);
	return 0;
}
