/*
 * test_naming.c - cp_hashed_name against Python's os.path.splitext rules,
 * which is how Django's hashed_name splits a name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint/fingerprint.h"

static unsigned char empty_md5[16];

static void check(const char *in, const char *want)
{
	char *got = cp_hashed_name(in, empty_md5);
	assert_string_equal(got, want);
	free(got);
}

static void test_extension_split(void **s)
{
	(void)s;
	/* MD5("") = d41d8cd98f00b204e9800998ecf8427e (RFC 1321 test suite) */
	cp_md5("", 0, empty_md5);
	check("app.css", "app.d41d8cd98f00.css");
	check("css/app.css", "css/app.d41d8cd98f00.css");
	/* only the last extension moves */
	check("js/app.js.map", "js/app.js.d41d8cd98f00.map");
	check("a/b.tar.gz", "a/b.tar.d41d8cd98f00.gz");
	/* no extension */
	check("LICENSE", "LICENSE.d41d8cd98f00");
	/* a dot in a folder name is not an extension */
	check("v1.2/readme", "v1.2/readme.d41d8cd98f00");
	/* leading dots do not start an extension (splitext('.htaccess')) */
	check(".htaccess", ".htaccess.d41d8cd98f00");
	check("dir/..x", "dir/..x.d41d8cd98f00");
	check(".eslintrc.json", ".eslintrc.d41d8cd98f00.json");
	/* splitext('name.') == ('name', '.') */
	check("name.", "name.d41d8cd98f00.");
	/* bytes, not characters */
	check("caf\xc3\xa9.png", "caf\xc3\xa9.d41d8cd98f00.png");
}

static void test_hash_is_first_12_hex(void **s)
{
	(void)s;
	unsigned char md5[16];
	/* MD5("abc") = 900150983cd24fb0d6963f7d28e17f72 (RFC 1321) */
	cp_md5("abc", 3, md5);
	char *got = cp_hashed_name("x.js", md5);
	assert_string_equal(got, "x.900150983cd2.js");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_extension_split),
	    cmocka_unit_test(test_hash_is_first_12_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
