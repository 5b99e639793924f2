/*
 * url.c - the CDN URL (and integrity) of logical names, from a manifest in
 * a file, a DIST folder or a published target (cp_url_lookup); see
 * publish.h.
 *
 * The manifest is found where a deploy puts it: staticfiles.json first (the
 * default build), then the other dialects, so `--dist` and `--target` need
 * no more than the folder or the bucket prefix.  A manifest without SRI
 * values (Django's, Mix's, the flat one) still gives integrity: the file's
 * bytes are hashed where they are - in DIST, beside the manifest, or
 * fetched from the target into a temporary folder - so the value is that
 * of what the CDN serves.  URLs are percent-encoded by the S3 client's
 * RFC 3986 rule (unreserved characters and '/' kept), the same encoding a
 * bucket key gets on the wire.
 */
#include "upload/publish/publish.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where a manifest may be, relative to DIST or the target, in this order. */
static const char *const manifest_names[] = {
    CP_DJANGO_MANIFEST,	 ".vite/manifest.json", ".manifest.json",      "manifest.json",
    "mix-manifest.json", "cache_manifest.json", CP_SPROCKETS_MANIFEST, NULL,
};

void cp_url_report_free(cp_url_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].url);
		free(r->v[i].integrity);
		free(r->v[i].hashed);
		free(r->v[i].suggest);
	}
	free(r->v);
	free(r->manifest);
	memset(r, 0, sizeof *r);
}

/* The job's sources: a folder the files are in, or a target they come from. */
struct place {
	char *base;	 /* local folder holding the files (DIST), or NULL */
	cp_target *t;	 /* or the target */
	char *tmp;	 /* scratch folder for fetched objects */
	unsigned long n; /* fetches so far */
};

static int read_local(const char *path, cp_buf *b, int *exists, cp_error *err)
{
	*exists = access(path, F_OK) == 0;
	return *exists ? cp_read_file(path, b, err) : 0;
}

static int fetch_to_tmp(struct place *p, const char *key, char **local, int *exists, cp_error *err)
{
	if (!p->tmp) {
		const char *t = getenv("TMPDIR");
		p->tmp = cp_xasprintf("%s/cdnpipe-url.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(p->tmp)) {
			free(p->tmp);
			p->tmp = NULL;
			return cp_error_set(err, NULL, 0, 0, "cannot make a temporary folder: %s",
					    strerror(errno));
		}
	}
	*local = cp_xasprintf("%s/%lu", p->tmp, p->n++);
	return cp_target_fetch(p->t, key, *local, exists, err);
}

/* Finds and parses the manifest; r->manifest names where it was read. */
static int load(const cp_url_opts *o, struct place *p, cp_manifest_index *m, cp_url_report *r)
{
	cp_buf b = CP_BUF_INIT;
	int rc = 0, found = 0;
	cp_buf looked = CP_BUF_INIT;
	if (o->manifest) {
		r->manifest = cp_xstrdup(o->manifest);
		rc = read_local(o->manifest, &b, &found, &r->err);
	} else {
		for (const char *const *n = manifest_names; *n && !rc && !found; n++) {
			char *where;
			if (p->t) {
				char *local = NULL;
				where = cp_xasprintf(
				    "%s%s%s", o->target,
				    o->target[strlen(o->target) - 1] == '/' ? "" : "/", *n);
				rc = fetch_to_tmp(p, *n, &local, &found, &r->err);
				if (!rc && found)
					rc = cp_read_file(local, &b, &r->err);
				if (local)
					unlink(local);
				free(local);
			} else {
				where = cp_path_join(p->base, *n);
				rc = read_local(where, &b, &found, &r->err);
			}
			cp_buf_printf(&looked, "%s%s", looked.len ? ", " : "", where);
			if (found && !r->manifest)
				r->manifest = cp_xstrdup(where);
			free(where);
		}
	}
	if (!rc && !found)
		rc = cp_error_set(&r->err, NULL, 0, 0, "no manifest at %s",
				  o->manifest ? o->manifest : looked.data);
	if (!rc && (rc = cp_manifest_read(b.data ? b.data : "", b.len, m, &r->err)) != 0)
		snprintf(r->err.path, sizeof r->err.path, "%s", r->manifest);
	cp_buf_free(&looked);
	cp_buf_free(&b);
	return rc ? CP_ERR_BUILD : 0;
}

/* The SRI value of a fingerprinted file, hashed where it is. */
static int integrity_of(const cp_url_opts *o, struct place *p, const char *hashed, char **out,
			cp_error *err)
{
	char *local = NULL;
	int exists = 0, rc;
	if (p->t) {
		rc = fetch_to_tmp(p, hashed, &local, &exists, err);
	} else {
		local = cp_path_join(p->base, hashed);
		exists = access(local, F_OK) == 0;
		rc = 0;
	}
	if (!rc && !exists)
		rc = cp_error_set(err, hashed, 0, 0,
				  "not found, so its integrity cannot be computed");
	cp_digests d;
	if (!rc && !(rc = cp_digests_file(local, cp_sri_digests(&o->sri), &d, err))) {
		char v[CP_SRI_MAX];
		cp_sri_format(&o->sri, &d, v);
		*out = cp_xstrdup(v);
	}
	if (p->t && local)
		unlink(local);
	free(local);
	return rc;
}

static char *join_url(const char *base, const char *path)
{
	char *enc = cp_s3_uri_encode(path, 1);
	size_t bl = strlen(base);
	char *u = cp_xasprintf("%s%s%s", base, bl && base[bl - 1] != '/' ? "/" : "", enc);
	free(enc);
	return u;
}

/* The folder a manifest file's paths are relative to: its own, or DIST for
 * Vite's .vite/manifest.json. */
static char *base_of_manifest(const char *file)
{
	char *abs = cp_path_absolute(file);
	char *dir = cp_xstrndup(abs, cp_path_dirlen(abs));
	size_t n = strlen(dir);
	if (n >= 6 && !strcmp(dir + n - 6, "/.vite"))
		dir[n - 6] = 0;
	free(abs);
	return dir;
}

int cp_url_lookup(const cp_url_opts *o, const char *const *names, size_t n, cp_url_report *r)
{
	memset(r, 0, sizeof *r);
	struct place p = {0};
	int rc = 0;
	if (o->target)
		rc = cp_target_open(o->target, &o->s3, &p.t, &r->err);
	else
		p.base = o->manifest ? base_of_manifest(o->manifest)
				     : cp_xstrdup(o->dist ? o->dist : ".");
	cp_manifest_index m = {0};
	if (!rc)
		rc = load(o, &p, &m, r);
	r->v = cp_xcalloc(n + 1, sizeof *r->v);
	for (size_t i = 0; !rc && i < n; i++) {
		cp_url_result *x = &r->v[r->n++];
		x->name = names[i];
		const cp_manifest_ref *e = cp_manifest_find(&m, names[i]);
		if (!e) {
			const char *near = cp_manifest_closest(&m, names[i]);
			x->suggest = near ? cp_xstrdup(near) : NULL;
			r->missing++;
			continue;
		}
		x->found = 1;
		x->hashed = cp_xstrdup(e->hashed);
		x->url = join_url(o->base_url ? o->base_url : "/static/", e->hashed);
		if (o->integrity && e->integrity)
			x->integrity = cp_xstrdup(e->integrity);
		else if (o->integrity)
			rc = integrity_of(o, &p, e->hashed, &x->integrity, &r->err);
	}
	r->dialect = m.dialect;
	cp_manifest_index_free(&m);
	cp_target_close(p.t);
	if (p.tmp)
		rmdir(p.tmp);
	free(p.tmp);
	free(p.base);
	if (!rc && r->missing)
		rc = CP_ERR_BUILD;
	return rc;
}
