/*
 * glob.h - include/exclude patterns, as deploy scripts write them.
 *
 * A pattern without '/' matches the last segment at any depth ("*.scss",
 * ".DS_Store"); a pattern with '/' matches the whole relative path, '*' not
 * crossing a slash, two stars crossing it (see cp_glob_match).  This is what
 * users of rsync, rclone and `aws s3 sync --exclude` expect of the common
 * cases; an exclude without '/' also excludes a folder of that name, with
 * its contents.  Excludes win over includes; with no include, everything is in.
 */
#ifndef CP_GLOB_H
#define CP_GLOB_H

#include <stddef.h>

typedef struct cp_filter {
	char **include;
	size_t ninclude;
	char **exclude;
	size_t nexclude;
} cp_filter;

int cp_glob_match(const char *pattern, const char *path);
void cp_filter_add(cp_filter *f, int exclude, const char *pattern);
/* 1 when the relative path passes the filter. */
int cp_filter_pass(const cp_filter *f, const char *relpath);
void cp_filter_free(cp_filter *f);

#endif
