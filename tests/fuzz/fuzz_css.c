/*
 * fuzz_css.c - libFuzzer target for the CSS tokenizer, reference scanner and
 * minifier.
 *
 * Properties checked on every input (beyond "no crash, no sanitizer report"):
 *  - the tokenizer's spans tile the input exactly (after a leading BOM),
 *    each non-empty;
 *  - every reference the scanner reports lies inside the text;
 *  - minifying is idempotent: minify(minify(x)) == minify(x);
 *  - minifying with a source map gives the same CSS plus the link comment;
 *  - the references of the minified text (the build scans minified output)
 *    are the original's, in order with the same URLs; only those inside a
 *    rule removed as empty (e.g. a url token in a broken selector) may go.
 */
#include "fingerprint/fingerprint.h"
#include "minify/minify.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void tokenize(const char *s, size_t n)
{
	cp_css_lex l;
	cp_css_tok t;
	/* a leading UTF-8 BOM is skipped, as the spec's decode step does */
	size_t prev = n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3) ? 3 : 0;
	cp_css_lex_init(&l, s, n);
	while (cp_css_next(&l, &t) != CP_CSS_EOF) {
		if (t.start != prev || t.end <= t.start || t.end > n)
			abort();
		prev = t.end;
		if (t.type == CP_CSS_STRING) {
			cp_buf b = CP_BUF_INIT;
			cp_css_decode_string(s, &t, &b);
			cp_buf_free(&b);
		} else if (t.type == CP_CSS_URL) {
			cp_buf b = CP_BUF_INIT;
			cp_css_decode_url(s, &t, &b);
			cp_buf_free(&b);
		}
	}
	if (prev != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy, so reading past the end is caught */
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	tokenize(s, size);

	cp_refs refs = {0};
	cp_scan_css(s, size, &refs);
	for (size_t i = 0; i < refs.n; i++)
		if (refs.v[i].start >= refs.v[i].end || refs.v[i].end > size || !refs.v[i].url)
			abort();

	cp_minify_opts o = {0};
	cp_error err = {0};
	cp_buf once = CP_BUF_INIT, twice = CP_BUF_INIT;
	cp_minify_css(s, size, &o, &once, NULL, &err);
	tokenize(once.data, once.len);
	cp_minify_css(once.data, once.len, &o, &twice, NULL, &err);
	if (once.len != twice.len || memcmp(once.data, twice.data, once.len))
		abort();
	cp_refs after = {0};
	cp_scan_css(once.data, once.len, &after);
	size_t k = 0;
	for (size_t i = 0; i < refs.n && k < after.n; i++)
		if (after.v[k].kind == refs.v[i].kind && !strcmp(after.v[k].url, refs.v[i].url))
			k++;
	if (k != after.n)
		abort();
	cp_refs_free(&refs);
	cp_refs_free(&after);

	cp_buf mapped = CP_BUF_INIT, map = CP_BUF_INIT;
	o.map_url = "x.map";
	cp_minify_css(s, size, &o, &mapped, &map, &err);
	static const char tail[] = "\n/*# sourceMappingURL=x.map */";
	if (mapped.len != once.len + sizeof tail - 1 || memcmp(mapped.data, once.data, once.len))
		abort();
	cp_buf_free(&once);
	cp_buf_free(&twice);
	cp_buf_free(&mapped);
	cp_buf_free(&map);
	free(s);
	return 0;
}
