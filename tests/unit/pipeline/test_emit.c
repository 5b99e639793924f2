/* Unit tests for pipeline/emit.c: writing DIST - each asset's outputs, the
 * sibling rules (keep ratio, compressible types) and identical twins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "pipeline/pipeline.h"

#include "testtext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writing DIST (pipeline/emit.c): outputs, siblings, twins. */

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/cp-compress-XXXXXX";
	return cp_xstrdup(mkdtemp(tmpl));
}

static cp_asset *add_asset(cp_assets *t, const char *logical, const char *text, const char *hashed,
			   unsigned char seed)
{
	cp_asset *a = cp_assets_add(t);
	a->logical = cp_xstrdup(logical);
	a->source = cp_xstrdup("/nonexistent");
	a->kind = cp_asset_kind_of(logical);
	cp_buf_puts(&a->text, text);
	a->size = a->text.len;
	memset(a->md5, seed, 16);
	a->hashed = cp_xstrdup(hashed);
	return a;
}

static void test_emit_dist(void **s)
{
	char *dir = tmpdir();
	cp_assets t = {0};
	cp_buf big = CP_BUF_INIT;
	test_css_text(&big, 4000);
	/* two assets with identical content: one group, hard links */
	add_asset(&t, "a.css", big.data, "a.111111111111.css", 1);
	cp_asset *b = add_asset(&t, "b.css", "x{}", "b.222222222222.css", 2);
	cp_buf_puts(&b->out, "x{color:red}");
	b->flags |= CP_ASSET_REWRITTEN;
	add_asset(&t, "c/a.css", big.data, "c/a.111111111111.css", 1);
	add_asset(&t, "u.css", big.data, "u.111111111111.css", 1);
	cp_asset *u =
	    add_asset(&t, "u.css.gz", "", "u.css.333333333333.gz", 3); /* table is sorted */
	char *usrc = cp_xasprintf("%s.src", dir);
	cp_error werr = {0};
	assert_int_equal(cp_write_atomic(usrc, "user's own file", 15, &werr), 0);
	free(u->source);
	u->source = usrc; /* binary kind: streamed from its source */
	u->size = 15;
	cp_emit_opts o = {.dist = dir, .jobs = 2};
	cp_compress_defaults(&o.comp);
	cp_diags d;
	cp_diags_init(&d);
	cp_emit_stats st = {0};
	assert_int_equal(cp_emit_dist(&t, &o, &st, &d), 0);
	char *p = cp_path_join(dir, "b.222222222222.css");
	cp_buf got = CP_BUF_INIT;
	cp_error err = {0};
	assert_int_equal(cp_read_file(p, &got, &err), 0);
	assert_string_equal(got.data, "x{color:red}"); /* fingerprinted: rewritten bytes */
	cp_buf_clear(&got);
	free(p);
	p = cp_path_join(dir, "b.css");
	assert_int_equal(cp_read_file(p, &got, &err), 0);
	assert_string_equal(got.data, "x{}"); /* unhashed: the text before rewriting */
	free(p);
	/* twins are links of one inode, their siblings too */
	struct stat s1, s2;
	char *a1 = cp_path_join(dir, "a.111111111111.css.br"),
	     *a2 = cp_path_join(dir, "c/a.111111111111.css.br");
	assert_int_equal(stat(a1, &s1), 0);
	assert_int_equal(stat(a2, &s2), 0);
	assert_true(s1.st_ino == s2.st_ino);
	/* u.css's generated sibling takes the name u.css.gz (it matches the u.css
	 * this build publishes); the author's own u.css.gz is kept under its
	 * fingerprinted name, with a warning */
	cp_buf_clear(&got);
	p = cp_path_join(dir, "u.css.gz");
	assert_int_equal(cp_read_file(p, &got, &err), 0);
	cp_buf back = CP_BUF_INIT;
	assert_int_equal(cp_decompress_buffer(CP_GZIP, got.data, got.len, &back, &err), 0);
	assert_string_equal(back.data, big.data);
	cp_buf_free(&back);
	free(p);
	cp_buf_clear(&got);
	p = cp_path_join(dir, "u.css.333333333333.gz");
	assert_int_equal(cp_read_file(p, &got, &err), 0);
	assert_string_equal(got.data, "user's own file");
	free(p);
	size_t warned = 0;
	for (size_t i = 0; i < d.n; i++)
		warned += d.v[i].level == CP_DIAG_WARN && !strcmp(d.v[i].path, "u.css.gz");
	assert_int_equal(warned, 1);
	assert_true(st.br_files >= 4 && st.gz_files >= 4);
	assert_int_equal(st.reused, 0);
	/* a second run reuses every fingerprinted file */
	cp_emit_stats st2 = {0};
	assert_int_equal(cp_emit_dist(&t, &o, &st2, &d), 0);
	assert_int_equal(st2.reused, t.n);
	assert_int_equal(st2.br_files, st.br_files);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s %s.src", dir, dir);
	assert_int_equal(system(cmd), 0);
	free(a1), free(a2), free(dir);
	cp_buf_free(&got), cp_buf_free(&big);
	cp_assets_free(&t);
	cp_diags_free(&d);
}

/* Identical bytes under a compressible and an incompressible name: the
 * compressible one still gets its siblings. */
static void test_emit_twins_of_different_types(void **s)
{
	char *dir = tmpdir();
	char *src = cp_xasprintf("%s.src", dir);
	cp_buf big = CP_BUF_INIT;
	test_css_text(&big, 6000);
	cp_error err = {0};
	assert_int_equal(cp_write_atomic(src, big.data, big.len, &err), 0);
	cp_assets t = {0};
	const char *names[][2] = {{"a.png", "a.111111111111.png"}, {"b.txt", "b.111111111111.txt"}};
	for (size_t i = 0; i < 2; i++) {
		cp_asset *a = add_asset(&t, names[i][0], "", names[i][1], 1);
		free(a->source);
		a->source = cp_xstrdup(src);
		a->kind = CP_ASSET_OTHER;
		a->size = big.len;
	}
	cp_emit_opts o = {.dist = dir, .jobs = 2};
	cp_compress_defaults(&o.comp);
	cp_diags d;
	cp_diags_init(&d);
	assert_int_equal(cp_emit_dist(&t, &o, NULL, &d), 0);
	char *gz = cp_path_join(dir, "b.txt.gz"), *png_gz = cp_path_join(dir, "a.png.gz");
	assert_true(cp_exists(gz));
	assert_false(cp_exists(png_gz));
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir, src);
	assert_int_equal(system(cmd), 0);
	free(gz), free(png_gz), free(src), free(dir);
	cp_buf_free(&big);
	cp_assets_free(&t);
	cp_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_emit_dist),
	    cmocka_unit_test(test_emit_twins_of_different_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
