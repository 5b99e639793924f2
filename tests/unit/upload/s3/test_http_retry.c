/*
 * test_http_retry.c - Retry-After as the purge APIs and CloudFront send it:
 * seconds, or an HTTP date (RFC 9110), which must not read as "now".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "upload/s3/s3.h"

#include <stdio.h>
#include <time.h>

static void test_seconds(void **state)
{
	(void)state;
	assert_int_equal(cp_http_retry_after("120"), 120);
	assert_int_equal(cp_http_retry_after("0"), 0);
	assert_int_equal(cp_http_retry_after(""), -1);
	assert_int_equal(cp_http_retry_after(NULL), -1);
	assert_int_equal(cp_http_retry_after("-5"), -1);
	assert_int_equal(cp_http_retry_after("soon"), -1);
}

static void test_dates(void **state)
{
	(void)state;
	/* a date in the past: retry now (the caller still waits its minimum) */
	assert_int_equal(cp_http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), 0);
	/* a date 90 s ahead */
	time_t t = time(NULL) + 90;
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[64];
	strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	long s = cp_http_retry_after(buf);
	assert_true(s >= 88 && s <= 90);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seconds),
	    cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
