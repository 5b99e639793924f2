/* Unit tests for manifest/dialects.c and read.c: dialect and SRI option
 * parsing, the integrity value (checked against a digest computed here),
 * each dialect read back by read.c to the same names and paths, Phoenix
 * keeping an earlier build's digests only while their files exist, and the
 * "did you mean" suggestion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "manifest/manifest.h"

#include <jansson.h>
#include <string.h>

static void test_parse_options(void **s)
{
	unsigned d;
	assert_int_equal(cp_manifest_dialects_parse("django", &d), 0);
	assert_int_equal(d, CP_MF_DJANGO);
	assert_int_equal(cp_manifest_dialects_parse("vite, flat,propshaft", &d), 0);
	assert_int_equal(d, CP_MF_VITE | CP_MF_SYMFONY | CP_MF_PROPSHAFT);
	assert_int_equal(cp_manifest_dialects_parse("all", &d), 0);
	assert_int_equal(d, CP_MF_ALL);
	assert_int_equal(cp_manifest_dialects_parse("webpack", &d), -1);
	assert_int_equal(cp_manifest_dialects_parse("", &d), -1);
	cp_sri sri;
	assert_int_equal(cp_sri_parse("sha384", &sri), 0);
	assert_int_equal(sri.n, 1);
	assert_int_equal(cp_sri_parse("sha256,sha512", &sri), 0);
	assert_int_equal(sri.n, 2);
	assert_int_equal(cp_sri_parse("md5", &sri), -1);
	assert_int_equal(cp_sri_parse("sha384,sha384", &sri), -1);
	assert_true(cp_manifest_is_name(".vite/manifest.json"));
	assert_true(
	    cp_manifest_is_name(".sprockets-manifest-0123456789abcdef0123456789abcdef.json"));
	assert_false(cp_manifest_is_name("css/manifest.json"));
	assert_false(cp_manifest_is_name("app.json"));
}

static void test_sri_value(void **s)
{
	/* SHA-256 of "abc" is ba7816bf...; its base64 is the FIPS 180-2 example's */
	cp_digests d;
	memset(&d, 0, sizeof d);
	cp_sha256("abc", 3, d.sha256);
	cp_sri sri;
	cp_sri_parse("sha256", &sri);
	char v[CP_SRI_MAX];
	cp_sri_format(&sri, &d, v);
	assert_string_equal(v, "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
	assert_int_equal(cp_sri_digests(&sri), CP_DIGEST_SHA256);
}

static const cp_manifest_file files[] = {
    {
	"css/app.css",
	"css/app.0123456789ab.css",
	10,
	1700000000,
	"0123456789ab"
	"0123456789abcdef0123",
	"aa",
	"bb",
	"sha384-AAAA",
	1,
    },
    {
	"js/a b.js",
	"js/a b.fedcba987654.js",
	20,
	1700000001,
	"fedcba987654"
	"0123456789abcdef0123",
	"cc",
	"dd",
	"sha384-BBBB",
	0,
    },
};

static void render(enum cp_manifest_dialect d, const cp_manifest_opts *o, cp_buf *out)
{
	cp_buf_free(out);
	cp_manifest_render(d, files, 2, o, out);
}

/* Every dialect reads back to the same two names and paths. */
static void test_read_back(void **s)
{
	const enum cp_manifest_dialect all[] = {CP_MF_DJANGO,  CP_MF_PROPSHAFT, CP_MF_SPROCKETS,
						CP_MF_PHOENIX, CP_MF_VITE,	CP_MF_MIX,
						CP_MF_SYMFONY};
	const char *names[] = {"django", "propshaft", "sprockets", "phoenix",
			       "vite",	 "mix",	      "flat"};
	cp_buf b = CP_BUF_INIT;
	for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
		render(all[k], NULL, &b);
		cp_manifest_index m;
		cp_error e = {0};
		assert_int_equal(cp_manifest_read(b.data, b.len, &m, &e), 0);
		assert_string_equal(m.dialect, names[k]);
		assert_int_equal(m.n, 2);
		for (size_t i = 0; i < 2; i++) {
			const cp_manifest_ref *r = cp_manifest_find(&m, files[i].logical);
			assert_non_null(r);
			assert_string_equal(r->hashed, files[i].hashed);
			if (all[k] == CP_MF_PROPSHAFT || all[k] == CP_MF_VITE ||
			    all[k] == CP_MF_SPROCKETS)
				assert_string_equal(r->integrity, files[i].integrity);
			if (all[k] == CP_MF_PHOENIX)
				assert_string_equal(r->integrity, i ? "sha512-dd" : "sha512-bb");
		}
		cp_manifest_index_free(&m);
	}
	/* the symfony prefix goes on both sides, as given */
	cp_manifest_opts o = {.prefix = "build/"};
	render(CP_MF_SYMFONY, &o, &b);
	json_t *j = json_loadb(b.data, b.len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "build/css/app.css")),
			    "build/css/app.0123456789ab.css");
	json_decref(j);
	/* vite: isEntry only where asked, src = the key */
	render(CP_MF_VITE, NULL, &b);
	j = json_loadb(b.data, b.len, 0, NULL);
	assert_true(json_is_true(json_object_get(json_object_get(j, "css/app.css"), "isEntry")));
	assert_null(json_object_get(json_object_get(j, "js/a b.js"), "isEntry"));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "js/a b.js"), "src")),
	    "js/a b.js");
	json_decref(j);
	cp_buf_free(&b);
}

static int only_old_one(void *ctx, const char *hashed)
{
	(void)ctx;
	return !strcmp(hashed, "css/app.111111111111.css");
}

static void test_phoenix_keeps_what_is_there(void **s)
{
	const char *prev =
	    "{\"digests\": {"
	    "\"css/app.111111111111.css\": {\"digest\": \"x\", \"logical_path\": "
	    "\"css/app.css\", \"mtime\": 63000000000, \"sha512\": \"s\", \"size\": 3},"
	    "\"css/app.222222222222.css\": {\"digest\": \"y\", \"logical_path\": "
	    "\"css/app.css\", \"mtime\": 63000000001, \"sha512\": \"t\", \"size\": 4}},"
	    "\"latest\": {}, \"version\": 1}";
	cp_manifest_opts o = {
	    .previous = prev, .previous_len = strlen(prev), .still_there = only_old_one};
	cp_buf b = CP_BUF_INIT;
	render(CP_MF_PHOENIX, &o, &b);
	json_t *j = json_loadb(b.data, b.len, 0, NULL);
	json_t *d = json_object_get(j, "digests");
	assert_int_equal(json_object_size(d), 3);
	assert_non_null(json_object_get(d, "css/app.111111111111.css"));
	assert_null(json_object_get(d, "css/app.222222222222.css"));
	json_t *cur = json_object_get(d, "css/app.0123456789ab.css");
	/* Gregorian seconds: Unix time + 62167219200 */
	assert_int_equal(json_integer_value(json_object_get(cur, "mtime")),
			 1700000000LL + 62167219200LL);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "latest"), "css/app.css")),
	    "css/app.0123456789ab.css");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	json_decref(j);
	cp_buf_free(&b);
}

static void test_closest(void **s)
{
	cp_buf b = CP_BUF_INIT;
	render(CP_MF_DJANGO, NULL, &b);
	cp_manifest_index m;
	cp_error e = {0};
	assert_int_equal(cp_manifest_read(b.data, b.len, &m, &e), 0);
	assert_string_equal(cp_manifest_closest(&m, "css/ap.css"), "css/app.css");
	assert_string_equal(cp_manifest_closest(&m, "/js/a  b.js"), "js/a b.js");
	assert_null(cp_manifest_closest(&m, "images/unrelated-banner.png"));
	assert_null(cp_manifest_find(&m, "css/ap.css"));
	assert_non_null(cp_manifest_find(&m, "/css/app.css"));
	cp_manifest_index_free(&m);
	cp_buf_free(&b);
	assert_int_not_equal(cp_manifest_read("[1]", 3, &m, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_options),
	    cmocka_unit_test(test_sri_value),
	    cmocka_unit_test(test_read_back),
	    cmocka_unit_test(test_phoenix_keeps_what_is_there),
	    cmocka_unit_test(test_closest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
