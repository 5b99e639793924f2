/*
 * test_build.c - the whole build in-process through cp_build (pipeline.h):
 * what a user of DIST relies on, checked from the outside.  Fingerprints are
 * recomputed here from the bytes on disk, the manifest is parsed with
 * jansson, siblings are decompressed with zlib and brotli, and a failed build
 * is held to leaving DIST exactly as it was (a listing of names and MD5s
 * taken before and after).
 */
#include "build_fixture.h"

/* ---- 1. a small site ---- */

static void test_build_site(void **s)
{
	(void)s;
	make_site("site/src");
	struct build b;
	build_init(&b, "site/src", "site/dist");
	b.c.compress = "gzip";
	int rc = build_run(&b);
	if (rc)
		dump_diags(&b.r);
	assert_int_equal(rc, 0);
	assert_false(b.r.err.set);
	assert_int_equal(b.r.diags.nerrors, 0);
	assert_int_equal(b.r.files, NSITE);
	assert_int_equal(b.r.minified, 3); /* two CSS, one JS; the PNG is not minified */
	uint64_t in = 0;
	cp_buf src = CP_BUF_INIT, got = CP_BUF_INIT, z = CP_BUF_INIT;
	for (size_t i = 0; i < NSITE; i++) {
		char *rel = cp_xasprintf("site/src/%s", site_files[i]);
		char *p = at(rel);
		cp_buf_clear(&src);
		cp_error e = {0};
		assert_int_equal(cp_read_file(p, &src, &e), 0);
		in += src.len;
		free(p), free(rel);
	}
	assert_int_equal(b.r.bytes_in, in);
	assert_int_equal(b.r.emit.reused, 0);
	char *mpath = cp_path_join(b.out, "staticfiles.json");
	assert_non_null(b.r.manifest);
	assert_string_equal(b.r.manifest, mpath);
	free(mpath);

	json_t *m = load_manifest(b.out);
	assert_string_equal(json_string_value(json_object_get(m, "version")), "1.1");
	check_manifest_names(b.out, m, NSITE);
	char mh[13];
	django_manifest_hash(json_object_get(m, "paths"), mh);
	assert_string_equal(json_string_value(json_object_get(m, "hash")), mh);

	/* the PNG is copied byte for byte, hashed and unhashed */
	const char *logo = manifest_path(m, "img/logo.png");
	char *want_logo = expected_hashed("img/logo.png", logo_png, sizeof logo_png);
	assert_string_equal(logo, want_logo);
	free(want_logo);
	slurp(b.out, logo, &got);
	assert_memory_equal(got.data, logo_png, sizeof logo_png);
	assert_int_equal(got.len, sizeof logo_png);
	slurp(b.out, "img/logo.png", &got);
	assert_int_equal(got.len, sizeof logo_png);
	assert_memory_equal(got.data, logo_png, sizeof logo_png);

	/* the CSS names the hashed logo and the hashed base.css */
	const char *app = manifest_path(m, "css/app.css");
	const char *base_css = manifest_path(m, "css/base.css");
	assert_true(!strncmp(app, "css/app.", 8) && strlen(app) == strlen("css/app.css") + 13);
	slurp(b.out, app, &got);
	char *ref = cp_xasprintf("../img/%s", cp_path_base(logo));
	assert_true(contains(&got, ref));
	free(ref);
	assert_false(contains(&got, "logo.png"));
	assert_true(contains(&got, cp_path_base(base_css)));
	assert_false(contains(&got, "\"base.css\""));
	assert_false(contains(&got, "\n")); /* minified */

	/* the .gz sibling is the fingerprinted file's bytes */
	char *gzname = cp_xasprintf("%s.gz", app);
	cp_buf gz = CP_BUF_INIT;
	slurp(b.out, gzname, &gz);
	gunzip(&gz, &z);
	assert_int_equal(z.len, got.len);
	assert_memory_equal(z.data, got.data, got.len);
	assert_true(gz.len < got.len);
	free(gzname);

	/* the unhashed original is there, with its own sibling, and keeps the
	 * names as written */
	slurp(b.out, "css/app.css", &got);
	assert_true(contains(&got, "../img/logo.png"));
	slurp(b.out, "css/app.css.gz", &gz);
	gunzip(&gz, &z);
	assert_int_equal(z.len, got.len);
	assert_memory_equal(z.data, got.data, got.len);
	for (size_t i = 0; i < NSITE; i++)
		assert_true(exists_in(b.out, site_files[i]));

	/* JS: minified, its sibling decompresses to it */
	const char *js = manifest_path(m, "js/app.js");
	slurp(b.out, js, &got);
	assert_true(contains(&got, "hello59"));
	assert_false(contains(&got, "\n  var"));
	char *jsgz = cp_xasprintf("%s.gz", js);
	slurp(b.out, jsgz, &gz);
	gunzip(&gz, &z);
	assert_int_equal(z.len, got.len);
	assert_memory_equal(z.data, got.data, got.len);
	free(jsgz);

	/* compress="gzip": no brotli, and no sibling for a PNG */
	char *snap = snapshot(b.out);
	assert_null(strstr(snap, ".br "));
	assert_null(strstr(snap, ".png.gz"));
	free(snap);
	assert_true(b.r.emit.gz_files >= 4);
	assert_int_equal(b.r.emit.br_files, 0);

	json_decref(m);
	cp_buf_free(&src), cp_buf_free(&got), cp_buf_free(&z), cp_buf_free(&gz);
	build_free(&b);
}

/* only_hashed, brotli siblings, the 1.0 manifest */
static void test_build_only_hashed(void **s)
{
	(void)s;
	make_site("oh/src");
	struct build b;
	build_init(&b, "oh/src", "oh/dist");
	b.c.only_hashed = 1;
	b.c.manifest_version = "1.0";
	int rc = build_run(&b);
	if (rc)
		dump_diags(&b.r);
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < NSITE; i++)
		assert_false(exists_in(b.out, site_files[i]));
	assert_false(exists_in(b.out, "css/app.css.gz"));
	assert_false(exists_in(b.out, "css/app.css.br"));
	json_t *m = load_manifest(b.out);
	assert_string_equal(json_string_value(json_object_get(m, "version")), "1.0");
	assert_null(json_object_get(m, "hash")); /* 1.1 added it */
	check_manifest_names(b.out, m, NSITE);
	const char *app = manifest_path(m, "css/app.css");
	cp_buf got = CP_BUF_INIT, br = CP_BUF_INIT, z = CP_BUF_INIT;
	slurp(b.out, app, &got);
	char *name = cp_xasprintf("%s.br", app);
	slurp(b.out, name, &br);
	unbrotli(&br, &z);
	assert_int_equal(z.len, got.len);
	assert_memory_equal(z.data, got.data, got.len);
	free(name);
	name = cp_xasprintf("%s.gz", app);
	slurp(b.out, name, &br);
	gunzip(&br, &z);
	assert_int_equal(z.len, got.len);
	assert_memory_equal(z.data, got.data, got.len);
	free(name);
	json_decref(m);
	cp_buf_free(&got), cp_buf_free(&br), cp_buf_free(&z);
	build_free(&b);
}

/* ---- 2. a failing build leaves DIST as it was ---- */

static void prepare_dist(const char *dist_rel)
{
	char *p = cp_xasprintf("%s/keep.txt", dist_rel);
	put(p, "sentinel from an earlier deploy\n");
	free(p);
}

static const cp_diag *find_diag(const struct cp_build_report *r, enum cp_diag_level level,
				const char *path_suffix, unsigned line)
{
	size_t sl = strlen(path_suffix);
	for (size_t i = 0; i < r->diags.n; i++) {
		const cp_diag *g = &r->diags.v[i];
		size_t pl = g->path ? strlen(g->path) : 0;
		if (g->level == level && pl >= sl && !strcmp(g->path + pl - sl, path_suffix) &&
		    g->line == line)
			return g;
	}
	return NULL;
}

static void test_build_missing_reference(void **s)
{
	(void)s;
	put("miss/src/css/a.css", ".a {\n"
				  "  color: red;\n"
				  "  background: url(../img/nope.png);\n"
				  "}\n"
				  "@import \"gone.css\";\n");
	put("miss/src/js/ok.js", "var ok = 1;\n");
	prepare_dist("miss/dist");
	struct build b;
	build_init(&b, "miss/src", "miss/dist");
	char *before = snapshot(b.out);
	int rc = build_run(&b);
	assert_int_equal(rc, CP_ERR_BUILD);
	/* every missing target is listed, with the author's line:col */
	assert_int_equal(b.r.diags.nerrors, 2);
	const cp_diag *g = find_diag(&b.r, CP_DIAG_ERROR, "/css/a.css", 3);
	if (!g)
		dump_diags(&b.r);
	assert_non_null(g);
	assert_int_equal(g->col, 15);
	assert_non_null(strstr(g->msg, "img/nope.png"));
	char line[2048];
	cp_diag_format(g, line, sizeof line);
	assert_non_null(strstr(line, "css/a.css:3:15:"));
	g = find_diag(&b.r, CP_DIAG_ERROR, "/css/a.css", 5);
	assert_non_null(g);
	assert_non_null(strstr(g->msg, "gone.css"));
	char *after = snapshot(b.out);
	assert_string_equal(after, before);
	assert_false(exists_in(b.out, "staticfiles.json"));
	assert_null(b.r.manifest);
	free(after);

	/* missing="warn": the build goes on, the reference is kept as written */
	b.c.missing = "warn";
	rc = build_run(&b);
	if (rc)
		dump_diags(&b.r);
	assert_int_equal(rc, 0);
	assert_int_equal(b.r.diags.nerrors, 0);
	assert_non_null(find_diag(&b.r, CP_DIAG_WARN, "/css/a.css", 3));
	json_t *m = load_manifest(b.out);
	cp_buf got = CP_BUF_INIT;
	slurp(b.out, manifest_path(m, "css/a.css"), &got);
	assert_true(contains(&got, "url(../img/nope.png)"));
	assert_true(exists_in(b.out, "keep.txt")); /* nothing in DIST is deleted */
	json_decref(m);
	cp_buf_free(&got);
	free(before);
	build_free(&b);
}

static void test_build_js_syntax_error(void **s)
{
	(void)s;
	put("jserr/src/css/a.css", ".a { color: red }\n");
	put("jserr/src/js/b.js", "var a = 1;\nvar b = );\n");
	prepare_dist("jserr/dist");
	struct build b;
	build_init(&b, "jserr/src", "jserr/dist");
	char *before = snapshot(b.out);
	assert_int_equal(build_run(&b), CP_ERR_BUILD);
	const cp_diag *g = find_diag(&b.r, CP_DIAG_ERROR, "/js/b.js", 2);
	if (!g)
		dump_diags(&b.r);
	assert_non_null(g);
	assert_int_equal(g->col, 9);
	/* the diag names the real source, not just the minifier's base name */
	char *src = at("jserr/src/js/b.js");
	assert_string_equal(g->path, src);
	free(src);
	char *after = snapshot(b.out);
	assert_string_equal(after, before);
	assert_false(exists_in(b.out, "staticfiles.json"));
	free(before), free(after);
	build_free(&b);
}

/* An output path that is in the way is found before anything is written:
 * css/ sorts before js/, so a build that wrote as it went would leave CSS. */
static void test_build_blocked_output(void **s)
{
	(void)s;
	make_site("blk/src");
	prepare_dist("blk/dist");
	put("blk/dist/js", "a file where DIST/js/ should be\n");
	struct build b;
	build_init(&b, "blk/src", "blk/dist");
	char *before = snapshot(b.out);
	assert_int_equal(build_run(&b), CP_ERR_BUILD);
	assert_true(b.r.err.set);
	char *js = cp_path_join(b.out, "js");
	assert_string_equal(b.r.err.path, js);
	free(js);
	char *after = snapshot(b.out);
	assert_string_equal(after, before);
	free(before), free(after);

	/* DIST inside a source root is refused, and not created */
	struct build in;
	build_init(&in, "blk/src", "blk/src/dist");
	assert_int_equal(build_run(&in), CP_ERR_BUILD);
	assert_true(in.r.err.set || in.r.diags.nerrors);
	assert_false(exists(in.out));
	build_free(&in);
	build_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_site),
	    cmocka_unit_test(test_build_only_hashed),
	    cmocka_unit_test(test_build_missing_reference),
	    cmocka_unit_test(test_build_js_syntax_error),
	    cmocka_unit_test(test_build_blocked_output),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
