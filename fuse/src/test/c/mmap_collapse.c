/*
 * Invalidation after a collapse: the file's pages are cached by pread and mapped MAP_SHARED, by
 * this process and by a second process that opened the file on its own (it dirties one page
 * through its mapping), then COLLAPSE_RANGE runs through the preload library. Both mappings and
 * pread must show the shifted contents at once, and the dirty page must have landed before the
 * shift (not at its old offset after it). Run with LD_PRELOAD=libfusefs-preload.so.
 *   mmap_collapse FILE   (prints OK or what differed; exit 0 only when OK)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define PAGES 16

static const char expect[] = "ADE*GHIJKLMNOP";

/* Checks a mapping and pread of fd against the collapsed contents; returns 0 when right. */
static int check(const char *who, char *map, int fd)
{
	char got[1];
	int i;
	for (i = 0; i < PAGES - 2; i++) {
		if (map[i * PAGE] != expect[i]) {
			printf("%s: mapping page %d shows '%c', expected '%c'\n", who, i, map[i * PAGE], expect[i]);
			return 1;
		}
		pread(fd, got, 1, (off_t) i * PAGE);
		if (got[0] != expect[i]) {
			printf("%s: pread page %d shows '%c', expected '%c'\n", who, i, got[0], expect[i]);
			return 1;
		}
	}
	return 0;
}

/* The other process: opens and maps the file itself, dirties page 5, waits for the collapse. */
static int other(const char *path, int ready, int go)
{
	char c, got[PAGE];
	int i, fd = open(path, O_RDWR);
	if (fd < 0)
		return 1;
	for (i = 0; i < PAGES; i++)
		pread(fd, got, PAGE, (off_t) i * PAGE);
	char *map = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 1;
	volatile char sink = 0;
	for (i = 0; i < PAGES; i++)
		sink += map[i * PAGE];
	map[5 * PAGE] = '*';
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		return 1;
	return check("other process", map, fd);
}

int main(int argc, char **argv)
{
	char page[PAGE], got[PAGE];
	int fd, i;
	struct stat st;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	for (i = 0; i < PAGES; i++) {
		memset(page, 'A' + i, PAGE);
		if (pwrite(fd, page, PAGE, (off_t) i * PAGE) != PAGE) {
			perror("pwrite");
			return 1;
		}
	}
	int ready[2], go[2];
	if (pipe(ready) != 0 || pipe(go) != 0)
		return 1;
	pid_t child = fork();
	if (child == 0)
		_exit(other(argv[1], ready[1], go[0]));
	char c;
	if (read(ready[0], &c, 1) != 1) {
		printf("the other process failed to map the file\n");
		return 1;
	}
	for (i = 0; i < PAGES; i++)
		pread(fd, got, PAGE, (off_t) i * PAGE); /* cache every page in the kernel */
	char *map = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	volatile char sink = 0;
	for (i = 0; i < PAGES; i++)
		sink += map[i * PAGE];

	if (fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 1 * PAGE, 2 * PAGE) != 0) {
		printf("collapse failed: %s\n", strerror(errno));
		return 1;
	}
	fstat(fd, &st);
	if (st.st_size != (PAGES - 2) * PAGE) {
		printf("size %lld, expected %d\n", (long long) st.st_size, (PAGES - 2) * PAGE);
		return 1;
	}
	/* Expected: A D E * (was F, dirtied by the other process) G H ... */
	if (check("collapsing process", map, fd) != 0)
		return 1;
	if (write(go[1], "g", 1) != 1)
		return 1;
	int status;
	waitpid(child, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("the other process saw stale data (status %d)\n", status);
		return 1;
	}
	munmap(map, PAGES * PAGE);
	close(fd);
	printf("OK\n");
	return 0;
}
