/*
 * resolve.c - what each reference points at, decided the way Django decides.
 *
 * This is a port of HashedFilesMixin.url_converter (Django 4.2) on bytes:
 *   - left alone: an empty URL, any "scheme:" (data:, https:, mailto:...),
 *     a protocol-relative "//host/...", an absolute path not under
 *     --static-url, a URL without a path ("#frag", "?v=1"), a folder ("img/");
 *   - otherwise urldefrag, drop the query, then the path is taken relative
 *     to --static-url (absolute) or joined with the source's folder
 *     (posixpath.join(dirname(source), path)), percent-decoded (unquote),
 *     normalised (normpath) and stripped of blanks (hashed_name's .strip()).
 * Two deliberate differences: a "scheme" is any RFC 3986 scheme, not just
 * [a-z]+ (Django 3.2 would try to hash "DATA:..." as a file), and a ".."
 * that climbs out of the roots is an error of its own instead of a missing
 * file, because the fix is different.
 *
 * The missing-file policy lives here and only here: every missing target is
 * reported (so one run lists them all); CP_MISSING_ERROR makes them errors,
 * CP_MISSING_WARN keeps the reference text.  A missing source map is always
 * a warning and its comment is dropped: a stale map comment is the most
 * common break of collectstatic, and it harms nobody once removed.
 */
#include "fingerprint/fingerprint_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

void cp_url_split(const char *url, cp_url_parts *p)
{
	size_t n = strlen(url);
	while (n && is_blank(url[0]))
		url++, n--;
	while (n && is_blank(url[n - 1]))
		n--;
	p->url = url;
	p->len = n;
	const char *h = memchr(url, '#', n);
	p->frag = h ? (size_t)(h - url) : n;
	const char *q = memchr(url, '?', p->frag);
	p->query = q ? (size_t)(q - url) : p->frag;
	p->path_len = p->query;
}

static int has_scheme(const char *u, size_t n)
{
	if (!n || !isalpha((unsigned char)u[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = u[i];
		if (c == ':')
			return 1;
		if (!isalnum((unsigned char)c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

/* urllib.parse.unquote on bytes: %XX decoded, anything else kept. */
static void unquote(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		int a, b;
		if (p[0] == '%' && (a = cp_hex_value(p[1])) >= 0 && (b = cp_hex_value(p[2])) >= 0) {
			*o++ = (char)(a * 16 + b);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
}

char *cp_fp_target(const char *from, const char *url, const char *static_url, int *climbs)
{
	cp_url_parts p;
	cp_url_split(url, &p);
	*climbs = 0;
	if (!p.len || has_scheme(p.url, p.len))
		return NULL;
	if (p.len >= 2 && p.url[0] == '/' && p.url[1] == '/')
		return NULL;
	size_t sl = strlen(static_url);
	int absolute = p.url[0] == '/';
	if (absolute && (p.len < sl || strncmp(p.url, static_url, sl)))
		return NULL;
	if (!p.path_len || p.url[p.path_len - 1] == '/')
		return NULL;
	char *target;
	if (absolute) {
		target = cp_xstrndup(p.url + sl, p.path_len - sl);
	} else {
		char *path = cp_xstrndup(p.url, p.path_len);
		char *dir = cp_xstrndup(from, cp_path_dirlen(from));
		target = cp_path_join(dir, path);
		free(dir);
		free(path);
	}
	unquote(target);
	if (cp_path_normalize(target) != 0) {
		*climbs = 1;
		free(target);
		return NULL;
	}
	/* hashed_name's .strip() */
	size_t n = strlen(target), s = 0;
	while (s < n && is_blank(target[s]))
		s++;
	while (n > s && is_blank(target[n - 1]))
		n--;
	memmove(target, target + s, n - s);
	target[n - s] = 0;
	if (!*target) {
		free(target);
		return NULL;
	}
	return target;
}

static void resolve_ref(cp_assets *t, size_t ai, cp_ref *r, const cp_fingerprint_opts *o,
			cp_diags *d)
{
	const cp_asset *a = &t->v[ai];
	int climbs;
	r->target = CP_TARGET_KEEP;
	char *target = cp_fp_target(a->logical, r->url, o->static_url, &climbs);
	if (climbs) {
		cp_diags_add(d, CP_DIAG_ERROR, a->source, r->line, r->col,
			     "'%s' climbs out of the source roots", r->url);
		return;
	}
	if (!target)
		return;
	long idx = cp_assets_find(t, target);
	if (idx >= 0) {
		r->target = idx;
	} else if (r->kind == CP_REF_SOURCEMAP) {
		r->target = CP_TARGET_DROP;
		cp_diags_add(d, CP_DIAG_WARN, a->source, r->line, r->col,
			     "missing source map '%s': comment removed", target);
	} else if (o->missing == CP_MISSING_WARN) {
		cp_diags_add(d, CP_DIAG_WARN, a->source, r->line, r->col,
			     "missing '%s' (reference kept as written)", target);
	} else {
		cp_diags_add(d, CP_DIAG_ERROR, a->source, r->line, r->col, "missing '%s'", target);
	}
	free(target);
}

int cp_fp_resolve(cp_assets *t, const cp_fingerprint_opts *o, cp_diags *d)
{
	size_t before = d->nerrors;
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->v[i].refs.n; k++)
			resolve_ref(t, i, &t->v[i].refs.v[k], o, d);
	return d->nerrors > before ? CP_ERR_BUILD : 0;
}
