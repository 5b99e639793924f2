/* Unit tests for upload/plan.c: what a deploy sends, skips, and with which
 * headers - built from a real DIST folder (written here) and fabricated
 * listings, so no server is involved.  Expected MD5s and multipart ETags
 * are computed here from the bytes the test wrote, not taken from the
 * planner. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "upload/target/target_impl.h"
#include "upload/publish/publish.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dist[256];

static void put_file(const char *rel, const char *data, size_t len)
{
	char *p = cp_path_join(dist, rel);
	cp_error e = {0};
	assert_int_equal(cp_mkdirs_for(p, &e), 0);
	assert_int_equal(cp_write_atomic(p, data, len, &e), 0);
	free(p);
}

static void put_str(const char *rel, const char *s)
{
	put_file(rel, s, strlen(s));
}

static const char *manifest_json =
    "{\"paths\": {\"css/app.css\": \"css/app.0123456789ab.css\", "
    "\"img/logo.png\": \"img/logo.aaaaaaaaaaaa.png\"}, \"version\": \"1.1\", "
    "\"hash\": \"abcdefabcdef\"}";

static int setup(void **state)
{
	snprintf(dist, sizeof dist, "/tmp/test_plan.XXXXXX");
	assert_non_null(mkdtemp(dist));
	put_str("css/app.css", "body{color:red}");
	put_str("css/app.0123456789ab.css", "body{color:red}");
	put_str("css/app.0123456789ab.css.gz", "GZ-BYTES-OF-APP-CSS");
	put_str("css/app.0123456789ab.css.br", "BR");
	put_str("css/app.css.gz", "GZ-UNHASHED");
	put_str("css/app.bbbbbbbbbbbb.css", "an older build"); /* kept for rolling deploys */
	put_str("img/logo.png", "PNG");
	put_str("img/logo.aaaaaaaaaaaa.png", "PNG");
	put_str("robots.txt", "User-agent: *\n");
	put_str("archive.tar.gz", "a lone archive, not a sibling");
	put_str("dir with space/caf\xc3\xa9 +=&()~%.txt", "odd name");
	put_str("staticfiles.json", manifest_json);
	put_str("x.css.tmp.123.4", "a crashed run's temporary file");
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dist);
	return system(cmd);
}

static void md5_hex_of(const char *s, size_t len, char out[33])
{
	unsigned char d[16];
	cp_md5(s, len, d);
	cp_hex(d, 16, out);
}

static int plan_with(const cp_remote_list *rl, const cp_plan_opts *o, cp_plan *p, cp_error *e)
{
	cp_dist_file *f;
	size_t n;
	assert_int_equal(cp_dist_scan(dist, &f, &n, NULL, e), 0);
	int rc = cp_plan_build(f, n, rl, NULL, o, p, e);
	cp_dist_free(f, n);
	return rc;
}

static const cp_plan_item *find(const cp_plan *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].key, key))
			return &p->v[i];
	return NULL;
}

static void test_new_bucket_headers(void **s)
{
	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(NULL, NULL, &p, &e), 0);
	assert_int_equal(p.n, 12); /* the temporary file is not a key */
	assert_null(find(&p, "x.css.tmp.123.4"));
	assert_int_equal(p.n_upload, 12);
	for (size_t i = 0; i < p.n; i++) {
		assert_int_equal(p.v[i].action, CP_PLAN_UPLOAD);
		assert_int_equal(p.v[i].reason, CP_WHY_NEW);
	}
	const cp_plan_item *it = find(&p, "css/app.0123456789ab.css");
	assert_string_equal(it->content_type, "text/css; charset=utf-8");
	assert_string_equal(it->cache_control, CP_CACHE_IMMUTABLE);
	assert_null(it->content_encoding);
	assert_false(it->manifest);

	it = find(&p, "css/app.0123456789ab.css.gz");
	assert_string_equal(it->content_type, "text/css; charset=utf-8");
	assert_string_equal(it->cache_control, "public, max-age=31536000, immutable");
	assert_string_equal(it->content_encoding, "gzip");
	it = find(&p, "css/app.0123456789ab.css.br");
	assert_string_equal(it->content_type, "text/css; charset=utf-8");
	assert_string_equal(it->content_encoding, "br");
	assert_true(it->fingerprinted);

	it = find(&p, "css/app.css");
	assert_string_equal(it->cache_control, "public, max-age=300");
	assert_false(it->fingerprinted);
	it = find(&p, "css/app.css.gz"); /* sibling of an unhashed file */
	assert_string_equal(it->cache_control, "public, max-age=300");
	assert_string_equal(it->content_encoding, "gzip");
	assert_string_equal(it->content_type, "text/css; charset=utf-8");

	it = find(&p, "css/app.bbbbbbbbbbbb.css"); /* older fingerprint of a manifest file */
	assert_string_equal(it->cache_control, CP_CACHE_IMMUTABLE);

	it = find(&p, "archive.tar.gz"); /* no archive.tar beside it: a file, not an encoding */
	assert_null(it->content_encoding);
	assert_string_equal(it->content_type, "application/gzip");
	assert_string_equal(it->cache_control, CP_CACHE_UNHASHED);

	it = find(&p, "img/logo.aaaaaaaaaaaa.png");
	assert_string_equal(it->content_type, "image/png");
	assert_string_equal(it->cache_control, CP_CACHE_IMMUTABLE);

	/* the manifest: last, no-cache */
	it = &p.v[p.n - 1];
	assert_string_equal(it->key, "staticfiles.json");
	assert_true(it->manifest);
	assert_string_equal(it->cache_control, "no-cache");
	assert_string_equal(it->content_type, "application/json; charset=utf-8");
	for (size_t i = 0; i + 1 < p.n; i++)
		assert_false(p.v[i].manifest);
	assert_null(p.acl);
	cp_plan_free(&p);
}

static void test_skip_rules(void **s)
{
	cp_remote_list rl = {0};
	char hex[33], q[40];
	/* fingerprinted, same size, ETag that is not even the MD5: skipped by name */
	cp_remote_list_add(&rl, "css/app.0123456789ab.css", 15,
			   "\"ffffffffffffffffffffffffffffffff\"");
	/* fingerprinted sibling, same size */
	cp_remote_list_add(&rl, "css/app.0123456789ab.css.gz", 19,
			   "00000000000000000000000000000000");
	/* fingerprinted, other size: re-sent */
	cp_remote_list_add(&rl, "css/app.0123456789ab.css.br", 3,
			   "00000000000000000000000000000000");
	/* unhashed, same size, same MD5 (quoted, as S3 sends it) */
	md5_hex_of("body{color:red}", 15, hex);
	snprintf(q, sizeof q, "\"%s\"", hex);
	cp_remote_list_add(&rl, "css/app.css", 15, q);
	/* unhashed, same size, other content */
	cp_remote_list_add(&rl, "robots.txt", 14, "0123456789abcdef0123456789abcdef");
	/* unhashed, other size */
	cp_remote_list_add(&rl, "img/logo.png", 4, hex);
	/* manifest unchanged */
	md5_hex_of(manifest_json, strlen(manifest_json), hex);
	cp_remote_list_add(&rl, "staticfiles.json", strlen(manifest_json), hex);
	/* keys only in the bucket are left alone (nothing is deleted) */
	cp_remote_list_add(&rl, "old/gone.css", 1, hex);

	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(&rl, NULL, &p, &e), 0);
	const cp_plan_item *it = find(&p, "css/app.0123456789ab.css");
	assert_int_equal(it->action, CP_PLAN_SKIP);
	assert_int_equal(it->reason, CP_WHY_HASHED_EXISTS);
	it = find(&p, "css/app.0123456789ab.css.gz");
	assert_int_equal(it->action, CP_PLAN_SKIP);
	assert_int_equal(it->reason, CP_WHY_HASHED_EXISTS);
	it = find(&p, "css/app.0123456789ab.css.br");
	assert_int_equal(it->action, CP_PLAN_UPLOAD);
	assert_int_equal(it->reason, CP_WHY_SIZE);
	it = find(&p, "css/app.css");
	assert_int_equal(it->action, CP_PLAN_SKIP);
	assert_int_equal(it->reason, CP_WHY_SAME_ETAG);
	it = find(&p, "robots.txt");
	assert_int_equal(it->action, CP_PLAN_UPLOAD);
	assert_int_equal(it->reason, CP_WHY_ETAG);
	assert_true(it->have_md5); /* kept for the PUT's Content-MD5 */
	md5_hex_of("User-agent: *\n", 14, hex);
	char got[33];
	cp_hex(it->md5, 16, got);
	assert_string_equal(got, hex);
	it = find(&p, "img/logo.png");
	assert_int_equal(it->action, CP_PLAN_UPLOAD);
	assert_int_equal(it->reason, CP_WHY_SIZE);
	it = find(&p, "staticfiles.json");
	assert_int_equal(it->action, CP_PLAN_SKIP);
	assert_int_equal(it->reason, CP_WHY_SAME_ETAG);
	assert_null(find(&p, "old/gone.css"));
	assert_int_equal(p.n_skip, 4);
	assert_int_equal(p.n_upload, p.n - 4);
	cp_plan_free(&p);
	cp_remote_list_free(&rl);
}

/* The listing's order must not matter: s3rver lists in file-system order. */
static void test_listing_order_irrelevant(void **s)
{
	const char *keys[] = {"staticfiles.json", "robots.txt", "css/app.css",
			      "img/logo.aaaaaaaaaaaa.png", "css/app.0123456789ab.css"};
	const char *bodies[] = {manifest_json, "User-agent: *\n", "body{color:red}", "PNG",
				"body{color:red}"};
	cp_remote_list fwd = {0}, rev = {0};
	for (int i = 0; i < 5; i++) {
		char hex[33];
		md5_hex_of(bodies[i], strlen(bodies[i]), hex);
		cp_remote_list_add(&fwd, keys[i], strlen(bodies[i]), hex);
	}
	for (int i = 4; i >= 0; i--)
		cp_remote_list_add(&rev, fwd.v[i].key, fwd.v[i].size, fwd.v[i].etag);
	cp_plan a, b;
	cp_error e = {0};
	assert_int_equal(plan_with(&fwd, NULL, &a, &e), 0);
	assert_int_equal(plan_with(&rev, NULL, &b, &e), 0);
	assert_int_equal(a.n, b.n);
	assert_int_equal(a.n_skip, 5);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.v[i].key, b.v[i].key);
		assert_int_equal(a.v[i].action, b.v[i].action);
		assert_int_equal(a.v[i].reason, b.v[i].reason);
	}
	cp_plan_free(&a);
	cp_plan_free(&b);
	cp_remote_list_free(&fwd);
	cp_remote_list_free(&rev);
}

static void test_encoding_gzip(void **s)
{
	cp_plan_opts o = {.encoding = CP_ENC_GZIP};
	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(NULL, &o, &p, &e), 0);
	const cp_plan_item *it = find(&p, "css/app.0123456789ab.css");
	assert_int_equal(it->action, CP_PLAN_UPLOAD);
	assert_string_equal(it->content_encoding, "gzip");
	assert_string_equal(it->content_type, "text/css; charset=utf-8");
	/* no-transform: R2 and GCS would otherwise decompress it for some clients */
	assert_string_equal(it->cache_control, "public, max-age=31536000, immutable, no-transform");
	assert_int_equal(it->size, strlen("GZ-BYTES-OF-APP-CSS"));
	assert_non_null(strstr(it->local, "css/app.0123456789ab.css.gz"));
	it = find(&p, "css/app.css");
	assert_string_equal(it->content_encoding, "gzip");
	assert_non_null(strstr(it->local, "css/app.css.gz"));
	assert_string_equal(it->cache_control, "public, max-age=300, no-transform");
	/* siblings are not keys of their own */
	assert_int_equal(find(&p, "css/app.0123456789ab.css.gz")->action, CP_PLAN_SKIP);
	assert_int_equal(find(&p, "css/app.0123456789ab.css.gz")->reason, CP_WHY_ENCODING);
	assert_int_equal(find(&p, "css/app.0123456789ab.css.br")->action, CP_PLAN_SKIP);
	/* a file without a .gz keeps its own bytes and no encoding */
	it = find(&p, "robots.txt");
	assert_null(it->content_encoding);
	assert_int_equal(it->size, 14);
	assert_string_equal(it->cache_control, CP_CACHE_UNHASHED);
	/* a manifest keeps its plain bytes: Django reads it, not a browser */
	put_str("staticfiles.json.gz", "GZ-OF-MANIFEST");
	cp_plan_free(&p);
	assert_int_equal(plan_with(NULL, &o, &p, &e), 0);
	it = find(&p, "staticfiles.json");
	assert_null(it->content_encoding);
	assert_int_equal(it->size, strlen(manifest_json));
	assert_int_equal(find(&p, "staticfiles.json.gz")->action, CP_PLAN_SKIP);
	char *mgz = cp_path_join(dist, "staticfiles.json.gz");
	unlink(mgz);
	free(mgz);
	/* a lone .gz is still a file */
	assert_int_equal(find(&p, "archive.tar.gz")->action, CP_PLAN_UPLOAD);
	assert_null(find(&p, "archive.tar.gz")->content_encoding);
	cp_plan_free(&p);
}

static void test_encoding_gzip_skip_by_gz_size(void **s)
{
	/* bucket holds the plain body (siblings mode before): the size differs */
	cp_remote_list rl = {0};
	cp_remote_list_add(&rl, "css/app.0123456789ab.css", 15, "x");
	cp_plan_opts o = {.encoding = CP_ENC_GZIP};
	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(&rl, &o, &p, &e), 0);
	assert_int_equal(find(&p, "css/app.0123456789ab.css")->action, CP_PLAN_UPLOAD);
	cp_plan_free(&p);
	cp_remote_list_free(&rl);
	cp_remote_list_add(&rl, "css/app.0123456789ab.css", strlen("GZ-BYTES-OF-APP-CSS"), "x");
	assert_int_equal(plan_with(&rl, &o, &p, &e), 0);
	assert_int_equal(find(&p, "css/app.0123456789ab.css")->action, CP_PLAN_SKIP);
	cp_plan_free(&p);
	cp_remote_list_free(&rl);
}

/* A listing that names a key twice: the same object twice changes nothing,
 * two different objects under one key are sent (which is there cannot be
 * told, whichever copy comes first). */
static void test_listed_twice(void **s)
{
	const char *key = "css/app.0123456789ab.css";
	for (int order = 0; order < 2; order++) {
		cp_remote_list rl = {0};
		cp_remote_list_add(&rl, key, 15, "x");
		cp_remote_list_add(&rl, key, 15, "x");
		cp_plan p;
		cp_error e = {0};
		assert_int_equal(plan_with(&rl, NULL, &p, &e), 0);
		assert_int_equal(find(&p, key)->action, CP_PLAN_SKIP);
		cp_plan_free(&p);
		cp_remote_list_free(&rl);
		/* same size, another ETag: first or last, it is sent */
		cp_remote_list_add(&rl, key, 15, order ? "y" : "x");
		cp_remote_list_add(&rl, key, 15, order ? "x" : "y");
		assert_int_equal(plan_with(&rl, NULL, &p, &e), 0);
		assert_int_equal(find(&p, key)->action, CP_PLAN_UPLOAD);
		assert_int_equal(find(&p, key)->reason, CP_WHY_LISTED_TWICE);
		cp_plan_free(&p);
		cp_remote_list_free(&rl);
		/* three times, the odd one in the middle */
		cp_remote_list_add(&rl, key, 15, "x");
		cp_remote_list_add(&rl, key, order ? 16 : 15, "y");
		cp_remote_list_add(&rl, key, 15, "x");
		assert_int_equal(plan_with(&rl, NULL, &p, &e), 0);
		assert_int_equal(find(&p, key)->action, CP_PLAN_UPLOAD);
		cp_plan_free(&p);
		cp_remote_list_free(&rl);
	}
}

static void test_encoding_none_and_options(void **s)
{
	cp_plan_opts o = {.encoding = CP_ENC_NONE,
			  .cache_control_unhashed = "public, max-age=60",
			  .acl = "public-read"};
	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(NULL, &o, &p, &e), 0);
	for (size_t i = 0; i < p.n; i++)
		assert_null(p.v[i].content_encoding);
	assert_int_equal(find(&p, "css/app.0123456789ab.css.br")->action, CP_PLAN_SKIP);
	assert_int_equal(find(&p, "css/app.css.gz")->action, CP_PLAN_SKIP);
	assert_string_equal(find(&p, "robots.txt")->cache_control, "public, max-age=60");
	assert_string_equal(find(&p, "css/app.0123456789ab.css")->cache_control,
			    CP_CACHE_IMMUTABLE);
	assert_string_equal(find(&p, "staticfiles.json")->cache_control, "no-cache");
	assert_string_equal(p.acl, "public-read");
	assert_int_equal(cp_encoding_parse("siblings"), CP_ENC_SIBLINGS);
	assert_int_equal(cp_encoding_parse("gzip"), CP_ENC_GZIP);
	assert_int_equal(cp_encoding_parse("none"), CP_ENC_NONE);
	assert_int_equal(cp_encoding_parse("brotli"), -1);
	cp_plan_free(&p);
}

/* A big file listed with an AWS multipart ETag, and with s3rver's plain MD5. */
static void test_multipart_etag(void **s)
{
	size_t len = (8u << 20) + 12345, part = 8u << 20;
	char *big = malloc(len);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)(i * 2654435761u >> 13);
	put_file("media/big.bin", big, len);
	unsigned char parts[32];
	cp_md5(big, part, parts);
	cp_md5(big + part, len - part, parts + 16);
	char whole[33], mp[48];
	md5_hex_of((const char *)parts, 32, mp);
	strcat(mp, "-2");
	md5_hex_of(big, len, whole);

	cp_remote_list rl = {0};
	cp_remote_list_add(&rl, "media/big.bin", len, mp);
	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(&rl, NULL, &p, &e), 0);
	assert_int_equal(find(&p, "media/big.bin")->reason, CP_WHY_SAME_ETAG);
	cp_plan_free(&p);
	cp_remote_list_free(&rl);

	cp_remote_list_add(&rl, "media/big.bin", len, whole);
	assert_int_equal(plan_with(&rl, NULL, &p, &e), 0);
	assert_int_equal(find(&p, "media/big.bin")->reason, CP_WHY_SAME_ETAG);
	cp_plan_free(&p);
	cp_remote_list_free(&rl);

	mp[0] = mp[0] == 'a' ? 'b' : 'a'; /* another multipart object */
	cp_remote_list_add(&rl, "media/big.bin", len, mp);
	assert_int_equal(plan_with(&rl, NULL, &p, &e), 0);
	assert_int_equal(find(&p, "media/big.bin")->reason, CP_WHY_ETAG);
	cp_plan_free(&p);
	cp_remote_list_free(&rl);

	char *path = cp_path_join(dist, "media/big.bin");
	unlink(path);
	free(path);
	free(big);
}

static void test_bad_manifest_is_an_error(void **s)
{
	put_str("sub/staticfiles.json", "{\"paths\": [");
	cp_plan p;
	cp_error e = {0};
	assert_int_not_equal(plan_with(NULL, NULL, &p, &e), 0);
	assert_true(e.set);
	assert_non_null(strstr(e.path, "staticfiles.json"));
	char *path = cp_path_join(dist, "sub/staticfiles.json");
	unlink(path);
	free(path);
}

/* A manifest in a sub-folder names keys relative to that folder. */
static void test_manifest_in_subfolder(void **s)
{
	put_str("admin/staticfiles.json",
		"{\"paths\": {\"a.js\": \"a.111111111111.js\"}, \"version\": \"1.0\"}");
	put_str("admin/a.111111111111.js", "x");
	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(NULL, NULL, &p, &e), 0);
	assert_string_equal(find(&p, "admin/a.111111111111.js")->cache_control, CP_CACHE_IMMUTABLE);
	assert_true(find(&p, "admin/staticfiles.json")->manifest);
	assert_true(p.v[p.n - 1].manifest && p.v[p.n - 2].manifest);
	cp_plan_free(&p);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/admin'", dist);
	assert_int_equal(system(cmd), 0);
}

/* An author's file named like a fingerprint ("lib.0123456789ab.js" beside
 * "lib.js") is a logical name in the manifest: compared like any file, not
 * skipped by name, not served as immutable (issue 9, defect 7). */
static void test_author_file_named_like_a_fingerprint(void **s)
{
	put_str("vendor/staticfiles.json",
		"{\"paths\": {\"lib.js\": \"lib.111111111111.js\", "
		"\"lib.0123456789ab.js\": \"lib.0123456789ab.222222222222.js\"}, "
		"\"version\": \"1.1\"}");
	put_str("vendor/lib.js", "v1");
	put_str("vendor/lib.111111111111.js", "v1");
	put_str("vendor/lib.0123456789ab.js", "v2 changed");
	put_str("vendor/lib.0123456789ab.222222222222.js", "v2 changed");
	cp_remote_list rl = {0};
	/* the old bytes, same length */
	cp_remote_list_add(&rl, "vendor/lib.0123456789ab.js", 10,
			   "0123456789abcdef0123456789abcdef");
	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(&rl, NULL, &p, &e), 0);
	const cp_plan_item *it = find(&p, "vendor/lib.0123456789ab.js");
	assert_int_equal(it->action, CP_PLAN_UPLOAD);
	assert_false(it->fingerprinted);
	assert_string_equal(it->cache_control, CP_CACHE_UNHASHED);
	it = find(&p, "vendor/lib.0123456789ab.222222222222.js");
	assert_true(it->fingerprinted);
	assert_string_equal(it->cache_control, CP_CACHE_IMMUTABLE);
	cp_plan_free(&p);
	cp_remote_list_free(&rl);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s/vendor'", dist);
	assert_int_equal(system(cmd), 0);
}

/* ---- publish, on a fake target that records the order of puts ---- */

struct fake {
	struct cp_target base;
	pthread_mutex_t lock;
	char *order[64];
	int n;
	const char *fail; /* puts of keys containing this fail */
};

static int fake_put(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
		    const unsigned char *md5, cp_error *err)
{
	struct fake *f = (struct fake *)t;
	if (f->fail && strstr(key, f->fail))
		return cp_error_set(err, key, 0, 0, "injected failure");
	pthread_mutex_lock(&f->lock);
	f->order[f->n++] = cp_xstrdup(key);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static const struct cp_target_ops fake_ops = {.scheme = "fake", .put = fake_put};

static void fake_free(struct fake *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->order[i]);
}

static void test_publish_manifest_last(void **s)
{
	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(NULL, NULL, &p, &e), 0);
	struct fake f = {.base.ops = &fake_ops, .lock = PTHREAD_MUTEX_INITIALIZER};
	cp_publish_opts o = {.concurrency = 4};
	cp_publish_result r;
	assert_int_equal(cp_publish(&f.base, &p, &o, &r, &e), 0);
	assert_int_equal(f.n, (int)p.n);
	assert_string_equal(f.order[f.n - 1], "staticfiles.json");
	assert_true(r.manifest_sent);
	assert_int_equal(r.uploaded, p.n);
	assert_int_equal(r.failed, 0);
	for (size_t i = 0; i < p.n; i++)
		assert_int_equal(p.v[i].status, CP_ITEM_DONE);
	fake_free(&f);
	cp_plan_free(&p);
}

static void test_publish_failure_holds_manifest(void **s)
{
	cp_plan p;
	cp_error e = {0};
	assert_int_equal(plan_with(NULL, NULL, &p, &e), 0);
	struct fake f = {.base.ops = &fake_ops, .lock = PTHREAD_MUTEX_INITIALIZER, .fail = "logo"};
	cp_publish_opts o = {.concurrency = 3};
	cp_publish_result r;
	assert_int_equal(cp_publish(&f.base, &p, &o, &r, &e), CP_ERR_BUILD);
	assert_non_null(strstr(e.msg, "manifest was not uploaded"));
	assert_int_equal(r.failed, 2); /* img/logo.png and its fingerprinted copy */
	assert_false(r.manifest_sent);
	for (int i = 0; i < f.n; i++)
		assert_string_not_equal(f.order[i], "staticfiles.json");
	assert_int_equal(f.n, (int)p.n - 3); /* every other asset was still sent */
	for (size_t i = 0; i < p.n; i++) {
		const cp_plan_item *it = &p.v[i];
		if (strstr(it->key, "logo")) {
			assert_int_equal(it->status, CP_ITEM_FAILED);
			assert_string_equal(it->error, "injected failure");
		} else if (it->manifest) {
			assert_int_equal(it->status, CP_ITEM_PENDING);
		} else {
			assert_int_equal(it->status, CP_ITEM_DONE);
		}
	}
	fake_free(&f);
	cp_plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_bucket_headers),
	    cmocka_unit_test(test_skip_rules),
	    cmocka_unit_test(test_listing_order_irrelevant),
	    cmocka_unit_test(test_encoding_gzip),
	    cmocka_unit_test(test_encoding_gzip_skip_by_gz_size),
	    cmocka_unit_test(test_encoding_none_and_options),
	    cmocka_unit_test(test_multipart_etag),
	    cmocka_unit_test(test_bad_manifest_is_an_error),
	    cmocka_unit_test(test_manifest_in_subfolder),
	    cmocka_unit_test(test_author_file_named_like_a_fingerprint),
	    cmocka_unit_test(test_listed_twice),
	    cmocka_unit_test(test_publish_manifest_last),
	    cmocka_unit_test(test_publish_failure_holds_manifest),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
