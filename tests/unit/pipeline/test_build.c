/*
 * test_build.c - the whole build in-process through cp_build (pipeline.h):
 * what a user of DIST relies on, checked from the outside.  Fingerprints are
 * recomputed here from the bytes on disk, the manifest is parsed with
 * jansson, siblings are decompressed with zlib and brotli, and a failed build
 * is held to leaving DIST exactly as it was (a listing of names and MD5s
 * taken before and after).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pipeline/pipeline.h"

#include <brotli/decode.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char base[512];

/* ---- helpers ---- */

static char *at(const char *rel)
{
	return cp_xasprintf("%s/%s", base, rel);
}

static void put_bytes(const char *rel, const void *data, size_t len)
{
	char *p = at(rel);
	cp_error e = {0};
	assert_int_equal(cp_mkdirs_for(p, &e), 0);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static void put(const char *rel, const char *text)
{
	put_bytes(rel, text, strlen(text));
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int exists_in(const char *dir, const char *rel)
{
	char *p = cp_path_join(dir, rel);
	int r = exists(p);
	free(p);
	return r;
}

/* The whole file (must exist). */
static void slurp(const char *dir, const char *rel, cp_buf *out)
{
	char *p = cp_path_join(dir, rel);
	cp_error e = {0};
	cp_buf_clear(out);
	if (cp_read_file(p, out, &e))
		fail_msg("cannot read %s: %s", p, e.msg);
	free(p);
}

static void md5_hex12(const void *data, size_t len, char out[13])
{
	unsigned char md5[16];
	char hex[33];
	cp_md5(data, len, md5);
	cp_hex(md5, 16, hex);
	memcpy(out, hex, 12);
	out[12] = 0;
}

/* Django's hashed_name, by hand: "dir/name.ext" -> "dir/name.<12 hex>.ext",
 * split at the last '.' of the last segment (os.path.splitext). */
static char *expected_hashed(const char *logical, const void *data, size_t len)
{
	char h[13];
	md5_hex12(data, len, h);
	const char *slash = strrchr(logical, '/');
	const char *name = slash ? slash + 1 : logical;
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name)
		return cp_xasprintf("%s.%s", logical, h);
	return cp_xasprintf("%.*s.%s%s", (int)(dot - logical), logical, h, dot);
}

static int contains(const cp_buf *b, const char *needle)
{
	return b->data && memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

static void gunzip(const cp_buf *in, cp_buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = (unsigned char *)in->data;
	z.avail_in = (unsigned)in->len;
	cp_buf_clear(out);
	int rc;
	do {
		unsigned char chunk[4096];
		z.next_out = chunk;
		z.avail_out = sizeof chunk;
		rc = inflate(&z, Z_NO_FLUSH);
		assert_true(rc == Z_OK || rc == Z_STREAM_END);
		cp_buf_append(out, chunk, sizeof chunk - z.avail_out);
	} while (rc != Z_STREAM_END);
	assert_int_equal(z.avail_in, 0); /* one member, nothing after it */
	inflateEnd(&z);
}

static void unbrotli(const cp_buf *in, cp_buf *out)
{
	size_t cap = 1 << 20, n = cap;
	uint8_t *tmp = malloc(cap);
	assert_non_null(tmp);
	assert_int_equal(BrotliDecoderDecompress(in->len, (const uint8_t *)in->data, &n, tmp),
			 BROTLI_DECODER_RESULT_SUCCESS);
	cp_buf_clear(out);
	cp_buf_append(out, tmp, n);
	free(tmp);
}

/* A listing of every entry below a folder, sorted: "rel md5\n" for files,
 * "rel/\n" for folders.  Two equal listings mean the same names and bytes. */
static const char *snap_root;
static char **snap_v;
static size_t snap_n;

static int snap_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	const char *rel = path + strlen(snap_root);
	if (!*rel)
		return 0;
	rel++;
	char *line;
	if (type == FTW_F && S_ISREG(st->st_mode)) {
		cp_buf b = CP_BUF_INIT;
		cp_error e = {0};
		assert_int_equal(cp_read_file(path, &b, &e), 0);
		char h[13];
		md5_hex12(b.data, b.len, h);
		line = cp_xasprintf("%s %s\n", rel, h);
		cp_buf_free(&b);
	} else if (type == FTW_D) {
		line = cp_xasprintf("%s/\n", rel);
	} else {
		line = cp_xasprintf("%s ?\n", rel);
	}
	snap_v = cp_xrealloc(snap_v, (snap_n + 1) * sizeof *snap_v);
	snap_v[snap_n++] = line;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *snapshot(const char *dir)
{
	snap_root = dir;
	snap_v = NULL;
	snap_n = 0;
	if (!exists(dir))
		return cp_xstrdup("(none)\n");
	assert_int_equal(nftw(dir, snap_one, 16, FTW_PHYS), 0);
	qsort(snap_v, snap_n, sizeof *snap_v, str_cmp);
	cp_buf b = CP_BUF_INIT;
	cp_buf_puts(&b, "");
	for (size_t i = 0; i < snap_n; i++) {
		cp_buf_puts(&b, snap_v[i]);
		free(snap_v[i]);
	}
	free(snap_v);
	return b.data;
}

/* A build of one source root into out (both below base), with defaults
 * that keep the test fast; adjust the returned config before building. */
struct build {
	char *root, *out;
	const char *roots[1];
	struct cp_build_config c;
	struct cp_build_report r;
};

static void build_init(struct build *b, const char *root, const char *out)
{
	memset(b, 0, sizeof *b);
	b->root = at(root);
	b->out = at(out);
	b->roots[0] = b->root;
	b->c.roots = b->roots;
	b->c.nroots = 1;
	b->c.out = b->out;
	b->c.jobs = 2;
	cp_build_report_init(&b->r);
}

static int build_run(struct build *b)
{
	cp_build_report_free(&b->r);
	cp_build_report_init(&b->r);
	return cp_build(&b->c, &b->r);
}

static void build_free(struct build *b)
{
	cp_build_report_free(&b->r);
	free(b->root);
	free(b->out);
}

static void dump_diags(const struct cp_build_report *r)
{
	char line[2048];
	for (size_t i = 0; i < r->diags.n; i++) {
		cp_diag_format(&r->diags.v[i], line, sizeof line);
		print_message("  diag: %s\n", line);
	}
	if (r->err.set) {
		cp_error_format(&r->err, line, sizeof line);
		print_message("  err: %s\n", line);
	}
}

static json_t *load_manifest(const char *dist)
{
	char *p = cp_path_join(dist, "staticfiles.json");
	json_error_t je;
	json_t *m = json_load_file(p, 0, &je);
	if (!m)
		fail_msg("%s: %s", p, je.text);
	free(p);
	assert_true(json_is_object(m));
	return m;
}

static const char *manifest_path(json_t *m, const char *logical)
{
	json_t *paths = json_object_get(m, "paths");
	assert_true(json_is_object(paths));
	const char *v = json_string_value(json_object_get(paths, logical));
	if (!v)
		fail_msg("staticfiles.json has no entry for %s", logical);
	return v;
}

/* Django 4.2's manifest_hash, by hand: the first 12 hex of the MD5 of
 * json.dumps(sorted(paths.items())) (ASCII names only here). */
static void django_manifest_hash(json_t *paths, char out[13])
{
	size_t n = json_object_size(paths);
	const char **keys = cp_xcalloc(n + 1, sizeof *keys);
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach(paths, k, v)
	{
		keys[i++] = k;
	}
	qsort(keys, n, sizeof *keys, str_cmp);
	cp_buf b = CP_BUF_INIT;
	cp_buf_puts(&b, "[");
	for (i = 0; i < n; i++) {
		char *item = cp_xasprintf("%s[\"%s\", \"%s\"]", i ? ", " : "", keys[i],
					  json_string_value(json_object_get(paths, keys[i])));
		cp_buf_puts(&b, item);
		free(item);
	}
	cp_buf_puts(&b, "]");
	md5_hex12(b.data, b.len, out);
	cp_buf_free(&b);
	free(keys);
}

/* ---- the trees ---- */

static const unsigned char logo_png[] = {0x89, 'P',  'N',  'G',	 '\r', '\n', 0x1a, '\n',
					 0x00, 0x00, 0x00, 0x0d, 'I',  'H',  'D',  'R',
					 0x00, 0xff, 0x7f, 0x80, 0x00, 0x01, 0x02, 0x03};

/* css/app.css @imports css/base.css and references img/logo.png; it is
 * big and repetitive enough for its compressed siblings to be kept. */
static void make_site(const char *root)
{
	char *rel;
	cp_buf css = CP_BUF_INIT;
	cp_buf_puts(&css, "@import \"base.css\";\n"
			  ".logo {\n"
			  "  background: url(\"../img/logo.png\") no-repeat;\n"
			  "}\n");
	for (int i = 0; i < 150; i++) {
		char *rule =
		    cp_xasprintf(".item-%d {\n  padding: %dpx;\n  color: #336699;\n}\n", i, i % 7);
		cp_buf_puts(&css, rule);
		free(rule);
	}
	rel = cp_xasprintf("%s/css/app.css", root);
	put(rel, css.data);
	free(rel);
	cp_buf_free(&css);

	rel = cp_xasprintf("%s/css/base.css", root);
	put(rel, "body {\n  margin: 0;\n  color: #ff0000;\n}\n");
	free(rel);

	cp_buf js = CP_BUF_INIT;
	for (int i = 0; i < 60; i++) {
		char *fn = cp_xasprintf("function hello%d(name) {\n"
					"  var greeting = \"Hello, \" + name;\n"
					"  return greeting;\n"
					"}\n",
					i);
		cp_buf_puts(&js, fn);
		free(fn);
	}
	rel = cp_xasprintf("%s/js/app.js", root);
	put(rel, js.data);
	free(rel);
	cp_buf_free(&js);

	rel = cp_xasprintf("%s/img/logo.png", root);
	put_bytes(rel, logo_png, sizeof logo_png);
	free(rel);
}

static const char *const site_files[] = {"css/app.css", "css/base.css", "img/logo.png",
					 "js/app.js"};
#define NSITE (sizeof site_files / sizeof *site_files)

/* Every logical path is in the manifest, and its value names a file of DIST
 * whose name is the MD5 of its own bytes. */
static void check_manifest_names(const char *dist, json_t *m, size_t expect_n)
{
	json_t *paths = json_object_get(m, "paths");
	assert_true(json_is_object(paths));
	assert_int_equal(json_object_size(paths), expect_n);
	const char *k;
	json_t *v;
	cp_buf b = CP_BUF_INIT;
	json_object_foreach(paths, k, v)
	{
		const char *h = json_string_value(v);
		assert_non_null(h);
		slurp(dist, h, &b);
		char *want = expected_hashed(k, b.data, b.len);
		assert_string_equal(h, want);
		free(want);
	}
	cp_buf_free(&b);
}

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

/* ---- fixtures ---- */

static int setup(void **s)
{
	(void)s;
	const char *t = getenv("TMPDIR");
	snprintf(base, sizeof base, "%s/cp-build-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **s)
{
	(void)s;
	char *cmd = cp_xasprintf("rm -rf '%s'", base);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_site),
	    cmocka_unit_test(test_build_only_hashed),
	    cmocka_unit_test(test_build_missing_reference),
	    cmocka_unit_test(test_build_js_syntax_error),
	    cmocka_unit_test(test_build_blocked_output),
	    cmocka_unit_test(test_build_usage_errors),
	    cmocka_unit_test(test_build_deterministic),
	    cmocka_unit_test(test_build_rebuild),
	    cmocka_unit_test(test_build_no_minify),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
