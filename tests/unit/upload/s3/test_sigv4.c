/*
 * test_sigv4.c - SigV4 against AWS's published S3 examples.
 *
 * The four requests of "Signature Calculations for the Authorization Header:
 * Transferring Payload in a Single Chunk" (AWS S3 API reference), with the
 * canonical request and signature AWS prints for each.  Keys that need
 * encoding are checked against botocore at test time by
 * tests/integration/test_s3_client.py (test_sigv4_matches_botocore), so no
 * value computed by this project is trusted here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "upload/s3/s3.h"
#include "upload/s3/sigv4.h"

#include <stdlib.h>
#include <string.h>

#define AK	  "AKIAIOSFODNN7EXAMPLE"
#define SK	  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HOST	  "examplebucket.s3.amazonaws.com"
#define DATE	  "20130524T000000Z"

static cp_sigv4_input base(const char *method, const char *path, const char *query,
			   const cp_sigv4_header *h, size_t n, const char *payload)
{
	cp_sigv4_input in = {0};
	in.method = method;
	in.path = path;
	in.query = query;
	in.headers = h;
	in.nheaders = n;
	in.payload_hash = payload;
	in.amz_date = DATE;
	in.region = "us-east-1";
	in.access_key = AK;
	in.secret_key = SK;
	return in;
}

static void check_sig(const cp_sigv4_input *in, const char *want_sig)
{
	char *cr = cp_sigv4_canonical_request(in);
	char *sts = cp_sigv4_string_to_sign(in, cr);
	char sig[65];
	cp_sigv4_signature(in, sts, sig);
	assert_string_equal(sig, want_sig);
	free(cr);
	free(sts);
}

static void test_get_object_range(void **state)
{
	cp_sigv4_header h[] = {{"Host", HOST},
			       {"Range", "bytes=0-9"},
			       {"x-amz-content-sha256", EMPTY_SHA},
			       {"x-amz-date", DATE}};
	cp_sigv4_input in = base("GET", "/test.txt", "", h, 4, EMPTY_SHA);
	char *cr = cp_sigv4_canonical_request(&in);
	assert_string_equal(cr, "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
				"range:bytes=0-9\nx-amz-content-sha256:" EMPTY_SHA "\n"
				"x-amz-date:20130524T000000Z\n\n"
				"host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA);
	char *sts = cp_sigv4_string_to_sign(&in, cr);
	assert_string_equal(sts,
			    "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/"
			    "aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc4"
			    "3964946972");
	free(cr);
	free(sts);
	check_sig(&in, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	/* a key derived once gives the same header */
	unsigned char key[32];
	cp_sigv4_signing_key(&in, key);
	char *auth = cp_sigv4_authorization_key(&in, key);
	char *auth2 = cp_sigv4_authorization(&in);
	assert_string_equal(auth, auth2);
	free(auth2);
	assert_string_equal(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
				  "us-east-1/s3/aws4_request, SignedHeaders=host;range;"
				  "x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857b"
				  "d35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	free(auth);
}

static void test_put_object(void **state)
{
	const char *body = "Welcome to Amazon S3.";
	const char *sha = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
	cp_sigv4_header h[] = {{"Host", HOST},
			       {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
			       {"x-amz-date", DATE},
			       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
			       {"x-amz-content-sha256", sha}};
	(void)body;
	/* '$' in the key is encoded once by the caller: the path is signed as sent */
	char *path = cp_s3_uri_encode("/test$file.text", 1);
	assert_string_equal(path, "/test%24file.text");
	cp_sigv4_input in = base("PUT", path, NULL, h, 5, sha);
	char *cr = cp_sigv4_canonical_request(&in);
	assert_string_equal(cr,
			    "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
			    "host:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:44ce7dd67c"
			    "959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\nx-amz-date:"
			    "20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\ndate;"
			    "host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n44ce7dd67c"
			    "959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	free(cr);
	check_sig(&in, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	free(path);
}

static void test_get_lifecycle(void **state)
{
	cp_sigv4_header h[] = {
	    {"Host", HOST}, {"x-amz-date", DATE}, {"x-amz-content-sha256", EMPTY_SHA}};
	cp_sigv4_input in = base("GET", "/", "lifecycle", h, 3, EMPTY_SHA);
	char *cr = cp_sigv4_canonical_request(&in);
	assert_string_equal(cr,
			    "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n"
			    "x-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n\n"
			    "host;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA);
	free(cr);
	check_sig(&in, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

static void test_list_objects(void **state)
{
	cp_sigv4_header h[] = {
	    {"Host", HOST}, {"x-amz-date", DATE}, {"x-amz-content-sha256", EMPTY_SHA}};
	/* given out of order: the canonical query is sorted */
	cp_sigv4_input in = base("GET", "/", "prefix=J&max-keys=2", h, 3, EMPTY_SHA);
	char *cr = cp_sigv4_canonical_request(&in);
	assert_string_equal(cr,
			    "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com"
			    "\nx-amz-content-sha256:" EMPTY_SHA "\nx-amz-date:20130524T000000Z\n\n"
			    "host;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA);
	free(cr);
	check_sig(&in, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

/* Header values are trimmed and inner runs of blanks collapsed; names are
 * lower-cased; the path is never normalised. */
static void test_canonical_rules(void **state)
{
	cp_sigv4_header h[] = {{"X-Amz-Meta-Note", "  a   b  "}, {"host", "h"}};
	cp_sigv4_input in = base("GET", "/a//b/../c", "b=2&a=1&a-b=3", h, 2, EMPTY_SHA);
	char *cr = cp_sigv4_canonical_request(&in);
	assert_string_equal(cr, "GET\n/a//b/../c\na=1&a-b=3&b=2\nhost:h\nx-amz-meta-note:a b\n\n"
				"host;x-amz-meta-note\n" EMPTY_SHA);
	free(cr);
}

static void test_uri_encode(void **state)
{
	char *e = cp_s3_uri_encode("a b/c+d=e&f(g)h~i%j_k-l.m/\xc3\xa9", 1);
	assert_string_equal(e, "a%20b/c%2Bd%3De%26f%28g%29h~i%25j_k-l.m/%C3%A9");
	free(e);
	e = cp_s3_uri_encode("a/b c", 0);
	assert_string_equal(e, "a%2Fb%20c");
	free(e);
	e = cp_s3_copy_source("bkt", "dir/a b+c.txt");
	assert_string_equal(e, "bkt/dir/a%20b%2Bc.txt");
	free(e);
}

static void test_amz_date(void **state)
{
	char d[17];
	cp_sigv4_amz_date(1369353600, d);
	assert_string_equal(d, "20130524T000000Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_object_range), cmocka_unit_test(test_put_object),
	    cmocka_unit_test(test_get_lifecycle),    cmocka_unit_test(test_list_objects),
	    cmocka_unit_test(test_canonical_rules),  cmocka_unit_test(test_uri_encode),
	    cmocka_unit_test(test_amz_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
