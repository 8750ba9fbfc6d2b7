/*
 * link(2): two names of one file are one file. Programs detect hard links by (st_dev, st_ino)
 * (cp -a, tar, rsync -H, du) and expect data written through one name to be read through the
 * other, also by a descriptor or mapping that was open before. Under libfuse 2 without use_ino
 * each name is its own node with its own cache (spec fuse-kernel.md §8.2), which is what this
 * program looks for.
 *
 * usage: test_link DIR
 */
#include "fstest.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BS 4096L

static const char *dir;
static char a_path[4096], b_path[4096];

/* Creates a (one page of 'a') and its hard link b; returns 0, or -1 after reporting. */
static int make_pair(int n)
{
	snprintf(a_path, sizeof(a_path), "%s/first.%d", dir, n);
	snprintf(b_path, sizeof(b_path), "%s/second.%d", dir, n);
	unlink(a_path);
	unlink(b_path);
	int fd = open(a_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd == -1) {
		PERROR("open(O_CREAT)");
		return -1;
	}
	char buf[BS];
	memset(buf, 'a', sizeof(buf));
	if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t) sizeof(buf)) {
		PERROR("pwrite");
		close(fd);
		return -1;
	}
	close(fd);
	if (link(a_path, b_path) == -1) {
		PERROR("link");
		return -1;
	}
	return 0;
}

static void cleanup_pair(void)
{
	unlink(a_path);
	unlink(b_path);
}

static void test_identity(void)
{
	start_test("link(a, b): both names show the same st_ino and st_nlink 2");
	if (make_pair(1) == -1)
		return;
	struct stat sa, sb;
	if (stat(a_path, &sa) == -1 || stat(b_path, &sb) == -1) {
		PERROR("stat");
	} else if (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev) {
		fail("st_ino of the two names: expected equal, got %llu and %llu",
		     (unsigned long long) sa.st_ino, (unsigned long long) sb.st_ino);
	} else if (sa.st_nlink != 2 || sb.st_nlink != 2) {
		fail("st_nlink after link: expected 2 and 2, got %lu (a) and %lu (b)",
		     (unsigned long) sa.st_nlink, (unsigned long) sb.st_nlink);
	} else {
		success();
	}
	cleanup_pair();
}

static void test_write_other_name(void)
{
	start_test("write through b is read through a descriptor of a opened (and read) before");
	if (make_pair(2) == -1)
		return;
	int fa = open(a_path, O_RDONLY), fb = open(b_path, O_WRONLY);
	char buf[BS];
	if (fa == -1 || fb == -1) {
		PERROR("open");
		goto out;
	}
	if (pread(fa, buf, BS, 0) != BS) {	/* brings a's page into the cache */
		PERROR("pread(a)");
		goto out;
	}
	if (pwrite(fb, "NEW", 3, 100) != 3) {
		PERROR("pwrite(b)");
		goto out;
	}
	if (pread(fa, buf, BS, 0) != BS) {
		PERROR("pread(a) again");
		goto out;
	}
	if (memcmp(buf + 100, "NEW", 3) != 0)
		fail("bytes 100..102 read through a after writing \"NEW\" through b: got \"%.3s\"",
		     buf + 100);
	else
		success();
out:
	if (fa != -1)
		close(fa);
	if (fb != -1)
		close(fb);
	cleanup_pair();
}

static void test_mapping_other_name(void)
{
	start_test("write through b is seen by an existing MAP_SHARED mapping of a");
	if (make_pair(3) == -1)
		return;
	int fa = open(a_path, O_RDONLY), fb = open(b_path, O_WRONLY);
	unsigned char *map = MAP_FAILED;
	if (fa == -1 || fb == -1) {
		PERROR("open");
		goto out;
	}
	map = mmap(NULL, BS, PROT_READ, MAP_SHARED, fa, 0);
	if (map == MAP_FAILED) {
		PERROR("mmap(a)");
		goto out;
	}
	if (map[200] != 'a') {
		fail("mapping of a before the write: expected 'a' at 200, got 0x%02x", map[200]);
		goto out;
	}
	if (pwrite(fb, "MAP", 3, 200) != 3) {
		PERROR("pwrite(b)");
		goto out;
	}
	if (memcmp(map + 200, "MAP", 3) != 0)
		fail("mapping of a at 200..202 after writing \"MAP\" through b: got \"%.3s\"",
		     (const char *) map + 200);
	else
		success();
out:
	if (map != MAP_FAILED)
		munmap(map, BS);
	if (fa != -1)
		close(fa);
	if (fb != -1)
		close(fb);
	cleanup_pair();
}

static void test_unlink_one(void)
{
	start_test("unlink(a) leaves b with the data and st_nlink 1");
	if (make_pair(4) == -1)
		return;
	struct stat sb;
	char buf[BS];
	int fb;
	if (unlink(a_path) == -1) {
		PERROR("unlink(a)");
	} else if (stat(b_path, &sb) == -1) {
		PERROR("stat(b)");
	} else if (sb.st_nlink != 1) {
		fail("st_nlink of b after unlink(a): expected 1, got %lu", (unsigned long) sb.st_nlink);
	} else if ((fb = open(b_path, O_RDONLY)) == -1) {
		PERROR("open(b)");
	} else {
		ssize_t n = pread(fb, buf, BS, 0);
		close(fb);
		if (n != BS || buf[0] != 'a' || buf[BS - 1] != 'a')
			fail("reading b after unlink(a): expected %ld bytes of 'a', got %zd", BS, n);
		else
			success();
	}
	cleanup_pair();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	test_identity();
	test_write_other_name();
	test_mapping_other_name();
	test_unlink_one();
	return fst_finish("test_link");
}
