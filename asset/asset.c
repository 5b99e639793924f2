/*
 * asset.c - the asset table; see asset.h.
 */
#include "asset/asset.h"
#include "lib/path.h"

#include <stdlib.h>
#include <string.h>

cp_asset *cp_assets_add(cp_assets *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = cp_xrealloc(t->v, t->cap * sizeof *t->v);
	}
	cp_asset *a = &t->v[t->n++];
	memset(a, 0, sizeof *a);
	a->scc = -1;
	return a;
}

long cp_assets_find(const cp_assets *t, const char *logical)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->v[mid].logical, logical);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void cp_refs_push(cp_refs *r, const cp_ref *ref)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->v = cp_xrealloc(r->v, r->cap * sizeof *r->v);
	}
	r->v[r->n++] = *ref;
}

void cp_refs_free(cp_refs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].url);
	free(r->v);
	memset(r, 0, sizeof *r);
}

void cp_assets_free(cp_assets *t)
{
	for (size_t i = 0; i < t->n; i++) {
		cp_asset *a = &t->v[i];
		free(a->logical);
		free(a->source);
		free(a->hashed);
		cp_buf_free(&a->text);
		cp_buf_free(&a->out);
		cp_refs_free(&a->refs);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

cp_asset_kind cp_asset_kind_of(const char *path)
{
	char ext[16];
	cp_path_ext(path, ext, sizeof ext);
	if (!strcmp(ext, "css"))
		return CP_ASSET_CSS;
	if (!strcmp(ext, "js") || !strcmp(ext, "mjs") || !strcmp(ext, "cjs"))
		return CP_ASSET_JS;
	if (!strcmp(ext, "map"))
		return CP_ASSET_MAP;
	return CP_ASSET_OTHER;
}
