/*
 * fuzzutil.h - what several fuzz targets share: handing the input to a
 * parser that reads a file path, and splitting one input into fields.
 *
 * fuzz_file() writes the bytes into a memfd kept for the process (one per
 * slot) and returns "/proc/self/fd/N", so a parser that opens a path reads
 * exactly the input, with no disk and nothing to clean up.  fuzz_dir() is a
 * scratch folder (under /dev/shm when there is one) for parsers whose
 * writer renames a temporary file into place, removed at exit.
 *
 * Header-only (static functions), so each target stays one .c file for the
 * Makefile's tests/fuzz/fuzz_*.c rule and for regression_driver.c.
 */
#ifndef CP_FUZZUTIL_H
#define CP_FUZZUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_SLOTS 4

static const char *fuzz_file(int slot, const void *data, size_t size)
{
	static int fd[FUZZ_SLOTS] = {-1, -1, -1, -1};
	static char path[FUZZ_SLOTS][32];
	if (fd[slot] < 0) {
		fd[slot] = memfd_create("fuzz", MFD_CLOEXEC);
		if (fd[slot] < 0)
			abort();
		snprintf(path[slot], sizeof path[slot], "/proc/self/fd/%d", fd[slot]);
	}
	if (ftruncate(fd[slot], 0) || (size && pwrite(fd[slot], data, size, 0) != (ssize_t)size))
		abort();
	return path[slot];
}

static char fuzz_dir_path[64];

static void fuzz_dir_remove(void)
{
	char cmd[96];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path);
	if (system(cmd))
		fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir_path);
}

static const char *fuzz_dir(void)
{
	if (!fuzz_dir_path[0]) {
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/cp-fuzz-XXXXXX", base);
		if (!mkdtemp(fuzz_dir_path))
			abort();
		atexit(fuzz_dir_remove);
	}
	return fuzz_dir_path;
}

/* The next field of the input: the bytes up to the next NUL (or the end),
 * newly allocated and NUL-terminated; *at moves past the NUL. */
static char *fuzz_field(const unsigned char *data, size_t size, size_t *at)
{
	size_t a = *at < size ? *at : size;
	const unsigned char *nul = a < size ? memchr(data + a, 0, size - a) : NULL;
	size_t end = nul ? (size_t)(nul - data) : size;
	char *s = malloc(end - a + 1);
	if (!s)
		abort();
	memcpy(s, data + a, end - a);
	s[end - a] = 0;
	*at = nul ? end + 1 : size;
	return s;
}

#endif
