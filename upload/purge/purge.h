/*
 * purge.h - the public header of upload/purge/: telling a CDN to drop its
 * cached copies of the keys a deploy changed.
 *
 * Fingerprinted files never need a purge (a new content is a new name), so
 * a deploy purges only the unhashed keys it wrote - the manifests, unhashed
 * copies, anything without a fingerprint - new ones included, because CDNs
 * cache 404s too.  Each key becomes a URL under base_url (base + the key,
 * percent-encoded as `cdnpipe url` prints it); CloudFront gets that URL's
 * path instead, encoded as CloudFront requires.
 *
 * Providers sit behind one internal vtable (purge_int.h), one file each:
 *   cloudfront  CreateInvalidation, SigV4 (service cloudfront, us-east-1),
 *               the S3 credentials chain; more paths than max_paths become
 *               one wildcard (base path + "*"), one billed path.
 *   cloudflare  POST /client/v4/zones/{zone}/purge_cache, {"files": [...]}
 *               in batches of `batch` URLs, Bearer CLOUDFLARE_API_TOKEN.
 *   fastly      POST /purge/{host/path} per URL, or one surrogate-key purge
 *               for the service; Fastly-Key FASTLY_API_TOKEN; soft purge.
 *   bunny       POST /purge?url=... per URL, AccessKey BUNNY_API_KEY.
 * API bases: AWS_ENDPOINT_URL_CLOUDFRONT, CLOUDFLARE_API_URL,
 * FASTLY_API_URL, BUNNY_API_URL override the public ones (tests, proxies).
 *
 * Every request is retried on no answer, 429 and 5xx (and CloudFront's
 * TooManyInvalidationsInProgress) with backoff, honouring Retry-After; a
 * retry re-sends the same request (CloudFront: the same CallerReference, so
 * it is never a second invalidation).  Tokens and signatures appear in no
 * message and no report.
 */
#ifndef CP_UPLOAD_PURGE_H
#define CP_UPLOAD_PURGE_H

#include "lib/err.h"

#include <stddef.h>

enum cp_purge_provider {
	CP_PURGE_NONE = 0,
	CP_PURGE_CLOUDFRONT,
	CP_PURGE_CLOUDFLARE,
	CP_PURGE_FASTLY,
	CP_PURGE_BUNNY,
};
/* "cloudfront" ... -> the provider; "" or "none" -> CP_PURGE_NONE; -1 unknown. */
int cp_purge_provider_parse(const char *s);
const char *cp_purge_provider_name(int provider);

typedef struct cp_purge_opts {
	int provider;		     /* enum cp_purge_provider */
	const char *base_url;	     /* "https://cdn.example.com/static/" */
	const char *distribution_id; /* cloudfront */
	const char *zone;	     /* cloudflare */
	const char *service_id;	     /* fastly (needed for surrogate keys) */
	const char *surrogate_key;   /* fastly: purge this key, not URLs */
	int soft;		     /* fastly: mark stale instead of evicting */
	long max_paths;		     /* cloudfront: more become one wildcard (0: 100) */
	long batch;		     /* cloudflare: URLs per request (0: 30) */
	int wait;		     /* cloudfront: until the invalidation is Completed */
	const char *aws_profile;     /* cloudfront: like --profile for S3 (NULL: default) */
	int retries;		     /* per request (0: 5) */
} cp_purge_opts;

typedef struct cp_purge_report {
	char **purged; /* the URLs, paths or surrogate key, as sent */
	size_t n;
	size_t requests; /* HTTP requests sent, retries included */
	int wildcard;	 /* cloudfront: one wildcard path instead of the list */
	char *id;	 /* cloudfront: the invalidation's Id */
	int ran;	 /* a provider was set and there were keys to purge */
	int failed;	 /* then err says why */
	cp_error err;
} cp_purge_report;

/* Checks the options and that the provider's token is in the environment,
 * before anything is published: a deploy must not find out after its
 * upload that it cannot purge.  0 or CP_ERR_USAGE with a message. */
int cp_purge_check(const cp_purge_opts *o, cp_error *err);

/* Purges keys (relative to the target prefix, as uploaded).  n == 0 or no
 * provider sends nothing.  Returns 0 or CP_ERR_BUILD (r->failed, and r->err
 * says what the provider said); r holds what was sent either way. */
int cp_purge(const cp_purge_opts *o, const char *const *keys, size_t n, cp_purge_report *r);
void cp_purge_report_free(cp_purge_report *r);

#endif
