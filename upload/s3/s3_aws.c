/*
 * s3_aws.c - one SigV4-signed request to an AWS API other than S3
 * (cp_aws_request): CloudFront's CreateInvalidation and GetInvalidation.
 *
 * These are a request or two per deploy, so they go through cp_http (one
 * blocking easy handle) rather than the S3 engine, whose queue, part
 * hashing and S3 error rules would only be in the way.  The signer is the
 * same one S3 uses (sigv4.c) with another service name; the credentials are
 * the same chain (cp_s3_config_load), as the AWS CLI uses one chain for
 * every service.  What is signed: host, x-amz-date, x-amz-content-sha256
 * (the body's SHA-256, which is also the canonical request's payload hash),
 * content-type when there is a body, and x-amz-security-token for temporary
 * credentials.  Nothing secret reaches the response buffer or a log line.
 */
#include "upload/s3/s3.h"
#include "upload/s3/sigv4.h"

#include "lib/digest.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

long cp_aws_request(const cp_s3_config *cfg, const cp_aws_call *c, cp_buf *resp, long *retry_after)
{
	const char *sep = strstr(c->endpoint, "://");
	const char *hp = sep ? sep + 3 : c->endpoint;
	char *host = cp_xstrndup(hp, strcspn(hp, "/"));
	unsigned char d[32];
	char sha[65], amz_date[17];
	cp_sha256(c->body ? c->body : "", c->body ? c->body_len : 0, d);
	cp_hex(d, 32, sha);
	cp_sigv4_amz_date(time(NULL), amz_date);

	cp_sigv4_header sh[5];
	size_t n = 0;
	sh[n++] = (cp_sigv4_header){"host", host};
	sh[n++] = (cp_sigv4_header){"x-amz-date", amz_date};
	sh[n++] = (cp_sigv4_header){"x-amz-content-sha256", sha};
	if (c->content_type)
		sh[n++] = (cp_sigv4_header){"content-type", c->content_type};
	if (cfg->session_token)
		sh[n++] = (cp_sigv4_header){"x-amz-security-token", cfg->session_token};
	cp_sigv4_input in = {.method = c->method,
			     .path = c->path,
			     .query = "",
			     .headers = sh,
			     .nheaders = n,
			     .payload_hash = sha,
			     .amz_date = amz_date,
			     .region = c->region,
			     .service = c->service,
			     .access_key = cfg->access_key,
			     .secret_key = cfg->secret_key};
	char *auth = cp_sigv4_authorization(&in);

	/* curl sends Host itself, from the URL */
	char *lines[6];
	size_t nl = 0;
	lines[nl++] = cp_xasprintf("Authorization: %s", auth);
	for (size_t i = 1; i < n; i++)
		lines[nl++] = cp_xasprintf("%s: %s", sh[i].name, sh[i].value);
	lines[nl] = NULL;
	free(auth);

	char *url =
	    cp_xasprintf("%.*s%s", (int)(hp - c->endpoint + strlen(host)), c->endpoint, c->path);
	char ra[32] = "";
	cp_http_req rq = {.method = c->method,
			  .url = url,
			  .headers = (const char *const *)lines,
			  .data = c->body ? c->body : (c->content_type ? "" : NULL),
			  .data_len = c->body ? c->body_len : 0,
			  .ca_bundle = cfg->ca_bundle,
			  .timeout = 10,
			  .total_timeout = c->timeout ? c->timeout : 60,
			  .body = cp_http_keep,
			  .ctx = resp,
			  .want_header = "Retry-After",
			  .header_value = ra,
			  .header_size = sizeof ra};
	long st = cp_http(&rq);
	if (retry_after)
		*retry_after = cp_http_retry_after(ra);
	for (size_t i = 0; i < nl; i++)
		free(lines[i]);
	free(url);
	free(host);
	return st;
}
