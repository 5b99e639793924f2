/*
 * read.c - reading a manifest of any dialect back, for `cdnpipe url`.
 *
 * The dialect is told by the shape, not the file name, so a manifest that
 * was renamed or fetched under another key still reads: "paths" is Django,
 * "latest" + "digests" is Phoenix, "assets" + "files" is Sprockets; a flat
 * object whose values are objects is Propshaft ("digested_path") or Vite
 * ("file"), one whose values are strings is Mix (keys with a leading '/') or
 * the flat Symfony/webpack form.  Leading slashes are dropped so that every
 * dialect gives the same names and paths.
 */
#include "manifest/manifest.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int ref_cmp(const void *a, const void *b)
{
	return strcmp(((const cp_manifest_ref *)a)->name, ((const cp_manifest_ref *)b)->name);
}

static const char *noslash(const char *s)
{
	while (*s == '/')
		s++;
	return s;
}

static void add(cp_manifest_index *m, size_t *cap, const char *name, const char *hashed,
		const char *integrity)
{
	if (!name || !hashed)
		return;
	if (m->n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		m->v = cp_xrealloc(m->v, *cap * sizeof *m->v);
	}
	m->v[m->n++] = (cp_manifest_ref){cp_xstrdup(noslash(name)), cp_xstrdup(noslash(hashed)),
					 integrity ? cp_xstrdup(integrity) : NULL, -1};
}

/* The "size" a Sprockets files / Phoenix digests entry records, on the
 * last ref added. */
static void set_size(cp_manifest_index *m, json_t *entry)
{
	json_t *v = json_object_get(entry, "size");
	if (m->n && json_is_integer(v) && json_integer_value(v) >= 0)
		m->v[m->n - 1].size = (int64_t)json_integer_value(v);
}

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The flat shapes: name -> path, or name -> {digested_path | file, integrity}.
 * Anything else (a web app manifest's arrays, mixed values) is "unknown":
 * a file that is not a manifest of ours must not be taken for one. */
static const char *read_flat(json_t *j, cp_manifest_index *m, size_t *cap)
{
	const char *k;
	json_t *v;
	size_t strings = 0, slashed = 0, propshaft = 0, vite = 0, n = json_object_size(j);
	json_object_foreach(j, k, v)
	{
		if (json_is_string(v)) {
			strings++;
			slashed += *k == '/';
			add(m, cap, k, json_string_value(v), NULL);
		} else if (json_is_object(v)) {
			const char *p = str_of(v, "digested_path"), *f = str_of(v, "file");
			propshaft += p != NULL;
			vite += !p && f;
			add(m, cap, k, p ? p : f, str_of(v, "integrity"));
		}
	}
	if (!n)
		return "empty";
	if (strings == n)
		return slashed == n ? "mix" : slashed ? "unknown" : "flat";
	if (propshaft == n)
		return "propshaft";
	return vite == n ? "vite" : "unknown";
}

int cp_manifest_read(const char *json, size_t len, cp_manifest_index *out, cp_error *err)
{
	memset(out, 0, sizeof *out);
	json_error_t je;
	json_t *j = json_loadb(json, len, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return cp_error_set(
		    err, NULL, je.line > 0 ? je.line : 0, je.column > 0 ? je.column : 0,
		    "not a manifest (a JSON object): %s", j ? "not an object" : je.text);
	}
	size_t cap = 0;
	const char *k;
	json_t *v, *paths = json_object_get(j, "paths"), *latest = json_object_get(j, "latest"),
		   *assets = json_object_get(j, "assets");
	if (json_is_object(paths)) {
		out->dialect = "django";
		json_object_foreach(paths, k, v) add(out, &cap, k, json_string_value(v), NULL);
	} else if (json_is_object(latest) && json_is_object(json_object_get(j, "digests"))) {
		out->dialect = "phoenix";
		json_t *digests = json_object_get(j, "digests");
		json_object_foreach(latest, k, v)
		{
			const char *h = json_string_value(v);
			const char *sha = h ? str_of(json_object_get(digests, h), "sha512") : NULL;
			char *sri = sha ? cp_xasprintf("sha512-%s", sha) : NULL;
			size_t before = out->n;
			add(out, &cap, k, h, sri);
			if (out->n > before)
				set_size(out, json_object_get(digests, h));
			free(sri);
		}
	} else if (json_is_object(assets) && json_is_object(json_object_get(j, "files"))) {
		out->dialect = "sprockets";
		json_t *files = json_object_get(j, "files");
		json_object_foreach(assets, k, v)
		{
			const char *h = json_string_value(v);
			size_t before = out->n;
			add(out, &cap, k, h,
			    h ? str_of(json_object_get(files, h), "integrity") : NULL);
			if (out->n > before)
				set_size(out, json_object_get(files, h));
		}
	} else {
		out->dialect = read_flat(j, out, &cap);
	}
	json_decref(j);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, ref_cmp);
	return 0;
}

const cp_manifest_ref *cp_manifest_find(const cp_manifest_index *m, const char *name)
{
	cp_manifest_ref key = {.name = (char *)noslash(name)};
	return m->n ? bsearch(&key, m->v, m->n, sizeof *m->v, ref_cmp) : NULL;
}

/* Levenshtein distance, with a cut-off: names are short, manifests large. */
static size_t distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b);
	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	size_t *row = cp_xcalloc(lb + 1, sizeof *row);
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0], best = ++row[0];
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t c = diag + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < c)
				c = row[j - 1] + 1;
			if (up + 1 < c)
				c = up + 1;
			row[j] = c;
			diag = up;
			if (c < best)
				best = c;
		}
		if (best > limit) {
			free(row);
			return limit + 1;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

const char *cp_manifest_closest(const cp_manifest_index *m, const char *name)
{
	name = noslash(name);
	if (strlen(name) > 256)
		return NULL; /* a suggestion for a name that long helps nobody */
	size_t limit = strlen(name) / 3 + 1, best = limit + 1;
	const char *pick = NULL;
	for (size_t i = 0; i < m->n; i++) {
		size_t d = distance(name, m->v[i].name, best < limit ? best : limit);
		if (d < best) {
			best = d;
			pick = m->v[i].name;
		}
	}
	return pick;
}

void cp_manifest_index_free(cp_manifest_index *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].hashed);
		free(m->v[i].integrity);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}

/* The dialect a manifest file's name says it is (at the top of DIST). */
static const char *dialect_of_name(const char *rel)
{
	static const struct {
		const char *file, *dialect;
	} names[] = {{CP_DJANGO_MANIFEST, "django"},	 {".manifest.json", "propshaft"},
		     {"cache_manifest.json", "phoenix"}, {".vite/manifest.json", "vite"},
		     {"mix-manifest.json", "mix"},	 {"manifest.json", "flat"}};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strcmp(rel, names[i].file))
			return names[i].dialect;
	return cp_manifest_is_name(rel) ? "sprockets" : NULL;
}

int cp_manifest_sniff(const char *rel, const char *json, size_t len, cp_manifest_index *out)
{
	memset(out, 0, sizeof *out);
	const char *want = dialect_of_name(rel);
	cp_error e = {0};
	if (!want || cp_manifest_read(json, len, out, &e))
		return 0;
	if (!strcmp(out->dialect, want) || !strcmp(out->dialect, "empty"))
		return 1;
	cp_manifest_index_free(out);
	return 0;
}
