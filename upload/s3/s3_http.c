/*
 * s3_http.c - one plain HTTP request outside the S3 engine (cp_http): the
 * credential endpoints (instance metadata, containers), verify's fetch
 * through a CDN and the CDN purge APIs.  Blocking, one easy handle per call: these are a few
 * requests per run, where the engine's multi handle, signing and retries
 * would only be in the way.  The body goes to a callback, so a caller that
 * only hashes it holds none of it in memory.
 */
#include "upload/s3/s3.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct call {
	const cp_http_req *rq;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	const cp_http_req *rq = ((struct call *)ud)->rq;
	return rq->body(rq->ctx, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	const cp_http_req *rq = ((struct call *)ud)->rq;
	size_t len = size * n, hl = rq->want_header ? strlen(rq->want_header) : 0;
	if (hl && len > hl && p[hl] == ':' && !strncasecmp(p, rq->want_header, hl)) {
		const char *v = p + hl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		snprintf(rq->header_value, rq->header_size, "%.*s", (int)strcspn(v, "\r\n"), v);
	}
	return len;
}

long cp_http(const cp_http_req *rq)
{
	CURL *e = curl_easy_init();
	if (!e)
		return 0;
	struct call c = {rq};
	struct curl_slist *sl = rq->header ? curl_slist_append(NULL, rq->header) : NULL;
	for (const char *const *h = rq->headers; h && *h; h++)
		sl = curl_slist_append(sl, *h);
	if (rq->header_value && rq->header_size)
		rq->header_value[0] = 0;
	curl_easy_setopt(e, CURLOPT_URL, rq->url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rq->method ? rq->method : "GET");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, sl);
	if (rq->data) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->data);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->data_len);
	}
	if (rq->ca_bundle)
		curl_easy_setopt(e, CURLOPT_CAINFO, rq->ca_bundle);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &c);
	if (rq->want_header) {
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, &c);
	}
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, rq->timeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT,
			 rq->total_timeout ? rq->total_timeout : rq->timeout + 1);
	if (rq->no_proxy)
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	if (rq->follow)
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	long status = 0;
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(sl);
	curl_easy_cleanup(e);
	return status;
}

long cp_http_retry_after(const char *v)
{
	if (!v || !*v)
		return -1;
	char *end;
	long n = strtol(v, &end, 10);
	if (end != v && !*end)
		return n < 0 ? -1 : n;
	time_t when = curl_getdate(v, NULL); /* an HTTP date */
	if (when < 0)
		return -1;
	time_t now = time(NULL);
	return when > now ? (long)(when - now) : 0;
}

int cp_http_keep(void *ctx, const char *p, size_t n)
{
	cp_buf *b = ctx;
	if (b->len + n > (1u << 20))
		return 1;
	cp_buf_append(b, p, n);
	return 0;
}
