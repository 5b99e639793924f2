/*
 * test_resolve.c - which references are files of the build (Django's
 * url_converter rules) and the missing-file policy.
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

static const char *target(const char *from, const char *url)
{
	static char buf[512];
	int climbs = 0;
	char *t = cp_fp_target(from, url, "/static/", &climbs);
	if (climbs)
		return "CLIMBS";
	if (!t)
		return "EXTERNAL";
	snprintf(buf, sizeof buf, "%s", t);
	free(t);
	return buf;
}

static void test_converter_cases(void **s)
{
	(void)s;
	/* left alone, as Django's converter leaves them */
	assert_string_equal(target("css/a.css", ""), "EXTERNAL");
	assert_string_equal(target("css/a.css", "   "), "EXTERNAL");
	assert_string_equal(target("css/a.css", "data:image/png;base64,AAAA"), "EXTERNAL");
	assert_string_equal(target("css/a.css", "https://cdn.example.com/x.png"), "EXTERNAL");
	assert_string_equal(target("css/a.css", "DATA:x"), "EXTERNAL");
	assert_string_equal(target("css/a.css", "git+ssh:x"), "EXTERNAL");
	assert_string_equal(target("css/a.css", "//cdn.example.com/x.png"), "EXTERNAL");
	assert_string_equal(target("css/a.css", "#gradient"), "EXTERNAL");
	assert_string_equal(target("css/a.css", "?v=1"), "EXTERNAL");
	assert_string_equal(target("css/a.css", "/media/x.png"), "EXTERNAL");
	assert_string_equal(target("css/a.css", "/staticx/x.png"), "EXTERNAL");
	assert_string_equal(target("css/a.css", "img/"), "EXTERNAL");
	/* joined with the source's folder, normalised */
	assert_string_equal(target("css/a.css", "b.png"), "css/b.png");
	assert_string_equal(target("css/a.css", "./b.png"), "css/b.png");
	assert_string_equal(target("css/a.css", "../img/b.png"), "img/b.png");
	assert_string_equal(target("a.css", "img//x/../b.png"), "img/b.png");
	assert_string_equal(target("css/a.css", "/static/img/b.png"), "img/b.png");
	/* query and fragment are not part of the file */
	assert_string_equal(target("css/a.css", "f.eot?#iefix"), "css/f.eot");
	assert_string_equal(target("css/a.css", "f.woff?v=1#x"), "css/f.woff");
	assert_string_equal(target("css/a.css", "f.svg#a/b"), "css/f.svg");
	/* unquoted (percent-decoded) after joining */
	assert_string_equal(target("css/a.css", "my%20font.woff"), "css/my font.woff");
	assert_string_equal(target("css/a.css", "caf%C3%A9.png"), "css/caf\xc3\xa9.png");
	assert_string_equal(target("css/a.css", " b.png "), "css/b.png");
	/* climbing out of the roots */
	assert_string_equal(target("css/a.css", "../../x.png"), "CLIMBS");
	assert_string_equal(target("a.css", "/static/../x.png"), "CLIMBS");
}

static cp_asset *add(cp_assets *t, const char *logical, cp_asset_kind kind)
{
	cp_asset *a = cp_assets_add(t);
	a->logical = cp_xstrdup(logical);
	a->source = cp_xasprintf("src/%s", logical);
	a->kind = kind;
	return a;
}

static void add_ref(cp_asset *a, cp_ref_kind kind, unsigned line, const char *url)
{
	cp_ref r = {.kind = kind, .line = line, .col = 3, .url = cp_xstrdup(url), .target = -1};
	cp_refs_push(&a->refs, &r);
}

static void build(cp_assets *t)
{
	memset(t, 0, sizeof *t);
	cp_asset *css = add(t, "css/a.css", CP_ASSET_CSS);
	add_ref(css, CP_REF_URL, 1, "../img/b.png");
	add_ref(css, CP_REF_URL, 2, "../img/nope.png");
	add_ref(css, CP_REF_IMPORT, 3, "gone.css");
	add_ref(css, CP_REF_URL, 4, "data:x");
	add_ref(css, CP_REF_SOURCEMAP, 5, "a.css.map");
	add(t, "img/b.png", CP_ASSET_OTHER);
}

static void test_missing_error_lists_all(void **s)
{
	(void)s;
	cp_assets t;
	build(&t);
	cp_diags d;
	cp_diags_init(&d);
	cp_fingerprint_opts o = {.static_url = "/static/", .missing = CP_MISSING_ERROR};
	assert_int_equal(cp_fp_resolve(&t, &o, &d), CP_ERR_BUILD);
	cp_refs *r = &t.v[0].refs;
	assert_int_equal(r->v[0].target, 1);
	assert_int_equal(r->v[3].target, CP_TARGET_KEEP);
	assert_int_equal(r->v[4].target, CP_TARGET_DROP);
	assert_int_equal(d.nerrors, 2);
	assert_int_equal(d.n, 3); /* two errors and the source map warning */
	cp_diags_sort(&d);
	char line[512];
	cp_diag_format(&d.v[0], line, sizeof line);
	assert_string_equal(line, "src/css/a.css:2:3: missing 'img/nope.png'");
	cp_diag_format(&d.v[1], line, sizeof line);
	assert_string_equal(line, "src/css/a.css:3:3: missing 'css/gone.css'");
	assert_int_equal(d.v[2].level, CP_DIAG_WARN);
	cp_diags_free(&d);
	cp_assets_free(&t);
}

static void test_missing_warn_keeps(void **s)
{
	(void)s;
	cp_assets t;
	build(&t);
	cp_diags d;
	cp_diags_init(&d);
	cp_fingerprint_opts o = {.static_url = "/static/", .missing = CP_MISSING_WARN};
	assert_int_equal(cp_fp_resolve(&t, &o, &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 3);
	assert_int_equal(t.v[0].refs.v[1].target, CP_TARGET_KEEP);
	assert_int_equal(t.v[0].refs.v[2].target, CP_TARGET_KEEP);
	cp_diags_free(&d);
	cp_assets_free(&t);
}

static void test_climb_is_an_error(void **s)
{
	(void)s;
	cp_assets t = {0};
	cp_asset *css = add(&t, "a.css", CP_ASSET_CSS);
	add_ref(css, CP_REF_URL, 7, "../x.png");
	cp_diags d;
	cp_diags_init(&d);
	cp_fingerprint_opts o = {.static_url = "/static/", .missing = CP_MISSING_WARN};
	assert_int_equal(cp_fp_resolve(&t, &o, &d), CP_ERR_BUILD);
	char line[512];
	cp_diag_format(&d.v[0], line, sizeof line);
	assert_string_equal(line, "src/a.css:7:3: '../x.png' climbs out of the source roots");
	cp_diags_free(&d);
	cp_assets_free(&t);
}

static void test_fingerprint_end_to_end(void **s)
{
	(void)s;
	/* a.css imports b.css which uses c.png; hashes are of the final bytes */
	cp_assets t = {0};
	cp_asset *a = add(&t, "a.css", CP_ASSET_CSS);
	cp_buf_puts(&a->text, "@import \"b.css\";");
	cp_ref ra = {
	    .start = 0, .end = 15, .kind = CP_REF_IMPORT, .url = cp_xstrdup("b.css"), .target = -1};
	cp_refs_push(&a->refs, &ra);
	cp_asset *b = add(&t, "b.css", CP_ASSET_CSS);
	cp_buf_puts(&b->text, "x{}");
	for (int jobs = 1; jobs <= 4; jobs += 3) {
		cp_diags d;
		cp_diags_init(&d);
		cp_fingerprint_opts o = {.missing = CP_MISSING_ERROR, .jobs = jobs};
		assert_int_equal(cp_fingerprint(&t, &o, &d), 0);
		unsigned char md5[16];
		cp_md5("x{}", 3, md5);
		char *bn = cp_hashed_name("b.css", md5);
		assert_string_equal(t.v[1].hashed, bn);
		char *want = cp_xasprintf("@import url(\"%s\");", bn);
		assert_true(t.v[0].flags & CP_ASSET_REWRITTEN);
		assert_string_equal(t.v[0].out.data, want);
		cp_md5(want, strlen(want), md5);
		char *an = cp_hashed_name("a.css", md5);
		assert_string_equal(t.v[0].hashed, an);
		free(an), free(bn), free(want);
		for (size_t i = 0; i < t.n; i++)
			free(t.v[i].hashed), t.v[i].hashed = NULL;
		cp_diags_free(&d);
	}
	cp_assets_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_converter_cases),
	    cmocka_unit_test(test_missing_error_lists_all),
	    cmocka_unit_test(test_missing_warn_keeps),
	    cmocka_unit_test(test_climb_is_an_error),
	    cmocka_unit_test(test_fingerprint_end_to_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
