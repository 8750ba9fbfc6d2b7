/*
 * fallocate(2) through a mounted filesystem: every mode, the error cases in the order Linux
 * checks them (/work/shared/spec/fallocate.md §2-§3), what reads and mappings see afterwards,
 * and collapse / insert while another process has the file mapped MAP_SHARED.
 *
 * usage: test_fallocate [-r zero,collapse,blocks] DIR
 *   DIR  an empty private directory on the filesystem under test.
 *   -r   modes the filesystem must support. Without -r the program probes ZERO_RANGE and
 *        COLLAPSE_RANGE and, where they are missing, expects EOPNOTSUPP for every request of
 *        that mode (FUSE without the preload library, tmpfs). With -r a missing mode fails.
 *        "blocks" also checks that punching whole blocks lowers st_blocks (ext4 yes, tmpfs no).
 * Exit status: 0 all passed, 1 a test failed, 2 usage or setup error.
 */
#include "fstest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#ifndef FALLOC_FL_WRITE_ZEROES
#define FALLOC_FL_WRITE_ZEROES 0x80	/* Linux 6.17; Debian 12's headers lack it */
#endif
#define FALLOC_FL_NO_HIDE_STALE_ 0x04

#define BS 4096L	/* collapse / insert granularity: block and page size */
#define END (-1)	/* terminates errno sets */

static const char *dir;
static int have_zero;
static int have_collapse;
static int check_blocks;	/* -r blocks: st_blocks must follow allocation (ext4 rule) */
static int file_seq;

/* --- files and contents -------------------------------------------------------------- */

static char *next_path(void)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/testfile.%d", dir, ++file_seq);
	return path;
}

/* Byte at offset off of a file written by make_file: page i holds the letter 'A' + i % 26. */
static unsigned char pattern_at(off_t off)
{
	return (unsigned char) ('A' + (off / BS) % 26);
}

/* Creates a fresh file of size bytes filled with the page pattern; returns an O_RDWR fd. */
static int make_file(const char *path, off_t size)
{
	unlink(path);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd == -1) {
		PERROR("open(O_CREAT)");
		return -1;
	}
	unsigned char *buf = malloc(size ? size : 1);
	for (off_t i = 0; i < size; i++)
		buf[i] = pattern_at(i);
	ssize_t n = pwrite(fd, buf, size, 0);
	free(buf);
	if (n != size) {
		PERROR("pwrite");
		close(fd);
		return -1;
	}
	return fd;
}

static off_t file_size(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == -1)
		return -1;
	return st.st_size;
}

static long long file_blocks(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == -1)
		return -1;
	return (long long) st.st_blocks;
}

static int check_size(int fd, off_t expected, const char *after)
{
	off_t size = file_size(fd);
	if (size != expected) {
		fail("st_size after %s: expected %lld, got %lld", after, (long long) expected,
		     (long long) size);
		return -1;
	}
	return 0;
}

/* Compares actual with expected over len bytes; reports the first difference. */
static int compare(const char *what, const unsigned char *expected, const unsigned char *actual,
		   size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (expected[i] != actual[i]) {
			fail("%s: byte at offset %zu: expected 0x%02x '%c', got 0x%02x '%c'", what, i,
			     expected[i], expected[i] >= 32 && expected[i] < 127 ? expected[i] : '.',
			     actual[i], actual[i] >= 32 && actual[i] < 127 ? actual[i] : '.');
			return -1;
		}
	}
	return 0;
}

/* Reads the whole file with pread and compares it with expected (which has len bytes). */
static int check_pread(int fd, const unsigned char *expected, size_t len, const char *after)
{
	if (check_size(fd, len, after) == -1)
		return -1;
	unsigned char *buf = malloc(len + 1);
	ssize_t n = pread(fd, buf, len + 1, 0);
	char what[128];
	snprintf(what, sizeof(what), "pread after %s", after);
	if (n != (ssize_t) len) {
		fail("%s: expected %zu bytes, got %zd (%s)", what, len, n, strerror(errno));
		free(buf);
		return -1;
	}
	int res = compare(what, expected, buf, len);
	free(buf);
	return res;
}

/* Reads the whole file through a fresh MAP_SHARED mapping and compares it with expected. */
static int check_new_mmap(int fd, const unsigned char *expected, size_t len, const char *after)
{
	unsigned char *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		PERROR("mmap");
		return -1;
	}
	char what[128];
	snprintf(what, sizeof(what), "new mmap read after %s", after);
	int res = compare(what, expected, map, len);
	munmap(map, len);
	return res;
}

static unsigned char *pattern_buf(size_t len)
{
	unsigned char *buf = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_at(i);
	return buf;
}

/* --- errno expectations -------------------------------------------------------------- */

static int in_set(int e, const int *set)
{
	for (; *set != END; set++)
		if (*set == e)
			return 1;
	return 0;
}

static void format_set(char *out, size_t size, const int *set)
{
	out[0] = 0;
	for (; *set != END; set++) {
		size_t used = strlen(out);
		snprintf(out + used, size - used, "%s%s", used ? "|" : "", errno_name(*set));
	}
}

/* Calls fallocate and checks the outcome against a set of acceptable errnos (0 = success). */
static int expect_fallocate(int fd, int mode, off_t off, off_t len, const int *set)
{
	errno = 0;
	int res = fallocate(fd, mode, off, len);
	int got = res == 0 ? 0 : errno;
	if (in_set(got, set))
		return 0;
	char want[256];
	format_set(want, sizeof(want), set);
	fail("fallocate(fd, 0x%x, %lld, %lld): expected %s, got %s", mode, (long long) off,
	     (long long) len, want, errno_name(got));
	return -1;
}

/* Runs a successful fallocate, reporting the call on failure. */
static int do_fallocate(int fd, int mode, off_t off, off_t len)
{
	if (fallocate(fd, mode, off, len) == -1) {
		fail("fallocate(fd, 0x%x, %lld, %lld): %s", mode, (long long) off, (long long) len,
		     strerror(errno));
		return -1;
	}
	return 0;
}

/* --- feature probes ------------------------------------------------------------------ */

static int probe(int mode, off_t off, off_t len)
{
	char *path = next_path();
	int fd = make_file(path, 3 * BS);
	if (fd == -1)
		return -1;
	int res = fallocate(fd, mode, off, len);
	int e = errno;
	close(fd);
	unlink(path);
	if (res == 0)
		return 1;
	if (e == EOPNOTSUPP)
		return 0;
	fprintf(stderr, "probe fallocate(0x%x, %lld, %lld): unexpected %s\n", mode,
		(long long) off, (long long) len, strerror(e));
	return -1;
}

/* --- error cases --------------------------------------------------------------------- */

#define SET(...) ((const int[]) { __VA_ARGS__, END })

struct error_case {
	int mode;
	off_t off;
	off_t len;
	const int *errnos;
	const char *why;
};

static void test_errors_rw(void)
{
	/* Every case here is decided by the VFS before the filesystem sees the request. */
	const struct error_case cases[] = {
		{ 0, 0, 0, SET(EINVAL), "len == 0" },
		{ 0, 0, -1, SET(EINVAL), "len < 0" },
		{ 0, -1, BS, SET(EINVAL), "offset < 0" },
		{ 0x100, 0, 0, SET(EINVAL), "len == 0 is checked before the mode" },
		{ FALLOC_FL_NO_HIDE_STALE_, 0, BS, SET(EOPNOTSUPP), "NO_HIDE_STALE is reserved" },
		{ 0x100, 0, BS, SET(EOPNOTSUPP), "unknown mode bit" },
		{ FALLOC_FL_PUNCH_HOLE, 0, BS, SET(EOPNOTSUPP), "PUNCH_HOLE without KEEP_SIZE" },
		/* Kernels before ~6.12 said EINVAL for these two combinations. */
		{ FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, BS, SET(EOPNOTSUPP, EINVAL),
		  "COLLAPSE_RANGE with KEEP_SIZE" },
		{ FALLOC_FL_INSERT_RANGE | FALLOC_FL_KEEP_SIZE, 0, BS, SET(EOPNOTSUPP, EINVAL),
		  "INSERT_RANGE with KEEP_SIZE" },
		{ FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, BS,
		  SET(EOPNOTSUPP), "PUNCH_HOLE with ZERO_RANGE" },
		{ FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE, 0, BS, SET(EOPNOTSUPP, EINVAL),
		  "COLLAPSE_RANGE with INSERT_RANGE" },
		{ FALLOC_FL_ZERO_RANGE | FALLOC_FL_COLLAPSE_RANGE, 0, BS, SET(EOPNOTSUPP, EINVAL),
		  "ZERO_RANGE with COLLAPSE_RANGE" },
		{ FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, BS,
		  SET(EOPNOTSUPP, EINVAL), "COLLAPSE_RANGE with PUNCH_HOLE" },
		{ FALLOC_FL_WRITE_ZEROES | FALLOC_FL_KEEP_SIZE, 0, BS, SET(EOPNOTSUPP, EINVAL),
		  "WRITE_ZEROES with KEEP_SIZE" },
		/* Accepted by the VFS; only XFS-like filesystems implement them. */
		{ FALLOC_FL_UNSHARE_RANGE, 0, BS, SET(0, EOPNOTSUPP), "UNSHARE_RANGE" },
		{ FALLOC_FL_WRITE_ZEROES, 0, BS, SET(0, EOPNOTSUPP), "WRITE_ZEROES" },
		{ 0, INT64_MAX - 10, 100, SET(EFBIG), "offset + len overflows" },
		{ FALLOC_FL_KEEP_SIZE, INT64_MAX - 10, 100, SET(EFBIG),
		  "offset + len overflows, KEEP_SIZE" },
		{ FALLOC_FL_COLLAPSE_RANGE, INT64_MAX - BS + 1, BS, SET(EFBIG),
		  "offset + len overflows, COLLAPSE_RANGE" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct error_case *c = &cases[i];
		start_test("fallocate(0x%x, %lld, %lld) on an O_RDWR file: %s", c->mode,
			   (long long) c->off, (long long) c->len, c->why);
		char *path = next_path();
		int fd = make_file(path, 8 * BS);
		if (fd == -1)
			continue;
		if (expect_fallocate(fd, c->mode, c->off, c->len, c->errnos) == 0 &&
		    (in_set(0, c->errnos) || check_size(fd, 8 * BS, "the failed call") == 0))
			success();
		close(fd);
		unlink(path);
	}
}

static void test_errors_rdonly(void)
{
	/* The write-mode check comes after the mode checks: a bad mode still wins. */
	const struct error_case cases[] = {
		{ 0, 0, BS, SET(EBADF), "mode 0" },
		{ FALLOC_FL_KEEP_SIZE, 0, BS, SET(EBADF), "KEEP_SIZE" },
		{ FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, BS, SET(EBADF), "PUNCH_HOLE" },
		{ FALLOC_FL_ZERO_RANGE, 0, BS, SET(EBADF), "ZERO_RANGE" },
		{ FALLOC_FL_COLLAPSE_RANGE, 0, BS, SET(EBADF), "COLLAPSE_RANGE" },
		{ FALLOC_FL_INSERT_RANGE, 0, BS, SET(EBADF), "INSERT_RANGE" },
		{ 0x100, 0, BS, SET(EOPNOTSUPP), "unknown mode bit is checked first" },
	};
	char *path = next_path();
	int wfd = make_file(path, 8 * BS);
	if (wfd == -1)
		return;
	close(wfd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct error_case *c = &cases[i];
		start_test("fallocate(0x%x, %lld, %lld) on an O_RDONLY file: %s", c->mode,
			   (long long) c->off, (long long) c->len, c->why);
		int fd = open(path, O_RDONLY);
		if (fd == -1) {
			PERROR("open(O_RDONLY)");
			continue;
		}
		if (expect_fallocate(fd, c->mode, c->off, c->len, c->errnos) == 0 &&
		    check_size(fd, 8 * BS, "the failed call") == 0)
			success();
		close(fd);
	}
	unlink(path);
}

static void test_errors_special(void)
{
	start_test("fallocate(0, 0, 4096) on a directory");
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd == -1) {
		PERROR("open(dir)");
	} else {
		if (expect_fallocate(fd, 0, 0, BS, SET(EBADF)) == 0)
			success();
		close(fd);
	}

	start_test("fallocate(0, 0, 4096) on a FIFO");
	char *path = next_path();
	if (mkfifo(path, 0644) == -1) {
		if (errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP)
			skip_test("mkfifo is not supported here");
		else
			PERROR("mkfifo");
		return;
	}
	fd = open(path, O_RDWR);	/* O_RDWR: does not block waiting for a peer */
	if (fd == -1) {
		PERROR("open(fifo, O_RDWR)");
	} else {
		if (expect_fallocate(fd, 0, 0, BS, SET(ESPIPE)) == 0)
			success();
		close(fd);
	}
	unlink(path);
}

/* COLLAPSE / INSERT alignment and size checks, decided by the filesystem (ext4 rules). */
static void test_errors_shift(void)
{
	const off_t size = 8 * BS;
	const struct error_case cases[] = {
		{ FALLOC_FL_COLLAPSE_RANGE, 1, BS, SET(EINVAL), "offset not block aligned" },
		{ FALLOC_FL_COLLAPSE_RANGE, 0, BS + 1, SET(EINVAL), "len not block aligned" },
		{ FALLOC_FL_COLLAPSE_RANGE, 512, 512, SET(EINVAL), "sector aligned only" },
		{ FALLOC_FL_COLLAPSE_RANGE, 4 * BS, 4 * BS, SET(EINVAL), "offset + len == size" },
		{ FALLOC_FL_COLLAPSE_RANGE, 4 * BS, 8 * BS, SET(EINVAL), "offset + len > size" },
		{ FALLOC_FL_COLLAPSE_RANGE, 16 * BS, BS, SET(EINVAL), "offset beyond size" },
		{ FALLOC_FL_INSERT_RANGE, size, BS, SET(EINVAL), "offset == size" },
		{ FALLOC_FL_INSERT_RANGE, size + BS, BS, SET(EINVAL), "offset > size" },
		{ FALLOC_FL_INSERT_RANGE, 1, BS, SET(EINVAL), "offset not block aligned" },
		{ FALLOC_FL_INSERT_RANGE, BS, BS + 1, SET(EINVAL), "len not block aligned" },
		{ FALLOC_FL_INSERT_RANGE, 512, 512, SET(EINVAL), "sector aligned only" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct error_case *c = &cases[i];
		start_test("fallocate(0x%x, %lld, %lld) on a %lld-byte file: %s", c->mode,
			   (long long) c->off, (long long) c->len, (long long) size, c->why);
		char *path = next_path();
		int fd = make_file(path, size);
		if (fd == -1)
			continue;
		/* Without the mode (FUSE without the preload library, tmpfs) every request fails
		 * the same way, whatever its arguments. */
		const int *want = have_collapse ? c->errnos : SET(EOPNOTSUPP);
		unsigned char *expected = pattern_buf(size);
		if (expect_fallocate(fd, c->mode, c->off, c->len, want) == 0 &&
		    check_pread(fd, expected, size, "the failed call") == 0)
			success();
		free(expected);
		close(fd);
		unlink(path);
	}
}

/* RLIMIT_FSIZE limits size-growing modes, not KEEP_SIZE. */
static void test_errors_rlimit(void)
{
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_IGN);
	const off_t limit = 1 << 20;
	struct {
		int mode;
		const int *want;
		const char *what;
	} cases[] = {
		{ 0, SET(EFBIG), "mode 0" },
		{ FALLOC_FL_ZERO_RANGE, have_zero ? SET(EFBIG) : SET(EOPNOTSUPP), "ZERO_RANGE" },
		/* ext4 does not limit KEEP_SIZE, tmpfs does; FUSE never sees the limit. */
		{ FALLOC_FL_KEEP_SIZE, SET(0, EFBIG), "KEEP_SIZE" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start_test("fallocate(%s, 0, 2 MiB) with RLIMIT_FSIZE = 1 MiB", cases[i].what);
		char *path = next_path();
		int fd = make_file(path, BS);
		if (fd == -1)
			continue;
		lim.rlim_cur = limit;
		lim.rlim_max = old.rlim_max;
		if (setrlimit(RLIMIT_FSIZE, &lim) == -1) {
			PERROR("setrlimit");
			close(fd);
			continue;
		}
		int res = expect_fallocate(fd, cases[i].mode, 0, 2 * limit, cases[i].want);
		setrlimit(RLIMIT_FSIZE, &old);
		if (res == 0 && check_size(fd, BS, "the call") == 0)
			success();
		close(fd);
		unlink(path);
	}
	signal(SIGXFSZ, SIG_DFL);
}

/* --- effects of successful calls ------------------------------------------------------ */

static void test_allocate(void)
{
	start_test("fallocate(0, 0, 20000) extends a 10000-byte file with zeros");
	char *path = next_path();
	int fd = make_file(path, 10000);
	if (fd == -1)
		return;
	unsigned char *expected = calloc(1, 20000);
	memcpy(expected, pattern_buf(10000), 10000);
	if (do_fallocate(fd, 0, 0, 20000) == 0 && check_pread(fd, expected, 20000, "mode 0") == 0) {
		long long blocks = file_blocks(fd);
		if (blocks * 512 < 20000)
			fail("st_blocks after mode 0: expected >= %d (20000 bytes), got %lld",
			     20000 / 512, blocks);
		else
			success();
	}
	free(expected);
	close(fd);
	unlink(path);

	start_test("fallocate(0, 4096, 4096) inside a file keeps size and data");
	path = next_path();
	fd = make_file(path, 8 * BS);
	if (fd == -1)
		return;
	expected = pattern_buf(8 * BS);
	if (do_fallocate(fd, 0, BS, BS) == 0 && check_pread(fd, expected, 8 * BS, "mode 0") == 0)
		success();
	free(expected);
	close(fd);
	unlink(path);
}

static void test_keep_size(void)
{
	start_test("fallocate(KEEP_SIZE, 0, 1 MiB) on a 10000-byte file, then ftruncate up");
	char *path = next_path();
	int fd = make_file(path, 10000);
	if (fd == -1)
		return;
	const off_t grown = 200000;
	unsigned char *expected = calloc(1, grown);
	memcpy(expected, pattern_buf(10000), 10000);
	if (do_fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 1 << 20) == 0 &&
	    check_pread(fd, expected, 10000, "KEEP_SIZE") == 0) {
		long long blocks = file_blocks(fd);
		if (blocks * 512 < (1 << 20)) {
			fail("st_blocks after KEEP_SIZE of 1 MiB: expected >= %d, got %lld",
			     (1 << 20) / 512, blocks);
		} else if (ftruncate(fd, grown) == -1) {
			PERROR("ftruncate");
		} else if (check_pread(fd, expected, grown, "ftruncate over preallocated blocks") == 0) {
			success();
		}
	}
	free(expected);
	close(fd);
	unlink(path);
}

/*
 * Zeroes [off, off+len) of a 16-page file with mode while the file is cached and mapped, then
 * checks pread, the existing mapping, a new mapping, size and (for punch) st_blocks.
 */
static void test_zeroing(int mode, const char *name, off_t off, off_t len)
{
	start_test("fallocate(%s, %lld, %lld) then pread, existing and new mmap read zeros", name,
		   (long long) off, (long long) len);
	const off_t size = 16 * BS;
	char *path = next_path();
	int fd = make_file(path, size);
	if (fd == -1)
		return;
	unsigned char *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		PERROR("mmap");
		close(fd);
		return;
	}
	unsigned char *expected = pattern_buf(size);
	/* Fault every page in so the zeroing has cached and mapped pages to drop. */
	if (compare("mmap read before", expected, map, size) == -1)
		goto out;
	if (fsync(fd) == -1) {
		PERROR("fsync");
		goto out;
	}
	long long before = file_blocks(fd);
	if (do_fallocate(fd, mode, off, len) == -1)
		goto out;
	off_t end = off + len < size ? off + len : size;
	memset(expected + off, 0, end - off);
	if (compare("existing mmap read after zeroing", expected, map, size) == -1 ||
	    check_pread(fd, expected, size, name) == -1 ||
	    check_new_mmap(fd, expected, size, name) == -1)
		goto out;
	if (check_blocks && (mode & FALLOC_FL_PUNCH_HOLE)) {
		long long whole = ((end / BS) - (off + BS - 1) / BS) * (BS / 512);
		long long after = file_blocks(fd);
		if (whole > 0 && before - after < whole) {
			fail("st_blocks after punching %lld whole blocks: expected <= %lld, got %lld "
			     "(before %lld)", whole / (BS / 512), before - whole, after, before);
			goto out;
		}
	}
	success();
out:
	free(expected);
	munmap(map, size);
	close(fd);
	unlink(path);
}

static void test_punch_beyond_eof(void)
{
	start_test("fallocate(PUNCH_HOLE|KEEP_SIZE) across EOF keeps the size");
	char *path = next_path();
	int fd = make_file(path, 4 * BS);
	if (fd == -1)
		return;
	unsigned char *expected = pattern_buf(4 * BS);
	memset(expected + 3 * BS, 0, BS);
	if (do_fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 3 * BS, 5 * BS) == 0 &&
	    check_pread(fd, expected, 4 * BS, "punch across EOF") == 0)
		success();
	free(expected);
	close(fd);
	unlink(path);
}

static void test_zero_range_size(void)
{
	if (!have_zero)
		return;
	start_test("fallocate(ZERO_RANGE, size - 100, 2 pages) extends the file with zeros");
	char *path = next_path();
	int fd = make_file(path, 8 * BS);
	if (fd == -1)
		return;
	unsigned char *expected = calloc(1, 10 * BS);
	memcpy(expected, pattern_buf(8 * BS), 8 * BS - 100);
	if (do_fallocate(fd, FALLOC_FL_ZERO_RANGE, 8 * BS - 100, 2 * BS + 100) == 0 &&
	    check_pread(fd, expected, 10 * BS, "ZERO_RANGE across EOF") == 0)
		success();
	close(fd);

	start_test("fallocate(ZERO_RANGE|KEEP_SIZE) across EOF keeps the size");
	fd = make_file(path, 8 * BS);
	if (fd == -1)
		return;
	if (do_fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 8 * BS - 100, 2 * BS) == 0 &&
	    check_pread(fd, expected, 8 * BS, "ZERO_RANGE|KEEP_SIZE across EOF") == 0)
		success();
	free(expected);
	close(fd);
	unlink(path);
}

/* Expected contents of a pattern file of pages pages after collapse or insert. */
static unsigned char *shifted(off_t pages, int mode, off_t off, off_t len, off_t *new_size)
{
	off_t size = pages * BS;
	*new_size = mode == FALLOC_FL_COLLAPSE_RANGE ? size - len : size + len;
	unsigned char *old = pattern_buf(size);
	unsigned char *out = calloc(1, *new_size);
	memcpy(out, old, off);
	if (mode == FALLOC_FL_COLLAPSE_RANGE)
		memcpy(out + off, old + off + len, size - off - len);
	else
		memcpy(out + off + len, old + off, size - off);
	free(old);
	return out;
}

static void test_shift(int mode, off_t pages, off_t off, off_t len)
{
	const char *name = mode == FALLOC_FL_COLLAPSE_RANGE ? "COLLAPSE_RANGE" : "INSERT_RANGE";
	start_test("fallocate(%s, %lld, %lld) on a %lld-page file moves the tail", name,
		   (long long) off, (long long) len, (long long) pages);
	if (!have_collapse) {
		skip_test("COLLAPSE_RANGE / INSERT_RANGE are refused here (EOPNOTSUPP is checked separately)");
		return;
	}
	char *path = next_path();
	int fd = make_file(path, pages * BS);
	if (fd == -1)
		return;
	off_t new_size;
	unsigned char *expected = shifted(pages, mode, off, len, &new_size);
	if (do_fallocate(fd, mode, off, len) == 0 &&
	    check_pread(fd, expected, new_size, name) == 0 &&
	    check_new_mmap(fd, expected, new_size, name) == 0)
		success();
	free(expected);
	close(fd);
	unlink(path);
}

/*
 * Another process maps the 8-page file MAP_SHARED, reads every page and dirties one byte at
 * 5 * BS + 7 without msync. This process then collapses or inserts one page at shift_off.
 * The other process must see the shifted data, including its own byte at the new offset.
 * With via_link the other process maps the file through a hard link: FUSE without use_ino
 * gives each name its own node, so invalidating only the name that was shifted is not enough.
 */
static void test_shift_mapped(int mode, off_t shift_off, int via_link)
{
	const char *name = mode == FALLOC_FL_COLLAPSE_RANGE ? "COLLAPSE_RANGE" : "INSERT_RANGE";
	const off_t pages = 8, size = pages * BS, dirty = 5 * BS + 7;
	start_test("fallocate(%s, %lld, 4096) while another process maps the file%s MAP_SHARED "
		   "with a dirty byte at %lld", name, (long long) shift_off,
		   via_link ? " through a hard link" : "", (long long) dirty);
	if (!have_collapse) {
		skip_test("COLLAPSE_RANGE / INSERT_RANGE are refused here (EOPNOTSUPP is checked separately)");
		return;
	}
	char *path = next_path();
	int fd = make_file(path, size);
	if (fd == -1)
		return;
	char map_path[4096];
	snprintf(map_path, sizeof(map_path), "%s", path);
	if (via_link) {
		snprintf(map_path, sizeof(map_path), "%s.link", path);
		unlink(map_path);
		if (link(path, map_path) == -1) {
			if (errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP)
				skip_test("hard links are not supported here");
			else
				PERROR("link");
			close(fd);
			unlink(path);
			return;
		}
	}
	off_t new_size;
	unsigned char *expected = shifted(pages, mode, shift_off, BS, &new_size);
	off_t moved = mode == FALLOC_FL_COLLAPSE_RANGE ? dirty - BS : dirty + BS;
	expected[moved] = '*';
	/* The mapping keeps its original length; after a collapse its last page is beyond EOF. */
	off_t visible = new_size < size ? new_size : size;

	int to_child[2], to_parent[2];
	if (pipe(to_child) == -1 || pipe(to_parent) == -1) {
		PERROR("pipe");
		close(fd);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char c = 0;
		int cfd = open(map_path, O_RDWR);
		unsigned char *map = cfd == -1 ? MAP_FAILED :
			mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (map == MAP_FAILED) {
			fprintf(stderr, "child: open/mmap %s: %s\n", map_path, strerror(errno));
			_exit(2);
		}
		unsigned char *before = pattern_buf(size);
		if (memcmp(map, before, size) != 0) {
			fprintf(stderr, "child: mapping differs from the written pattern before the shift\n");
			_exit(3);
		}
		map[dirty] = '*';
		if (write(to_parent[1], "r", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(4);
		for (off_t i = 0; i < visible; i++) {
			if (map[i] != expected[i]) {
				fprintf(stderr, "child: mapping after %s: byte at offset %lld: expected "
					"0x%02x '%c', got 0x%02x '%c'\n", name, (long long) i,
					expected[i], expected[i] >= 32 ? expected[i] : '.', map[i],
					map[i] >= 32 && map[i] < 127 ? map[i] : '.');
				_exit(1);
			}
		}
		fprintf(stderr, "child: mapping shows the shifted data (%lld bytes compared)\n",
			(long long) visible);
		_exit(0);
	}
	char c;
	int status = 0;
	if (pid == -1) {
		PERROR("fork");
		goto out;
	}
	if (read(to_parent[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		fail("child did not get ready, exit status %d", WEXITSTATUS(status));
		goto out;
	}
	int res = do_fallocate(fd, mode, shift_off, BS);
	if (write(to_child[1], "g", 1) != 1)
		PERROR("write(pipe)");
	waitpid(pid, &status, 0);
	if (res == -1)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fail("the mapping of the other process did not show the shifted data "
		     "(child exit status %d, see child: lines)", WEXITSTATUS(status));
		goto out;
	}
	if (check_pread(fd, expected, new_size, name) == 0)
		success();
out:
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	free(expected);
	close(fd);
	unlink(path);
	if (via_link)
		unlink(map_path);
}

static void test_unsupported_modes(void)
{
	/* Where a mode is missing, even a well-formed request must say EOPNOTSUPP, not ENOSYS. */
	if (!have_zero) {
		start_test("fallocate(ZERO_RANGE) where unsupported fails with EOPNOTSUPP");
		char *path = next_path();
		int fd = make_file(path, 8 * BS);
		if (fd != -1) {
			if (expect_fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, BS, SET(EOPNOTSUPP)) == 0)
				success();
			close(fd);
			unlink(path);
		}
	}
	if (!have_collapse) {
		start_test("fallocate(COLLAPSE_RANGE / INSERT_RANGE) where unsupported fails with "
			   "EOPNOTSUPP");
		char *path = next_path();
		int fd = make_file(path, 8 * BS);
		if (fd != -1) {
			if (expect_fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, BS, BS, SET(EOPNOTSUPP)) == 0 &&
			    expect_fallocate(fd, FALLOC_FL_INSERT_RANGE, BS, BS, SET(EOPNOTSUPP)) == 0)
				success();
			close(fd);
			unlink(path);
		}
	}
	/* Once a mode was refused, the others must still work (FUSE latches ENOSYS per mount). */
	start_test("fallocate(0) and PUNCH_HOLE still work after refused requests");
	char *path = next_path();
	int fd = make_file(path, 8 * BS);
	if (fd == -1)
		return;
	unsigned char *expected = pattern_buf(8 * BS);
	memset(expected + BS, 0, BS);
	if (do_fallocate(fd, 0, 0, 16 * BS) == 0 &&
	    do_fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, BS, BS) == 0) {
		unsigned char *full = calloc(1, 16 * BS);
		memcpy(full, expected, 8 * BS);
		if (check_pread(fd, full, 16 * BS, "mode 0 and punch") == 0)
			success();
		free(full);
	}
	free(expected);
	close(fd);
	unlink(path);
}

/* Adds (on) or removes (!on) inode flags (chattr) of fd, keeping the others (ext4's extent
 * flag must stay). Returns 0, or the errno when the filesystem has no inode flags. */
static int change_inode_flags(int fd, int flag, int on)
{
	int flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0)
		return errno;
	flags = on ? flags | flag : flags & ~flag;
	return ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0 ? 0 : errno;
}

/*
 * chattr +a allows only mode 0 and KEEP_SIZE; chattr +i refuses everything to an fd opened
 * before the flag was set. Skipped where FS_IOC_SETFLAGS is not supported (FUSE forwards it to
 * the daemon, which may not implement inode flags).
 */
static void test_inode_flags(void)
{
	struct {
		int flag;
		int mode;
		const int *want;
		const char *what;
	} cases[] = {
		{ FS_APPEND_FL, 0, SET(0), "append-only, mode 0" },
		{ FS_APPEND_FL, FALLOC_FL_KEEP_SIZE, SET(0), "append-only, KEEP_SIZE" },
		{ FS_APPEND_FL, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, SET(EPERM),
		  "append-only, PUNCH_HOLE" },
		/* The VFS checks the flag before the filesystem's modes, where it knows the flag
		 * (not on FUSE: there an unsupported mode is refused first). */
		{ FS_APPEND_FL, FALLOC_FL_ZERO_RANGE, have_zero ? SET(EPERM) : SET(EPERM, EOPNOTSUPP),
		  "append-only, ZERO_RANGE" },
		{ FS_APPEND_FL, FALLOC_FL_COLLAPSE_RANGE,
		  have_collapse ? SET(EPERM) : SET(EPERM, EOPNOTSUPP), "append-only, COLLAPSE_RANGE" },
		{ FS_APPEND_FL, FALLOC_FL_INSERT_RANGE,
		  have_collapse ? SET(EPERM) : SET(EPERM, EOPNOTSUPP), "append-only, INSERT_RANGE" },
		{ FS_IMMUTABLE_FL, 0, SET(EPERM), "immutable, mode 0" },
		{ FS_IMMUTABLE_FL, FALLOC_FL_KEEP_SIZE, SET(EPERM), "immutable, KEEP_SIZE" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start_test("fallocate(0x%x, 4096, 4096) on a file with chattr %s", cases[i].mode,
			   cases[i].what);
		char *path = next_path();
		int fd = make_file(path, 8 * BS);
		if (fd == -1)
			continue;
		int e = change_inode_flags(fd, cases[i].flag, 1);
		if (e == ENOTTY || e == EOPNOTSUPP || e == ENOSYS || e == EINVAL) {
			skip_test("FS_IOC_SETFLAGS is not supported here");
		} else if (e != 0) {
			fail("ioctl(FS_IOC_SETFLAGS, 0x%x): %s", cases[i].flag, strerror(e));
		} else {
			if (expect_fallocate(fd, cases[i].mode, BS, BS, cases[i].want) == 0)
				success();
			if ((e = change_inode_flags(fd, cases[i].flag, 0)) != 0)
				fprintf(stderr, "clearing the inode flags of %s: %s\n", path, strerror(e));
		}
		close(fd);
		unlink(path);
	}
}

/*
 * A request larger than the free space fails with ENOSPC, and after the file is removed the
 * free space is back: a failed allocation must not leak blocks. ext4 keeps a partial allocation
 * (and may advance i_size to it) until then, XFS and tmpfs undo it; both are accepted.
 */
static void test_enospc(void)
{
	struct statvfs before, after;
	start_test("fallocate(0) of more than the free space fails with ENOSPC and leaks no blocks");
	char *path = next_path();
	int fd = make_file(path, BS);
	if (fd == -1)
		return;
	if (fsync(fd) == -1 || fstatvfs(fd, &before) == -1) {
		PERROR("fsync/fstatvfs");
		close(fd);
		return;
	}
	/* f_bfree, not f_bavail: root may use the blocks reserved for it. */
	off_t free_bytes = (off_t) before.f_bfree * before.f_frsize;
	off_t margin = (off_t) before.f_blocks * before.f_frsize / 10;
	off_t want = free_bytes + (margin > (64 << 20) ? margin : (64 << 20));
	if (expect_fallocate(fd, 0, 0, want, SET(ENOSPC)) == -1) {
		close(fd);
		unlink(path);
		return;
	}
	off_t size = file_size(fd);
	close(fd);
	if (unlink(path) == -1) {
		PERROR("unlink");
		return;
	}
	sync();
	if (statvfs(dir, &after) == -1) {
		PERROR("statvfs");
		return;
	}
	/* Slack: 1% of the filesystem for metadata and deferred frees. */
	long long slack = before.f_blocks / 100;
	long long lost = (long long) before.f_bfree - (long long) after.f_bfree;
	fprintf(stderr, "      free blocks: %llu before, %llu after (size after the failed call %lld)\n",
		(unsigned long long) before.f_bfree, (unsigned long long) after.f_bfree,
		(long long) size);
	if (lost > slack)
		fail("free blocks after removing the file: expected >= %lld (before %llu, slack %lld), "
		     "got %llu", (long long) before.f_bfree - slack,
		     (unsigned long long) before.f_bfree, slack, (unsigned long long) after.f_bfree);
	else
		success();
}

int main(int argc, char **argv)
{
	int need_zero = 0, need_collapse = 0, opt;
	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r') {
			fprintf(stderr, "usage: %s [-r zero,collapse,blocks] DIR\n", argv[0]);
			return 2;
		}
		need_zero = strstr(optarg, "zero") != NULL;
		need_collapse = strstr(optarg, "collapse") != NULL;
		check_blocks = strstr(optarg, "blocks") != NULL;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s [-r zero,collapse,blocks] DIR\n", argv[0]);
		return 2;
	}
	dir = argv[optind];

	have_zero = probe(FALLOC_FL_ZERO_RANGE, BS, BS);
	have_collapse = probe(FALLOC_FL_COLLAPSE_RANGE, BS, BS);
	if (have_zero < 0 || have_collapse < 0)
		return 2;
	fprintf(stderr, "test_fallocate: %s: ZERO_RANGE %s, COLLAPSE_RANGE %s%s\n", dir,
		have_zero ? "supported" : "unsupported", have_collapse ? "supported" : "unsupported",
		getenv("LD_PRELOAD") ? " (LD_PRELOAD set)" : "");
	start_test("required modes are supported");
	if (need_zero && !have_zero)
		fail("ZERO_RANGE is required (-r) but fallocate answered EOPNOTSUPP");
	else if (need_collapse && !have_collapse)
		fail("COLLAPSE_RANGE is required (-r) but fallocate answered EOPNOTSUPP");
	else
		success();

	test_errors_rw();
	test_errors_rdonly();
	test_errors_special();
	test_errors_shift();
	test_errors_rlimit();
	test_inode_flags();
	test_allocate();
	test_keep_size();
	test_zeroing(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, "PUNCH_HOLE|KEEP_SIZE", BS + 100,
		     2 * BS + 100);
	test_zeroing(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, "PUNCH_HOLE|KEEP_SIZE", 2 * BS,
		     4 * BS);
	test_punch_beyond_eof();
	if (have_zero) {
		test_zeroing(FALLOC_FL_ZERO_RANGE, "ZERO_RANGE", BS - 10, BS + 20);
		test_zeroing(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, "ZERO_RANGE|KEEP_SIZE", 3 * BS,
			     2 * BS);
	}
	test_zero_range_size();
	test_shift(FALLOC_FL_COLLAPSE_RANGE, 8, BS, BS);
	test_shift(FALLOC_FL_COLLAPSE_RANGE, 16, 2 * BS, 3 * BS);
	test_shift(FALLOC_FL_COLLAPSE_RANGE, 8, 0, 2 * BS);
	test_shift(FALLOC_FL_INSERT_RANGE, 8, 2 * BS, BS);
	test_shift(FALLOC_FL_INSERT_RANGE, 8, 0, 2 * BS);
	test_shift(FALLOC_FL_INSERT_RANGE, 16, 15 * BS, 4 * BS);
	test_shift_mapped(FALLOC_FL_COLLAPSE_RANGE, BS, 0);
	test_shift_mapped(FALLOC_FL_INSERT_RANGE, 2 * BS, 0);
	test_shift_mapped(FALLOC_FL_COLLAPSE_RANGE, BS, 1);
	test_shift_mapped(FALLOC_FL_INSERT_RANGE, 2 * BS, 1);
	test_unsupported_modes();
	test_enospc();
	return fst_finish("test_fallocate");
}
