/*
 * test_s3_xml.c - the S3 reply reader: listings, errors, entities, times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "upload/s3/s3_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct seen {
	char keys[8][128];
	uint64_t sizes[8];
	char etags[8][80];
	time_t mtimes[8];
	int n;
	int stop_at;
} seen;

static int collect(void *ctx, const cp_s3_object *o)
{
	seen *s = ctx;
	snprintf(s->keys[s->n], 128, "%s", o->key);
	s->sizes[s->n] = o->size;
	snprintf(s->etags[s->n], 80, "%s", o->etag);
	s->mtimes[s->n] = o->mtime;
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

static const char page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>b</Name><Prefix>static/</Prefix><KeyCount>3</KeyCount>"
    "<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
    "<ContentsX><Key>not-this</Key></ContentsX>"
    "<Contents><Key>static/a &amp; b &lt;c&gt;.css</Key>"
    "<LastModified>2013-05-24T00:00:00.000Z</LastModified>"
    "<ETag>&quot;6f5902ac237024bdd0c176cb93063dc4&quot;</ETag><Size>12</Size>"
    "<StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>static/caf&#233; &#x65E5;.js</Key><Size>0</Size>"
    "<ETag>\"d41d8cd98f00b204e9800998ecf8427e-2\"</ETag></Contents>"
    "<Contents>\n  <Key>static/plain</Key>\n  <Size>5368709120</Size>\n</Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "</ListBucketResult>";

static void test_list_page(void **state)
{
	seen s = {0};
	char *token = NULL;
	assert_int_equal(s3_xml_list_page(page, strlen(page), collect, &s, &token, NULL), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.keys[0], "static/a & b <c>.css");
	assert_int_equal(s.sizes[0], 12);
	assert_string_equal(s.etags[0], "6f5902ac237024bdd0c176cb93063dc4");
	assert_int_equal(s.mtimes[0], 1369353600); /* 24 May 2013 00:00 UTC */
	assert_string_equal(s.keys[1], "static/caf\xc3\xa9 \xe6\x97\xa5.js");
	assert_string_equal(s.etags[1], "d41d8cd98f00b204e9800998ecf8427e-2");
	assert_string_equal(s.keys[2], "static/plain");
	assert_true(s.sizes[2] == 5368709120ull);
	assert_non_null(token);
	assert_string_equal(token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	free(token);
}

static void test_list_stop_and_last_page(void **state)
{
	seen s = {0};
	s.stop_at = 1;
	char *token = NULL;
	assert_int_equal(s3_xml_list_page(page, strlen(page), collect, &s, &token, NULL), 7);
	assert_int_equal(s.n, 1);
	const char *last = "<ListBucketResult><IsTruncated>false</IsTruncated>"
			   "<Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>";
	seen t = {0};
	assert_int_equal(s3_xml_list_page(last, strlen(last), collect, &t, &token, NULL), 0);
	assert_int_equal(t.n, 1);
	assert_null(token);
}

static void test_truncated_input_is_safe(void **state)
{
	/* every prefix of a page parses without reading past its end, and is
	 * refused: a cut page must never pass for a last one */
	size_t n = strlen(page);
	for (size_t i = 0; i < n; i++) {
		char *cut = malloc(i ? i : 1);
		memcpy(cut, page, i);
		seen s = {0};
		char *token = NULL;
		cp_error err = {0};
		assert_int_equal(s3_xml_list_page(cut, i, collect, &s, &token, &err), CP_ERR_BUILD);
		assert_true(err.set);
		assert_true(s.n <= 3);
		assert_null(token);
		free(cut);
	}
}

/* Pages a proxy or a faulty server sends that look complete but are not. */
static void test_incomplete_pages_refused(void **state)
{
	static const struct {
		const char *xml, *why;
	} bad[] = {
	    {"<html><body>502 Bad Gateway</body></html>", "ListBucketResult"},
	    {"<ListBucketResult><Contents><Key>k</Key><Size>1</Size></Contents>"
	     "</ListBucketResult>",
	     "IsTruncated"},
	    {"<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
	     "IsTruncated"},
	    {"<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>k</Key>"
	     "<Size>1</Size></Contents></ListBucketResult>",
	     "NextContinuationToken"},
	    {"<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>"
	     "</NextContinuationToken></ListBucketResult>",
	     "NextContinuationToken"},
	    {"<ListBucketResult><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>"
	     "<Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>",
	     "KeyCount"},
	    {"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Size>1</Size>"
	     "</Contents></ListBucketResult>",
	     "Key"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		seen s = {0};
		char *token = NULL;
		cp_error err = {0};
		assert_int_equal(
		    s3_xml_list_page(bad[i].xml, strlen(bad[i].xml), collect, &s, &token, &err),
		    CP_ERR_BUILD);
		assert_null(token);
		if (!strstr(err.msg, bad[i].why))
			fail_msg("page %zu: '%s' does not name %s", i, err.msg, bad[i].why);
	}
	/* KeyCount counts common prefixes too */
	const char *ok = "<ListBucketResult><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>"
			 "<Contents><Key>k</Key><Size>1</Size></Contents>"
			 "<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes></ListBucketResult>";
	seen s = {0};
	char *token = NULL;
	assert_int_equal(s3_xml_list_page(ok, strlen(ok), collect, &s, &token, NULL), 0);
	assert_int_equal(s.n, 1);
}

static void test_error(void **state)
{
	const char *x = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code>"
			"<Message>The specified bucket &apos;x&apos; does not exist</Message>"
			"<BucketName>x</BucketName></Error>";
	char code[64], msg[256];
	assert_int_equal(cp_xml_error(x, strlen(x), code, sizeof(code), msg, sizeof(msg)), 1);
	assert_string_equal(code, "NoSuchBucket");
	assert_string_equal(msg, "The specified bucket 'x' does not exist");
	assert_int_equal(cp_xml_error("<Other/>", 8, code, sizeof(code), msg, sizeof(msg)), 0);
}

static void test_escape_roundtrip(void **state)
{
	const char *k = "a&b<c>d\"e'f\r\xc3\xa9";
	cp_buf b = CP_BUF_INIT;
	cp_xml_escape(&b, k);
	assert_null(strchr(b.data, '<'));
	assert_null(strchr(b.data, '\r'));
	char *back = s3_xml_decode(b.data, b.len);
	assert_string_equal(back, k);
	free(back);
	cp_buf_free(&b);
	/* empty text is an empty, terminated string (found by fuzz_s3_xml) */
	back = s3_xml_decode("", 0);
	assert_string_equal(back, "");
	free(back);
	/* unknown or broken entities are kept as text */
	back = s3_xml_decode("&bogus; &#xZZ; &", 16);
	assert_string_equal(back, "&bogus; &#xZZ; &");
	free(back);
}

static void test_times(void **state)
{
	assert_int_equal(s3_parse_iso8601("2013-05-24T00:00:00.000Z"), 1369353600);
	assert_int_equal(s3_parse_iso8601("20130524T000000Z"), 1369353600);
	assert_int_equal(s3_parse_http_date("Fri, 24 May 2013 00:00:00 GMT"), 1369353600);
	assert_int_equal(s3_parse_iso8601("garbage"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_page),
	    cmocka_unit_test(test_list_stop_and_last_page),
	    cmocka_unit_test(test_truncated_input_is_safe),
	    cmocka_unit_test(test_incomplete_pages_refused),
	    cmocka_unit_test(test_error),
	    cmocka_unit_test(test_escape_roundtrip),
	    cmocka_unit_test(test_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
