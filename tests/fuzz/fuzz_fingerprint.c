/*
 * fuzz_fingerprint.c - the fingerprint stage on arbitrary stylesheets and
 * scripts: scanning, resolving, ordering (cycles included), rewriting and
 * hashing must never crash, and the rewritten text must be deterministic.
 *
 * The input is split at NUL bytes into up to 8 files, named a.css, b.css,
 * c.js, d.css, img/e.png, ... so that references between them ("b.css",
 * "../a.css", "/static/d.css") resolve and can form cycles.
 */
#include "fingerprint/fingerprint.h"

#include <stdint.h>
#include <string.h>

static const char *const names[] = {"a.css",	 "b.css",     "c.js",	 "d.css",
				    "img/e.png", "img/f.css", "x/g.css", "x/g.css.map"};

static void build(const uint8_t *data, size_t size, cp_assets *t)
{
	memset(t, 0, sizeof *t);
	size_t at = 0;
	for (size_t i = 0; i < 8; i++) {
		const uint8_t *nul = at < size ? memchr(data + at, 0, size - at) : NULL;
		size_t end = nul ? (size_t)(nul - data) : size;
		cp_asset *a = cp_assets_add(t);
		a->logical = cp_xstrdup(names[i]);
		a->source = cp_xstrdup(names[i]);
		a->kind = cp_asset_kind_of(names[i]);
		if (a->kind == CP_ASSET_OTHER)
			a->kind = CP_ASSET_MAP; /* keep the fuzzer off the disk */
		if (at < size)
			cp_buf_append(&a->text, data + at, end - at);
		at = end < size ? end + 1 : size;
	}
	/* names[] is not sorted: the table must be */
	for (size_t i = 1; i < t->n; i++)
		for (size_t j = i; j > 0 && strcmp(t->v[j - 1].logical, t->v[j].logical) > 0; j--) {
			cp_asset tmp = t->v[j];
			t->v[j] = t->v[j - 1];
			t->v[j - 1] = tmp;
		}
	for (size_t i = 0; i < t->n; i++)
		cp_scan_asset(&t->v[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cp_assets t1, t2;
	build(data, size, &t1);
	build(data, size, &t2);
	cp_diags d1, d2;
	cp_diags_init(&d1);
	cp_diags_init(&d2);
	cp_fingerprint_opts o1 = {.missing = CP_MISSING_WARN, .jobs = 1, .compact_urls = 1};
	cp_fingerprint_opts o2 = {.missing = CP_MISSING_WARN, .jobs = 3};
	int r1 = cp_fingerprint(&t1, &o1, &d1);
	int r2 = cp_fingerprint(&t2, &o2, &d2);
	if (r1 != r2)
		__builtin_trap();
	for (size_t i = 0; !r1 && i < t1.n; i++) {
		if (!t1.v[i].hashed || !t2.v[i].hashed)
			__builtin_trap();
		/* compact or not, the names are the same only if the bytes are */
		if ((t1.v[i].flags & CP_ASSET_REWRITTEN) != (t2.v[i].flags & CP_ASSET_REWRITTEN))
			__builtin_trap();
	}
	cp_diags_free(&d1);
	cp_diags_free(&d2);
	cp_assets_free(&t1);
	cp_assets_free(&t2);
	return 0;
}
