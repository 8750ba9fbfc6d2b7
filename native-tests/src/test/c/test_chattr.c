/*
 * Inode flags (chattr / lsattr, FS_IOC_GETFLAGS / FS_IOC_SETFLAGS): an append-only file takes
 * only appends, an immutable file nothing at all, whichever way the change is attempted (open,
 * write through a descriptor opened before the flag, truncate, chmod, chown, utimes, xattrs,
 * link, unlink, rename, fallocate), and the flags stick across a close. Directories: entries of
 * an append-only directory can be added, not removed; an immutable directory takes neither.
 * The expected answers are ext4's (run with FS_BACKEND=ext4 to see them on this kernel).
 *
 * usage: test_chattr DIR      (as root: setting +a and +i needs CAP_LINUX_IMMUTABLE)
 */
#include "fstest.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *dir;
static char path_a[4096];
static char path_b[4096];

static int get_flags(const char *path, int *flags)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd == -1)
		return errno;
	int e = ioctl(fd, FS_IOC_GETFLAGS, flags) == 0 ? 0 : errno;
	close(fd);
	return e;
}

/* Sets (on) or clears (!on) flag on path, keeping the others. 0 or the errno. */
static int change_flags(const char *path, int flag, int on)
{
	int flags = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd == -1)
		return errno;
	int e = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
		e = errno;
	} else {
		flags = on ? flags | flag : flags & ~flag;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0)
			e = errno;
	}
	close(fd);
	return e;
}

/* Compares the result of a call (rc, errno) with the expected errno (0: success). */
static int expect(const char *call, int rc, int want)
{
	int got = rc == -1 ? errno : 0;
	if (got != want) {
		fail("%s: expected %s, got %s", call, errno_name(want), errno_name(got));
		return -1;
	}
	return 0;
}

static int make(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1) {
		PERROR("open O_CREAT");
		return -1;
	}
	if (write(fd, data, strlen(data)) != (ssize_t) strlen(data)) {
		PERROR("write");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int content_is(const char *path, const char *want)
{
	char buf[256] = { 0 };
	int fd = open(path, O_RDONLY);
	if (fd == -1) {
		PERROR("open O_RDONLY");
		return -1;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0 || strcmp(buf, want) != 0) {
		fail("contents of %s: expected \"%s\", got \"%s\"", path, want, n < 0 ? "(read failed)" : buf);
		return -1;
	}
	return 0;
}

static void test_flags_roundtrip(void)
{
	start_test("FS_IOC_SETFLAGS sets +a and +i, FS_IOC_GETFLAGS reads them back after a close");
	snprintf(path_a, sizeof(path_a), "%s/roundtrip", dir);
	if (make(path_a, "x") == -1)
		return;
	int e, flags = 0;
	if ((e = change_flags(path_a, FS_APPEND_FL, 1)) != 0) {
		fail("chattr +a: %s", strerror(e));
		return;
	}
	if ((e = get_flags(path_a, &flags)) != 0 || !(flags & FS_APPEND_FL)) {
		fail("lsattr after +a: flags 0x%x, %s", flags, strerror(e));
		return;
	}
	if ((e = change_flags(path_a, FS_APPEND_FL, 0)) != 0 || (e = change_flags(path_a, FS_IMMUTABLE_FL, 1)) != 0) {
		fail("chattr -a +i: %s", strerror(e));
		return;
	}
	if ((e = get_flags(path_a, &flags)) != 0 || (flags & (FS_APPEND_FL | FS_IMMUTABLE_FL)) != FS_IMMUTABLE_FL) {
		fail("lsattr after -a +i: flags 0x%x, %s", flags, strerror(e));
		return;
	}
	if ((e = change_flags(path_a, FS_IMMUTABLE_FL, 0)) != 0 || (e = get_flags(path_a, &flags)) != 0
	    || (flags & (FS_APPEND_FL | FS_IMMUTABLE_FL)) != 0) {
		fail("chattr -i: flags 0x%x, %s", flags, strerror(e));
		return;
	}
	unlink(path_a);
	success();
}

static void test_append_only_file(void)
{
	start_test("append-only file: appends only; no overwrite, truncate, attribute change, link or removal");
	snprintf(path_a, sizeof(path_a), "%s/appendonly", dir);
	snprintf(path_b, sizeof(path_b), "%s/appendonly-2", dir);
	if (make(path_a, "head") == -1)
		return;
	int before = open(path_a, O_WRONLY); /* opened before the flag: stays usable for appends only */
	int e = change_flags(path_a, FS_APPEND_FL, 1);
	if (e != 0) {
		fail("chattr +a: %s", strerror(e));
		close(before);
		return;
	}
	int ok = 0;
	do {
		if (expect("open O_WRONLY", open(path_a, O_WRONLY), EPERM)
		    || expect("open O_RDWR", open(path_a, O_RDWR), EPERM)
		    || expect("open O_WRONLY|O_APPEND|O_TRUNC", open(path_a, O_WRONLY | O_APPEND | O_TRUNC), EPERM)
		    || expect("truncate", truncate(path_a, 0), EPERM)
		    || expect("chmod", chmod(path_a, 0600), EPERM)
		    || expect("chown", chown(path_a, 1, 1), EPERM)
		    || expect("utimes(times)", utimes(path_a, (struct timeval[2]) { { 1, 0 }, { 2, 0 } }), EPERM)
		    || expect("setxattr", setxattr(path_a, "user.k", "v", 1, 0), EPERM)
		    || expect("link", link(path_a, path_b), EPERM)
		    || expect("rename", rename(path_a, path_b), EPERM)
		    || expect("unlink", unlink(path_a), EPERM))
			break;
		int fd = open(path_a, O_WRONLY | O_APPEND);
		if (fd == -1) {
			PERROR("open O_WRONLY|O_APPEND");
			break;
		}
		int w = write(fd, "-tail", 5);
		int t = ftruncate(fd, 1);
		int te = errno;
		close(fd);
		if (w != 5) {
			PERROR("write through O_APPEND");
			break;
		}
		errno = te;
		if (expect("ftruncate through O_APPEND", t, EPERM))
			break;
		if (expect("utimes(NULL) (touch)", utimes(path_a, NULL), 0))
			break;
		if (content_is(path_a, "head-tail"))
			break;
		ok = 1;
	} while (0);
	close(before);
	if ((e = change_flags(path_a, FS_APPEND_FL, 0)) != 0)
		fprintf(stderr, "chattr -a %s: %s\n", path_a, strerror(e));
	unlink(path_a);
	unlink(path_b);
	if (ok)
		success();
}

static void test_immutable_file(void)
{
	start_test("immutable file: no write (also through a descriptor opened before), truncate, attribute change, link or removal");
	snprintf(path_a, sizeof(path_a), "%s/immutable", dir);
	snprintf(path_b, sizeof(path_b), "%s/immutable-2", dir);
	if (make(path_a, "frozen") == -1)
		return;
	int before = open(path_a, O_WRONLY);
	int e = change_flags(path_a, FS_IMMUTABLE_FL, 1);
	if (e != 0) {
		fail("chattr +i: %s", strerror(e));
		close(before);
		return;
	}
	int ok = 0;
	do {
		if (expect("open O_WRONLY", open(path_a, O_WRONLY), EPERM)
		    || expect("open O_WRONLY|O_APPEND", open(path_a, O_WRONLY | O_APPEND), EPERM)
		    || expect("write through a descriptor opened before +i", write(before, "x", 1), EPERM)
		    || expect("ftruncate through a descriptor opened before +i", ftruncate(before, 0), EPERM)
		    || expect("truncate", truncate(path_a, 0), EPERM)
		    || expect("chmod", chmod(path_a, 0600), EPERM)
		    || expect("utimes(times)", utimes(path_a, (struct timeval[2]) { { 1, 0 }, { 2, 0 } }), EPERM)
		    || expect("utimes(NULL) (touch)", utimes(path_a, NULL), EPERM)
		    || expect("setxattr", setxattr(path_a, "user.k", "v", 1, 0), EPERM)
		    || expect("link", link(path_a, path_b), EPERM)
		    || expect("rename", rename(path_a, path_b), EPERM)
		    || expect("unlink", unlink(path_a), EPERM))
			break;
		if (content_is(path_a, "frozen"))
			break;
		ok = 1;
	} while (0);
	close(before);
	if ((e = change_flags(path_a, FS_IMMUTABLE_FL, 0)) != 0)
		fprintf(stderr, "chattr -i %s: %s\n", path_a, strerror(e));
	unlink(path_a);
	unlink(path_b);
	if (ok)
		success();
}

static void test_directories(void)
{
	start_test("append-only directory takes new entries but loses none; immutable directory takes none");
	char d[4096], in[4096 + 16], made[4096 + 16];
	snprintf(d, sizeof(d), "%s/flagdir", dir);
	snprintf(in, sizeof(in), "%s/old", d);
	snprintf(made, sizeof(made), "%s/new", d);
	if (mkdir(d, 0755) == -1 || make(in, "old") == -1) {
		PERROR("mkdir / create");
		return;
	}
	int ok = 0, e;
	do {
		if ((e = change_flags(d, FS_APPEND_FL, 1)) != 0) {
			fail("chattr +a on a directory: %s", strerror(e));
			break;
		}
		if (make(made, "new") == -1
		    || expect("unlink in an append-only directory", unlink(in), EPERM)
		    || expect("rename out of an append-only directory", rename(in, path_b), EPERM))
			break;
		if ((e = change_flags(d, FS_APPEND_FL, 0)) != 0 || (e = change_flags(d, FS_IMMUTABLE_FL, 1)) != 0) {
			fail("chattr -a +i on a directory: %s", strerror(e));
			break;
		}
		snprintf(made, sizeof(made), "%s/newer", d);
		if (expect("create in an immutable directory", open(made, O_WRONLY | O_CREAT, 0644), EPERM)
		    || expect("mkdir in an immutable directory", mkdir(made, 0755), EPERM)
		    || expect("unlink in an immutable directory", unlink(in), EPERM))
			break;
		if (content_is(in, "old"))
			break;
		ok = 1;
	} while (0);
	change_flags(d, FS_IMMUTABLE_FL, 0);
	change_flags(d, FS_APPEND_FL, 0);
	snprintf(made, sizeof(made), "%s/new", d);
	unlink(made);
	unlink(in);
	rmdir(d);
	if (ok)
		success();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	snprintf(path_b, sizeof(path_b), "%s/elsewhere", dir);
	test_flags_roundtrip();
	test_append_only_file();
	test_immutable_file();
	test_directories();
	return fst_finish("test_chattr");
}
