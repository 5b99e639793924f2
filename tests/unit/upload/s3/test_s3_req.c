/*
 * test_s3_req.c - how requests are addressed: virtual-host and path-style
 * URLs, the host that is signed, the path as sent (encoded once).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "upload/s3/s3_int.h"

#include <stdlib.h>
#include <string.h>

static void check(const char *endpoint, int path_style, const char *bucket, const char *key,
		  const char *query, const char *want_url, const char *want_host,
		  const char *want_path)
{
	cp_s3_config cfg = {0};
	cfg.endpoint = (char *)endpoint;
	cfg.path_style = path_style;
	s3_req r = {0};
	r.bucket = (char *)bucket;
	r.key = (char *)key;
	r.query = (char *)query;
	char *host, *path;
	char *url = s3_req_url(&cfg, &r, &host, &path);
	assert_string_equal(url, want_url);
	assert_string_equal(host, want_host);
	assert_string_equal(path, want_path);
	free(url);
	free(host);
	free(path);
}

static void test_virtual_host(void **state)
{
	check("https://s3.eu-west-1.amazonaws.com", 0, "my-bucket", "static/a b+c.css", NULL,
	      "https://my-bucket.s3.eu-west-1.amazonaws.com/static/a%20b%2Bc.css",
	      "my-bucket.s3.eu-west-1.amazonaws.com", "/static/a%20b%2Bc.css");
	check("https://acct.r2.cloudflarestorage.com", 0, "b", NULL,
	      "list-type=2&prefix=", "https://b.acct.r2.cloudflarestorage.com/?list-type=2&prefix=",
	      "b.acct.r2.cloudflarestorage.com", "/");
}

static void test_buckets_that_cannot_be_host_names(void **state)
{
	/* a dotted bucket over https would not match the *.s3 certificate */
	check("https://s3.us-east-1.amazonaws.com", 0, "static.example.com", "a.css", NULL,
	      "https://s3.us-east-1.amazonaws.com/static.example.com/a.css",
	      "s3.us-east-1.amazonaws.com", "/static.example.com/a.css");
	/* over plain http the dotted name is fine as a host */
	check("http://minio.local:9000", 0, "a.b", "k", NULL, "http://a.b.minio.local:9000/k",
	      "a.b.minio.local:9000", "/k");
	check("https://s3.amazonaws.com", 0, "Legacy_Bucket", NULL, "list-type=2",
	      "https://s3.amazonaws.com/Legacy_Bucket?list-type=2", "s3.amazonaws.com",
	      "/Legacy_Bucket");
}

static void test_path_style(void **state)
{
	check("http://127.0.0.1:4569", 1, "bkt", "caf\xc3\xa9/x~y.js",
	      "uploads=", "http://127.0.0.1:4569/bkt/caf%C3%A9/x~y.js?uploads=", "127.0.0.1:4569",
	      "/bkt/caf%C3%A9/x~y.js");
	check("http://localhost:9000", 1, "bkt", NULL,
	      "delete=", "http://localhost:9000/bkt?delete=", "localhost:9000", "/bkt");
	/* no normalisation: dot segments and double slashes are part of the key */
	check("http://127.0.0.1:1", 1, "b", "a//b/../c", NULL, "http://127.0.0.1:1/b/a//b/../c",
	      "127.0.0.1:1", "/b/a//b/../c");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_virtual_host),
	    cmocka_unit_test(test_path_style),
	    cmocka_unit_test(test_buckets_that_cannot_be_host_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
