/* Unit tests for lib/: paths, globs, the folder walk (symlinks, loops,
 * confinement), the parallel-for, buffers and diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "lib/cp.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_path_normalize(void **s)
{
	char a[] = "a/./b/../c//d";
	assert_int_equal(cp_path_normalize(a), 0);
	assert_string_equal(a, "a/c/d");
	char b[] = "/x/y/../../z";
	assert_int_equal(cp_path_normalize(b), 0);
	assert_string_equal(b, "/z");
	char c[] = "a/../../etc/passwd";
	assert_int_equal(cp_path_normalize(c), -1);
	assert_string_equal(c, "a/../../etc/passwd"); /* unchanged on failure */
}

static void test_path_ext(void **s)
{
	const char *p = "css/app.js.map";
	assert_int_equal(cp_path_extpos(p), strlen("css/app.js"));
	assert_int_equal(cp_path_extpos(".htaccess"), strlen(".htaccess"));
	assert_int_equal(cp_path_extpos("dir.v2/LICENSE"), strlen("dir.v2/LICENSE"));
	assert_int_equal(cp_path_extpos("..a.b"), 3);
	char ext[16];
	cp_path_ext("IMG.JPG", ext, sizeof ext);
	assert_string_equal(ext, "jpg");
	assert_string_equal(cp_path_base("a/b/c.css"), "c.css");
	assert_int_equal(cp_path_dirlen("a/b/c.css"), 4);
}

static void test_path_within_and_join(void **s)
{
	assert_true(cp_path_is_within("/a/b/c", "/a/b"));
	assert_true(cp_path_is_within("/a/b", "/a/b/"));
	assert_false(cp_path_is_within("/a/bc", "/a/b"));
	assert_true(cp_path_is_within("/anything", "/"));
	char *j = cp_path_join("a/", "b");
	assert_string_equal(j, "a/b");
	free(j);
	j = cp_path_join("", "b");
	assert_string_equal(j, "b");
	free(j);
}

static void test_glob(void **s)
{
	assert_true(cp_glob_match("*.scss", "deep/in/x.scss"));
	assert_false(cp_glob_match("*.scss", "x.css"));
	assert_true(cp_glob_match("admin/*.js", "admin/a.js"));
	assert_false(cp_glob_match("admin/*.js", "admin/sub/a.js"));
	assert_true(cp_glob_match("admin/**.js", "admin/sub/a.js"));
	assert_true(cp_glob_match("**/test/*", "a/b/test/x"));
	assert_true(cp_glob_match("file[0-9].txt", "file5.txt"));
	assert_false(cp_glob_match("file[!0-9].txt", "file5.txt"));
	cp_filter f = {0};
	cp_filter_add(&f, 1, "*.map");
	assert_true(cp_filter_pass(&f, "a.js"));
	assert_false(cp_filter_pass(&f, "a.js.map"));
	cp_filter_add(&f, 1, "CVS");
	assert_false(cp_filter_pass(&f, "a/CVS/Entries")); /* a folder, with its contents */
	assert_true(cp_filter_pass(&f, "a/CVSfile"));
	cp_filter_add(&f, 0, "*.js");
	assert_false(cp_filter_pass(&f, "a.css")); /* includes given: others are out */
	assert_true(cp_filter_pass(&f, "x/a.js"));
	cp_filter_free(&f);
}

static char *mktree(void)
{
	char tmpl[] = "/tmp/cp-walk-XXXXXX";
	return cp_xstrdup(mkdtemp(tmpl));
}

static void put(const char *dir, const char *rel, const char *text)
{
	char *p = cp_path_join(dir, rel);
	cp_error err = {0};
	assert_int_equal(cp_write_atomic(p, text, strlen(text), &err), 0);
	free(p);
}

static void rmtree(char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static void test_walk_sorted_dotfiles_links(void **s)
{
	char *d = mktree();
	put(d, "b/z.css", "z");
	put(d, "a.css", "a");
	put(d, ".hidden/x.css", "x");
	put(d, ".env", "e");
	char *link = cp_path_join(d, "lnk");
	char *target = cp_path_join(d, "b");
	assert_int_equal(symlink(target, link), 0);
	cp_walk_list l = {0};
	cp_error err = {0};
	cp_walk_opts o = {0};
	assert_int_equal(cp_walk(d, &o, &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].rel, "a.css");
	assert_string_equal(l.v[1].rel, "b/z.css");
	assert_string_equal(l.v[2].rel, "lnk/z.css"); /* symlinked folder followed */
	cp_walk_list_free(&l);
	o.dotfiles = 1;
	assert_int_equal(cp_walk(d, &o, &l, &err), 0);
	assert_int_equal(l.n, 5);
	cp_walk_list_free(&l);
	free(link), free(target);
	rmtree(d);
}

/* The walk's order is S3's: the byte order of the full key, a folder's keys
 * sorting after "a-b" and before "a0" ('-' < '/' < '0'), case and UTF-8 by
 * their bytes; and a link to a folder sorts as the folder it leads to. */
static void test_walk_s3_key_order(void **s)
{
	static const char *rels[] = {
	    "a-b",
	    "a.b",
	    "a/b-c",
	    "a/b.c",
	    "a/b/c",
	    "a/b0",
	    "a0",
	    "a b",
	    "a!",
	    "A",
	    "Z",
	    "a~",
	    "ab",
	    "e\xcc\x81",
	    "\xc3\xa9.txt",
	    "\xe6\x97\xa5/x",
	    "\xe6\x97\xa5-y",
	    "\xef\xbc\x81",
	    "b/a-b/x",
	    "b/a/x",
	    "b/a.b",
	    "b/a0/x",
	    "c-/x",
	    "c/x",
	    "c.",
	};
	size_t n = sizeof rels / sizeof *rels;
	char *d = mktree();
	for (size_t i = 0; i < n; i++) {
		char *p = cp_path_join(d, rels[i]);
		*strrchr(p, '/') = 0;
		cp_error e = {0};
		assert_int_equal(cp_mkdirs(p, &e), 0);
		free(p);
		put(d, rels[i], "x");
	}
	char *link = cp_path_join(d, "l"), *target = cp_path_join(d, "b");
	assert_int_equal(symlink(target, link), 0); /* l/a-b/x < l/a.b < l/a/x */
	char *link2 = cp_path_join(d, "l-");
	assert_int_equal(symlink(target, link2), 0); /* before "l/...": '-' < '/' */
	cp_walk_list l = {0};
	cp_error err = {0};
	cp_walk_opts o = {0};
	assert_int_equal(cp_walk(d, &o, &l, &err), 0);
	assert_int_equal(l.n, n + 8);
	for (size_t i = 1; i < l.n; i++)
		assert_true(strcmp(l.v[i - 1].rel, l.v[i].rel) < 0);
	cp_walk_list_free(&l);
	free(link), free(target), free(link2);
	rmtree(d);
}

static void test_walk_loop_and_escape(void **s)
{
	char *d = mktree();
	put(d, "a/x.css", "x");
	char *loop = cp_path_join(d, "a/up");
	assert_int_equal(symlink("..", loop), 0);
	cp_walk_list l = {0};
	cp_error err = {0};
	assert_int_not_equal(cp_walk(d, NULL, &l, &err), 0);
	assert_non_null(strstr(err.msg, "loop"));
	assert_non_null(strstr(err.path, "up"));
	cp_walk_list_free(&l);
	unlink(loop);
	/* a link leading outside every confining root */
	char *out = cp_path_join(d, "a/etc");
	assert_int_equal(symlink("/etc", out), 0);
	char real[4096];
	assert_non_null(realpath(d, real));
	const char *roots[] = {real, NULL};
	cp_walk_opts o = {.confine = roots};
	cp_error err2 = {0};
	assert_int_not_equal(cp_walk(d, &o, &l, &err2), 0);
	assert_non_null(strstr(err2.msg, "outside"));
	cp_walk_list_free(&l);
	/* with no roots given, the root itself confines: /etc is not followed */
	cp_error err3 = {0};
	assert_int_not_equal(cp_walk(d, NULL, &l, &err3), 0);
	assert_non_null(strstr(err3.msg, "outside the folder"));
	assert_non_null(strstr(err3.path, "a/etc"));
	cp_walk_list_free(&l);
	unlink(out);
	/* a file link out is refused as well (upload would publish its target) */
	assert_int_equal(symlink("/etc/passwd", out), 0);
	cp_error err4 = {0};
	assert_int_not_equal(cp_walk(d, NULL, &l, &err4), 0);
	assert_non_null(strstr(err4.msg, "outside"));
	cp_walk_list_free(&l);
	unlink(out);
	/* a dangling link is skipped, with a warning naming it */
	assert_int_equal(symlink("gone.css", out), 0);
	cp_diags dg;
	cp_diags_init(&dg);
	cp_walk_opts od = {.diags = &dg};
	cp_error err5 = {0};
	assert_int_equal(cp_walk(d, &od, &l, &err5), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].rel, "a/x.css");
	assert_int_equal(dg.n, 1);
	assert_int_equal(dg.v[0].level, CP_DIAG_WARN);
	assert_non_null(strstr(dg.v[0].path, "a/etc"));
	assert_non_null(strstr(dg.v[0].msg, "dangling"));
	assert_int_equal(l.ndangling, 1); /* named, so a sync deletes nothing there */
	assert_string_equal(l.dangling[0], "a/etc");
	cp_diags_free(&dg);
	cp_walk_list_free(&l);
	/* no_links: a destination's links are not followed at all */
	unlink(out);
	char *inner = cp_path_join(d, "a/inner");
	assert_int_equal(symlink(".", inner), 0);
	cp_diags_init(&dg);
	cp_walk_opts on = {.diags = &dg, .no_links = 1};
	assert_int_equal(cp_walk(d, &on, &l, &err5), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(dg.n, 1);
	assert_non_null(strstr(dg.v[0].msg, "not followed"));
	cp_diags_free(&dg);
	cp_walk_list_free(&l);
	free(inner);
	free(loop), free(out);
	rmtree(d);
}

/* A local write or delete lands at its own path: no link on the way. */
static void test_no_link_below(void **s)
{
	(void)s;
	char *d = mktree();
	put(d, "dst/in/x.txt", "x");
	put(d, "dst/file.txt", "f");
	put(d, "outside/victim.txt", "v");
	char real[4096], *dst = cp_path_join(d, "dst");
	assert_non_null(realpath(dst, real));
	char *ext = cp_path_join(d, "dst/ext"), *out = cp_path_join(d, "outside");
	assert_int_equal(symlink(out, ext), 0);
	char *alias = cp_path_join(d, "dst/alias");
	assert_int_equal(symlink("in", alias), 0);
	char *dang = cp_path_join(d, "dst/dang");
	assert_int_equal(symlink("/nonexistent/cdnpipe", dang), 0);
	struct {
		const char *rel;
		int ok;
	} cases[] = {
	    {"in/x.txt", 1},
	    {"new/deep/y.txt", 1},
	    {"top.txt", 1},
	    {"ext/victim.txt", 0}, /* the link leads out */
	    {"ext/new/z.txt", 0},
	    {"alias/x.txt", 0},	   /* another path to in/x.txt */
	    {"dang/z.txt", 0},	   /* a dangling link on the way */
	    {"file.txt/z.txt", 0}, /* a file where a folder should be */
	    {"ext", 1},		   /* the link itself: unlinking it touches nothing else */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (cp_path_no_link_below(real, cases[i].rel) != cases[i].ok)
			fail_msg("%s: expected %d", cases[i].rel, cases[i].ok);
	assert_false(cp_path_no_link_below(real, ""));
	/* the root swapped for a link after it was resolved: nothing passes */
	char *moved = cp_path_join(d, "dst.moved");
	assert_int_equal(rename(dst, moved), 0);
	assert_int_equal(symlink(out, dst), 0);
	assert_false(cp_path_no_link_below(real, "top.txt"));
	assert_false(cp_path_no_link_below(real, "in/x.txt"));
	free(moved);
	free(dst), free(ext), free(out), free(alias), free(dang);
	rmtree(d);
}

static void add_one(void *ctx, size_t i)
{
	atomic_fetch_add((atomic_size_t *)ctx, i + 1);
}

static void test_parallel_for(void **s)
{
	atomic_size_t sum;
	atomic_init(&sum, 0);
	cp_parallel_for(4, 1000, add_one, &sum);
	assert_int_equal(atomic_load(&sum), 1000 * 1001 / 2);
	atomic_init(&sum, 0);
	cp_parallel_for(1, 10, add_one, &sum);
	assert_int_equal(atomic_load(&sum), 55);
	cp_parallel_for(8, 0, add_one, &sum);
}

static void test_buf_and_diags(void **s)
{
	cp_buf b = CP_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		cp_buf_printf(&b, "%d,", i);
	assert_int_equal(b.data[b.len], 0);
	assert_memory_equal(b.data, "0,1,2,", 6);
	char *t = cp_buf_take(&b);
	assert_null(b.data);
	free(t);
	cp_diags d;
	cp_diags_init(&d);
	cp_diags_add(&d, CP_DIAG_ERROR, "b.css", 3, 1, "missing '%s'", "x.png");
	cp_diags_add(&d, CP_DIAG_WARN, "a.css", 9, 2, "w");
	cp_diags_add(&d, CP_DIAG_ERROR, "b.css", 1, 5, "missing 'y.png'");
	cp_diags_sort(&d);
	char line[256];
	cp_diag_format(&d.v[0], line, sizeof line);
	assert_string_equal(line, "a.css:9:2: w");
	cp_diag_format(&d.v[1], line, sizeof line);
	assert_string_equal(line, "b.css:1:5: missing 'y.png'");
	assert_int_equal(d.nerrors, 2);
	cp_diags_free(&d);
}

static void test_mime(void **s)
{
	assert_string_equal(cp_mime_type("a/B.CSS"), "text/css; charset=utf-8");
	assert_string_equal(cp_mime_type("x.woff2"), "font/woff2");
	assert_string_equal(cp_mime_type("x.unknown"), "application/octet-stream");
	assert_true(cp_mime_compressible("x.svg"));
	assert_false(cp_mime_compressible("x.png"));
	assert_false(cp_mime_compressible("x.woff"));
}

static void test_hex_and_safe_rel(void **s)
{
	unsigned char md5[16], back[16];
	char hex[33];
	cp_md5("abc", 3, md5);
	cp_hex(md5, 16, hex);
	assert_int_equal(cp_unhex(hex, back, 16), 0);
	assert_memory_equal(back, md5, 16);
	assert_int_equal(cp_unhex("0G", back, 1), -1);
	assert_int_equal(cp_hex_value('F'), 15);
	assert_int_equal(cp_hex_value('g'), -1);
	assert_true(cp_path_is_safe_rel("a/b.css"));
	assert_true(cp_path_is_safe_rel("a/..b/.c"));
	assert_false(cp_path_is_safe_rel(""));
	assert_false(cp_path_is_safe_rel("/etc/passwd"));
	assert_false(cp_path_is_safe_rel("a/../../b"));
	assert_false(cp_path_is_safe_rel("a//b"));
	assert_false(cp_path_is_safe_rel("./a"));
	assert_false(cp_path_is_safe_rel("a/"));
	assert_false(cp_path_is_safe_rel("a/b/"));
}

static void test_tmp_names(void **s)
{
	(void)s;
	char *t = cp_tmp_name("css/app.css");
	assert_true(cp_is_tmp_name(t));
	free(t);
	assert_true(cp_is_tmp_name("lib.js.tmp.123.0"));
	assert_false(cp_is_tmp_name("lib.js"));
	assert_false(cp_is_tmp_name("a.tmp.css"));
	assert_false(cp_is_tmp_name("x.tmp.12"));
	assert_false(cp_is_tmp_name("x.tmp.12.3.css"));
	assert_false(cp_is_tmp_name("x.tmp..3"));
}

/* The one file:// rule: an absolute path, with or without "localhost". */
static void test_file_url(void **state)
{
	(void)state;
	const char *p = "x";
	cp_error e = {0};
	assert_int_equal(cp_file_url("file:///srv/site", &p, &e), 0);
	assert_string_equal(p, "/srv/site");
	assert_int_equal(cp_file_url("file://localhost/srv/site", &p, &e), 0);
	assert_string_equal(p, "/srv/site");
	assert_int_equal(cp_file_url("s3://bucket/x", &p, &e), 0);
	assert_null(p);
	assert_int_equal(cp_file_url("/srv/site", &p, &e), 0);
	assert_null(p);
	assert_int_equal(cp_file_url("file://srv/site", &p, &e), CP_ERR_USAGE);
	assert_true(e.set && strstr(e.msg, "absolute path"));
	cp_error e2 = {0};
	assert_int_equal(cp_file_url("file://", &p, &e2), CP_ERR_USAGE);
	assert_true(e2.set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_normalize),
	    cmocka_unit_test(test_path_ext),
	    cmocka_unit_test(test_path_within_and_join),
	    cmocka_unit_test(test_glob),
	    cmocka_unit_test(test_walk_sorted_dotfiles_links),
	    cmocka_unit_test(test_walk_s3_key_order),
	    cmocka_unit_test(test_walk_loop_and_escape),
	    cmocka_unit_test(test_no_link_below),
	    cmocka_unit_test(test_tmp_names),
	    cmocka_unit_test(test_parallel_for),
	    cmocka_unit_test(test_buf_and_diags),
	    cmocka_unit_test(test_mime),
	    cmocka_unit_test(test_hex_and_safe_rel),
	    cmocka_unit_test(test_file_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
