/*
 * test_rewrite.c - the replacement text of references (Django's exact
 * forms, the author's prefix, query and fragment, escaping), and the splice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint/fingerprint_int.h"

static char got[1024];

static const char *repl(cp_ref_kind kind, const char *url, const char *hashed, cp_asset_kind akind,
			int compact)
{
	cp_ref r = {.kind = kind, .url = (char *)url};
	cp_buf b = CP_BUF_INIT;
	cp_fp_replacement(&r, hashed, akind, compact, &b);
	snprintf(got, sizeof got, "%s", b.data ? b.data : "");
	cp_buf_free(&b);
	return got;
}

#define URL(u, h) repl(CP_REF_URL, u, h, CP_ASSET_CSS, 0)

static void test_django_forms(void **s)
{
	(void)s;
	assert_string_equal(URL("a.png", "img/a.0123456789ab.png"), "url(\"a.0123456789ab.png\")");
	/* the author's relative or absolute prefix stays, only the last segment changes */
	assert_string_equal(URL("../img/a.png", "img/a.0123456789ab.png"),
			    "url(\"../img/a.0123456789ab.png\")");
	assert_string_equal(URL("./x/../img/a.png", "img/a.0123456789ab.png"),
			    "url(\"./x/../img/a.0123456789ab.png\")");
	assert_string_equal(URL("/static/img/a.png", "img/a.0123456789ab.png"),
			    "url(\"/static/img/a.0123456789ab.png\")");
	/* query and fragment kept; the ?#iefix trick kept as written */
	assert_string_equal(URL("f.eot?#iefix", "f.0123456789ab.eot"),
			    "url(\"f.0123456789ab.eot?#iefix\")");
	assert_string_equal(URL("f.svg#icons", "f.0123456789ab.svg"),
			    "url(\"f.0123456789ab.svg#icons\")");
	assert_string_equal(URL("f.woff?v=2#x", "f.0123456789ab.woff"),
			    "url(\"f.0123456789ab.woff?v=2#x\")");
	/* an empty query or fragment is dropped, as urlsplit/urldefrag drop it */
	assert_string_equal(URL("f.woff?", "f.0123456789ab.woff"), "url(\"f.0123456789ab.woff\")");
	assert_string_equal(URL("f.woff#", "f.0123456789ab.woff"), "url(\"f.0123456789ab.woff\")");
	/* surrounding blanks are not part of the URL */
	assert_string_equal(URL("  a.png ", "a.0123456789ab.png"), "url(\"a.0123456789ab.png\")");
	assert_string_equal(repl(CP_REF_IMPORT, "b.css", "b.0123456789ab.css", CP_ASSET_CSS, 0),
			    "@import url(\"b.0123456789ab.css\")");
	assert_string_equal(
	    repl(CP_REF_SOURCEMAP, "a.css.map", "a.css.0123456789ab.map", CP_ASSET_CSS, 0),
	    "/*# sourceMappingURL=a.css.0123456789ab.map */");
	assert_string_equal(
	    repl(CP_REF_SOURCEMAP, "maps/a.js.map", "maps/a.js.0123456789ab.map", CP_ASSET_JS, 0),
	    "//# sourceMappingURL=maps/a.js.0123456789ab.map");
}

static void test_escaping(void **s)
{
	(void)s;
	assert_string_equal(URL("my%20logo.png", "my logo.0123456789ab.png"),
			    "url(\"my%20logo.0123456789ab.png\")");
	assert_string_equal(URL("100%25.png", "100%.0123456789ab.png"),
			    "url(\"100%25.0123456789ab.png\")");
	assert_string_equal(URL("a%231.png", "a#1.0123456789ab.png"),
			    "url(\"a%231.0123456789ab.png\")");
	assert_string_equal(URL("caf\xc3\xa9.png", "caf\xc3\xa9.0123456789ab.png"),
			    "url(\"caf%C3%A9.0123456789ab.png\")");
	assert_string_equal(URL("q%3F.png", "q?.0123456789ab.png"),
			    "url(\"q%3F.0123456789ab.png\")");
	/* the author's part keeps its text, escaped for a CSS string */
	assert_string_equal(URL("we\"ird/a.png", "we\"ird/a.0123456789ab.png"),
			    "url(\"we\\\"ird/a.0123456789ab.png\")");
}

static void test_compact(void **s)
{
	(void)s;
	assert_string_equal(repl(CP_REF_URL, "../a.png", "a.0123456789ab.png", CP_ASSET_CSS, 1),
			    "url(../a.0123456789ab.png)");
	/* characters an unquoted url() cannot hold: quoted */
	assert_string_equal(
	    repl(CP_REF_URL, "x (1)/a.png", "x (1)/a.0123456789ab.png", CP_ASSET_CSS, 1),
	    "url(\"x (1)/a.0123456789ab.png\")");
	assert_string_equal(repl(CP_REF_IMPORT, "b.css", "b.0123456789ab.css", CP_ASSET_CSS, 1),
			    "@import\"b.0123456789ab.css\"");
}

static void test_splice(void **s)
{
	(void)s;
	cp_assets t = {0};
	cp_asset *img = cp_assets_add(&t);
	img->logical = cp_xstrdup("a.png");
	img->hashed = cp_xstrdup("a.0123456789ab.png");
	cp_asset *css = cp_assets_add(&t);
	css->logical = cp_xstrdup("b.css");
	css->kind = CP_ASSET_CSS;
	const char *text = "x{background:url(a.png)} y{background:url(http://e/z.png)}\n"
			   "/*# sourceMappingURL=b.css.map */\n";
	cp_buf_puts(&css->text, text);
	const char *u1 = strstr(text, "url(a.png)"), *u2 = strstr(text, "url(http");
	const char *m = strstr(text, "/*#");
	cp_ref r1 = {.start = (size_t)(u1 - text),
		     .end = (size_t)(u1 - text) + 10,
		     .url = cp_xstrdup("a.png"),
		     .target = 0};
	cp_ref r2 = {.start = (size_t)(u2 - text),
		     .end = (size_t)(u2 - text) + 19,
		     .url = cp_xstrdup("http://e/z.png"),
		     .target = CP_TARGET_KEEP};
	cp_ref r3 = {.start = (size_t)(m - text),
		     .end = (size_t)(m - text) + 33,
		     .kind = CP_REF_SOURCEMAP,
		     .url = cp_xstrdup("b.css.map"),
		     .target = CP_TARGET_DROP};
	cp_refs_push(&css->refs, &r1);
	cp_refs_push(&css->refs, &r2);
	cp_refs_push(&css->refs, &r3);
	cp_buf out = CP_BUF_INIT;
	cp_fp_splice(&t, css, NULL, -1, 0, &out);
	assert_string_equal(out.data, "x{background:url(\"a.0123456789ab.png\")} "
				      "y{background:url(http://e/z.png)}\n\n");
	cp_buf_free(&out);
	cp_assets_free(&t);
}

static void test_js_scan(void **s)
{
	(void)s;
	/* Django's (?m)^(//# (?-i:sourceMappingURL)=(?P<url>.*))$ */
	const char *js = "var a;\n//# sourceMappingURL=a.js.map\r\n"
			 "  //# sourceMappingURL=indented.map\n"
			 "//# sourcemappingurl=case.map\n"
			 "//@ sourceMappingURL=old.map\n"
			 "//#  sourceMappingURL=two-spaces.map\n"
			 "//# sourceMappingURL= spaced.map \n"
			 "//# sourceMappingURL=last.map";
	cp_refs refs = {0};
	cp_scan_js(js, strlen(js), &refs);
	assert_int_equal(refs.n, 3);
	assert_string_equal(refs.v[0].url, "a.js.map");
	assert_int_equal(refs.v[0].line, 2);
	assert_int_equal(refs.v[0].col, 1);
	assert_int_equal(refs.v[0].kind, CP_REF_SOURCEMAP);
	/* the span is the line without its break, '\r' included in the break */
	assert_memory_equal(js + refs.v[0].start, "//# sourceMappingURL=a.js.map", 29);
	assert_int_equal(refs.v[0].end - refs.v[0].start, 29);
	assert_string_equal(refs.v[1].url, "spaced.map");
	assert_int_equal(refs.v[1].line, 7);
	assert_string_equal(refs.v[2].url, "last.map");
	assert_int_equal(refs.v[2].end, strlen(js));
	cp_refs_free(&refs);
	cp_scan_js("", 0, &refs);
	assert_int_equal(refs.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_django_forms), cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_compact),	 cmocka_unit_test(test_splice),
	    cmocka_unit_test(test_js_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
