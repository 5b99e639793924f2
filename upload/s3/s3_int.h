/*
 * s3_int.h - what the S3 client's files share: one request, the engine's
 * entry points, the XML readers.  Not for use outside upload/s3*.c (tests may
 * include it to check request building and XML parsing).
 *
 * A request (s3_req) is one HTTP exchange with its retries.  Operations in
 * s3_ops.c fill one in (method, bucket, key, query, headers, body), choose
 * how the response is kept (memory or a file descriptor) and give a
 * `finish` function that turns the raw exchange into a cp_s3_result; the
 * engine (s3_engine.c) hashes, signs, sends, retries and finally calls
 * finish on its thread.
 */
#ifndef CP_UPLOAD_S3_INT_H
#define CP_UPLOAD_S3_INT_H

#include "upload/s3/s3.h"

#include "lib/buf.h"

#include <curl/curl.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest answer body kept in memory (lists, errors, results): no S3
 * answer to a request cdnpipe makes comes near it. */
#define S3_RESP_MAX (16u << 20)

enum s3_body_kind { S3_BODY_NONE, S3_BODY_MEM, S3_BODY_FILE };

typedef struct s3_req s3_req;
struct s3_req {
	cp_s3 *s;
	const char *method; /* static string */
	char *bucket;
	char *key;	    /* NULL: a bucket-level request */
	char *query;	    /* canonical (encoded, any order) or NULL */
	cp_s3_header *hdrs; /* extra request headers, owned */
	size_t nhdrs;
	int send_md5; /* add Content-MD5 */

	enum s3_body_kind body_kind;
	char *body_data; /* S3_BODY_MEM, owned */
	char *file;	 /* S3_BODY_FILE */
	uint64_t off, len;
	int have_md5;
	unsigned char md5[16];
	char sha256[65]; /* "" until hashed */

	int to_fd;	/* response body to fd (GET) */
	int md5_stream; /* with to_fd: MD5 of the body as it arrives, into res_md5 */
	void *md5_ctx;
	unsigned char res_md5[16];
	int fd;
	off_t fd_start;
	cp_buf resp;	  /* memory response (or the error body of a GET) */
	int want_headers; /* keep all response headers in res */

	cp_s3_result res; /* filled by the engine: status, code, etag, headers... */
	uint64_t nbody;	  /* bytes of body received to fd this attempt */
	int curl_err;	  /* CURLcode of the last attempt */
	char curl_msg[256];
	char curl_errbuf[CURL_ERROR_SIZE]; /* curl's own detail of the failure */
	int headers_ended;		   /* the blank line after the response's headers came */

	/* Called on the engine thread once the request is over (success or
	 * final failure): turns the exchange into res and reports it. */
	void (*finish)(s3_req *r);
	void *op;	    /* the operation's state */
	cp_s3_done_fn done; /* the caller's callback, for simple operations */
	void *done_ctx;
	int error_in_200; /* CompleteMultipartUpload / copies: a 200 may carry <Error> */
	/* A 200 whose body is not this document ("ListBucketResult": a proxy's
	 * HTML error page, a cut body) is a server fault: retried, then failed. */
	const char *expect_root;
	int prep_failed; /* hashing the body failed: res.err says why */

	/* engine private */
	unsigned attempts;
	int bad_digest_retried;
	uint64_t not_before; /* ms, monotonic */
	uint64_t t_start;
	CURL *easy;
	struct curl_slist *slist;
	int file_fd;
	uint64_t sent;
	s3_req *next;
};

/* Engine (s3_engine.c). */
s3_req *s3_req_new(cp_s3 *s, const char *method, const char *bucket, const char *key);
void s3_req_add_header(s3_req *r, const char *name, const char *value);
void s3_req_free(s3_req *r);
/* Hands r to the engine (any thread).  r->finish is called once. */
void s3_submit(s3_req *r);
/* Counting of user-level operations, for wait_below / wait_idle / free. */
void s3_op_begin(cp_s3 *s);
void s3_op_end(cp_s3 *s);
const cp_s3_config *s3_config(cp_s3 *s);
/* Fills r->res.err from the status, S3 code and message (final failures). */
void s3_explain(s3_req *r, const cp_s3_config *cfg);
/* 1 when a failed attempt may succeed if sent again (s3_explain.c). */
int s3_should_retry(s3_req *r);
/* Full URL and the path as signed, for r. Newly allocated. */
char *s3_req_url(const cp_s3_config *cfg, const s3_req *r, char **host, char **path);

/* Credentials from the machine (s3_creds.c): the container endpoint, then
 * EC2's instance metadata (IMDSv2).  0: cfg's keys filled; 1: none here;
 * CP_ERR_BUILD: an endpoint answered but gave nothing usable (err). */
int s3_machine_credentials(cp_s3_config *cfg, cp_error *err);

/* Submits r as one user-level operation, blocking when done == NULL;
 * r->finish defaults to handing the result to done (s3_ops.c). */
int s3_run(s3_req *r, cp_s3_done_fn done, void *ctx, cp_s3_result *res);

/* A failure found before sending, reported in the caller's mode (async:
 * on the engine thread). */
int s3_fail_early(cp_s3 *s, const cp_error *err, cp_s3_done_fn done, void *ctx, cp_s3_result *res);

/* Blocking on top of async: a waiter whose done copies the result. */
typedef struct s3_waiter s3_waiter;
s3_waiter *s3_waiter_new(cp_s3_result *out);
void s3_waiter_done(void *ctx, const cp_s3_result *res); /* a cp_s3_done_fn */
int s3_waiter_wait(s3_waiter *w); /* waits, frees w, returns 0 or CP_ERR_BUILD */
void s3_result_copy(cp_s3_result *dst, const cp_s3_result *src);

/* XML (s3_xml.c): a flat reader, enough for S3's responses. */
/* Bounds of the next <tag>...</tag> element's content at or after *pos:
 * returns 1 and sets *start and *end (content) and advances *pos; 0 when none. */
int s3_xml_next(const char *xml, size_t len, size_t *pos, const char *tag, size_t *start,
		size_t *end);
/* Decodes &amp; &lt; &gt; &quot; &apos; &#N; &#xN; into a new string. */
char *s3_xml_decode(const char *s, size_t n);

/* 1 when xml holds a whole <root>...</root> document (both tags present). */
int s3_xml_is_doc(const char *xml, size_t len, const char *root);
/* ListObjectsV2 page: calls fn per <Contents>; fills *next_token (NULL when
 * the page says it is the last).  Returns fn's non-zero value, 0, or
 * CP_ERR_BUILD with err when the page cannot be trusted to be complete: not a
 * whole ListBucketResult, no IsTruncated, truncated without a token, or a
 * KeyCount that disagrees with the keys it holds. */
int s3_xml_list_page(const char *xml, size_t len, cp_s3_list_fn fn, void *ctx, char **next_token,
		     cp_error *err);
/* Parses an ISO 8601 time ("2013-05-24T00:00:00.000Z"). 0 on failure. */
time_t s3_parse_iso8601(const char *s);
/* Parses an RFC 1123 HTTP date. 0 on failure. */
time_t s3_parse_http_date(const char *s);

#endif
