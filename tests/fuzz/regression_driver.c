/*
 * regression_driver.c - runs a fuzz target's LLVMFuzzerTestOneInput on saved
 * inputs without libFuzzer (zstd's tests/fuzz/regression_driver.c is the
 * model), so every seed and every crash ever found replays under plain gcc
 * with ASan and UBSan (`make fuzz-replay`), on any machine, in a second.
 *
 *   build/fuzz/replay/fuzz_x DIR|FILE...
 *
 * Each file (a folder's files in name order; dot files and README* are
 * skipped) is read into a buffer of exactly its size, so a read one byte
 * past the input is caught, and handed to the target once.  The target's
 * own assertions abort and the sanitizers report and exit non-zero; a file
 * that cannot be read is a failure too.  It prints how many inputs ran.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	int bad = !buf || ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		return -1;
	}
	/* exactly n bytes (one for an empty input), so an overread is caught */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact)
		abort();
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strncmp(de->d_name, "README", 6))
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		size_t l = strlen(dir) + strlen(de->d_name) + 2;
		names[n] = malloc(l);
		snprintf(names[n++], l, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			rc |= run_file(names[i]);
			++*count;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	size_t count = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			rc |= run_dir(argv[i], &count) != 0;
		} else {
			rc |= run_file(argv[i]) != 0;
			count++;
		}
	}
	printf("%s: %zu inputs%s\n", argc > 0 ? argv[0] : "replay", count, rc ? ", FAILED" : "");
	return rc;
}
