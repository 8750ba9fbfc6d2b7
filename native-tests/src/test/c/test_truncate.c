/*
 * truncate / ftruncate and the stale-data rule (spec fallocate.md §7): every byte between the
 * old EOF and new data reads as zero, however the file grew, and bytes written through a shared
 * mapping beyond EOF are not resurrected when the file grows again.
 *
 * usage: test_truncate [-k] DIR
 *   -k  accept tmpfs's quirk of keeping bytes written through a mapping beyond EOF.
 */
#include "fstest.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BS 4096L

static const char *dir;
static int tmpfs_quirk;
static int file_seq;

static char *next_path(void)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/truncfile.%d", dir, ++file_seq);
	return path;
}

static int fill(int fd, off_t off, size_t len, int c)
{
	char *buf = malloc(len);
	memset(buf, c, len);
	ssize_t n = pwrite(fd, buf, len, off);
	free(buf);
	if (n != (ssize_t) len) {
		PERROR("pwrite");
		return -1;
	}
	return 0;
}

/* Checks that [off, off+len) of fd holds only byte c; reports the first other byte. */
static int expect_bytes(int fd, off_t off, size_t len, int c, const char *after)
{
	unsigned char *buf = malloc(len);
	ssize_t n = pread(fd, buf, len, off);
	if (n != (ssize_t) len) {
		fail("pread(%zu at %lld) after %s: got %zd (%s)", len, (long long) off, after, n,
		     n < 0 ? strerror(errno) : "short read");
		free(buf);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != c) {
			fail("byte at offset %lld after %s: expected 0x%02x, got 0x%02x",
			     (long long) (off + i), after, c, buf[i]);
			free(buf);
			return -1;
		}
	}
	free(buf);
	return 0;
}

static int expect_size(int fd, off_t size, const char *after)
{
	struct stat st;
	if (fstat(fd, &st) == -1) {
		PERROR("fstat");
		return -1;
	}
	if (st.st_size != size) {
		fail("st_size after %s: expected %lld, got %lld", after, (long long) size,
		     (long long) st.st_size);
		return -1;
	}
	return 0;
}

static int open_new(const char *path)
{
	unlink(path);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd == -1)
		PERROR("open(O_CREAT)");
	return fd;
}

static void test_shrink_grow(off_t size, off_t small)
{
	start_test("ftruncate %lld -> %lld -> %lld: the regrown part reads as zeros",
		   (long long) size, (long long) small, (long long) size);
	char *path = next_path();
	int fd = open_new(path);
	if (fd == -1)
		return;
	if (fill(fd, 0, size, 'a') == 0 && ftruncate(fd, small) == 0 && ftruncate(fd, size) == 0 &&
	    expect_size(fd, size, "shrink and grow") == 0 &&
	    expect_bytes(fd, 0, small, 'a', "shrink and grow") == 0 &&
	    expect_bytes(fd, small, size - small, 0, "shrink and grow") == 0)
		success();
	close(fd);
	unlink(path);
}

static void test_truncate_path(void)
{
	start_test("truncate(path) to 3 pages, then to 1 byte, then write at 2 pages + 5");
	char *path = next_path();
	int fd = open_new(path);
	if (fd == -1)
		return;
	if (fill(fd, 0, 3 * BS, 'b') == 0 && truncate(path, 1) == 0 &&
	    expect_size(fd, 1, "truncate(path, 1)") == 0 && fill(fd, 2 * BS + 5, 10, 'c') == 0 &&
	    expect_size(fd, 2 * BS + 15, "write past EOF") == 0 &&
	    expect_bytes(fd, 0, 1, 'b', "write past EOF") == 0 &&
	    expect_bytes(fd, 1, 2 * BS + 4, 0, "write past EOF") == 0 &&
	    expect_bytes(fd, 2 * BS + 5, 10, 'c', "write past EOF") == 0)
		success();
	close(fd);
	unlink(path);
}

static void test_write_gap(void)
{
	start_test("write 1 MiB past EOF of a 100-byte file: the gap reads as zeros");
	char *path = next_path();
	int fd = open_new(path);
	if (fd == -1)
		return;
	const off_t far = (1 << 20) + 77;
	if (fill(fd, 0, 100, 'd') == 0 && fill(fd, far, 50, 'e') == 0 &&
	    expect_size(fd, far + 50, "write past EOF") == 0 &&
	    expect_bytes(fd, 100, far - 100, 0, "write past EOF") == 0 &&
	    expect_bytes(fd, far, 50, 'e', "write past EOF") == 0)
		success();
	close(fd);
	unlink(path);
}

static void test_mmap_beyond_eof(void)
{
	start_test("bytes stored through a mapping beyond EOF in the last page are gone after growth");
	char *path = next_path();
	int fd = open_new(path);
	if (fd == -1)
		return;
	if (fill(fd, 0, 100, 'f') == -1) {
		close(fd);
		return;
	}
	unsigned char *map = mmap(NULL, BS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		PERROR("mmap");
		close(fd);
		return;
	}
	map[200] = 'X';	/* inside the last page, beyond EOF */
	if (msync(map, BS, MS_SYNC) == -1)
		PERROR("msync");
	munmap(map, BS);
	if (ftruncate(fd, 2 * BS) == -1) {
		PERROR("ftruncate");
	} else {
		unsigned char c = 0xff;
		if (pread(fd, &c, 1, 200) != 1) {
			PERROR("pread");
		} else if (c == 0 || (tmpfs_quirk && c == 'X')) {
			if (expect_bytes(fd, 0, 100, 'f', "growth") == 0)
				success();
		} else {
			fail("byte at 200 after growing the file: expected 0x00%s, got 0x%02x",
			     tmpfs_quirk ? " or 'X'" : "", c);
		}
	}
	close(fd);
	unlink(path);
}

static void test_o_trunc(void)
{
	start_test("open(O_TRUNC) of a 3-page file, then write at 1 page: zeros before");
	char *path = next_path();
	int fd = open_new(path);
	if (fd == -1)
		return;
	if (fill(fd, 0, 3 * BS, 'g') == -1) {
		close(fd);
		return;
	}
	close(fd);
	fd = open(path, O_RDWR | O_TRUNC);
	if (fd == -1) {
		PERROR("open(O_TRUNC)");
		return;
	}
	if (expect_size(fd, 0, "O_TRUNC") == 0 && fill(fd, BS, 10, 'h') == 0 &&
	    expect_bytes(fd, 0, BS, 0, "O_TRUNC and write") == 0 &&
	    expect_bytes(fd, BS, 10, 'h', "O_TRUNC and write") == 0)
		success();
	close(fd);
	unlink(path);
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "k")) != -1) {
		if (opt != 'k') {
			fprintf(stderr, "usage: %s [-k] DIR\n", argv[0]);
			return 2;
		}
		tmpfs_quirk = 1;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s [-k] DIR\n", argv[0]);
		return 2;
	}
	dir = argv[optind];
	test_shrink_grow(100, 50);
	test_shrink_grow(5 * BS + 123, 2 * BS + 7);
	test_shrink_grow(64 * BS, BS);
	test_truncate_path();
	test_write_gap();
	test_mmap_beyond_eof();
	test_o_trunc();
	return fst_finish("test_truncate");
}
