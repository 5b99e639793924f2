/*
 * target.c - opening a target from its URL, and the dispatch every caller
 * goes through; see upload.h.
 *
 * The interface is deliberately small and synchronous.  The planner needs a
 * listing and, for file://, an occasional ETag; the publisher needs put;
 * sync (and later prune) need delete and copy.  Synchronous calls that are
 * safe from many threads keep the executor a plain worker pool, and the S3
 * implementation still gets N requests in flight, because its calls only
 * enqueue work for the client's network thread and wait.
 */
#include "upload/target/target_impl.h"

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

int cp_target_open(const char *url, const cp_s3_settings *s3, cp_target **out, cp_error *err)
{
	*out = NULL;
	if (!strncmp(url, "file://", 7)) {
		const char *path = url + 7;
		/* file://localhost/x is the same as file:///x */
		if (!strncmp(path, "localhost/", 10))
			path += 9;
		if (*path != '/') {
			/* file://dir/x names host "dir": never what a deploy script meant */
			cp_error_set(
			    err, url, 0, 0,
			    "a file:// target needs an absolute path: file:///path/to/folder");
			return CP_ERR_USAGE;
		}
		return cp_target_file_open(path, out, err);
	}
	if (!strncmp(url, "s3://", 5))
		return cp_target_s3_open(url, s3, out, err);
	cp_error_set(err, url, 0, 0,
		     "unknown target (expected s3://bucket/prefix or file:///path)");
	return CP_ERR_USAGE;
}

void cp_target_close(cp_target *t)
{
	if (t)
		t->ops->close(t);
}

const char *cp_target_scheme(const cp_target *t)
{
	return t->ops->scheme;
}

uint64_t cp_target_part_size(const cp_target *t, uint64_t size)
{
	return t->ops->part_size(t, size);
}

int cp_target_list(cp_target *t, const char *prefix, cp_remote_list *out, cp_error *err)
{
	return t->ops->list(t, prefix ? prefix : "", out, err);
}

int cp_target_head(cp_target *t, const char *key, cp_remote_obj *out, int *exists, cp_error *err)
{
	return t->ops->head(t, key, out, exists, err);
}

int cp_target_etag(cp_target *t, const char *key, char out[CP_ETAG_MAX], cp_error *err)
{
	return t->ops->etag(t, key, out, err);
}

int cp_target_put(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
		  const unsigned char *md5, cp_error *err)
{
	static const cp_put_headers none = {0};
	return t->ops->put(t, key, local, h ? h : &none, md5, err);
}

int cp_target_delete(cp_target *t, const char *const *keys, size_t n, cp_diags *diags,
		     cp_error *err)
{
	return n ? t->ops->del(t, keys, n, diags, err) : 0;
}

int cp_target_copy(cp_target *t, const char *src, const char *dst, const cp_put_headers *h,
		   cp_error *err)
{
	static const cp_put_headers none = {0};
	return t->ops->copy(t, src, dst, h ? h : &none, err);
}
