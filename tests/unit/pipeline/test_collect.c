/*
 * test_collect.c - source roots to the asset table: priority of roots,
 * shadow warnings, filters, dotfiles, what is loaded, and the errors that
 * must stop a build before it writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/pipeline.h"

static char base[256];

static void put(const char *rel, const char *text)
{
	char *p = cp_xasprintf("%s/%s", base, rel);
	cp_error e = {0};
	assert_int_equal(cp_mkdirs_for(p, &e), 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static char *at(const char *rel)
{
	return cp_xasprintf("%s/%s", base, rel);
}

static int setup(void **s)
{
	(void)s;
	snprintf(base, sizeof base, "/tmp/cp-collect-XXXXXX");
	assert_non_null(mkdtemp(base));
	put("r1/css/a.css", ".a{}");
	put("r1/img/x.png", "PNG1");
	put("r1/.hidden/h.css", ".h{}");
	put("r2/css/a.css", ".shadowed{}");
	put("r2/css/b.css", ".b{}");
	put("r2/js/app.js", "var a;");
	put("r2/js/app.js.map", "{}");
	put("r2/scss/s.scss", "$a:1;");
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	char *cmd = cp_xasprintf("rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static int collect(const char **roots, size_t n, const cp_filter *f, int dot, const char *dist,
		   cp_assets *t, cp_diags *d, cp_error *e)
{
	char *abs[4];
	for (size_t i = 0; i < n; i++)
		abs[i] = at(roots[i]);
	char *dabs = dist ? at(dist) : NULL;
	cp_collect_opts o = {.roots = (const char *const *)abs,
			     .nroots = n,
			     .filter = f,
			     .dotfiles = dot,
			     .dist = dabs,
			     .jobs = 2};
	int rc = cp_collect(&o, t, d, e);
	for (size_t i = 0; i < n; i++)
		free(abs[i]);
	free(dabs);
	return rc;
}

static void test_roots_merge(void **s)
{
	(void)s;
	const char *roots[] = {"r1", "r2"};
	cp_assets t = {0};
	cp_diags d;
	cp_diags_init(&d);
	cp_error e = {0};
	assert_int_equal(collect(roots, 2, NULL, 0, "dist", &t, &d, &e), 0);
	const char *want[] = {"css/a.css", "css/b.css",	    "img/x.png",
			      "js/app.js", "js/app.js.map", "scss/s.scss"};
	assert_int_equal(t.n, 6);
	for (size_t i = 0; i < t.n; i++)
		assert_string_equal(t.v[i].logical, want[i]);
	/* the first root wins; the shadowed file is a warning naming it */
	assert_string_equal(t.v[0].text.data, ".a{}");
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].level, CP_DIAG_WARN);
	char *shadowed = at("r2/css/a.css");
	assert_string_equal(d.v[0].path, shadowed);
	free(shadowed);
	/* text loaded, binary not */
	assert_int_equal(t.v[0].kind, CP_ASSET_CSS);
	assert_int_equal(t.v[3].kind, CP_ASSET_JS);
	assert_int_equal(t.v[4].kind, CP_ASSET_MAP);
	assert_string_equal(t.v[4].text.data, "{}");
	assert_int_equal(t.v[2].kind, CP_ASSET_OTHER);
	assert_null(t.v[2].text.data);
	assert_int_equal(t.v[2].size, 4);
	assert_int_equal(cp_assets_find(&t, "js/app.js"), 3);
	cp_assets_free(&t);
	cp_diags_free(&d);
}

static void test_filters_and_dotfiles(void **s)
{
	(void)s;
	const char *roots[] = {"r1", "r2"};
	cp_filter f = {0};
	cp_filter_add(&f, 1, "*.scss");
	cp_filter_add(&f, 1, "js/**");
	cp_assets t = {0};
	cp_diags d;
	cp_diags_init(&d);
	cp_error e = {0};
	assert_int_equal(collect(roots, 2, &f, 1, NULL, &t, &d, &e), 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.v[0].logical, ".hidden/h.css");
	assert_int_equal(cp_assets_find(&t, "scss/s.scss"), -1);
	assert_int_equal(cp_assets_find(&t, "js/app.js"), -1);
	cp_filter_free(&f);
	cp_assets_free(&t);
	cp_diags_free(&d);
}

static void expect_error(const char **roots, size_t n, const char *dist, const char *path_has,
			 const char *msg_has)
{
	cp_assets t = {0};
	cp_diags d;
	cp_diags_init(&d);
	cp_error e = {0};
	assert_int_equal(collect(roots, n, NULL, 0, dist, &t, &d, &e), CP_ERR_BUILD);
	assert_true(e.set);
	assert_non_null(strstr(e.path, path_has));
	assert_non_null(strstr(e.msg, msg_has));
	cp_assets_free(&t);
	cp_diags_free(&d);
}

static void test_errors(void **s)
{
	(void)s;
	const char *missing[] = {"r1", "nope"};
	expect_error(missing, 2, NULL, "nope", "No such file");
	const char *r1[] = {"r1"};
	expect_error(r1, 1, "r1/dist", "r1/dist", "inside source root");
	expect_error(r1, 1, "r1/not/yet/dist", "r1/not/yet/dist", "inside source root");
	expect_error(r1, 1, ".", base, "contains source root");
	/* a folder link to its ancestor */
	char *link = at("r1/css/loop");
	assert_int_equal(symlink("..", link), 0);
	expect_error(r1, 1, NULL, "r1/css/loop", "loop");
	unlink(link);
	/* a link out of every root */
	put("outside/o.png", "O");
	char *target = at("outside/o.png");
	assert_int_equal(symlink(target, link), 0);
	expect_error(r1, 1, NULL, "r1/css/loop", "outside every source root");
	unlink(link);
	/* the same link is fine when its target is inside a root */
	const char *both[] = {"r1", "outside"};
	assert_int_equal(symlink(target, link), 0);
	cp_assets t = {0};
	cp_diags d;
	cp_diags_init(&d);
	cp_error e = {0};
	assert_int_equal(collect(both, 2, NULL, 0, NULL, &t, &d, &e), 0);
	assert_true(cp_assets_find(&t, "css/loop") >= 0);
	cp_assets_free(&t);
	cp_diags_free(&d);
	unlink(link);
	free(link);
	free(target);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roots_merge),
	    cmocka_unit_test(test_filters_and_dotfiles),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
