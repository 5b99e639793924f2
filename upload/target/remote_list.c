/*
 * remote_list.c - the flat listing every target returns (cp_remote_list).
 *
 * Its own file, below target.c and the implementations, so that the
 * factory and the implementations it opens do not call into each other.
 * ETags are stored bare (S3 quotes them) so comparisons never see quotes.
 */
#include "upload/target/target.h"

#include <stdlib.h>
#include <string.h>

void cp_remote_list_add(cp_remote_list *l, const char *key, uint64_t size, const char *etag)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = cp_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	cp_remote_obj *o = &l->v[l->n++];
	o->key = cp_xstrdup(key);
	o->size = size;
	o->mtime = 0;
	o->etag[0] = 0;
	if (etag) {
		/* S3 quotes ETags; compare them bare. */
		size_t len = strlen(etag);
		if (len >= 2 && etag[0] == '"' && etag[len - 1] == '"') {
			etag++;
			len -= 2;
		}
		if (len >= sizeof o->etag)
			len = sizeof o->etag - 1;
		memcpy(o->etag, etag, len);
		o->etag[len] = 0;
	}
}

void cp_remote_list_free(cp_remote_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].key);
	free(l->v);
	memset(l, 0, sizeof *l);
}
