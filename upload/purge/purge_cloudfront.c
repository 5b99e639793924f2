/*
 * purge_cloudfront.c - CloudFront CreateInvalidation (and GetInvalidation
 * for --purge-wait).
 *
 * CloudFront invalidates paths, not URLs: the path of base_url + the key.
 * Its rule for encoding them is its own: non-ASCII bytes and RFC 1738's
 * unsafe characters are percent-encoded, nothing else is (an encoded '/'
 * or an encoded letter would name another object); '?' is encoded too, so
 * a key holding one is not read as a query.  Each path is billed, while a
 * wildcard counts once, so past max_paths one "<base path>*" replaces the
 * list.  The CallerReference is unique per run and the same for each retry
 * of the request: CloudFront answers a replay with the invalidation it
 * already made rather than making a second.
 */
#include "upload/purge/purge_int.h"

#include "lib/cp.h"
#include "upload/s3/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define API_VERSION "2020-05-31"
#define WAIT_MAX    (15 * 60) /* --purge-wait gives up after this many seconds */

static int cf_check(const cp_purge_opts *o, cp_error *err)
{
	int rc = purge_need_opt(o->distribution_id, "--purge-distribution-id", "cloudfront", err);
	if (rc)
		return rc;
	/* the credentials must be there before the deploy, not after it */
	cp_s3_config cfg = {0};
	cp_s3_overrides ov = {.profile = o->aws_profile};
	rc = cp_s3_config_load(&cfg, &ov, err);
	cp_s3_config_free(&cfg);
	return rc ? CP_ERR_USAGE : 0;
}

/* The path part of base_url, ending in '/'. */
static char *base_path(const char *base_url)
{
	const char *p = strstr(base_url, "://");
	p = p ? strchr(p + 3, '/') : base_url;
	if (!p || !*p)
		p = "/";
	size_t l = strcspn(p, "?#");
	return cp_xasprintf("%.*s%s", (int)l, p, l && p[l - 1] == '/' ? "" : "/");
}

static void cf_encode(cp_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"#%<>[\\]^`{|}~?", *p)) {
			cp_buf_putc(b, '%');
			cp_buf_putc(b, hex[*p >> 4]);
			cp_buf_putc(b, hex[*p & 15]);
		} else {
			cp_buf_putc(b, (char)*p);
		}
	}
}

static char *caller_reference(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char hex[17];
	cp_random_hex(8, hex);
	return cp_xasprintf("cdnpipe-%lld%03ld-%d-%s", (long long)ts.tv_sec, ts.tv_nsec / 1000000,
			    (int)getpid(), hex);
}

/* Sends one API call until it is answered for good; *status the last one. */
static long cf_call(const cp_purge_opts *o, const cp_s3_config *cfg, const cp_aws_call *c,
		    cp_buf *resp, cp_purge_report *r)
{
	for (int attempt = 1;; attempt++) {
		long ra = -1;
		cp_buf_clear(resp);
		long st = cp_aws_request(cfg, c, resp, &ra);
		if (ra == 0)
			ra = -1; /* "0", or a date already past: back off as usual */
		r->requests++;
		cp_log(CP_LOG_INFO, "purge: cloudfront %s %s -> %ld", c->method, c->path, st);
		if (st >= 200 && st < 300)
			return st;
		char code[128] = "", msg[512];
		if (resp->len)
			cp_xml_error(resp->data, resp->len, code, sizeof code, msg, sizeof msg);
		int busy =
		    !strcmp(code, "TooManyInvalidationsInProgress") || !strcmp(code, "Throttling");
		if (!purge_retry(o, attempt, st, ra, busy))
			return st;
	}
}

static int cf_error(const cp_s3_config *cfg, cp_error *err, const char *what, long st,
		    const cp_buf *resp)
{
	const char *secrets[] = {cfg->secret_key, cfg->session_token, NULL};
	char code[128] = "";
	char *msg = cp_xmalloc(resp->len + 1);
	int rc;
	if (resp->len &&
	    !cp_xml_error(resp->data, resp->len, code, sizeof code, msg, resp->len + 1)) {
		/* scrubbed whole, then cut */
		purge_scrub(code, secrets);
		purge_scrub(msg, secrets);
		if (strlen(msg) > 240)
			strcpy(msg + 237, "...");
		rc = cp_error_set(err, NULL, 0, 0, "cloudfront: %s: HTTP %ld: %s%s%s", what, st,
				  code, msg[0] ? ": " : "", msg);
	} else {
		rc = purge_fail(err, "cloudfront", what, st, resp, secrets);
	}
	free(msg);
	return rc;
}

static char *xml_text(const cp_buf *b, const char *tag)
{
	size_t pos = 0;
	return b->len ? cp_xml_get(b->data, b->len, &pos, tag) : NULL;
}

static int cf_wait(const cp_purge_opts *o, const cp_s3_config *cfg, const char *endpoint,
		   cp_purge_report *r, cp_error *err)
{
	char *path = cp_xasprintf("/" API_VERSION "/distribution/%s/invalidation/%s",
				  o->distribution_id, r->id);
	cp_aws_call c = {.method = "GET",
			 .endpoint = endpoint,
			 .path = path,
			 .service = "cloudfront",
			 .region = "us-east-1"};
	cp_buf resp = CP_BUF_INIT;
	int rc = 0;
	time_t deadline = time(NULL) + WAIT_MAX;
	for (unsigned delay = 1;; delay = delay < 16 ? delay * 2 : 20) {
		long st = cf_call(o, cfg, &c, &resp, r);
		if (st != 200) {
			rc = cf_error(cfg, err, "waiting for the invalidation", st, &resp);
			break;
		}
		char *status = xml_text(&resp, "Status");
		int done = status && !strcmp(status, "Completed");
		if (!status)
			rc = cp_error_set(err, NULL, 0, 0,
					  "cloudfront: GetInvalidation answered without a Status");
		free(status);
		if (done || rc)
			break;
		if (time(NULL) + (time_t)delay > deadline) {
			rc = cp_error_set(err, NULL, 0, 0,
					  "cloudfront: invalidation %s still in progress after %d "
					  "minutes; it goes on without us",
					  r->id, WAIT_MAX / 60);
			break;
		}
		sleep(delay);
	}
	cp_buf_free(&resp);
	free(path);
	return rc;
}

static void batch_xml(cp_buf *x, const char *ref, char *const *paths, size_t n)
{
	cp_buf_puts(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<InvalidationBatch xmlns=\"http://cloudfront.amazonaws.com/doc/" API_VERSION
		       "/\"><CallerReference>");
	cp_xml_escape(x, ref);
	cp_buf_printf(x, "</CallerReference><Paths><Quantity>%zu</Quantity><Items>", n);
	for (size_t i = 0; i < n; i++) {
		cp_buf_puts(x, "<Path>");
		cp_xml_escape(x, paths[i]);
		cp_buf_puts(x, "</Path>");
	}
	cp_buf_puts(x, "</Items></Paths></InvalidationBatch>");
}

static int cf_run(const cp_purge_opts *o, const char *const *keys, size_t n, cp_purge_report *r,
		  cp_error *err)
{
	cp_s3_config cfg = {0};
	cp_s3_overrides ov = {.profile = o->aws_profile};
	int rc = cp_s3_config_load(&cfg, &ov, err);
	if (rc)
		return CP_ERR_BUILD;
	char *base = base_path(o->base_url);
	size_t max = o->max_paths > 0 ? (size_t)o->max_paths : 100;
	size_t np = 0;
	char **paths = cp_xcalloc(n > max ? 1 : n, sizeof *paths);
	if (n > max) {
		paths[np++] = cp_xasprintf("%s*", base);
		r->wildcard = 1;
	} else {
		for (size_t i = 0; i < n; i++) {
			/* '*' is CloudFront's wildcard and may only end a path: a key
			 * holding one is purged as everything from where it starts */
			const char *star = strchr(keys[i], '*');
			char *k = star ? cp_xstrndup(keys[i], (size_t)(star - keys[i])) : NULL;
			cp_buf b = CP_BUF_INIT;
			cp_buf_puts(&b, base);
			cf_encode(&b, k ? k : keys[i]);
			if (k)
				cp_buf_putc(&b, '*');
			free(k);
			char *p = cp_buf_take(&b);
			int dup = 0;
			for (size_t q = 0; q < np && !dup; q++)
				dup = !strcmp(paths[q], p);
			if (dup)
				free(p); /* two '*' keys with one prefix: one path */
			else
				paths[np++] = p;
		}
	}
	char *ref = caller_reference();
	cp_buf x = CP_BUF_INIT, resp = CP_BUF_INIT;
	batch_xml(&x, ref, paths, np);
	char *endpoint =
	    purge_api_base("AWS_ENDPOINT_URL_CLOUDFRONT", "https://cloudfront.amazonaws.com");
	char *path =
	    cp_xasprintf("/" API_VERSION "/distribution/%s/invalidation", o->distribution_id);
	cp_aws_call c = {.method = "POST",
			 .endpoint = endpoint,
			 .path = path,
			 .service = "cloudfront",
			 .region = "us-east-1",
			 .content_type = "text/xml",
			 .body = x.data,
			 .body_len = x.len};
	long st = cf_call(o, &cfg, &c, &resp, r);
	if (st != 201 && st != 200) {
		rc = cf_error(&cfg, err, "CreateInvalidation", st, &resp);
	} else {
		for (size_t i = 0; i < np; i++)
			purge_note(r, paths[i]);
		r->id = xml_text(&resp, "Id");
		if (!r->id)
			rc = cp_error_set(err, NULL, 0, 0,
					  "cloudfront: CreateInvalidation answered without an Id");
		else if (o->wait)
			rc = cf_wait(o, &cfg, endpoint, r, err);
	}
	for (size_t i = 0; i < np; i++)
		free(paths[i]);
	free(paths);
	free(path);
	free(endpoint);
	free(ref);
	free(base);
	cp_buf_free(&x);
	cp_buf_free(&resp);
	cp_s3_config_free(&cfg);
	return rc;
}

const purge_backend cp_purge_cloudfront = {"cloudfront", cf_check, cf_run};
