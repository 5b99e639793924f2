/*
 * fuzz_sync_state.c - the sync state file (cp_sync_state_load) and its line
 * escaping (cp_sync_unescape), on arbitrary bytes.
 *
 * The state file lives in the user's cache folder, where a crash mid-write,
 * a full disk, another version of cdnpipe or a hand edit can leave anything.
 * It is only a cache, so any file must load (as empty, at worst) without a
 * crash.  Asserted beyond that:
 *  - round trip: the loaded entries saved (every one marked used) and loaded
 *    again are the same entries, field by field, in the same order;
 *  - cp_sync_state_lookup finds an entry by its own (size, mtime, inode);
 *  - cp_sync_unescape of the whole input never grows it, and
 *    unescape(escape(s)) == s.
 * The input is handed over as a file (a memfd, see fuzzutil.h); the save
 * goes to a scratch folder, since it renames a temporary file into place.
 */
#include "upload/sync/sync_int.h"

#include "fuzzutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void same(const cp_sync_state *a, const cp_sync_state *b)
{
	if (a->n != b->n)
		abort();
	for (size_t i = 0; i < a->n; i++) {
		const cp_state_ent *x = &a->v[i], *y = &b->v[i];
		if (strcmp(x->rel, y->rel) || x->size != y->size || x->mtime_ns != y->mtime_ns ||
		    x->ino != y->ino || memcmp(x->md5, y->md5, 16) || x->mp_part != y->mp_part ||
		    strcmp(x->mpetag, y->mpetag))
			abort();
	}
}

static void escaping(const char *data, size_t size)
{
	char *u = cp_sync_unescape(data, size);
	if (strlen(u) > size)
		abort();
	cp_buf b = CP_BUF_INIT;
	cp_sync_escape(&b, u);
	if (memchr(b.data ? b.data : "", '\n', b.len) || memchr(b.data ? b.data : "", '\r', b.len))
		abort(); /* an escaped field stays on its line */
	char *back = cp_sync_unescape(b.data ? b.data : "", b.len);
	if (strcmp(back, u))
		abort();
	free(back);
	free(u);
	cp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	escaping((const char *)data, size);
	cp_sync_state s;
	cp_sync_state_load(&s, fuzz_file(0, data, size));
	for (size_t i = 0; i < s.n; i++) {
		const cp_state_ent *e = &s.v[i];
		if (!e->rel || strlen(e->mpetag) >= sizeof e->mpetag)
			abort();
		cp_state_ent *f = cp_sync_state_lookup(&s, e->rel, e->size, e->mtime_ns, e->ino);
		/* a later line for the same path may win the map, but only with the
		 * same path, size, mtime and inode */
		if (f && (strcmp(f->rel, e->rel) || f->size != e->size ||
			  f->mtime_ns != e->mtime_ns || f->ino != e->ino))
			abort();
		s.v[i].used = 1;
	}
	/* save it elsewhere, then read the saved file back */
	char *file = cp_path_join(fuzz_dir(), "state");
	free(s.file);
	s.file = file;
	cp_error err = {0};
	if (cp_sync_state_save(&s, &err))
		abort();
	cp_sync_state t;
	cp_sync_state_load(&t, file);
	same(&s, &t);
	cp_sync_state_free(&t);
	cp_sync_state_free(&s);
	return 0;
}
