/*
 * libfusefs-preload.so: makes unmodified programs use what a libfuse 2.9 mount cannot carry.
 *
 *   fallocate(2) COLLAPSE_RANGE / INSERT_RANGE  -> FUSEFS_IOC_FALLOCATE (the kernel's FUSE refuses
 *                                                  those modes with EOPNOTSUPP before the daemon)
 *   lseek(2) SEEK_DATA / SEEK_HOLE              -> FUSEFS_IOC_SEEK (the kernel answers "all data"
 *                                                  on its own for protocol 7.19)
 *
 * Everything else, and every call on a file outside a fusefs mount, goes to the real function
 * found with dlsym(RTLD_NEXT). A fusefs file is one whose filesystem has the FUSE f_type and
 * answers FUSEFS_IOC_PROBE with our magic.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fusefs_ioctl.h"

typedef int (*fallocate_fn)(int, int, off_t, off_t);
typedef off_t (*lseek_fn)(int, off_t, int);

static int is_fusefs(int fd)
{
	struct statfs sfs;
	struct fusefs_probe probe = { 0, 0 };
	int saved = errno;
	int yes = fstatfs(fd, &sfs) == 0 && sfs.f_type == FUSEFS_FUSE_SUPER_MAGIC
		&& ioctl(fd, FUSEFS_IOC_PROBE, &probe) == 0 && probe.magic == FUSEFS_MAGIC;
	errno = saved;
	return yes;
}

/* Dirty pages (also those dirtied through a shared mapping) must reach the daemon before it shifts
 * the data: the kernel launders them at their old offsets when the daemon invalidates the cache. */
static int shift_range(int fd, int mode, off_t offset, off_t len)
{
	struct stat st;
	struct fusefs_fallocate req;

	if (fstat(fd, &st) != 0)
		return -1;
	if (S_ISREG(st.st_mode) && fsync(fd) != 0)
		return -1;
	req.nodeid = st.st_ino;
	req.offset = offset;
	req.length = len;
	req.mode = mode;
	req.reserved = 0;
	return ioctl(fd, FUSEFS_IOC_FALLOCATE, &req) < 0 ? -1 : 0;
}

static int fallocate_common(fallocate_fn real, int fd, int mode, off_t offset, off_t len)
{
	if ((mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) && is_fusefs(fd))
		return shift_range(fd, mode, offset, len);
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, mode, offset, len);
}

int fallocate(int fd, int mode, off_t offset, off_t len)
{
	static fallocate_fn real;
	if (real == NULL)
		real = (fallocate_fn) dlsym(RTLD_NEXT, "fallocate");
	return fallocate_common(real, fd, mode, offset, len);
}

int fallocate64(int fd, int mode, off_t offset, off_t len)
{
	static fallocate_fn real;
	if (real == NULL)
		real = (fallocate_fn) dlsym(RTLD_NEXT, "fallocate64");
	return fallocate_common(real, fd, mode, offset, len);
}

static off_t lseek_common(lseek_fn real, int fd, off_t offset, int whence)
{
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if ((whence == SEEK_DATA || whence == SEEK_HOLE) && is_fusefs(fd)) {
		struct fusefs_seek req;
		req.offset = offset;
		req.whence = whence;
		req.reserved = 0;
		req.result = -1;
		if (ioctl(fd, FUSEFS_IOC_SEEK, &req) < 0)
			return -1;
		/* lseek also moves the file position. */
		return real(fd, req.result, SEEK_SET);
	}
	return real(fd, offset, whence);
}

off_t lseek(int fd, off_t offset, int whence)
{
	static lseek_fn real;
	if (real == NULL)
		real = (lseek_fn) dlsym(RTLD_NEXT, "lseek");
	return lseek_common(real, fd, offset, whence);
}

off_t lseek64(int fd, off_t offset, int whence)
{
	static lseek_fn real;
	if (real == NULL)
		real = (lseek_fn) dlsym(RTLD_NEXT, "lseek64");
	return lseek_common(real, fd, offset, whence);
}
