/*
 * Invalidation after a collapse: the file's pages are cached by pread and mapped MAP_SHARED (one
 * page dirtied through the mapping), then COLLAPSE_RANGE runs through the preload library. The
 * mapping and pread must show the shifted contents at once, and the dirty page must have landed
 * before the shift (not at its old offset after it). Run with LD_PRELOAD=libfusefs-preload.so.
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
#include <unistd.h>

#define PAGE 4096
#define PAGES 16

int main(int argc, char **argv)
{
	char page[PAGE], got[PAGE];
	int fd, i;
	struct stat st;

	if (argc != 2)
		return 2;
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
	map[5 * PAGE] = '*'; /* dirty page 5 through the mapping */

	if (fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 1 * PAGE, 2 * PAGE) != 0) {
		printf("collapse failed: %s\n", strerror(errno));
		return 1;
	}
	fstat(fd, &st);
	if (st.st_size != (PAGES - 2) * PAGE) {
		printf("size %lld, expected %d\n", (long long) st.st_size, (PAGES - 2) * PAGE);
		return 1;
	}
	/* Expected: A D E * (was F) G H ... */
	const char expect[] = "ADE*GHIJKLMNOP";
	for (i = 0; i < PAGES - 2; i++) {
		char c = map[i * PAGE];
		if (c != expect[i]) {
			printf("mapping page %d shows '%c', expected '%c'\n", i, c, expect[i]);
			return 1;
		}
		pread(fd, got, 1, (off_t) i * PAGE);
		if (got[0] != expect[i]) {
			printf("pread page %d shows '%c', expected '%c'\n", i, got[0], expect[i]);
			return 1;
		}
	}
	munmap(map, PAGES * PAGE);
	close(fd);
	printf("OK\n");
	return 0;
}
