/*
 * fuzz_glob.c - --include/--exclude patterns (lib/glob.c): cp_glob_match and
 * the filter built from them, on any pattern and path.
 *
 * The input is split at NULs into a path and then patterns (the first is
 * matched alone; all of them also go into a filter, even ones as excludes).
 * Asserted beyond "no crash, no endless loop":
 *  - a path matches itself as a pattern once every special character
 *    ('*', '?', '[', '\\') is escaped with '\\' (paths not starting with
 *    '/', which a pattern's leading '/' anchors instead);
 *  - "**" matches every path, and "*" every path's last segment;
 *  - an exclude of that escaped path keeps the path out of the filter, and
 *    a filter with no pattern lets everything through.
 */
#include "lib/buf.h"
#include "lib/glob.h"

#include "fuzzutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *escape(const char *s)
{
	cp_buf b = CP_BUF_INIT;
	for (; *s; s++) {
		if (strchr("*?[\\", *s))
			cp_buf_putc(&b, '\\');
		cp_buf_putc(&b, *s);
	}
	return cp_buf_take(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 512)
		return 0; /* a backtracking matcher: long inputs only measure its time */
	size_t at = 0;
	char *path = fuzz_field(data, size, &at);
	char *pat = fuzz_field(data, size, &at);
	(void)cp_glob_match(pat, path);

	if (path[0] != '/') {
		char *e = escape(path);
		if (!cp_glob_match(e, path))
			abort();
		cp_filter f = {0};
		if (!cp_filter_pass(&f, path))
			abort();
		cp_filter_add(&f, 1, e);
		if (cp_filter_pass(&f, path))
			abort();
		cp_filter_free(&f);
		free(e);
	}
	if (!cp_glob_match("**", path) || !cp_glob_match("*", path))
		abort();

	cp_filter f = {0};
	cp_filter_add(&f, 0, pat);
	for (int i = 0; at < size && i < 8; i++) {
		char *p = fuzz_field(data, size, &at);
		cp_filter_add(&f, i & 1, p);
		free(p);
	}
	(void)cp_filter_pass(&f, path);
	cp_filter_free(&f);
	free(pat);
	free(path);
	return 0;
}
