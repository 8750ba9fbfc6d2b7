/*
 * Metadata benchmark: creates N empty files in DIR, stats each, unlinks each, and prints one
 * line "create_per_s stat_per_s unlink_per_s ops seconds" (ops = 3 * N syscalls).
 * usage: bench_meta DIR N
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DIR N\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	int n = atoi(argv[2]);
	char path[4096];
	double t0 = now();
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/m%06d", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd == -1 || close(fd) == -1) {
			perror(path);
			return 1;
		}
	}
	double t1 = now();
	struct stat st;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/m%06d", dir, i);
		if (stat(path, &st) == -1) {
			perror(path);
			return 1;
		}
	}
	double t2 = now();
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/m%06d", dir, i);
		if (unlink(path) == -1) {
			perror(path);
			return 1;
		}
	}
	double t3 = now();
	printf("%.0f %.0f %.0f %d %.3f\n", n / (t1 - t0), n / (t2 - t1), n / (t3 - t2), 3 * n, t3 - t0);
	return 0;
}
