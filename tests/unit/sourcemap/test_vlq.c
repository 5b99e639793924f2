/*
 * test_vlq.c - Source Map base64 VLQ numbers (sourcemap/vlq.c).
 */
#include "sourcemap/sourcemap.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_vlq(void **s)
{
	cp_buf b = CP_BUF_INIT;
	long vals[] = {0, 1, -1, 15, 16, -16, 123456789, -987654321};
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
		cp_vlq_encode(&b, vals[i]);
	assert_memory_equal(b.data, "ACDegBhB", 8); /* the spec's digits for 0 1 -1 15 16 -16 */
	const char *p = b.data, *end = b.data + b.len;
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		long v;
		assert_int_equal(cp_vlq_decode(&p, end, &v), 0);
		assert_int_equal(v, vals[i]);
	}
	assert_ptr_equal(p, end);
	long v;
	const char *bad = "g"; /* a continuation digit with nothing after it */
	assert_int_equal(cp_vlq_decode(&bad, bad + 1, &v), -1);
	const char *notb64 = "!";
	assert_int_equal(cp_vlq_decode(&notb64, notb64 + 1, &v), -1);
	cp_buf_free(&b);
}

/* The temporary names every writer uses are recognised, and nothing else. */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vlq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
