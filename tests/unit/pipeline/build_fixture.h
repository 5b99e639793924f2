/*
 * build_fixture.h - what the in-process build tests share (header-only;
 * test_build.c and test_build_more.c are programs of their own): a scratch
 * folder, small trees, running cp_build, reading DIST back independently
 * (MD5 names, jansson, zlib, brotli) and a snapshot of a folder.
 */
#ifndef CP_TEST_BUILD_FIXTURE_H
#define CP_TEST_BUILD_FIXTURE_H

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

static inline char *at(const char *rel)
{
	return cp_xasprintf("%s/%s", base, rel);
}

static inline void put_bytes(const char *rel, const void *data, size_t len)
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

static inline void put(const char *rel, const char *text)
{
	put_bytes(rel, text, strlen(text));
}

static inline int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static inline int exists_in(const char *dir, const char *rel)
{
	char *p = cp_path_join(dir, rel);
	int r = exists(p);
	free(p);
	return r;
}

/* The whole file (must exist). */
static inline void slurp(const char *dir, const char *rel, cp_buf *out)
{
	char *p = cp_path_join(dir, rel);
	cp_error e = {0};
	cp_buf_clear(out);
	if (cp_read_file(p, out, &e))
		fail_msg("cannot read %s: %s", p, e.msg);
	free(p);
}

static inline void md5_hex12(const void *data, size_t len, char out[13])
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
static inline char *expected_hashed(const char *logical, const void *data, size_t len)
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

static inline int contains(const cp_buf *b, const char *needle)
{
	return b->data && memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

static inline void gunzip(const cp_buf *in, cp_buf *out)
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

static inline void unbrotli(const cp_buf *in, cp_buf *out)
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

static inline int snap_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
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

static inline int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline char *snapshot(const char *dir)
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

static inline void build_init(struct build *b, const char *root, const char *out)
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

static inline int build_run(struct build *b)
{
	cp_build_report_free(&b->r);
	cp_build_report_init(&b->r);
	return cp_build(&b->c, &b->r);
}

static inline void build_free(struct build *b)
{
	cp_build_report_free(&b->r);
	free(b->root);
	free(b->out);
}

static inline void dump_diags(const struct cp_build_report *r)
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

static inline json_t *load_manifest(const char *dist)
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

static inline const char *manifest_path(json_t *m, const char *logical)
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
static inline void django_manifest_hash(json_t *paths, char out[13])
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
static inline void make_site(const char *root)
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
static inline void check_manifest_names(const char *dist, json_t *m, size_t expect_n)
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

/* ---- fixtures ---- */

static inline int setup(void **s)
{
	(void)s;
	const char *t = getenv("TMPDIR");
	snprintf(base, sizeof base, "%s/cp-build-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(base) ? 0 : -1;
}

static inline int teardown(void **s)
{
	(void)s;
	char *cmd = cp_xasprintf("rm -rf '%s'", base);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

#endif
