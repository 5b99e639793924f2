/*
 * walk.c - recursive listing with symlink-loop detection and confinement;
 * see walk.h.
 *
 * Order: files come out in the UTF-8 byte order of their full relative path,
 * the order S3 lists keys in, without sorting the whole tree: each folder's
 * entries are read whole, sorted by name with a folder's name taken as
 * name + "/" (so "a-b" < "a/" < "a0", as "a-b" < "a/x" < "a0" among keys),
 * then visited in that order.  Sibling names differ before any '/' and a
 * folder's keys all start with name + "/", so this per-folder order is the
 * byte order of the full keys.  Memory is one folder's names per level of
 * depth, never the tree: a sync can merge the walk with a listing as it
 * goes.  The price is a second stat() of links and of entries whose type
 * readdir() does not give (a link's target decides whether it is a folder).
 */
#include "lib/walk.h"
#include "lib/fsutil.h"
#include "lib/buf.h"
#include "lib/path.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct frame {
	dev_t dev;
	ino_t ino;
};

struct walker {
	const cp_walk_opts *o;
	const char *const *confine; /* the options' roots, or the root's real path */
	cp_walk_fn fn;
	void *ctx;
	cp_error *err;
	struct frame *stack;
	size_t depth, cap;
};

static int confined(struct walker *w, const char *path)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return 0; /* it went away, or a part of it is unreadable: not followed */
	for (const char *const *r = w->confine; *r; r++)
		if (cp_path_is_within(real, *r))
			return 1;
	return 0;
}

/* Hands one file to the callback; its nonzero answer stops the walk. */
static int emit(struct walker *w, char *rel, char *path, const struct stat *st)
{
	if (w->o->tmp != CP_WALK_TMP_KEEP && cp_is_tmp_name(rel)) {
		if (w->o->tmp == CP_WALK_TMP_WARN)
			cp_diags_add(w->o->diags, CP_DIAG_WARN, path, 0, 0, CP_TMP_SKIPPED);
		return 0;
	}
	cp_walk_entry e = {
	    .rel = rel,
	    .path = path,
	    .size = (uint64_t)st->st_size,
	    .mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
	    .ino = (uint64_t)st->st_ino,
	    .dev = (uint64_t)st->st_dev,
	};
	return w->fn(w->ctx, &e);
}

static int walk_dir(struct walker *w, const char *dir, const char *rel);

static int visit(struct walker *w, char *path, char *rel, int is_link)
{
	struct stat st;
	if (is_link && w->o->no_links) {
		cp_diags_add(w->o->diags, CP_DIAG_WARN, path, 0, 0,
			     "symlink: not followed (what it points at is never written or "
			     "deleted; a file from the source may replace the link)");
		return 0;
	}
	if (stat(path, &st) != 0) {
		if (is_link && errno == ENOENT) {
			cp_diags_add(w->o->diags, CP_DIAG_WARN, path, 0, 0,
				     "dangling symlink: skipped");
			cp_walk_entry e = {.rel = rel, .path = path, .dangling = 1};
			return w->fn(w->ctx, &e);
		}
		if (errno == ELOOP)
			return cp_error_set(w->err, path, 0, 0, "symlink loop");
		return cp_error_set(w->err, path, 0, 0, "cannot stat: %s", strerror(errno));
	}
	if (is_link && !confined(w, path))
		return cp_error_set(w->err, path, 0, 0, "%s",
				    w->o->confine ? "symlink leads outside every source root"
						  : "symlink leads outside the folder; links must "
						    "stay within it");
	if (S_ISDIR(st.st_mode)) {
		for (size_t i = 0; i < w->depth; i++)
			if (w->stack[i].dev == st.st_dev && w->stack[i].ino == st.st_ino)
				return cp_error_set(w->err, path, 0, 0,
						    "symlink loop (folder contains itself)");
		if (w->o->skip_dir) {
			char real[PATH_MAX];
			if (realpath(path, real) && strcmp(real, w->o->skip_dir) == 0)
				return 0;
		}
		if (w->depth == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 32;
			w->stack = cp_xrealloc(w->stack, w->cap * sizeof *w->stack);
		}
		w->stack[w->depth++] = (struct frame){st.st_dev, st.st_ino};
		int rc = walk_dir(w, path, rel);
		w->depth--;
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		return 0; /* sockets, fifos: nothing to publish */
	if (w->o->filter && !cp_filter_pass(w->o->filter, rel))
		return 0;
	return emit(w, rel, path, &st);
}

/* One entry of a folder, with the name it sorts by. */
struct dent {
	char *name;
	size_t len;
	int is_link, is_dir;
};

/* Byte i of the name a folder entry sorts by (name + "/" for a folder), or
 * -1 past its end. */
static int sort_byte(const struct dent *d, size_t i)
{
	if (i < d->len)
		return (unsigned char)d->name[i];
	return i == d->len && d->is_dir ? '/' : -1;
}

static int dent_cmp(const void *a, const void *b)
{
	const struct dent *x = a, *y = b;
	for (size_t i = 0;; i++) {
		int p = sort_byte(x, i), q = sort_byte(y, i);
		if (p != q)
			return p < q ? -1 : 1;
		if (p < 0)
			return 0;
	}
}

/* Reads a folder's names (and whether each leads to a folder) whole. */
static int read_dir(struct walker *w, const char *dir, struct dent **out, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return cp_error_set(w->err, dir, 0, 0, "cannot open folder: %s", strerror(errno));
	struct dent *v = NULL;
	size_t cap = 0;
	*n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (name[0] == '.' && !w->o->dotfiles)
			continue;
		if (!cp_name_is_clean(name)) { /* README, sync: names that cannot travel */
			char *path = cp_path_join(dir, name), *show = cp_name_show(path);
			cp_diags_add(w->o->diags, CP_DIAG_WARN, show, 0, 0,
				     "name has a control character (a newline...) or is not "
				     "UTF-8: skipped");
			free(show);
			free(path);
			continue;
		}
		int is_link = de->d_type == DT_LNK, is_dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN || is_link) {
			char *path = cp_path_join(dir, name);
			struct stat lst, st;
			if (de->d_type == DT_UNKNOWN)
				is_link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
			/* A link that leads nowhere, or that is not followed
			 * (no_links), sorts as a file: visit() says why. */
			is_dir = !(is_link && w->o->no_links) && stat(path, &st) == 0 &&
				 S_ISDIR(st.st_mode);
			free(path);
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = cp_xrealloc(v, cap * sizeof *v);
		}
		v[(*n)++] = (struct dent){cp_xstrdup(name), strlen(name), is_link, is_dir};
	}
	closedir(d);
	if (*n > 1) /* an empty folder has no array to sort */
		qsort(v, *n, sizeof *v, dent_cmp);
	*out = v;
	return 0;
}

static int walk_dir(struct walker *w, const char *dir, const char *rel)
{
	struct dent *v;
	size_t n;
	int rc = read_dir(w, dir, &v, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			char *path = cp_path_join(dir, v[i].name);
			char *crel = cp_path_join(rel, v[i].name);
			rc = visit(w, path, crel, v[i].is_link);
			free(path);
			free(crel);
		}
		free(v[i].name);
	}
	free(v);
	return rc;
}

/* cp_walk's callback: the entry's strings move into the list. */
static int collect(void *ctx, const cp_walk_entry *e)
{
	cp_walk_list *l = ctx;
	if (e->dangling) {
		l->dangling = cp_xrealloc(l->dangling, (l->ndangling + 1) * sizeof *l->dangling);
		l->dangling[l->ndangling++] = cp_xstrdup(e->rel);
		return 0;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = cp_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	cp_walk_entry *c = &l->v[l->n++];
	*c = *e;
	c->rel = cp_xstrdup(e->rel);
	c->path = cp_xstrdup(e->path);
	return 0;
}

int cp_walk(const char *root, const cp_walk_opts *opts, cp_walk_list *out, cp_error *err)
{
	return cp_walk_each(root, opts, collect, out, err);
}

int cp_walk_each(const char *root, const cp_walk_opts *opts, cp_walk_fn fn, void *ctx,
		 cp_error *err)
{
	static const cp_walk_opts defaults = {0};
	struct walker w = {.o = opts ? opts : &defaults, .fn = fn, .ctx = ctx, .err = err};
	struct stat st;
	if (stat(root, &st) != 0)
		return cp_error_set(err, root, 0, 0, "%s", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cp_error_set(err, root, 0, 0, "not a folder");
	char real[PATH_MAX];
	const char *own[] = {real, NULL};
	w.confine = w.o->confine ? w.o->confine : own;
	if (!w.o->confine && !realpath(root, real))
		return cp_error_set(err, root, 0, 0, "%s", strerror(errno));
	w.stack = cp_xmalloc(32 * sizeof *w.stack);
	w.cap = 32;
	w.stack[w.depth++] = (struct frame){st.st_dev, st.st_ino};
	int rc = walk_dir(&w, root, "");
	free(w.stack);
	return rc;
}

void cp_walk_list_free(cp_walk_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].rel);
		free(l->v[i].path);
	}
	free(l->v);
	for (size_t i = 0; i < l->ndangling; i++)
		free(l->dangling[i]);
	free(l->dangling);
	memset(l, 0, sizeof *l);
}
