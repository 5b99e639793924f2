/*
 * dialects.c - the manifests of the other frameworks, from one table of the
 * build's files; see manifest.h.
 *
 * Every framework reads a map from logical path to fingerprinted path, and
 * each wants it spelled its own way: Propshaft objects, Sprockets' files +
 * assets, Phoenix's latest + digests (with Erlang's Gregorian seconds),
 * Vite's chunks, Mix's leading slashes, Symfony's flat map.  All of them are
 * written here with one small JSON writer over cp_json_py_string, so every
 * dialect gets the same string escaping as staticfiles.json (ASCII only,
 * invalid UTF-8 kept as escaped bytes) and a byte-identical file for the
 * same input: entries in bytewise order of their key, no timestamps but the
 * sources' own modification times.
 */
#include "manifest/manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	enum cp_manifest_dialect d;
	const char *name, *file;
} dialects[] = {
    {CP_MF_DJANGO, "django", CP_DJANGO_MANIFEST},
    {CP_MF_PROPSHAFT, "propshaft", ".manifest.json"},
    {CP_MF_SPROCKETS, "sprockets", CP_SPROCKETS_MANIFEST},
    {CP_MF_PHOENIX, "phoenix", "cache_manifest.json"},
    {CP_MF_VITE, "vite", ".vite/manifest.json"},
    {CP_MF_MIX, "mix", "mix-manifest.json"},
    {CP_MF_SYMFONY, "symfony", "manifest.json"},
    {CP_MF_SYMFONY, "flat", "manifest.json"},
};
#define NDIALECTS (sizeof dialects / sizeof *dialects)

int cp_manifest_dialects_parse(const char *list, unsigned *out)
{
	*out = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n == 3 && !strncmp(p, "all", 3))
			*out |= CP_MF_ALL;
		else if (n) {
			size_t i = 0;
			while (i < NDIALECTS &&
			       (strlen(dialects[i].name) != n || strncmp(dialects[i].name, p, n)))
				i++;
			if (i == NDIALECTS)
				return -1;
			*out |= dialects[i].d;
		}
		p += n;
		p += strspn(p, ", ");
	}
	return *out ? 0 : -1;
}

const char *cp_manifest_file_name(enum cp_manifest_dialect d)
{
	for (size_t i = 0; i < NDIALECTS; i++)
		if (dialects[i].d == d)
			return dialects[i].file;
	return NULL;
}

int cp_manifest_is_name(const char *rel)
{
	for (size_t i = 0; i < NDIALECTS; i++)
		if (!strcmp(rel, dialects[i].file))
			return 1;
	/* any .sprockets-manifest-*.json, not only ours: an older one is a
	 * manifest too, and must not be published before the assets */
	size_t n = strlen(rel);
	return n > 26 && !strncmp(rel, ".sprockets-manifest-", 20) &&
	       !strcmp(rel + n - 5, ".json") && !strchr(rel, '/');
}

/* ---- Subresource Integrity ---- */

static const struct {
	const char *name;
	unsigned bit;
	size_t len;
} sri_algs[] = {{"sha256", CP_DIGEST_SHA256, 32},
		{"sha384", CP_DIGEST_SHA384, 48},
		{"sha512", CP_DIGEST_SHA512, 64}};

int cp_sri_parse(const char *list, cp_sri *out)
{
	memset(out, 0, sizeof *out);
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n) {
			size_t i = 0;
			while (i < 3 &&
			       (strlen(sri_algs[i].name) != n || strncmp(sri_algs[i].name, p, n)))
				i++;
			if (i == 3 || out->n == 3)
				return -1;
			for (size_t k = 0; k < out->n; k++)
				if (out->alg[k] == i)
					return -1;
			out->alg[out->n++] = (unsigned char)i;
		}
		p += n;
		p += strspn(p, ", ");
	}
	return out->n ? 0 : -1;
}

unsigned cp_sri_digests(const cp_sri *s)
{
	unsigned bits = 0;
	for (size_t k = 0; k < s->n; k++)
		bits |= sri_algs[s->alg[k]].bit;
	return bits;
}

void cp_sri_format(const cp_sri *s, const cp_digests *d, char out[CP_SRI_MAX])
{
	const unsigned char *src[3] = {d->sha256, d->sha384, d->sha512};
	size_t w = 0;
	out[0] = 0;
	for (size_t k = 0; k < s->n; k++) {
		unsigned a = s->alg[k];
		char b64[96];
		cp_base64(src[a], sri_algs[a].len, b64);
		w += (size_t)snprintf(out + w, CP_SRI_MAX - w, "%s%s-%s", k ? " " : "",
				      sri_algs[a].name, b64);
	}
}

/* ---- a small JSON writer: one entry per line, keys in the order given ---- */

typedef struct jw {
	cp_buf *b;
	int depth, first;
} jw;

static void jw_newline(jw *w)
{
	cp_buf_putc(w->b, '\n');
	for (int i = 0; i < w->depth; i++)
		cp_buf_puts(w->b, "  ");
}

static void jw_open(jw *w)
{
	cp_buf_putc(w->b, '{');
	w->depth++;
	w->first = 1;
}

static void jw_close(jw *w)
{
	w->depth--;
	if (!w->first)
		jw_newline(w);
	cp_buf_putc(w->b, '}');
	w->first = 0;
}

static void jw_key(jw *w, const char *prefix, const char *k)
{
	if (!w->first)
		cp_buf_putc(w->b, ',');
	jw_newline(w);
	w->first = 0;
	if (prefix && *prefix) {
		char *s = cp_xasprintf("%s%s", prefix, k);
		cp_json_py_string(w->b, s);
		free(s);
	} else {
		cp_json_py_string(w->b, k);
	}
	cp_buf_puts(w->b, ": ");
}

static void kv_str(jw *w, const char *k, const char *v)
{
	jw_key(w, NULL, k);
	cp_json_py_string(w->b, v);
}

static void kv_int(jw *w, const char *k, long long v)
{
	jw_key(w, NULL, k);
	cp_buf_printf(w->b, "%lld", v);
}

/* ---- the dialects ---- */

/* {logical: hashed}, with prefix before both (Mix's "/", Symfony's
 * --manifest-prefix): Sprockets' assets, Phoenix's latest, Mix, Symfony. */
static void name_map(const cp_manifest_file *v, size_t n, const char *prefix, jw *w)
{
	jw_open(w);
	for (size_t i = 0; i < n; i++) {
		jw_key(w, prefix, v[i].logical);
		if (prefix && *prefix) {
			char *s = cp_xasprintf("%s%s", prefix, v[i].hashed);
			cp_json_py_string(w->b, s);
			free(s);
		} else {
			cp_json_py_string(w->b, v[i].hashed);
		}
	}
	jw_close(w);
}

typedef struct sorted {
	const cp_manifest_file **v;
	size_t n;
} sorted;

static int by_hashed(const void *a, const void *b)
{
	return strcmp((*(const cp_manifest_file *const *)a)->hashed,
		      (*(const cp_manifest_file *const *)b)->hashed);
}

static sorted sort_by_hashed(const cp_manifest_file *v, size_t n)
{
	sorted s = {cp_xcalloc(n + 1, sizeof *s.v), n};
	for (size_t i = 0; i < n; i++)
		s.v[i] = &v[i];
	qsort(s.v, n, sizeof *s.v, by_hashed);
	return s;
}

/* Propshaft and Vite: an object per logical path naming its file (under
 * path_key) and its integrity; Vite also repeats the key as "src" and marks
 * entries. */
static void render_objects(const cp_manifest_file *v, size_t n, const char *path_key, int vite,
			   jw *w)
{
	jw_open(w);
	for (size_t i = 0; i < n; i++) {
		jw_key(w, NULL, v[i].logical);
		jw_open(w);
		kv_str(w, path_key, v[i].hashed);
		if (v[i].integrity[0])
			kv_str(w, "integrity", v[i].integrity);
		if (vite && v[i].entry) {
			jw_key(w, NULL, "isEntry");
			cp_buf_puts(w->b, "true");
		}
		if (vite)
			kv_str(w, "src", v[i].logical);
		jw_close(w);
	}
	jw_close(w);
}

static void iso8601(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

static void render_sprockets(const cp_manifest_file *v, size_t n, jw *w)
{
	sorted s = sort_by_hashed(v, n);
	jw_open(w);
	jw_key(w, NULL, "files");
	jw_open(w);
	for (size_t i = 0; i < s.n; i++) {
		const cp_manifest_file *f = s.v[i];
		char when[32];
		iso8601(f->mtime, when);
		jw_key(w, NULL, f->hashed);
		jw_open(w);
		kv_str(w, "logical_path", f->logical);
		kv_str(w, "mtime", when);
		kv_int(w, "size", (long long)f->size);
		kv_str(w, "digest", f->sha256);
		if (f->integrity[0])
			kv_str(w, "integrity", f->integrity);
		jw_close(w);
	}
	jw_close(w);
	jw_key(w, NULL, "assets");
	name_map(v, n, NULL, w);
	jw_close(w);
	free(s.v);
}

/* Erlang's calendar counts seconds from year 0; Unix time from 1970. */
#define GREGORIAN_UNIX_OFFSET 62167219200LL

/* One digests entry of Phoenix: from this build, or kept from the last. */
typedef struct phx_entry {
	const char *hashed;
	const cp_manifest_file *f; /* this build's, or NULL */
	json_t *old;		   /* an earlier build's entry */
} phx_entry;

static int phx_cmp(const void *a, const void *b)
{
	return strcmp(((const phx_entry *)a)->hashed, ((const phx_entry *)b)->hashed);
}

static void phx_old_field(jw *w, json_t *o, const char *k)
{
	json_t *x = json_object_get(o, k);
	if (json_is_integer(x))
		kv_int(w, k, (long long)json_integer_value(x));
	else if (json_is_string(x))
		kv_str(w, k, json_string_value(x));
}

static void render_phoenix(const cp_manifest_file *v, size_t n, const cp_manifest_opts *o, jw *w)
{
	json_t *prev = NULL, *pd = NULL;
	if (o && o->previous) {
		prev = json_loadb(o->previous, o->previous_len, 0, NULL);
		pd = json_object_get(prev, "digests");
	}
	size_t cap = n + (json_is_object(pd) ? json_object_size(pd) : 0) + 1, m = 0;
	phx_entry *e = cp_xcalloc(cap, sizeof *e);
	for (size_t i = 0; i < n; i++)
		e[m++] = (phx_entry){v[i].hashed, &v[i], NULL};
	qsort(e, m, sizeof *e, phx_cmp);
	size_t ours = m;
	const char *k;
	json_t *val;
	if (json_is_object(pd))
		json_object_foreach(pd, k, val)
		{
			phx_entry probe = {k, NULL, NULL};
			if (!json_is_object(val) || bsearch(&probe, e, ours, sizeof *e, phx_cmp) ||
			    !o->still_there || !o->still_there(o->ctx, k))
				continue;
			e[m++] = (phx_entry){k, NULL, val};
		}
	qsort(e, m, sizeof *e, phx_cmp);
	jw_open(w);
	jw_key(w, NULL, "digests");
	jw_open(w);
	for (size_t i = 0; i < m; i++) {
		jw_key(w, NULL, e[i].hashed);
		jw_open(w);
		if (e[i].f) {
			const cp_manifest_file *f = e[i].f;
			kv_str(w, "digest", f->md5);
			kv_str(w, "logical_path", f->logical);
			kv_int(w, "mtime", (long long)f->mtime + GREGORIAN_UNIX_OFFSET);
			kv_str(w, "sha512", f->sha512_b64);
			kv_int(w, "size", (long long)f->size);
		} else {
			static const char *const keys[] = {"digest", "logical_path", "mtime",
							   "sha512", "size"};
			for (size_t q = 0; q < 5; q++)
				phx_old_field(w, e[i].old, keys[q]);
		}
		jw_close(w);
	}
	jw_close(w);
	jw_key(w, NULL, "latest");
	name_map(v, n, NULL, w);
	kv_int(w, "version", 1);
	jw_close(w);
	free(e);
	json_decref(prev);
}

static void render_django(const cp_manifest_file *v, size_t n, const cp_manifest_opts *o,
			  cp_buf *out)
{
	cp_manifest m = {0};
	for (size_t i = 0; i < n; i++)
		cp_manifest_add(&m, v[i].logical, v[i].hashed);
	cp_manifest_django_render(&m, o && o->django_version ? o->django_version : "1.1", out);
	cp_manifest_free(&m);
}

void cp_manifest_render(enum cp_manifest_dialect d, const cp_manifest_file *v, size_t n,
			const cp_manifest_opts *o, cp_buf *out)
{
	jw w = {out, 0, 1};
	switch (d) {
	case CP_MF_DJANGO:
		render_django(v, n, o, out);
		return;
	case CP_MF_PROPSHAFT:
		render_objects(v, n, "digested_path", 0, &w);
		break;
	case CP_MF_SPROCKETS:
		render_sprockets(v, n, &w);
		break;
	case CP_MF_PHOENIX:
		render_phoenix(v, n, o, &w);
		break;
	case CP_MF_VITE:
		render_objects(v, n, "file", 1, &w);
		break;
	case CP_MF_MIX:
		name_map(v, n, "/", &w);
		break;
	case CP_MF_SYMFONY:
		name_map(v, n, o ? o->prefix : NULL, &w);
		break;
	default:
		return;
	}
	cp_buf_putc(out, '\n');
}
