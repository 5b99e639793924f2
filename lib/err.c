/*
 * err.c - errors and diagnostics; see err.h.
 */
#include "lib/err.h"
#include "lib/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cp_error_set(cp_error *e, const char *path, unsigned line, unsigned col, const char *fmt, ...)
{
	if (!e || e->set)
		return CP_ERR_BUILD;
	e->set = 1;
	snprintf(e->path, sizeof e->path, "%s", path ? path : "");
	e->line = line;
	e->col = col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return CP_ERR_BUILD;
}

static void format_loc(const char *path, unsigned line, unsigned col, const char *msg, char *out,
		       size_t outsz)
{
	if (!path || !*path)
		snprintf(out, outsz, "%s", msg);
	else if (line && col)
		snprintf(out, outsz, "%s:%u:%u: %s", path, line, col, msg);
	else if (line)
		snprintf(out, outsz, "%s:%u: %s", path, line, msg);
	else
		snprintf(out, outsz, "%s: %s", path, msg);
}

void cp_error_format(const cp_error *e, char *out, size_t outsz)
{
	format_loc(e->path, e->line, e->col, e->msg, out, outsz);
}

void cp_diags_init(cp_diags *d)
{
	memset(d, 0, sizeof *d);
	pthread_mutex_init(&d->lock, NULL);
}

void cp_diags_free(cp_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	pthread_mutex_destroy(&d->lock);
	memset(d, 0, sizeof *d);
}

void cp_diags_add(cp_diags *d, enum cp_diag_level level, const char *path, unsigned line,
		  unsigned col, const char *fmt, ...)
{
	if (!d)
		return; /* a caller that keeps no diagnostics */
	cp_buf msg = CP_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	cp_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&d->lock);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = cp_xrealloc(d->v, d->cap * sizeof *d->v);
	}
	d->v[d->n++] = (cp_diag){level, cp_xstrdup(path ? path : ""), line, col, cp_buf_take(&msg)};
	if (level == CP_DIAG_ERROR)
		d->nerrors++;
	pthread_mutex_unlock(&d->lock);
}

static int diag_cmp(const void *a, const void *b)
{
	const cp_diag *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return strcmp(x->msg, y->msg);
}

void cp_diags_sort(cp_diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof *d->v, diag_cmp);
}

void cp_diag_format(const cp_diag *g, char *out, size_t outsz)
{
	format_loc(g->path, g->line, g->col, g->msg, out, outsz);
}
