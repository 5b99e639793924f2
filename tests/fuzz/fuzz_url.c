/*
 * fuzz_url.c - the URLs cdnpipe is given or builds: s3:// targets
 * (cp_s3_target_parse), sync sides and file:// URLs (cp_sync_loc_parse,
 * cp_file_url), URI encoding of keys (cp_s3_uri_encode, cp_s3_key_url,
 * cp_s3_copy_source) and a request's URL from the endpoint (s3_req_url).
 *
 * The input is split at NULs into: a URL, a key, an endpoint, a bucket.
 * Asserted beyond "no crash":
 *  - a parsed s3:// URL gives a bucket of 3 to 63 allowed characters and a
 *    prefix that is "" or ends in '/' and does not start with '/'; parsing
 *    "s3://<bucket>/<prefix>" again gives the same two;
 *  - a file:// URL that parses names an absolute path; a local sync side
 *    has an absolute root;
 *  - the URI encoding uses only unreserved characters and %XX, and
 *    decodes back to the key (with '/' kept or encoded as asked);
 *  - a request URL starts with the endpoint's scheme and "://", and its
 *    path starts with '/'.
 */
#include "upload/s3/s3_int.h"
#include "upload/sync/sync.h"

#include "fuzzutil.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_encoding(const char *key, const char *enc, int keep_slash)
{
	size_t w = 0, n = strlen(key);
	for (const char *p = enc; *p; p++, w++) {
		int c = (unsigned char)*p;
		if (c == '%') {
			if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
				abort();
			char hex[3] = {p[1], p[2], 0};
			c = (int)strtol(hex, NULL, 16);
			p += 2;
		} else if (!(isalnum(c) || strchr("-_.~", c) || (keep_slash && c == '/'))) {
			abort();
		}
		if (w >= n || (unsigned char)key[w] != c)
			abort();
	}
	if (w != n)
		abort();
}

static void s3_target(const char *url)
{
	cp_s3_target t;
	cp_error err = {0};
	if (cp_s3_target_parse(url, &t, &err))
		return;
	size_t bl = strlen(t.bucket), pl = strlen(t.prefix);
	if (bl < 3 || bl > 63 ||
	    strspn(t.bucket, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
			     "QRSTUVWXYZ0123456789.-_") != bl)
		abort();
	if (pl && (t.prefix[pl - 1] != '/' || t.prefix[0] == '/'))
		abort();
	char *again = cp_xasprintf("s3://%s/%s", t.bucket, t.prefix);
	cp_s3_target u;
	if (cp_s3_target_parse(again, &u, &err) || strcmp(u.bucket, t.bucket) ||
	    strcmp(u.prefix, t.prefix))
		abort();
	cp_s3_target_free(&u);
	free(again);
	cp_s3_target_free(&t);
}

static void locations(const char *url)
{
	const char *path;
	cp_error err = {0};
	if (!cp_file_url(url, &path, &err) && path && path[0] != '/')
		abort();
	cp_sync_loc l;
	if (!cp_sync_loc_parse(url, &l, &err)) {
		if (!l.is_s3 && (!l.root || l.root[0] != '/'))
			abort();
		if (l.is_s3 && (!l.bucket || !l.prefix))
			abort();
	}
	cp_sync_loc_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t at = 0;
	char *url = fuzz_field(data, size, &at), *key = fuzz_field(data, size, &at);
	char *endpoint = fuzz_field(data, size, &at), *bucket = fuzz_field(data, size, &at);
	s3_target(url);
	locations(url);

	for (int keep = 0; keep < 2; keep++) {
		char *e = cp_s3_uri_encode(key, keep);
		check_encoding(key, e, keep);
		free(e);
	}
	char *u = cp_s3_key_url(endpoint, key);
	if (strncmp(u, endpoint, strlen(endpoint)))
		abort();
	free(u);
	char *cs = cp_s3_copy_source(bucket, key);
	if (strncmp(cs, bucket, strlen(bucket)) || cs[strlen(bucket)] != '/')
		abort();
	free(cs);

	cp_s3_config cfg = {.endpoint = endpoint, .path_style = (int)(size & 1)};
	s3_req r = {.bucket = bucket, .key = size & 2 ? NULL : key, .query = size & 4 ? url : NULL};
	char *host = NULL, *path = NULL;
	char *full = s3_req_url(&cfg, &r, &host, &path);
	const char *sep = strstr(endpoint, "://");
	size_t sl = sep ? (size_t)(sep - endpoint) : 5;
	if (strncmp(full, sep ? endpoint : "https", sl) || strncmp(full + sl, "://", 3) ||
	    path[0] != '/')
		abort();
	free(full);
	free(host);
	free(path);
	free(url);
	free(key);
	free(endpoint);
	free(bucket);
	return 0;
}
