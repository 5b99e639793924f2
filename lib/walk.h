/*
 * walk.h - listing a local folder tree, as build and sync both need it.
 *
 * One rule for links, for build, upload and sync alike.  The walk follows
 * symlinks (static trees are often assembled from links into packages), so
 * it guards against the ways that goes wrong:
 *   - a loop (a link to an ancestor folder, detected by the device/inode of
 *     every folder on the current path): an error;
 *   - a link whose target lies outside the root's real path (or outside all
 *     of the `confine` roots when given, as build's several source roots):
 *     an error naming the link, never followed, because following it would
 *     publish /etc/passwd from a DIST or let sync --delete reach files that
 *     are not the user's media;
 *   - a dangling link: skipped with a warning (as rsync does), because one
 *     stale link should not stop the deploy of everything else; its path is
 *     listed so that a sync deletes nothing at or below it.
 * Dotfiles are skipped unless asked for.  Entries come in the byte order of
 * their relative path (UTF-8 byte order, the order S3 lists keys in: "a-b"
 * before "a/b" before "a0"), so everything downstream is deterministic and a
 * walk can be merged with a listing as it goes (cp_walk_each: memory is one
 * folder's names per level, not the tree).
 */
#ifndef CP_WALK_H
#define CP_WALK_H

#include "lib/err.h"
#include "lib/glob.h"

#include <stdint.h>
#include <sys/types.h>

typedef struct cp_walk_entry {
	char *rel;  /* relative path with '/' */
	char *path; /* path to open: root joined with rel */
	uint64_t size;
	int64_t mtime_ns;
	uint64_t ino, dev;
	int dangling; /* cp_walk_each only: a dangling link (rel, path; no stat) */
} cp_walk_entry;

typedef struct cp_walk_list {
	cp_walk_entry *v;
	size_t n, cap;
	/* rel of each dangling link skipped: what a sync must not delete, since
	 * it cannot tell what is there (an unmounted disk behind the link) */
	char **dangling;
	size_t ndangling;
} cp_walk_list;

typedef struct cp_walk_opts {
	int dotfiles;		 /* include names starting with '.' */
	const cp_filter *filter; /* may be NULL */
	/* NULL-terminated real paths a link may lead into; NULL: the root's own */
	const char *const *confine;
	cp_diags *diags; /* where dangling links are reported; may be NULL */
	/* Links are not followed at all (skipped with a warning): a sync's local
	 * destination, where one folder reached by two paths would have the
	 * delete of one path remove the other's files. */
	int no_links;
	const char *skip_dir; /* real path of a folder not to descend into (DIST); may be NULL */
	/* Leave out cdnpipe's own temporary files (cp_is_tmp_name): a rename
	 * that a crash interrupted must never be published, synced or deleted.
	 * CP_WALK_TMP_WARN also reports each one in diags. */
	enum { CP_WALK_TMP_KEEP = 0, CP_WALK_TMP_SKIP, CP_WALK_TMP_WARN } tmp;
} cp_walk_opts;

/* Appends the files below root to out, sorted by rel. */
int cp_walk(const char *root, const cp_walk_opts *opts, cp_walk_list *out, cp_error *err);

/* The entry's strings are the walk's, valid during the call only.  Return
 * nonzero to stop the walk (cp_walk_each then returns that value). */
typedef int (*cp_walk_fn)(void *ctx, const cp_walk_entry *e);
/* Calls fn for every file below root in rel's byte order, and for every
 * dangling link (e->dangling) at its place in that order. */
int cp_walk_each(const char *root, const cp_walk_opts *opts, cp_walk_fn fn, void *ctx,
		 cp_error *err);
void cp_walk_list_free(cp_walk_list *l);

#endif
