/*
 * s3.h - the public header of upload/s3/: the S3 client that upload/deploy
 * (through upload/target/) and sync use, and that the integration driver tests.
 *
 * Shape.  One client (cp_s3) owns one engine thread that drives a curl multi
 * handle: up to `concurrency` requests in flight over keep-alive connections
 * that curl reuses between requests to the same host.  Any thread may submit
 * requests.  Before a request reaches the engine, its body is hashed (MD5 for
 * Content-MD5, SHA-256 for x-amz-content-sha256) by the client's small pool
 * of prep threads, so neither the caller nor the network thread spends time
 * reading files twice; hashes of a file range are cached per request and
 * reused by retries.  Every request is signed (SigV4) just before it is handed
 * to curl, and signed again on each retry, because the signature covers the
 * time.
 *
 * Calling convention.  Every operation that takes `cp_s3_done_fn done` runs in
 * one of two modes:
 *   - done == NULL: the call blocks until the operation finished and fills
 *     *res (the caller frees it with cp_s3_result_free); it returns 0 on
 *     success, CP_ERR_BUILD on failure (res->err says why).
 *   - done != NULL: the call returns 0 at once (res is ignored and may be
 *     NULL); done(ctx, res) is called exactly once, ON THE ENGINE THREAD,
 *     when the operation finished.  res and everything it points to are valid
 *     only during the call.  Callbacks must be short and must never block or
 *     call a blocking cp_s3_* function: the network stalls while they run.
 *     Submitting further async requests from a callback is allowed.
 * Arguments (strings, header lists) are copied at submit time; the caller
 * may free them as soon as the call returns.
 *
 * Back-pressure.  The queue in front of the engine is unbounded; a producer
 * with 100,000 files should call cp_s3_wait_below() so memory stays bounded.
 *
 * Retries.  Connection errors, timeouts, 500/502/503/504, 429, SlowDown and
 * RequestTimeout are retried up to `retries` times with exponential backoff
 * and full jitter (a uniform draw up to 200 ms x 2^attempt, at most 20 s); a
 * BadDigest once.  A transfer that moves under 1 byte/s for 60 s (or the
 * CDNPIPE_STALL_TIMEOUT environment variable's seconds, 1..3600) is a
 * timeout.  A waiting retry is a deadline in the engine's queue,
 * never a sleep.  Other 4xx fail at once
 * with a message a user can act on (bad credentials, clock skew with the
 * difference in seconds, no such bucket, access denied naming the key).
 *
 * Secrets.  Log lines (CP_LOG_INFO, for -v) carry method, bucket/key, status,
 * bytes and milliseconds, never the Authorization header, the signature, the
 * secret or the session token; neither do error messages.
 */
#ifndef CP_UPLOAD_S3_H
#define CP_UPLOAD_S3_H

#include "lib/buf.h"
#include "lib/err.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ------------------------------------------------------------------ config */

enum cp_s3_addressing {
	CP_S3_ADDR_AUTO = 0,	/* virtual-host for AWS; path-style for IP/localhost endpoints */
	CP_S3_ADDR_PATH = 1,	/* --path-style: https://host/bucket/key */
	CP_S3_ADDR_VIRTUAL = 2, /* --virtual-host: https://bucket.host/key */
};

/* Command-line overrides (NULL / 0: not given). */
typedef struct cp_s3_overrides {
	const char *endpoint; /* --endpoint URL */
	const char *region;   /* --region */
	const char *profile;  /* --profile */
	int addressing;	      /* enum cp_s3_addressing; --path-style / --virtual-host */
} cp_s3_overrides;

/* Resolved configuration.  All strings are owned (cp_s3_config_free). */
typedef struct cp_s3_config {
	char *access_key;
	char *secret_key;
	char *session_token; /* NULL when none */
	char *region;	     /* "us-east-1" when nothing says otherwise; "auto" kept (R2) */
	char *endpoint;	     /* "scheme://host[:port]" without trailing '/';
			      * default https://s3.<region>.amazonaws.com */
	int path_style;	     /* resolved: 1 path-style, 0 virtual-host */
	char *ca_bundle;     /* AWS_CA_BUNDLE / ca_bundle; NULL: system store */
	char *profile;	     /* the profile that was read ("default" if none) */
} cp_s3_config;

/*
 * Resolves the configuration the way the AWS CLI does.  Precedence, highest
 * first: overrides (flags); environment (AWS_ACCESS_KEY_ID +
 * AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN], AWS_REGION then
 * AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 then AWS_ENDPOINT_URL,
 * AWS_CA_BUNDLE); the profile (--profile, else AWS_PROFILE, else "default")
 * from the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 * ~/.aws/credentials, sections "[name]") and then the config file
 * (AWS_CONFIG_FILE, default ~/.aws/config, sections "[profile name]", and
 * "[default]"): aws_access_key_id, aws_secret_access_key,
 * aws_session_token, region, endpoint_url, ca_bundle, and
 * "s3 =\n  endpoint_url = ..." / "addressing_style = path|virtual" sub-keys.
 * When neither gives keys: the container credentials endpoint
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI, with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN), then EC2 instance metadata (IMDSv2,
 * AWS_EC2_METADATA_SERVICE_ENDPOINT; 1 s timeouts; skipped when
 * AWS_EC2_METADATA_DISABLED=true).  A named profile that exists in neither
 * file is an error; so is a profile whose credentials come from SSO,
 * role_arn or credential_process (the message says how to export them);
 * missing credentials are an error (CP_ERR_USAGE) naming where they were
 * looked for.
 */
int cp_s3_config_load(cp_s3_config *cfg, const cp_s3_overrides *ov, cp_error *err);
void cp_s3_config_free(cp_s3_config *cfg);

/* "s3://bucket/prefix" -> bucket and prefix.  The prefix never starts with
 * '/', and is either "" or ends with '/' ("s3://b/static" and
 * "s3://b/static/" both give "static/").  Bad bucket names or other schemes
 * are CP_ERR_USAGE. */
typedef struct cp_s3_target {
	char *bucket;
	char *prefix;
} cp_s3_target;
int cp_s3_target_parse(const char *url, cp_s3_target *out, cp_error *err);
void cp_s3_target_free(cp_s3_target *t);

/* ------------------------------------------------------------------ client */

typedef struct cp_s3 cp_s3;

/* concurrency <= 0: 16; retries < 0: 5.  The config is copied. */
cp_s3 *cp_s3_new(const cp_s3_config *cfg, int concurrency, int retries, cp_error *err);
/* Waits for every submitted request to finish (callbacks included), then
 * stops the engine and frees the client. */
void cp_s3_free(cp_s3 *s);
/* Blocks until fewer than n requests are queued or in flight (n >= 1). */
void cp_s3_wait_below(cp_s3 *s, size_t n);
/* Blocks until no request is queued or in flight. */
void cp_s3_wait_idle(cp_s3 *s);

/* Counters since cp_s3_new (read at any time; approximate while busy).
 * `requests` counts HTTP requests actually sent, retries included. */
typedef struct cp_s3_stats {
	uint64_t requests, retries;
	uint64_t puts, gets, heads, lists, deletes, posts, copies;
	uint64_t bytes_sent, bytes_received; /* bodies only */
	uint64_t connects;   /* new connections opened (the rest reused a kept-alive one) */
	uint64_t throttled;  /* times a throttling answer halved the requests in flight */
	uint64_t window_min; /* the fewest requests in flight it came to (0: never cut) */
} cp_s3_stats;
void cp_s3_get_stats(cp_s3 *s, cp_s3_stats *out);

/* A response header (name lower-cased). */
typedef struct cp_s3_header {
	char *name;
	char *value;
} cp_s3_header;
/* Frees n headers (names and values) and the array. */
void cp_s3_headers_free(cp_s3_header *h, size_t n);

/* The outcome of one operation.  Strings are owned by the result. */
typedef struct cp_s3_result {
	int ok;		       /* 1: success */
	int status;	       /* final HTTP status; 0 when no response came */
	char code[64];	       /* S3 error code ("NoSuchKey"), or "" */
	cp_error err;	       /* set when !ok: path = "bucket/key", msg = why */
	unsigned attempts;     /* 1 + retries used */
	char etag[80];	       /* ETag without quotes (put, head, get, part, complete, copy) */
	uint64_t size;	       /* head: Content-Length; get: bytes written */
	time_t mtime;	       /* head/get/copy: Last-Modified (0 if absent) */
	char *upload_id;       /* multipart create */
	cp_s3_header *headers; /* head/get: all response headers */
	size_t nheaders;
} cp_s3_result;

void cp_s3_result_free(cp_s3_result *r);
/* Value of a response header (name case-insensitive), or NULL. */
const char *cp_s3_result_header(const cp_s3_result *r, const char *name);

typedef void (*cp_s3_done_fn)(void *ctx, const cp_s3_result *res);

/* ------------------------------------------------------------------ operations */

/* Request headers a caller chooses.  NULL fields are not sent. */
typedef struct cp_s3_put_headers {
	const char *content_type;
	const char *cache_control;
	const char *content_encoding;
	const char *content_disposition;
	const char *acl;	  /* x-amz-acl, only when asked ("public-read") */
	const cp_s3_header *meta; /* x-amz-meta-<name>: name without the prefix */
	size_t nmeta;
} cp_s3_put_headers;

/* A request body: a file range, or memory (file == NULL). */
typedef struct cp_s3_body {
	const char *file; /* path; streamed through curl's read callback */
	uint64_t offset;
	uint64_t length;  /* UINT64_MAX: to the end of the file */
	const void *data; /* when file == NULL: copied at submit time */
	size_t len;
	const unsigned char *md5; /* optional known MD5 of the body (16 bytes): skips a hash */
} cp_s3_body;

/* The key under a deploy target's prefix that every cdnpipe command changing
 * the target replaces (upload/publish/state.c): `upload --trust-state`
 * believes a saved state only while it is unchanged.  A sync replaces those
 * its changes fall under, too. */
#define CP_STATE_GENERATION ".cdnpipe/generation"
/* A new generation's body (random, and the time) into out; its length. */
size_t cp_s3_generation_text(char out[80]);

/* PutObject.  Always sends Content-MD5 and the SHA-256 payload hash. */
int cp_s3_put(cp_s3 *s, const char *bucket, const char *key, const cp_s3_body *body,
	      const cp_s3_put_headers *h, cp_s3_done_fn done, void *ctx, cp_s3_result *res);

/* HeadObject.  A missing key is !ok with status 404 and code "NoSuchKey". */
int cp_s3_head(cp_s3 *s, const char *bucket, const char *key, cp_s3_done_fn done, void *ctx,
	       cp_s3_result *res);

/* GetObject streamed to fd (written from its current position; on retry
 * the fd is truncated back to where it started, so it must be seekable).
 * range_len 0: whole object. */
int cp_s3_get_fd(cp_s3 *s, const char *bucket, const char *key, int fd, uint64_t range_off,
		 uint64_t range_len, cp_s3_done_fn done, void *ctx, cp_s3_result *res);
/* GetObject to path: written to a temporary name beside it, checked against
 * Content-Length and (when the ETag is a plain MD5) the MD5, given the
 * object's mtime, then renamed into place.  Nothing is left on failure. */
int cp_s3_get_file(cp_s3 *s, const char *bucket, const char *key, const char *path,
		   cp_s3_done_fn done, void *ctx, cp_s3_result *res);

/* CopyObject (server-side).  h == NULL: metadata copied from the source
 * (x-amz-metadata-directive COPY); else REPLACE with h. */
int cp_s3_copy(cp_s3 *s, const char *src_bucket, const char *src_key, const char *dst_bucket,
	       const char *dst_key, const cp_s3_put_headers *h, cp_s3_done_fn done, void *ctx,
	       cp_s3_result *res);

/* Multipart, step by step (sync's resumable uploads use these).  create
 * fills res->upload_id; upload_part fills res->etag; complete takes the parts
 * in any order (sorted by number before sending); abort treats 404
 * NoSuchUpload as success. */
typedef struct cp_s3_part {
	int number; /* 1..10000 */
	char etag[80];
} cp_s3_part;
int cp_s3_mpu_create(cp_s3 *s, const char *bucket, const char *key, const cp_s3_put_headers *h,
		     cp_s3_done_fn done, void *ctx, cp_s3_result *res);
int cp_s3_mpu_part(cp_s3 *s, const char *bucket, const char *key, const char *upload_id, int number,
		   const cp_s3_body *body, cp_s3_done_fn done, void *ctx, cp_s3_result *res);
/* UploadPartCopy: bytes [off, off+len) of the source become part `number`. */
int cp_s3_mpu_part_copy(cp_s3 *s, const char *src_bucket, const char *src_key, uint64_t off,
			uint64_t len, const char *bucket, const char *key, const char *upload_id,
			int number, cp_s3_done_fn done, void *ctx, cp_s3_result *res);
int cp_s3_mpu_complete(cp_s3 *s, const char *bucket, const char *key, const char *upload_id,
		       const cp_s3_part *parts, size_t nparts, cp_s3_done_fn done, void *ctx,
		       cp_s3_result *res);
int cp_s3_mpu_abort(cp_s3 *s, const char *bucket, const char *key, const char *upload_id,
		    cp_s3_done_fn done, void *ctx, cp_s3_result *res);

/*
 * A whole file, multipart or not: below `threshold` one PutObject; at or
 * above it create + parts in parallel (each streamed from disk) + complete,
 * and on any failure an abort, so no orphaned parts are left.  On success
 * res->etag is the object's ETag.
 */
typedef struct cp_s3_file_opts {
	uint64_t threshold;	  /* 0: 64 MiB */
	uint64_t part_size;	  /* 0: cp_s3_part_size(size, 0) */
	const unsigned char *md5; /* optional known whole-file MD5 (single PUT only) */
	/* Resuming (sync): an upload id and the parts already uploaded; those
	 * parts are not sent again.  NoSuchUpload on a resumed upload starts a
	 * new one. */
	const char *resume_upload_id;
	const cp_s3_part *done_parts;
	size_t ndone_parts;
	int keep_on_failure; /* 1: do not abort on failure (the caller resumes later) */
	/* Journal hooks, called on the engine thread (keep them short):
	 * on_create once the upload id is known, on_part after each part. */
	void (*on_create)(void *ctx, const char *upload_id, uint64_t part_size);
	void (*on_part)(void *ctx, const cp_s3_part *part);
	void *hook_ctx;
} cp_s3_file_opts;
int cp_s3_put_file(cp_s3 *s, const char *bucket, const char *key, const char *path,
		   const cp_s3_put_headers *h, const cp_s3_file_opts *o, cp_s3_done_fn done,
		   void *ctx, cp_s3_result *res);

/* ------------------------------------------------------------------ listings (blocking) */

typedef struct cp_s3_object {
	const char *key; /* full key, entities decoded */
	uint64_t size;
	const char *etag; /* without quotes */
	time_t mtime;
} cp_s3_object;
/* Return non-zero to stop the listing (cp_s3_list then returns that value). */
typedef int (*cp_s3_list_fn)(void *ctx, const cp_s3_object *obj);

/* ListObjectsV2 over prefix, flat (no delimiter), every page; fn is called
 * on the caller's thread, in the server's order (not necessarily sorted). */
int cp_s3_list(cp_s3 *s, const char *bucket, const char *prefix, cp_s3_list_fn fn, void *ctx,
	       cp_error *err);

typedef struct cp_s3_upload {
	const char *key;
	const char *upload_id;
	time_t initiated;
} cp_s3_upload;
typedef int (*cp_s3_uploads_fn)(void *ctx, const cp_s3_upload *u);
/* ListMultipartUploads over prefix, every page.  Servers without it (s3rver)
 * give !ok with code "NotImplemented" / "MethodNotAllowed" in err. */
int cp_s3_list_uploads(cp_s3 *s, const char *bucket, const char *prefix, cp_s3_uploads_fn fn,
		       void *ctx, cp_error *err);

/* DeleteObjects in batches of up to 1000 keys (more are split), with
 * Content-MD5.  on_fail is called (caller's thread) for each key the server
 * refused; a request that fails as a whole returns CP_ERR_BUILD with err.
 * A store without DeleteObjects (501 NotImplemented, 405) gets one
 * DeleteObject per key instead, up to 256 in flight.  An answer that is not
 * a DeleteResult is an error: nothing is known to be deleted. */
typedef void (*cp_s3_delete_fail_fn)(void *ctx, const char *key, const char *code, const char *msg);
int cp_s3_delete(cp_s3 *s, const char *bucket, const char *const *keys, size_t n,
		 cp_s3_delete_fail_fn on_fail, void *ctx, cp_error *err);
/* DeleteObject: one key (a missing key is success, as S3 answers 204). */
int cp_s3_delete_one(cp_s3 *s, const char *bucket, const char *key, cp_s3_done_fn done, void *ctx,
		     cp_s3_result *res);

/* ------------------------------------------------------------------ encoding helpers */

/* S3's URI encoding (RFC 3986 unreserved kept, everything else %XX with
 * upper-case hex, UTF-8 bytes as they are); keep_slash for paths.  Newly
 * allocated. */
char *cp_s3_uri_encode(const char *s, int keep_slash);
/* The same, keeping the characters of keep too ("/" is cp_s3_uri_encode's
 * keep_slash; "/!*()'" is how Django spells a path).  Newly allocated. */
char *cp_uri_encode_keeping(const char *s, const char *keep);
/* The URL a key is served at under base: base, a '/' when base lacks one,
 * and the key URI-encoded with '/' kept - what `cdnpipe url` prints, what
 * verify fetches and what a purge names.  Newly allocated. */
char *cp_s3_key_url(const char *base, const char *key);
/* The same with the key encoded by cp_uri_encode_keeping(key, keep). */
char *cp_key_url_keeping(const char *base, const char *key, const char *keep);
/* x-amz-copy-source value: "bucket/key" with the key URI-encoded ('/' kept).
 * Newly allocated. */
char *cp_s3_copy_source(const char *bucket, const char *key);

/* ------------------------------------------------------------------ plain HTTP (s3_http.c) */

/* One blocking request outside the engine (credential endpoints, verify's
 * CDN fetch, CDN purge APIs).  body gets the response body in pieces (return non-zero to
 * stop); want_header, when set, names one response header copied into
 * header_value.  Returns the HTTP status, 0 when there was no answer. */
typedef struct cp_http_req {
	const char *method; /* NULL: GET */
	const char *url;
	const char *header;	    /* one request header line, or NULL */
	const char *const *headers; /* more header lines, NULL-terminated, or NULL */
	const char *data;	    /* request body (POST), or NULL */
	size_t data_len;
	const char *ca_bundle; /* NULL: the system store */
	long timeout;	       /* connect, seconds */
	long total_timeout;    /* whole request, seconds (0: timeout + 1) */
	int no_proxy, follow;
	int (*body)(void *ctx, const char *p, size_t n);
	void *ctx;
	const char *want_header;
	char *header_value;
	size_t header_size;
} cp_http_req;
long cp_http(const cp_http_req *rq);
/* A cp_http_req body callback that appends to the cp_buf in ctx, up to
 * 1 MiB (an API's answer is a few KiB; past that the request stops). */
int cp_http_keep(void *ctx, const char *p, size_t n);
/* A Retry-After value in seconds: a number, or an HTTP date (0 when it is
 * past); -1 when there is none or it says nothing. */
long cp_http_retry_after(const char *v);

/* ------------------------------------------------------------------ XML (s3_xml.c) */

/* A flat reader, enough for S3's and CloudFront's responses.  Text of the
 * first <tag>...</tag> after *pos (entities decoded), advancing *pos past
 * it; NULL when absent.  Newly allocated. */
char *cp_xml_get(const char *xml, size_t len, size_t *pos, const char *tag);
/* Escapes & < > " ' for element text. */
void cp_xml_escape(cp_buf *b, const char *s);
/* An AWS <Error>: code and message (strings into out buffers); 0 when found. */
int cp_xml_error(const char *xml, size_t len, char *code, size_t codesz, char *msg, size_t msgsz);

/* ------------------------------------------------------------------ other AWS APIs (s3_aws.c) */

/* One blocking SigV4-signed request to an AWS API that is not S3
 * (CloudFront), with cfg's credentials.  endpoint is "scheme://host[:port]";
 * path is already percent-encoded.  The response body is appended to resp;
 * Retry-After, when the answer has one, to retry_after (seconds, else -1).
 * Returns the HTTP status, 0 when there was no answer. */
typedef struct cp_aws_call {
	const char *method;
	const char *endpoint;
	const char *path;
	const char *service;
	const char *region;
	const char *content_type; /* NULL: none */
	const char *body;	  /* NULL: empty */
	size_t body_len;
	long timeout; /* whole request, seconds (0: 60) */
} cp_aws_call;
long cp_aws_request(const cp_s3_config *cfg, const cp_aws_call *c, cp_buf *resp, long *retry_after);

/* ------------------------------------------------------------------ ETags (etag.c) */

#define CP_S3_MAX_PARTS 10000
#define CP_S3_MIN_PART	(5ull << 20)
#define CP_S3_MAX_PART	(5ull << 30)

/* Part size for a file of `size` bytes: `wanted` (0: 8 MiB, raised to 5 MiB
 * at least) doubled until the upload needs at most 10,000 parts. */
uint64_t cp_s3_part_size(uint64_t size, uint64_t wanted);
/* Number of parts of that size (at least 1: an empty file is one part). */
unsigned cp_s3_part_count(uint64_t size, uint64_t part_size);

/* What an ETag says (quotes ignored): the MD5 of the bytes ("hex32"), a
 * multipart ETag ("hex32-N", *nparts = N when nparts is not NULL), or
 * nothing we can compare (SSE-KMS, SSE-C, other stores). */
enum cp_etag_form { CP_ETAG_OPAQUE = 0, CP_ETAG_MD5, CP_ETAG_MULTIPART };
enum cp_etag_form cp_etag_form(const char *etag, unsigned *nparts);
/* Part sizes that give exactly n parts for size, most likely first: ours
 * (0: none), tools' defaults, then size/n rounded up to a MiB and exact.
 * Returns how many were written (at most max). */
size_t cp_etag_part_candidates(uint64_t size, unsigned n, uint64_t ours, uint64_t *out, size_t max);
/* AWS's multipart ETag of a file of `size` bytes: hex MD5 of the
 * concatenated part MD5s, then "-N".  out is "" (which no ETag equals) when
 * the file no longer holds exactly `size` bytes. */
int cp_multipart_etag(const char *path, uint64_t size, uint64_t part_size, char out[48],
		      cp_error *err);
/* Does a multipart ETag describe the local file?  Tries each candidate
 * part size (one read each, counted in *reads when not NULL); on a match
 * *part (when not NULL) is the part size that matched.  Returns 1, 0 (no
 * candidate matches, or etag is not multipart), -1 on a read error. */
int cp_etag_multipart_matches(const char *etag, const char *path, uint64_t size, uint64_t ours,
			      uint64_t *part, size_t *reads, cp_error *err);
/*
 * Does a remote ETag (quotes allowed) describe the local file?  md5_hex is
 * the file's MD5 when the caller already knows it (NULL: computed if
 * needed).  A plain MD5 is compared with the file's MD5 (s3rver gives this
 * even for multipart objects); "X-N" as cp_etag_multipart_matches does,
 * with our default part size first.  Returns 1 match, 0 mismatch (or an
 * ETag that is not an MD5 at all), -1 on a read error (err filled).
 */
int cp_s3_etag_matches(const char *etag, const char *path, uint64_t size, const char *md5_hex,
		       cp_error *err);

#endif
