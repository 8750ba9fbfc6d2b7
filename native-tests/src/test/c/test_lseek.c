/*
 * lseek(2) SEEK_DATA / SEEK_HOLE through a mounted filesystem, on files with holes made by
 * writing past a gap, by ftruncate up and by PUNCH_HOLE.
 *
 * usage: test_lseek [-H] DIR
 *   -H  the filesystem must report holes (ext4, tmpfs, fusefs with the preload library).
 *       Without -H the generic answer is accepted as well: the whole file is data and the only
 *       hole is at EOF (FUSE with libfuse 2 has no FUSE_LSEEK, so the kernel answers itself).
 * Both variants require ENXIO at and beyond EOF, and offsets that never go backwards.
 */
#include "fstest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>

#define BS 4096L

static const char *dir;
static int need_holes;
static int file_seq;

static char *next_path(void)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/seekfile.%d", dir, ++file_seq);
	return path;
}

/* Writes len bytes of 'x' at off. */
static int put(int fd, off_t off, size_t len)
{
	char *buf = malloc(len);
	memset(buf, 'x', len);
	ssize_t n = pwrite(fd, buf, len, off);
	free(buf);
	if (n != (ssize_t) len) {
		PERROR("pwrite");
		return -1;
	}
	return 0;
}

struct seek {
	int whence;
	off_t from;
	off_t real;	/* answer of a filesystem that reports holes; -1 = ENXIO */
	off_t generic;	/* answer of the generic implementation (no holes but EOF) */
};

static const char *whence_name(int whence)
{
	return whence == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE";
}

static int check_seeks(int fd, const struct seek *s, size_t n)
{
	int real_ok = 1, generic_ok = 1;
	off_t got[32];
	int err[32];
	for (size_t i = 0; i < n; i++) {
		errno = 0;
		got[i] = lseek(fd, s[i].from, s[i].whence);
		err[i] = got[i] == -1 ? errno : 0;
		if (got[i] == -1 && err[i] != ENXIO) {
			fail("lseek(%lld, %s): unexpected error %s", (long long) s[i].from,
			     whence_name(s[i].whence), strerror(err[i]));
			return -1;
		}
		if (got[i] != s[i].real)
			real_ok = 0;
		if (got[i] != s[i].generic)
			generic_ok = 0;
	}
	if (real_ok || (!need_holes && generic_ok)) {
		fprintf(stderr, "      answers match the %s layout\n", real_ok ? "hole-reporting" : "generic");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (got[i] != s[i].real) {
			fail("lseek(%lld, %s): expected %lld%s, got %lld (-1 = ENXIO)%s",
			     (long long) s[i].from, whence_name(s[i].whence), (long long) s[i].real,
			     need_holes ? "" : " (or the generic answer)", (long long) got[i],
			     need_holes ? "" : "; the other answers do not fit the generic layout either");
			return -1;
		}
	}
	return -1;
}

static void test_gap(void)
{
	start_test("SEEK_DATA / SEEK_HOLE on data [0,4K), hole [4K,1M), data [1M,1M+4K)");
	char *path = next_path();
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd == -1) {
		PERROR("open");
		return;
	}
	const off_t m = 1 << 20, size = m + BS;
	if (put(fd, 0, BS) == 0 && put(fd, m, BS) == 0 && fsync(fd) == 0) {
		const struct seek s[] = {
			{ SEEK_DATA, 0, 0, 0 },
			{ SEEK_HOLE, 0, BS, size },
			{ SEEK_DATA, BS, m, BS },
			{ SEEK_DATA, BS + 100, m, BS + 100 },
			{ SEEK_HOLE, BS + 100, BS + 100, size },
			{ SEEK_HOLE, m, size, size },
			{ SEEK_DATA, m + 10, m + 10, m + 10 },
			{ SEEK_DATA, size, -1, -1 },
			{ SEEK_HOLE, size, -1, -1 },
			{ SEEK_DATA, size + m, -1, -1 },
		};
		if (check_seeks(fd, s, sizeof(s) / sizeof(s[0])) == 0)
			success();
	}
	close(fd);
	unlink(path);
}

static void test_truncated(void)
{
	start_test("SEEK_DATA / SEEK_HOLE on 4K of data then ftruncate to 64K");
	char *path = next_path();
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd == -1) {
		PERROR("open");
		return;
	}
	const off_t size = 16 * BS;
	if (put(fd, 0, BS) == 0 && ftruncate(fd, size) == 0 && fsync(fd) == 0) {
		const struct seek s[] = {
			{ SEEK_HOLE, 0, BS, size },
			{ SEEK_DATA, BS, -1, BS },	/* only a hole up to EOF */
			{ SEEK_HOLE, 2 * BS, 2 * BS, size },
		};
		if (check_seeks(fd, s, sizeof(s) / sizeof(s[0])) == 0)
			success();
	} else {
		PERROR("ftruncate/fsync");
	}
	close(fd);
	unlink(path);
}

static void test_punched(void)
{
	start_test("SEEK_DATA / SEEK_HOLE after PUNCH_HOLE of [16K,32K) in a 64K file");
	char *path = next_path();
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd == -1) {
		PERROR("open");
		return;
	}
	const off_t size = 16 * BS;
	if (put(fd, 0, size) == 0 && fsync(fd) == 0 &&
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4 * BS, 4 * BS) == 0) {
		const struct seek s[] = {
			{ SEEK_HOLE, 0, 4 * BS, size },
			{ SEEK_DATA, 4 * BS, 8 * BS, 4 * BS },
			{ SEEK_HOLE, 8 * BS, size, size },
			{ SEEK_DATA, 5 * BS + 1, 8 * BS, 5 * BS + 1 },
		};
		if (check_seeks(fd, s, sizeof(s) / sizeof(s[0])) == 0)
			success();
	} else {
		PERROR("write/fsync/fallocate(PUNCH_HOLE)");
	}
	close(fd);
	unlink(path);
}

static void test_empty(void)
{
	start_test("SEEK_DATA / SEEK_HOLE on an empty file give ENXIO");
	char *path = next_path();
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd == -1) {
		PERROR("open");
		return;
	}
	const struct seek s[] = {
		{ SEEK_DATA, 0, -1, -1 },
		{ SEEK_HOLE, 0, -1, -1 },
	};
	if (check_seeks(fd, s, sizeof(s) / sizeof(s[0])) == 0)
		success();
	close(fd);
	unlink(path);
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "H")) != -1) {
		if (opt != 'H') {
			fprintf(stderr, "usage: %s [-H] DIR\n", argv[0]);
			return 2;
		}
		need_holes = 1;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s [-H] DIR\n", argv[0]);
		return 2;
	}
	dir = argv[optind];
	fprintf(stderr, "test_lseek: %s: holes %s%s\n", dir, need_holes ? "required" : "optional",
		getenv("LD_PRELOAD") ? " (LD_PRELOAD set)" : "");
	test_empty();
	test_gap();
	test_truncated();
	test_punched();
	return fst_finish("test_lseek");
}
