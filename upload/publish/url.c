/*
 * url.c - the CDN URL (and integrity) of logical names, from a manifest in
 * a file, a DIST folder or a published target (cp_url_lookup); see
 * publish.h.
 *
 * The manifest is found where a deploy puts it: staticfiles.json first (the
 * default build), then the other dialects, so `--dist` and `--target` need
 * no more than the folder or the bucket prefix; a file counts only when it
 * has its dialect's shape, and in a folder the newest of several wins.  A manifest without SRI
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
#include <sys/stat.h>
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
		free(r->v[i].error);
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

/* One candidate of the search: read from the folder or the target, kept
 * only when its content has the shape its name says (a web app's own
 * manifest.json is not ours).  *mtime is the local file's (0 at a target). */
static int candidate(const cp_url_opts *o, struct place *p, const char *name, char **where,
		     cp_manifest_index *m, int64_t *mtime, cp_error *err)
{
	cp_buf b = CP_BUF_INIT;
	int found = 0, rc;
	*mtime = 0;
	if (p->t) {
		char *local = NULL;
		*where = cp_xasprintf("%s%s%s", o->target,
				      o->target[strlen(o->target) - 1] == '/' ? "" : "/", name);
		rc = fetch_to_tmp(p, name, &local, &found, err);
		if (!rc && found)
			rc = cp_read_file(local, &b, err);
		if (local)
			unlink(local);
		free(local);
	} else {
		*where = cp_path_join(p->base, name);
		struct stat st;
		if (stat(*where, &st) == 0)
			*mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		rc = read_local(*where, &b, &found, err);
	}
	int ok = !rc && found && cp_manifest_sniff(name, b.data ? b.data : "", b.len, m);
	cp_buf_free(&b);
	return rc ? -1 : ok;
}

/* Finds and parses the manifest; r->manifest names where it was read.  In a
 * folder, of several manifests the newest wins (an older build's
 * staticfiles.json may still be there); at a target, the first found. */
static int load(const cp_url_opts *o, struct place *p, cp_manifest_index *m, cp_url_report *r)
{
	if (o->manifest) {
		cp_buf b = CP_BUF_INIT;
		int found = 0;
		r->manifest = cp_xstrdup(o->manifest);
		int rc = read_local(o->manifest, &b, &found, &r->err);
		if (!rc && !found)
			rc = cp_error_set(&r->err, NULL, 0, 0, "no manifest at %s", o->manifest);
		if (!rc && cp_manifest_read(b.data ? b.data : "", b.len, m, &r->err))
			rc = CP_ERR_BUILD,
			snprintf(r->err.path, sizeof r->err.path, "%s", o->manifest);
		cp_buf_free(&b);
		return rc ? CP_ERR_BUILD : 0;
	}
	cp_buf looked = CP_BUF_INIT;
	int64_t best = -1;
	int rc = 0;
	for (const char *const *n = manifest_names; *n && !rc; n++) {
		char *where = NULL;
		cp_manifest_index c;
		int64_t mtime;
		int ok = candidate(o, p, *n, &where, &c, &mtime, &r->err);
		cp_buf_printf(&looked, "%s%s", looked.len ? ", " : "", where);
		if (ok < 0) {
			rc = CP_ERR_BUILD;
		} else if (ok && mtime > best) {
			cp_manifest_index_free(m);
			*m = c;
			best = mtime;
			free(r->manifest);
			r->manifest = cp_xstrdup(where);
		} else if (ok) {
			cp_manifest_index_free(&c);
		}
		free(where);
		if (ok > 0 && p->t)
			break; /* at a target the first is the one deploys write */
	}
	if (!rc && best < 0) {
		cp_error_set(&r->err, NULL, 0, 0, "no manifest at %s", looked.data);
		rc = CP_ERR_BUILD;
	}
	cp_buf_free(&looked);
	return rc;
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

/* An SRI value as a manifest may give it: "sha384-<base64>", several
 * space-separated.  Anything else (a newline to inject a line into a
 * script) is not trusted; the value is then computed from the file. */
static int sri_ok(const char *v)
{
	for (const char *p = v; *p;) {
		size_t alg =
		    strncmp(p, "sha256-", 7) && strncmp(p, "sha384-", 7) && strncmp(p, "sha512-", 7)
			? 0
			: 7;
		if (!alg)
			return 0;
		p += alg;
		size_t b =
		    strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
		if (!b)
			return 0;
		p += b;
		if (*p == ' ' && p[1])
			p++;
		else if (*p)
			return 0;
	}
	return *v != 0;
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
		if (!cp_path_is_safe_rel(e->hashed)) {
			/* a hostile manifest must not name ../../etc/passwd to be hashed,
			 * fetched or linked */
			x->error =
			    cp_xasprintf("the manifest gives an unsafe path: %.200s", e->hashed);
			r->failed++;
			continue;
		}
		x->found = 1;
		x->hashed = cp_xstrdup(e->hashed);
		x->url = cp_s3_key_url(o->base_url ? o->base_url : "/static/", e->hashed);
		if (!o->integrity)
			continue;
		if (e->integrity && sri_ok(e->integrity)) {
			x->integrity = cp_xstrdup(e->integrity);
			continue;
		}
		cp_error fe = {0};
		if (integrity_of(o, &p, e->hashed, &x->integrity, &fe)) {
			char line[1024];
			cp_error_format(&fe, line, sizeof line);
			x->error = cp_xstrdup(line);
			x->found = 0;
			r->failed++;
		}
	}
	r->dialect = m.dialect;
	cp_manifest_index_free(&m);
	cp_target_close(p.t);
	if (p.tmp)
		rmdir(p.tmp);
	free(p.tmp);
	free(p.base);
	if (!rc && (r->missing || r->failed))
		rc = CP_ERR_BUILD;
	return rc;
}
