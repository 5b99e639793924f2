/*
 * err.h - errors and diagnostics that travel as data.
 *
 * A stage never prints and never exits: it returns a non-zero code and fills a
 * cp_error (one failure that stops it), or adds to a cp_diags list (warnings,
 * and the errors a user would rather see all at once, such as every missing
 * reference of a build).  cmd/ decides how and whether to show them.  The
 * list is safe to append to from worker threads; cp_diags_sort() orders it by
 * path, line and column so output does not depend on scheduling.
 */
#ifndef CP_ERR_H
#define CP_ERR_H

#include <pthread.h>
#include <stddef.h>

enum cp_status {
	CP_OK = 0,
	CP_ERR_BUILD = 1, /* bad input, failed upload: the job failed */
	CP_ERR_USAGE = 2, /* bad command line or config */
};

typedef struct cp_error {
	int set;
	char path[1024];    /* file, key or URL the error is about ("" if none) */
	unsigned line, col; /* 1-based; 0 when not applicable */
	char msg[1024];
} cp_error;

/* Fills e (if not already set: the first error wins) and returns CP_ERR_BUILD. */
int cp_error_set(cp_error *e, const char *path, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "path:line:col: msg" (parts that are empty are left out). */
void cp_error_format(const cp_error *e, char *out, size_t outsz);

enum cp_diag_level { CP_DIAG_WARN, CP_DIAG_ERROR };

typedef struct cp_diag {
	enum cp_diag_level level;
	char *path;
	unsigned line, col;
	char *msg;
} cp_diag;

typedef struct cp_diags {
	cp_diag *v;
	size_t n, cap;
	size_t nerrors;
	pthread_mutex_t lock;
} cp_diags;

void cp_diags_init(cp_diags *d);
void cp_diags_free(cp_diags *d);
void cp_diags_add(cp_diags *d, enum cp_diag_level level, const char *path, unsigned line,
		  unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void cp_diags_sort(cp_diags *d);
void cp_diag_format(const cp_diag *g, char *out, size_t outsz);

#endif
