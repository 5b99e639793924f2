/*
 * walk.c - recursive listing with symlink-loop detection and confinement;
 * see walk.h.
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
	cp_walk_list *out;
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

static void add_entry(struct walker *w, const char *rel, const char *path, const struct stat *st)
{
	if (w->o->tmp != CP_WALK_TMP_KEEP && cp_is_tmp_name(rel)) {
		if (w->o->tmp == CP_WALK_TMP_WARN)
			cp_diags_add(w->o->diags, CP_DIAG_WARN, path, 0, 0, CP_TMP_SKIPPED);
		return;
	}
	cp_walk_list *l = w->out;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = cp_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = (cp_walk_entry){
	    .rel = cp_xstrdup(rel),
	    .path = cp_xstrdup(path),
	    .size = (uint64_t)st->st_size,
	    .mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
	    .ino = (uint64_t)st->st_ino,
	    .dev = (uint64_t)st->st_dev,
	};
}

static int walk_dir(struct walker *w, const char *dir, const char *rel);

static int visit(struct walker *w, const char *path, const char *rel, int is_link)
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
			cp_walk_list *l = w->out;
			l->dangling =
			    cp_xrealloc(l->dangling, (l->ndangling + 1) * sizeof *l->dangling);
			l->dangling[l->ndangling++] = cp_xstrdup(rel);
			return 0;
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
	add_entry(w, rel, path, &st);
	return 0;
}

static int walk_dir(struct walker *w, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	if (!d)
		return cp_error_set(w->err, dir, 0, 0, "cannot open folder: %s", strerror(errno));
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (name[0] == '.' && !w->o->dotfiles)
			continue;
		char *path = cp_path_join(dir, name);
		if (!cp_name_is_clean(name)) { /* README, sync: names that cannot travel */
			char *show = cp_name_show(path);
			cp_diags_add(w->o->diags, CP_DIAG_WARN, show, 0, 0,
				     "name has a control character (a newline...) or is not "
				     "UTF-8: skipped");
			free(show);
			free(path);
			continue;
		}
		char *crel = cp_path_join(rel, name);
		int is_link = de->d_type == DT_LNK;
		if (de->d_type == DT_UNKNOWN) {
			struct stat lst;
			is_link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
		}
		rc = visit(w, path, crel, is_link);
		free(path);
		free(crel);
	}
	closedir(d);
	return rc;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const cp_walk_entry *)a)->rel, ((const cp_walk_entry *)b)->rel);
}

int cp_walk(const char *root, const cp_walk_opts *opts, cp_walk_list *out, cp_error *err)
{
	static const cp_walk_opts defaults = {0};
	struct walker w = {.o = opts ? opts : &defaults, .out = out, .err = err};
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
	size_t first = out->n;
	w.stack = cp_xmalloc(32 * sizeof *w.stack);
	w.cap = 32;
	w.stack[w.depth++] = (struct frame){st.st_dev, st.st_ino};
	int rc = walk_dir(&w, root, "");
	free(w.stack);
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof *out->v, entry_cmp);
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
