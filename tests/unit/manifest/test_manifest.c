/* Unit tests for manifest/: Django's staticfiles.json spelling (Python's
 * json.dumps separators and ensure_ascii escapes), sorting, the 1.1 hash
 * and parsing.  tests/integration/test_manifest_python.py checks the same
 * against Python itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "manifest/manifest.h"

#include <string.h>

static void test_py_string_escapes(void **s)
{
	cp_buf b = CP_BUF_INIT;
	cp_json_py_string(&b, "a\"b\\c\n\t\x01\x7f"
			      "\xc3\xa9"
			      "\xe2\x82\xac"
			      "\xf0\x9f\x98\x80");
	assert_string_equal(b.data,
			    "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\\u00e9\\u20ac\\ud83d\\ude00\"");
	cp_buf_free(&b);
}

static void test_render_sorted_v11(void **s)
{
	cp_manifest m = {0};
	cp_manifest_add(&m, "js/app.js", "js/app.0123456789ab.js");
	cp_manifest_add(&m, "css/app.css", "css/app.ba9876543210.css");
	cp_buf b = CP_BUF_INIT;
	cp_manifest_django_render(&m, "1.1", &b);
	const char *prefix = "{\"paths\": {\"css/app.css\": \"css/app.ba9876543210.css\", "
			     "\"js/app.js\": \"js/app.0123456789ab.js\"}, \"version\": \"1.1\", "
			     "\"hash\": \"";
	assert_memory_equal(b.data, prefix, strlen(prefix));
	assert_int_equal(b.len, strlen(prefix) + 12 + 2);
	assert_string_equal(b.data + b.len - 2, "\"}");
	/* the hash is over json.dumps(sorted(items)): recompute it independently */
	const char *items = "[[\"css/app.css\", \"css/app.ba9876543210.css\"], "
			    "[\"js/app.js\", \"js/app.0123456789ab.js\"]]";
	unsigned char md5[16];
	char hex[33];
	cp_md5(items, strlen(items), md5);
	cp_hex(md5, 16, hex);
	assert_memory_equal(b.data + strlen(prefix), hex, 12);
	cp_buf_free(&b);
	cp_manifest_free(&m);
}

static void test_render_v10_has_no_hash(void **s)
{
	cp_manifest m = {0};
	cp_buf b = CP_BUF_INIT;
	cp_manifest_django_render(&m, "1.0", &b);
	assert_string_equal(b.data, "{\"paths\": {}, \"version\": \"1.0\"}");
	cp_buf_free(&b);
	cp_manifest_free(&m);
}

static void test_parse_and_lookup(void **s)
{
	const char *json =
	    "{\"paths\": {\"b.css\": \"b.1.css\", \"a \\u00e9.png\": \"a \\u00e9.2.png\"},"
	    " \"version\": \"1.1\", \"hash\": \"abcdefabcdef\"}";
	cp_manifest m = {0};
	cp_error err = {0};
	assert_int_equal(cp_manifest_django_parse(json, strlen(json), &m, &err), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.version, "1.1");
	assert_string_equal(m.hash, "abcdefabcdef");
	assert_string_equal(cp_manifest_lookup(&m, "a \xc3\xa9.png"), "a \xc3\xa9.2.png");
	assert_null(cp_manifest_lookup(&m, "c.css"));
	cp_manifest_free(&m);
	assert_int_not_equal(cp_manifest_django_parse("{\"x\":1}", 7, &m, &err), 0);
	assert_true(err.set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_py_string_escapes),
	    cmocka_unit_test(test_render_sorted_v11),
	    cmocka_unit_test(test_render_v10_has_no_hash),
	    cmocka_unit_test(test_parse_and_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
