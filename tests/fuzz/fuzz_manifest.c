/*
 * fuzz_manifest.c - reading manifests back: cp_manifest_read (every dialect,
 * told by its shape), cp_manifest_sniff, cp_manifest_django_parse, and the
 * previous cache_manifest.json that the Phoenix writer merges.
 *
 * Asserted on every input, beyond "no crash, no sanitizer report":
 *  - the index is sorted by name, no name or path keeps a leading '/', and
 *    cp_manifest_find finds every name;
 *  - round trip: the index rendered in each dialect and read back gives the
 *    same dialect and the same (name, path) pairs, with the integrity of the
 *    dialects that record one (Propshaft, Vite, Sprockets) and the size of
 *    Sprockets.  Skipped when a name is one of the keys that tell the shapes
 *    apart ("paths", "latest", "digests", "assets", "files": a Propshaft
 *    manifest of a file named "paths" reads as Django's), or when two
 *    entries share a name ("/a" and "a");
 *  - Django: render(parse(x)) parses to the same entries (and hash).
 */
#include "manifest/manifest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int still_there(void *ctx, const char *hashed)
{
	(void)ctx;
	return hashed[0] != 'x'; /* keep some of the old entries, drop others */
}

static const char *const shape_keys[] = {"paths", "latest", "digests", "assets", "files"};

static int round_trippable(const cp_manifest_index *m)
{
	for (size_t i = 0; i < m->n; i++) {
		for (size_t k = 0; k < sizeof shape_keys / sizeof *shape_keys; k++)
			if (!strcmp(m->v[i].name, shape_keys[k]))
				return 0;
		if (i && !strcmp(m->v[i - 1].name, m->v[i].name))
			return 0;
	}
	return 1;
}

static int shared_path(const cp_manifest_index *m, const char *hashed)
{
	size_t n = 0;
	for (size_t i = 0; i < m->n && n < 2; i++)
		n += !strcmp(m->v[i].hashed, hashed);
	return n > 1;
}

static void check_index(const cp_manifest_index *m)
{
	if (!m->dialect)
		abort();
	for (size_t i = 0; i < m->n; i++) {
		const cp_manifest_ref *r = &m->v[i];
		if (i && strcmp(m->v[i - 1].name, r->name) > 0)
			abort(); /* not sorted */
		if (r->name[0] == '/' || r->hashed[0] == '/')
			abort();
		const cp_manifest_ref *f = cp_manifest_find(m, r->name);
		if (!f || strcmp(f->name, r->name))
			abort();
	}
}

static void round_trip(const cp_manifest_index *m, const char *data, size_t size)
{
	if (!round_trippable(m))
		return;
	cp_manifest_file *files = calloc(m->n + 1, sizeof *files);
	for (size_t i = 0; i < m->n; i++) {
		files[i].logical = m->v[i].name;
		files[i].hashed = m->v[i].hashed;
		files[i].size = m->v[i].size >= 0 ? (uint64_t)m->v[i].size : 0;
		if (m->v[i].integrity && strlen(m->v[i].integrity) < CP_SRI_MAX)
			strcpy(files[i].integrity, m->v[i].integrity);
	}
	static const struct {
		enum cp_manifest_dialect d;
		const char *name;
		int integrity, size;
	} ds[] = {{CP_MF_DJANGO, "django", 0, 0},	{CP_MF_PROPSHAFT, "propshaft", 1, 0},
		  {CP_MF_SPROCKETS, "sprockets", 1, 1}, {CP_MF_PHOENIX, "phoenix", 0, 0},
		  {CP_MF_VITE, "vite", 1, 0},		{CP_MF_MIX, "mix", 0, 0},
		  {CP_MF_SYMFONY, "flat", 0, 0}};
	cp_manifest_opts o = {.previous = data,
			      .previous_len = size,
			      .still_there = still_there,
			      .django_version = "1.1"};
	for (size_t k = 0; k < sizeof ds / sizeof *ds; k++) {
		cp_buf out = CP_BUF_INIT;
		cp_manifest_render(ds[k].d, files, m->n, &o, &out);
		cp_manifest_index back;
		cp_error err = {0};
		if (cp_manifest_read(out.data, out.len, &back, &err))
			abort(); /* what we write must read */
		int empty_ok = !m->n && !strcmp(back.dialect, "empty");
		if (!empty_ok && strcmp(back.dialect, ds[k].name))
			abort();
		if (back.n != m->n)
			abort();
		for (size_t i = 0; i < m->n; i++) {
			const cp_manifest_ref *a = &m->v[i], *b = &back.v[i];
			if (strcmp(a->name, b->name) || strcmp(a->hashed, b->hashed))
				abort();
			/* Sprockets keys "files" by path: two names of one file
			 * share one integrity and size */
			if (ds[k].size && shared_path(m, b->hashed))
				continue;
			if (ds[k].integrity && files[i].integrity[0] &&
			    (!b->integrity || strcmp(b->integrity, files[i].integrity)))
				abort();
			if (ds[k].size && b->size != (int64_t)files[i].size)
				abort();
		}
		cp_manifest_index_free(&back);
		cp_buf_free(&out);
	}
	free(files);
}

static void django(const char *data, size_t size)
{
	cp_manifest m = {0};
	cp_error err = {0};
	if (cp_manifest_django_parse(data, size, &m, &err)) {
		cp_manifest_free(&m);
		return;
	}
	for (size_t i = 0; i < m.n; i++)
		if (!cp_manifest_lookup(&m, m.v[i].name))
			abort();
	cp_buf out = CP_BUF_INIT;
	cp_manifest_django_render(&m, "1.1", &out);
	cp_manifest back = {0};
	if (cp_manifest_django_parse(out.data, out.len, &back, &err))
		abort();
	if (back.n != m.n || strcmp(back.version, "1.1") || strcmp(back.hash, m.hash))
		abort();
	for (size_t i = 0; i < m.n; i++)
		if (strcmp(m.v[i].name, back.v[i].name) || strcmp(m.v[i].hashed, back.v[i].hashed))
			abort();
	cp_manifest_free(&back);
	cp_manifest_free(&m);
	cp_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	cp_manifest_index m;
	cp_error err = {0};
	if (!cp_manifest_read(s, size, &m, &err)) {
		check_index(&m);
		round_trip(&m, s, size);
		if (m.n)
			(void)cp_manifest_closest(&m, m.v[m.n / 2].name);
		(void)cp_manifest_closest(&m, "app.css");
		cp_manifest_index_free(&m);
	}
	static const char *const names[] = {"staticfiles.json", ".manifest.json", "manifest.json",
					    CP_SPROCKETS_MANIFEST};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		cp_manifest_index x;
		if (cp_manifest_sniff(names[i], s, size, &x)) {
			check_index(&x);
			cp_manifest_index_free(&x);
		}
	}
	django(s, size);
	return 0;
}
