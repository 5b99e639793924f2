/*
 * s3_explain.c - judging a failed request: whether it is worth another try
 * (s3_should_retry: network errors, 5xx, 429 and S3's throttling codes, one
 * BadDigest), and the message for the person running a deploy when it is
 * not: what failed, on which key, and what to check (clock, region,
 * credentials, permissions), rather than the bare S3 code.
 *
 * It reads only the request and the client's configuration, which the
 * engine passes in, so this file does not call back into the engine.
 */
#include "upload/s3/s3_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int retryable_code(const char *code)
{
	static const char *const codes[] = {"SlowDown",
					    "RequestTimeout",
					    "InternalError",
					    "ServiceUnavailable",
					    "Throttling",
					    "ThrottlingException",
					    NULL};
	for (int i = 0; codes[i]; i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

int s3_should_retry(s3_req *r)
{
	if (r->prep_failed)
		return 0;
	if (r->curl_err) {
		switch (r->curl_err) {
		case CURLE_URL_MALFORMAT:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_ABORTED_BY_CALLBACK:
		case CURLE_READ_ERROR:
		case CURLE_WRITE_ERROR:
			return 0;
		default:
			return 1;
		}
	}
	int st = r->res.status;
	if (st == 500 || st == 502 || st == 503 || st == 504 || st == 429)
		return 1;
	if (retryable_code(r->res.code))
		return 1;
	if (strcmp(r->res.code, "BadDigest") == 0 && !r->bad_digest_retried) {
		r->bad_digest_retried = 1;
		return 1;
	}
	return 0;
}

/* RequestTimeTooSkewed: the difference, from the times the server gives. */
static void explain_skew(s3_req *r)
{
	cp_error *e = &r->res.err;
	const char *x = r->resp.data ? r->resp.data : "";
	char *rt = cp_xml_get(x, r->resp.len, NULL, "RequestTime");
	char *st = cp_xml_get(x, r->resp.len, NULL, "ServerTime");
	time_t a = s3_parse_iso8601(rt), b = s3_parse_iso8601(st);
	if (!a && rt)
		a = s3_parse_http_date(rt);
	if (!b && st)
		b = s3_parse_http_date(st);
	if (a && b)
		snprintf(e->msg, sizeof(e->msg),
			 "this machine's clock differs from the server's by %lld seconds "
			 "(RequestTimeTooSkewed); fix the clock (NTP)",
			 (long long)(a - b));
	else
		snprintf(e->msg, sizeof(e->msg),
			 "this machine's clock is too far from the server's "
			 "(RequestTimeTooSkewed); fix the clock (NTP)");
	free(rt);
	free(st);
}

/* A bucket in another region: name it when the server tells. */
static void explain_region(s3_req *r, const cp_s3_config *cfg)
{
	cp_error *e = &r->res.err;
	const char *x = r->resp.data ? r->resp.data : "";
	char *region = cp_xml_get(x, r->resp.len, NULL, "Region");
	char *ep = cp_xml_get(x, r->resp.len, NULL, "Endpoint");
	char where[300] = "";
	if (region)
		snprintf(where, sizeof(where), " (it is in %.60s)", region);
	else if (ep)
		snprintf(where, sizeof(where), "; the server names endpoint %.200s", ep);
	snprintf(e->msg, sizeof(e->msg),
		 "bucket '%.200s' is not in region %.40s%s: pass --region (or set AWS_REGION) to "
		 "the bucket's region",
		 r->bucket, cfg->region, where);
	free(region);
	free(ep);
}

void s3_explain(s3_req *r, const cp_s3_config *cfg)
{
	cp_error *e = &r->res.err;
	char server[512];
	snprintf(server, sizeof(server), "%.500s", e->msg);
	const char *code = r->res.code;
	const char *what = e->path;
	e->set = 1;
	if (r->prep_failed || (r->res.status == 0 && !r->curl_err && e->msg[0]))
		return; /* a local failure (reading the file): message already set */
	if (r->curl_err == CURLE_WRITE_ERROR && !strncmp(r->curl_msg, "write: ", 7)) {
		/* the engine's own write of a download to its file (a full disk) */
		snprintf(e->msg, sizeof(e->msg), "cannot write the downloaded bytes: %s",
			 r->curl_msg + 7);
		return;
	}
	if (r->curl_err == CURLE_WRITE_ERROR) {
		/* the engine stops keeping an answer at S3_RESP_MAX */
		snprintf(e->msg, sizeof(e->msg),
			 "%s: the answer is over %u MiB (no S3 answer to this request is that "
			 "large): not read further",
			 r->method, S3_RESP_MAX >> 20);
		return;
	}
	if (r->curl_err) {
		snprintf(e->msg, sizeof(e->msg), "network error after %u attempt%s: %s",
			 r->attempts, r->attempts == 1 ? "" : "s", r->curl_msg);
		if (r->curl_err == CURLE_PEER_FAILED_VERIFICATION)
			snprintf(e->msg, sizeof(e->msg),
				 "TLS certificate verification failed for %s (%s); set "
				 "AWS_CA_BUNDLE if the endpoint uses a private CA",
				 cfg->endpoint, r->curl_msg);
		return;
	}
	if (!code[0] && r->res.status == 404)
		code = r->key ? "NoSuchKey" : "NoSuchBucket";
	if (!code[0] && r->res.status == 403)
		code = "AccessDenied";
	if (strcmp(code, "InvalidAccessKeyId") == 0) {
		snprintf(e->msg, sizeof(e->msg),
			 "bad credentials: the server does not know access key %.8s... "
			 "(check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id)",
			 cfg->access_key);
	} else if (strcmp(code, "SignatureDoesNotMatch") == 0) {
		snprintf(e->msg, sizeof(e->msg),
			 "bad credentials: the request signature does not match (check "
			 "AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key, and the "
			 "region)");
	} else if (strcmp(code, "RequestTimeTooSkewed") == 0) {
		explain_skew(r);
	} else if (strcmp(code, "NoSuchBucket") == 0) {
		snprintf(e->msg, sizeof(e->msg), "bucket '%s' does not exist on %s", r->bucket,
			 cfg->endpoint);
	} else if (strcmp(code, "AccessDenied") == 0) {
		snprintf(e->msg, sizeof(e->msg), "access denied to s3://%.500s (%s %.400s)", what,
			 r->method, server[0] ? server : "check the credentials' permissions");
	} else if (strcmp(code, "ExpiredToken") == 0 || strcmp(code, "InvalidToken") == 0) {
		snprintf(e->msg, sizeof(e->msg),
			 "the session token is %s (AWS_SESSION_TOKEN / aws_session_token)",
			 code[1] == 'x' ? "expired" : "invalid");
	} else if (strcmp(code, "PermanentRedirect") == 0 || r->res.status == 301 ||
		   (strcmp(code, "AuthorizationHeaderMalformed") == 0 &&
		    strstr(server, "region"))) {
		explain_region(r, cfg);
	} else if (strcmp(code, "NoSuchKey") == 0) {
		snprintf(e->msg, sizeof(e->msg), "no such key");
	} else if (code[0]) {
		snprintf(e->msg, sizeof(e->msg), "%s %d %s%s%s%s", r->method, r->res.status, code,
			 server[0] ? ": " : "", server, r->attempts > 1 ? " (after retries)" : "");
	} else {
		snprintf(e->msg, sizeof(e->msg), "%s: HTTP status %d%s", r->method, r->res.status,
			 r->attempts > 1 ? " (after retries)" : "");
	}
	if (!r->res.code[0])
		snprintf(r->res.code, sizeof(r->res.code), "%s", code);
}
