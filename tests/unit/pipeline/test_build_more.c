/*
 * test_build_more.c - the build in-process through cp_build, continued (see
 * test_build.c): bad option values, determinism across job counts,
 * rebuilding into the same DIST, and no_minify.
 */
#include "build_fixture.h"

/* ---- 3. bad option values ---- */

static void test_build_usage_errors(void **s)
{
	(void)s;
	put("use/src/css/a.css", ".a { color: red }\n");
	struct {
		const char *what, *static_url, *missing, *compress, *version, *in_msg;
		int noroots, noout, emptyout;
		long jobs;
	} cases[] = {
	    {"static_url without '/'", "/static", NULL, NULL, NULL, "/static", 0, 0, 0, 0},
	    {"missing=maybe", NULL, "maybe", NULL, NULL, "maybe", 0, 0, 0, 0},
	    {"compress=zip", NULL, NULL, "zip", NULL, "zip", 0, 0, 0, 0},
	    {"manifest 2.0", NULL, NULL, NULL, "2.0", "2.0", 0, 0, 0, 0},
	    {"no roots", NULL, NULL, NULL, NULL, NULL, 1, 0, 0, 0},
	    {"no out", NULL, NULL, NULL, NULL, NULL, 0, 1, 0, 0},
	    {"empty out", NULL, NULL, NULL, NULL, NULL, 0, 0, 1, 0},
	    {"jobs -1", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, -1},
	    {"jobs 5000", NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 5000},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct build b;
		build_init(&b, "use/src", "use/dist");
		b.c.static_url = cases[i].static_url;
		b.c.missing = cases[i].missing;
		b.c.compress = cases[i].compress;
		b.c.manifest_version = cases[i].version;
		b.c.jobs = cases[i].jobs;
		if (cases[i].noroots)
			b.c.nroots = 0;
		if (cases[i].noout)
			b.c.out = NULL;
		if (cases[i].emptyout)
			b.c.out = "";
		int rc = build_run(&b);
		if (rc != CP_ERR_USAGE || !b.r.err.set || !*b.r.err.msg)
			fail_msg("%s: rc %d, err '%s'", cases[i].what, rc, b.r.err.msg);
		if (cases[i].in_msg && !strstr(b.r.err.msg, cases[i].in_msg))
			fail_msg("%s: message does not name the value: '%s'", cases[i].what,
				 b.r.err.msg);
		assert_null(b.r.manifest);
		assert_int_equal(b.r.files, 0);
		assert_false(exists(b.out));
		build_free(&b);
	}
}

/* ---- 4. determinism ---- */

static void test_build_deterministic(void **s)
{
	(void)s;
	make_site("det/src");
	struct build b1, b2;
	build_init(&b1, "det/src", "det/d1");
	build_init(&b2, "det/src", "det/d2");
	b1.c.jobs = 1;
	b2.c.jobs = 2;
	b1.c.source_map = b2.c.source_map = 1;
	assert_int_equal(build_run(&b1), 0);
	assert_int_equal(build_run(&b2), 0);
	char *s1 = snapshot(b1.out), *s2 = snapshot(b2.out);
	assert_string_equal(s1, s2);
	cp_buf m1 = CP_BUF_INIT, m2 = CP_BUF_INIT;
	slurp(b1.out, "staticfiles.json", &m1);
	slurp(b2.out, "staticfiles.json", &m2);
	assert_int_equal(m1.len, m2.len);
	assert_memory_equal(m1.data, m2.data, m1.len);
	/* with source maps: the maps are fingerprinted too, and the hashed JS
	 * points at its hashed map */
	json_t *m = load_manifest(b1.out);
	check_manifest_names(b1.out, m, NSITE + 3);
	const char *map = manifest_path(m, "js/app.js.map");
	cp_buf got = CP_BUF_INIT;
	slurp(b1.out, manifest_path(m, "js/app.js"), &got);
	char *want = cp_xasprintf("sourceMappingURL=%s", cp_path_base(map));
	assert_true(contains(&got, want));
	free(want);
	json_decref(m);
	cp_buf_free(&got), cp_buf_free(&m1), cp_buf_free(&m2);
	free(s1), free(s2);
	build_free(&b1), build_free(&b2);
}

/* ---- 5. rebuilding into the same DIST ---- */

static void test_build_rebuild(void **s)
{
	(void)s;
	make_site("re/src");
	struct build b;
	build_init(&b, "re/src", "re/dist");
	assert_int_equal(build_run(&b), 0);
	assert_int_equal(b.r.emit.reused, 0);
	char *s1 = snapshot(b.out);
	cp_buf m1 = CP_BUF_INIT, m2 = CP_BUF_INIT;
	slurp(b.out, "staticfiles.json", &m1);

	/* the same sources again: every fingerprinted file is reused */
	int rc = build_run(&b);
	if (rc)
		dump_diags(&b.r);
	assert_int_equal(rc, 0);
	assert_int_equal(b.r.emit.reused, NSITE);
	char *s2 = snapshot(b.out);
	assert_string_equal(s2, s1);
	slurp(b.out, "staticfiles.json", &m2);
	assert_int_equal(m2.len, m1.len);
	assert_memory_equal(m2.data, m1.data, m1.len);

	/* base.css changes: its new name reaches app.css (which @imports it),
	 * so app.css gets a new name too; the old files stay for cached pages */
	json_t *old = load_manifest(b.out);
	char *old_base = cp_xstrdup(manifest_path(old, "css/base.css"));
	char *old_app = cp_xstrdup(manifest_path(old, "css/app.css"));
	char *old_js = cp_xstrdup(manifest_path(old, "js/app.js"));
	json_decref(old);
	put("re/src/css/base.css", "body {\n  margin: 1px;\n}\n");
	assert_int_equal(build_run(&b), 0);
	assert_int_equal(b.r.emit.reused, 2); /* the JS and the PNG */
	json_t *m = load_manifest(b.out);
	check_manifest_names(b.out, m, NSITE);
	assert_string_not_equal(manifest_path(m, "css/base.css"), old_base);
	assert_string_not_equal(manifest_path(m, "css/app.css"), old_app);
	assert_string_equal(manifest_path(m, "js/app.js"), old_js);
	assert_true(exists_in(b.out, old_base));
	assert_true(exists_in(b.out, old_app));
	cp_buf got = CP_BUF_INIT;
	slurp(b.out, manifest_path(m, "css/app.css"), &got);
	assert_true(contains(&got, cp_path_base(manifest_path(m, "css/base.css"))));
	json_decref(m);
	cp_buf_free(&got), cp_buf_free(&m1), cp_buf_free(&m2);
	free(old_base), free(old_app), free(old_js), free(s1), free(s2);
	build_free(&b);
}

/* ---- 6. no_minify ---- */

static void test_build_no_minify(void **s)
{
	(void)s;
	const char *css = "/* kept */\n.plain {\n  color: red;\n}\n";
	const char *js = "// kept\nfunction f(a) {\n  return a + 1;\n}\n";
	put("nm/src/css/plain.css", css);
	put("nm/src/js/plain.js", js);
	put("nm/src/css/ref.css", ".logo {\n"
				  "  background: url('../img/logo.png');\n"
				  "  a: url(/assets/img/logo.png);\n"
				  "  b: url(/static/img/logo.png);\n"
				  "}\n");
	put_bytes("nm/src/img/logo.png", logo_png, sizeof logo_png);
	struct build b;
	build_init(&b, "nm/src", "nm/dist");
	b.c.no_minify = 1;
	b.c.compress = "none";
	b.c.static_url = "/assets/";
	int rc = build_run(&b);
	if (rc)
		dump_diags(&b.r);
	assert_int_equal(rc, 0);
	assert_int_equal(b.r.minified, 0);
	json_t *m = load_manifest(b.out);
	check_manifest_names(b.out, m, 4);
	cp_buf got = CP_BUF_INIT;
	slurp(b.out, manifest_path(m, "css/plain.css"), &got);
	assert_int_equal(got.len, strlen(css));
	assert_memory_equal(got.data, css, got.len);
	slurp(b.out, manifest_path(m, "js/plain.js"), &got);
	assert_int_equal(got.len, strlen(js));
	assert_memory_equal(got.data, js, got.len);
	slurp(b.out, "css/plain.css", &got);
	assert_memory_equal(got.data, css, strlen(css));
	slurp(b.out, manifest_path(m, "css/ref.css"), &got);
	/* references are still rewritten, the way Django writes them; an
	 * absolute URL only under static_url */
	const char *logo = manifest_path(m, "img/logo.png");
	char *want = cp_xasprintf(".logo {\n"
				  "  background: url(\"../img/%s\");\n"
				  "  a: url(\"/assets/%s\");\n"
				  "  b: url(/static/img/logo.png);\n"
				  "}\n",
				  cp_path_base(logo), logo);
	assert_int_equal(got.len, strlen(want));
	assert_memory_equal(got.data, want, got.len);
	free(want);
	/* compress="none": no siblings at all */
	char *snap = snapshot(b.out);
	assert_null(strstr(snap, ".gz "));
	assert_null(strstr(snap, ".br "));
	free(snap);
	assert_int_equal(b.r.emit.gz_files + b.r.emit.br_files, 0);
	json_decref(m);
	cp_buf_free(&got);
	build_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_usage_errors),
	    cmocka_unit_test(test_build_deterministic),
	    cmocka_unit_test(test_build_rebuild),
	    cmocka_unit_test(test_build_no_minify),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
