/*
 * collect.c - source roots to the asset table.
 *
 * Each root is walked with lib/walk.h (symlinks followed; a loop, or a link
 * whose target is outside every root, is an error naming the path), then the
 * listings are merged by relative path: the first root wins, as in Django's
 * STATICFILES_DIRS, and each shadowed file is a warning so that an
 * accidental override does not go unseen.
 *
 * Everything that can be checked before writing is checked here, so that a
 * failing build leaves DIST untouched: the roots exist and are folders, DIST
 * is neither inside a root (the next build would collect its own output)
 * nor holding one, and every file can be opened.  Text assets (CSS, JS,
 * source maps) are read into memory, in parallel; binary ones are opened and
 * closed only, and are streamed later.
 */
#include "pipeline/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct merged {
	cp_walk_entry *e;
	size_t root;
};

static int merged_cmp(const void *a, const void *b)
{
	const struct merged *x = a, *y = b;
	int c = strcmp(x->e->rel, y->e->rel);
	if (c)
		return c;
	return x->root < y->root ? -1 : x->root > y->root;
}

struct loader {
	cp_assets *t;
	cp_error *errs; /* one per asset: the first by index is reported */
};

static void load_one(void *ctx, size_t i)
{
	struct loader *l = ctx;
	cp_asset *a = &l->t->v[i];
	if (a->kind != CP_ASSET_OTHER) {
		cp_read_file(a->source, &a->text, &l->errs[i]);
		return;
	}
	int fd = open(a->source, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		cp_error_set(&l->errs[i], a->source, 0, 0, "cannot read: %s", strerror(errno));
	else
		close(fd);
}

static int check_roots(const cp_collect_opts *o, char **real, cp_error *err)
{
	for (size_t i = 0; i < o->nroots; i++) {
		struct stat st;
		if (stat(o->roots[i], &st) != 0)
			return cp_error_set(err, o->roots[i], 0, 0, "source root: %s",
					    strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return cp_error_set(err, o->roots[i], 0, 0, "source root is not a folder");
		char buf[PATH_MAX];
		if (!realpath(o->roots[i], buf))
			return cp_error_set(err, o->roots[i], 0, 0, "source root: %s",
					    strerror(errno));
		real[i] = cp_xstrdup(buf);
	}
	if (!o->dist)
		return 0;
	char *dist = cp_path_real_maybe(o->dist);
	int rc = 0;
	for (size_t i = 0; i < o->nroots && !rc; i++) {
		if (cp_path_is_within(dist, real[i]))
			rc = cp_error_set(err, o->dist, 0, 0,
					  "output folder is inside source root %s: refusing "
					  "(the next build would collect its own output)",
					  o->roots[i]);
		else if (cp_path_is_within(real[i], dist))
			rc = cp_error_set(err, o->dist, 0, 0,
					  "output folder contains source root %s: refusing",
					  o->roots[i]);
	}
	free(dist);
	return rc;
}

int cp_collect(const cp_collect_opts *o, cp_assets *t, cp_diags *d, cp_error *err)
{
	if (!o->nroots)
		return cp_error_set(err, NULL, 0, 0, "no source folder given");
	char **real = cp_xcalloc(o->nroots + 1, sizeof *real);
	cp_walk_list *lists = cp_xcalloc(o->nroots, sizeof *lists);
	int rc = check_roots(o, real, err);
	cp_walk_opts wo = {.dotfiles = o->dotfiles,
			   .filter = o->filter,
			   .confine = (const char *const *)real,
			   .diags = d};
	size_t total = 0;
	for (size_t i = 0; i < o->nroots && !rc; i++) {
		rc = cp_walk(o->roots[i], &wo, &lists[i], err);
		total += lists[i].n;
	}
	struct merged *m = cp_xcalloc(total + 1, sizeof *m);
	size_t nm = 0;
	for (size_t i = 0; i < o->nroots && !rc; i++)
		for (size_t k = 0; k < lists[i].n; k++)
			m[nm++] = (struct merged){&lists[i].v[k], i};
	qsort(m, nm, sizeof *m, merged_cmp);
	for (size_t k = 0; k < nm && !rc; k++) {
		if (k && !strcmp(m[k].e->rel, m[k - 1].e->rel)) {
			size_t w = k;
			while (w > 0 && !strcmp(m[w - 1].e->rel, m[k].e->rel))
				w--;
			cp_diags_add(d, CP_DIAG_WARN, m[k].e->path, 0, 0, "shadowed by %s",
				     m[w].e->path);
			continue;
		}
		cp_asset *a = cp_assets_add(t);
		a->logical = cp_xstrdup(m[k].e->rel);
		a->source = cp_xstrdup(m[k].e->path);
		a->size = m[k].e->size;
		a->mtime_ns = m[k].e->mtime_ns;
		a->kind = cp_asset_kind_of(a->logical);
	}
	free(m);
	for (size_t i = 0; i < o->nroots; i++) {
		cp_walk_list_free(&lists[i]);
		free(real[i]);
	}
	free(lists);
	free(real);
	if (rc)
		return rc;
	struct loader l = {.t = t, .errs = cp_xcalloc(t->n + 1, sizeof *l.errs)};
	cp_parallel_for(o->jobs, t->n, load_one, &l);
	for (size_t i = 0; i < t->n && !rc; i++)
		if (l.errs[i].set) {
			*err = l.errs[i];
			rc = CP_ERR_BUILD;
		}
	free(l.errs);
	return rc;
}
