/* Unit tests for compress/: codecs round-trip, output is reproducible, the
 * keep-ratio policy and option parsing.  (Writing DIST: pipeline/test_emit.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "compress/compress.h"

#include "testtext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void roundtrip(enum cp_compress_method m)
{
	cp_compress_opts o;
	cp_compress_defaults(&o);
	cp_buf in = CP_BUF_INIT, z = CP_BUF_INIT, z2 = CP_BUF_INIT, back = CP_BUF_INIT;
	test_css_text(&in, 300000);
	cp_error err = {0};
	assert_int_equal(cp_compress_buffer(m, &o, in.data, in.len, &z, &err), 0);
	assert_true(z.len < in.len / 3);
	assert_int_equal(cp_compress_buffer(m, &o, in.data, in.len, &z2, &err), 0);
	assert_int_equal(z.len, z2.len);
	assert_memory_equal(z.data, z2.data, z.len); /* reproducible */
	assert_int_equal(cp_decompress_buffer(m, z.data, z.len, &back, &err), 0);
	assert_int_equal(back.len, in.len);
	assert_memory_equal(back.data, in.data, in.len);
	cp_buf_free(&in), cp_buf_free(&z), cp_buf_free(&z2), cp_buf_free(&back);
}

static void test_gzip_roundtrip(void **s)
{
	roundtrip(CP_GZIP);
}

static void test_brotli_roundtrip(void **s)
{
	roundtrip(CP_BROTLI);
}

static void test_gzip_header_has_no_timestamp(void **s)
{
	cp_compress_opts o;
	cp_compress_defaults(&o);
	cp_buf z = CP_BUF_INIT;
	cp_error err = {0};
	assert_int_equal(cp_compress_buffer(CP_GZIP, &o, "hello hello", 11, &z, &err), 0);
	assert_true(z.len > 10);
	assert_int_equal((unsigned char)z.data[0], 0x1f);
	assert_int_equal((unsigned char)z.data[1], 0x8b);
	assert_int_equal(z.data[3] & 0x08, 0);		/* no FNAME */
	assert_memory_equal(z.data + 4, "\0\0\0\0", 4); /* MTIME 0 */
	cp_buf_free(&z);
}

static void test_parse(void **s)
{
	unsigned m = 99;
	assert_int_equal(cp_compress_parse("gzip,br", &m), 0);
	assert_int_equal(m, CP_GZIP | CP_BROTLI);
	assert_int_equal(cp_compress_parse("br", &m), 0);
	assert_int_equal(m, CP_BROTLI);
	assert_int_equal(cp_compress_parse("gzip", &m), 0);
	assert_int_equal(m, CP_GZIP);
	assert_int_equal(cp_compress_parse("none", &m), 0);
	assert_int_equal(m, 0);
	assert_int_equal(cp_compress_parse("zstd", &m), -1);
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/cp-compress-XXXXXX";
	return cp_xstrdup(mkdtemp(tmpl));
}

static void test_file_keep_ratio(void **s)
{
	char *dir = tmpdir();
	char *text = cp_path_join(dir, "a.css"), *rnd = cp_path_join(dir, "b.css");
	cp_buf in = CP_BUF_INIT;
	test_css_text(&in, 50000);
	cp_error err = {0};
	assert_int_equal(cp_write_atomic(text, in.data, in.len, &err), 0);
	/* incompressible bytes: the sibling must not be kept */
	unsigned char noise[20000];
	unsigned x = 7;
	for (size_t i = 0; i < sizeof noise; i++)
		x = x * 1664525 + 1013904223, noise[i] = (unsigned char)(x >> 24);
	assert_int_equal(cp_write_atomic(rnd, noise, sizeof noise, &err), 0);
	cp_compress_opts o;
	cp_compress_defaults(&o);
	char *tgz = cp_xasprintf("%s.gz", text), *rgz = cp_xasprintf("%s.gz", rnd);
	int kept = -1;
	assert_int_equal(cp_compress_file(CP_GZIP, &o, text, tgz, &kept, &err), 0);
	assert_int_equal(kept, 1);
	assert_int_equal(cp_compress_file(CP_GZIP, &o, rnd, rgz, &kept, &err), 0);
	assert_int_equal(kept, 0);
	assert_false(cp_exists(rgz));
	cp_buf gz = CP_BUF_INIT, back = CP_BUF_INIT;
	assert_int_equal(cp_read_file(tgz, &gz, &err), 0);
	assert_int_equal(cp_decompress_buffer(CP_GZIP, gz.data, gz.len, &back, &err), 0);
	assert_int_equal(back.len, in.len);
	assert_memory_equal(back.data, in.data, in.len);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(text), free(rnd), free(tgz), free(rgz), free(dir);
	cp_buf_free(&in), cp_buf_free(&gz), cp_buf_free(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gzip_roundtrip),
	    cmocka_unit_test(test_brotli_roundtrip),
	    cmocka_unit_test(test_gzip_header_has_no_timestamp),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_file_keep_ratio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
