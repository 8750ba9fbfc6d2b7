/*
 * The operations of a mounted fusefs that Java cannot call: fallocate modes, utimensat with one
 * time left out, an unknown ioctl, ioctl on the root directory. Prints one "name=result" line per
 * case (result: 0 or an errno name) and more figures; MountedOperationsIT checks them.
 *   mount_ops DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "fusefs_ioctl.h"

static const char *err(int rc)
{
	return rc == 0 ? "0" : strerrorname_np(errno);
}

int main(int argc, char **argv)
{
	char path[4096];
	struct stat st;
	struct statfs sfs;
	struct timespec ts[2];
	struct fusefs_probe probe;
	int fd, dfd, rc;

	if (argc != 2)
		return 2;
	snprintf(path, sizeof path, "%s/falloc", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	rc = fallocate(fd, 0, 0, 65536);
	printf("fallocate_0=%s\n", err(rc));
	fstat(fd, &st);
	printf("size_after_0=%lld\n", (long long) st.st_size);
	rc = fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 65536);
	printf("fallocate_keep=%s\n", err(rc));
	fstat(fd, &st);
	printf("size_after_keep=%lld\n", (long long) st.st_size);
	rc = pwrite(fd, "xxxxxxxx", 8, 4096) == 8 ? 0 : -1;
	rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096);
	printf("fallocate_punch=%s\n", err(rc));
	char b[8] = { 1 };
	pread(fd, b, 8, 4096);
	printf("punched_zero=%d\n", b[0] == 0 && b[7] == 0);
	rc = fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 131072);
	printf("fallocate_zero=%s\n", err(rc));
	fstat(fd, &st);
	printf("size_after_zero=%lld\n", (long long) st.st_size);
	rc = fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096);
	printf("fallocate_collapse_kernel=%s\n", err(rc));

	/* utimensat with only mtime (atime omitted), then only atime. */
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = 1000000000;
	ts[1].tv_nsec = 0;
	fstat(fd, &st);
	long long atime_before = st.st_atim.tv_sec;
	rc = utimensat(AT_FDCWD, path, ts, 0);
	stat(path, &st);
	printf("utime_mtime_only=%s mtime=%lld atime_kept=%d\n", err(rc), (long long) st.st_mtim.tv_sec,
	       st.st_atim.tv_sec == atime_before);
	ts[0].tv_sec = 1100000000;
	ts[0].tv_nsec = 0;
	ts[1].tv_nsec = UTIME_OMIT;
	rc = utimensat(AT_FDCWD, path, ts, 0);
	stat(path, &st);
	printf("utime_atime_only=%s atime=%lld mtime=%lld\n", err(rc), (long long) st.st_atim.tv_sec,
	       (long long) st.st_mtim.tv_sec);

	rc = ioctl(fd, _IO('x', 99));
	printf("ioctl_unknown=%s\n", err(rc < 0 ? -1 : 0));
	rc = ioctl(fd, FUSEFS_IOC_PROBE, &probe);
	printf("ioctl_probe_file=%s magic_ok=%d\n", err(rc), probe.magic == FUSEFS_MAGIC);
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	memset(&probe, 0, sizeof probe);
	rc = ioctl(dfd, FUSEFS_IOC_PROBE, &probe);
	printf("ioctl_probe_dir=%s magic_ok=%d\n", err(rc), probe.magic == FUSEFS_MAGIC);
	rc = fsync(dfd);
	printf("fsyncdir=%s\n", err(rc));
	rc = fstatfs(fd, &sfs);
	printf("statfs=%s namemax=%ld type=0x%lx\n", err(rc), (long) sfs.f_namelen, (long) sfs.f_type);
	rc = fdatasync(fd);
	printf("fdatasync=%s\n", err(rc));
	close(dfd);
	close(fd);

	/* O_DIRECT open with unaligned I/O (buffered inside the daemon). */
	fd = open(path, O_RDWR | O_DIRECT);
	rc = fd < 0 ? -1 : 0;
	printf("open_direct=%s\n", err(rc));
	if (fd >= 0) {
		rc = pwrite(fd, "direct", 6, 3) == 6 ? 0 : -1;
		printf("pwrite_direct=%s\n", err(rc));
		char d[6];
		rc = pread(fd, d, 6, 3) == 6 && memcmp(d, "direct", 6) == 0 ? 0 : -1;
		printf("pread_direct=%s\n", err(rc));
		close(fd);
	}
	return 0;
}
