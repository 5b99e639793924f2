/*
 * test_css_scan.c - the CSS reference scanner: which url()/@import/source-map
 * references a build rewrites, with exact spans, decoded URLs and positions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fingerprint/fingerprint.h"

/* Scans s; returns the refs as "KIND line:col [span] url" lines. */
static char out[8192];

static const char *scan(const char *s, size_t len)
{
	cp_refs refs = {0};
	cp_scan_css(s, len, &refs);
	out[0] = 0;
	for (size_t i = 0; i < refs.n; i++) {
		const cp_ref *r = &refs.v[i];
		static const char *k[] = {"URL", "IMPORT", "MAP"};
		size_t n = strlen(out);
		assert_true(r->end <= len && r->start < r->end);
		assert_int_equal(r->target, -1);
		snprintf(out + n, sizeof out - n, "%s%s %u:%u [%.*s] %s", n ? "\n" : "", k[r->kind],
			 r->line, r->col, (int)(r->end - r->start), s + r->start, r->url);
	}
	cp_refs_free(&refs);
	return out;
}
#define SCAN(s) scan(s, sizeof(s) - 1)

static void test_url_forms(void **state)
{
	assert_string_equal(SCAN("a{background:url(a.png)}"), "URL 1:14 [url(a.png)] a.png");
	assert_string_equal(SCAN("a{b:url( 'x y.png' ) }"), "URL 1:5 [url( 'x y.png' )] x y.png");
	assert_string_equal(SCAN("a{b:URL(\"q.png\")}"), "URL 1:5 [URL(\"q.png\")] q.png");
	assert_string_equal(SCAN("a{b:url(  c.png  )}"), "URL 1:5 [url(  c.png  )] c.png");
	/* escapes in unquoted and quoted urls are decoded */
	assert_string_equal(SCAN("a{b:url(a\\(1\\).png)}"), "URL 1:5 [url(a\\(1\\).png)] a(1).png");
	assert_string_equal(SCAN("a{b:url(\"a\\\"b\\41.png\")}"),
			    "URL 1:5 [url(\"a\\\"b\\41.png\")] a\"bA.png");
	/* every URL is reported: the resolver decides */
	assert_string_equal(
	    SCAN("a{b:url(data:image/png;base64,AA==),url(//h/x),url(#f),url()}"),
	    "URL 1:5 [url(data:image/png;base64,AA==)] data:image/png;base64,AA==\n"
	    "URL 1:37 [url(//h/x)] //h/x\nURL 1:48 [url(#f)] #f\nURL 1:56 [url()] ");
	assert_string_equal(SCAN("@font-face{src:url(f.eot?#iefix) format('eot')}"),
			    "URL 1:16 [url(f.eot?#iefix)] f.eot?#iefix");
}

static void test_not_refs(void **state)
{
	assert_string_equal(SCAN("/* url(a.png) @import 'x'; */a{content:\"url(b.png)\"}"), "");
	assert_string_equal(SCAN("a{b:url(a b)}"), ""); /* bad url */
	assert_string_equal(SCAN("a{b:url(\"a\" b)}"), "");
	assert_string_equal(SCAN("a{b:u\\rl(a)}"), ""); /* escaped name: not url( */
	assert_string_equal(SCAN("a{b:fooUrl(a)}"), "");
	assert_string_equal(SCAN("a{b:'url(x)' url(y)}"), "URL 1:14 [url(y)] y");
}

static void test_import(void **state)
{
	assert_string_equal(SCAN("@import \"a.css\" screen;\n@import url(b.css) layer(x);\n"
				 "@IMPORT 'c.css' supports(display:grid);"),
			    "IMPORT 1:1 [@import \"a.css\"] a.css\nURL 2:9 [url(b.css)] b.css\n"
			    "IMPORT 3:1 [@IMPORT 'c.css'] c.css");
	assert_string_equal(SCAN("@import/**/'d.css';"), "IMPORT 1:1 [@import/**/'d.css'] d.css");
	assert_string_equal(SCAN("@import url('e.css');"), "URL 1:9 [url('e.css')] e.css");
	/* behind a BOM (columns count bytes, the BOM's too) */
	assert_string_equal(SCAN("\xef\xbb\xbf@import 'f.css';"),
			    "IMPORT 1:4 [@import 'f.css'] f.css");
}

static void test_source_map(void **state)
{
	assert_string_equal(SCAN("a{}\n/*# sourceMappingURL=a.css.map */\n"),
			    "MAP 2:1 [/*# sourceMappingURL=a.css.map */] a.css.map");
	assert_string_equal(SCAN("/*#\tsourceMappingURL=m.map*/"),
			    "MAP 1:1 [/*#\tsourceMappingURL=m.map*/] m.map");
	/* not at the start of a line, not ending it, wrong case, '@' form */
	assert_string_equal(SCAN("a{} /*# sourceMappingURL=a.map */"), "");
	assert_string_equal(SCAN("/*# sourceMappingURL=a.map */ a{}"), "");
	assert_string_equal(SCAN("/*# sourcemappingurl=a.map */"), "");
	assert_string_equal(SCAN("/*@ sourceMappingURL=a.map */"), "");
	assert_string_equal(SCAN("a{content:'\n/*# sourceMappingURL=a.map */'}"), "");
}

static void test_recovery(void **state)
{
	/* unterminated constructs at EOF are recovered as the spec says */
	assert_string_equal(SCAN("a{b:url(a.png"), "URL 1:5 [url(a.png] a.png");
	assert_string_equal(SCAN("a{b:url('a.png"), "URL 1:5 [url('a.png] a.png");
	assert_string_equal(SCAN("a{b:url('a.png'"), "URL 1:5 [url('a.png'] a.png");
	assert_string_equal(SCAN("@import 'x.css"), "IMPORT 1:1 [@import 'x.css] x.css");
	assert_string_equal(SCAN("a{} /* url(a.png)"), "");
	assert_string_equal(SCAN("a{b:'url(a.png)"), "");
	/* a bad string ends at the newline; what follows is scanned */
	assert_string_equal(SCAN("a{b:'x\n;c:url(y.png)}"), "URL 2:4 [url(y.png)] y.png");
	/* Latin-1 bytes, NUL, CRLF: positions are in bytes and lines */
	assert_string_equal(SCAN("@charset \"iso-8859-1\";\r\n.caf\xe9{b:url(\xe9t\xe9.png)}"),
			    "URL 2:9 [url(\xe9t\xe9.png)] \xe9t\xe9.png");
	static const char nul[] = "a\0{b:url(n.png)}";
	assert_string_equal(scan(nul, sizeof nul - 1), "URL 1:6 [url(n.png)] n.png");
	assert_string_equal(scan("", 0), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_forms), cmocka_unit_test(test_not_refs),
	    cmocka_unit_test(test_import),    cmocka_unit_test(test_source_map),
	    cmocka_unit_test(test_recovery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
