/*
 * Small test harness shared by the native test programs, after libfuse's test_syscalls.c:
 * every scenario starts with start_test(), prints a START line and ends with success() (an OK
 * line with the elapsed time) or fail() (the call, the expected and the actual value). A hang
 * therefore shows which test it was in. Errors the kernel may legitimately report in several
 * ways are checked against a set of errnos, never a single value picked by hope.
 */
#ifndef FSTEST_H
#define FSTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char fst_name[256];
static int fst_number;
static int fst_failed;
static int fst_passed;
static int fst_skipped;
static int fst_in_test;
static struct timespec fst_start;

static double fst_elapsed_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - fst_start.tv_sec) * 1e3 + (now.tv_nsec - fst_start.tv_nsec) / 1e6;
}

static void start_test(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fst_name, sizeof(fst_name), fmt, ap);
	va_end(ap);
	fst_number++;
	fst_in_test = 1;
	fprintf(stderr, "START %3d %s\n", fst_number, fst_name);
	fflush(stderr);
	clock_gettime(CLOCK_MONOTONIC, &fst_start);
}

static void success(void)
{
	fprintf(stderr, "OK    %3d %s (%.1f ms)\n", fst_number, fst_name, fst_elapsed_ms());
	fst_passed++;
	fst_in_test = 0;
}

/* A capability the program probed for is missing: the scenario is not run. */
static void skip_test(const char *why)
{
	fprintf(stderr, "SKIP  %3d %s: %s\n", fst_number, fst_name, why);
	fst_skipped++;
	fst_in_test = 0;
}

static void fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "FAIL  %3d %s: ", fst_number, fst_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%.1f ms)\n", fst_elapsed_ms());
	fst_failed++;
	fst_in_test = 0;
}

/* A call that should have succeeded failed: names the test, the call and errno. */
#define PERROR(call) fail("%s: %s (errno %d)", call, strerror(errno), errno)

/* Prints the summary line and returns the exit status of the program. */
static int fst_finish(const char *program)
{
	if (fst_in_test)
		fail("test did not report a result");
	fprintf(stderr, "%s: %d passed, %d failed, %d skipped\n",
		program, fst_passed, fst_failed, fst_skipped);
	return fst_failed ? 1 : 0;
}

/* Names of the errnos used by the tests, so expectations print readably. */
static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0 (success)";
	case EINVAL: return "EINVAL";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBADF: return "EBADF";
	case EPERM: return "EPERM";
	case ESPIPE: return "ESPIPE";
	case EISDIR: return "EISDIR";
	case ENODEV: return "ENODEV";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ENOSYS: return "ENOSYS";
	case ENOTTY: return "ENOTTY";
	case EIO: return "EIO";
	default: return strerror(e);
	}
}

#endif
