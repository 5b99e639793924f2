/*
 * meta.c - one spelling of a set of x-amz-meta-* headers (cp_meta_canon),
 * so that what HEAD returns and what a [headers] rule wants compare as
 * strings: names lower-cased (S3 returns them so), one "name: value" line
 * each, sorted.
 */
#include "upload/target/target.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int meta_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *cp_meta_canon(const cp_s3_header *meta, size_t n)
{
	char **lines = cp_xcalloc(n + 1, sizeof *lines);
	for (size_t i = 0; i < n; i++) {
		lines[i] = cp_xasprintf("%s: %s\n", meta[i].name, meta[i].value);
		for (char *c = lines[i]; *c != ':'; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	qsort(lines, n, sizeof *lines, meta_cmp);
	cp_buf b = CP_BUF_INIT;
	cp_buf_puts(&b, "");
	for (size_t i = 0; i < n; i++) {
		cp_buf_puts(&b, lines[i]);
		free(lines[i]);
	}
	free(lines);
	return cp_buf_take(&b);
}
