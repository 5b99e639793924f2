/*
 * purge_http.c - what every provider of upload/purge/ shares: API bases,
 * the checks of options and tokens, one request with retries, and turning a
 * provider's answer into one message (purge_int.h).
 *
 * A purge runs after the live manifest is published, so it can no longer
 * undo anything: what matters is that it either reaches the CDN or says
 * plainly that it did not.  Hence retries with backoff for what a provider
 * answers when it is busy (429 with Retry-After, 5xx, no answer), and a
 * message that quotes the provider's own error text, never the request's
 * headers (which hold the token).
 */
#include "upload/purge/purge_int.h"

#include "lib/cp.h"
#include "upload/s3/s3.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

char *purge_api_base(const char *env, const char *fallback)
{
	const char *v = getenv(env);
	char *b = cp_xstrdup(v && *v ? v : fallback);
	for (size_t l = strlen(b); l > 0 && b[l - 1] == '/'; l--)
		b[l - 1] = 0;
	return b;
}

int purge_need_env(const char *env, const char *provider, const char **out, cp_error *err)
{
	const char *v = getenv(env);
	if (v && *v) {
		*out = v;
		return 0;
	}
	cp_error_set(err, NULL, 0, 0,
		     "--purge %s needs the API token in the environment variable %s", provider,
		     env);
	return CP_ERR_USAGE;
}

int purge_api_open(purge_api *a, const char *provider, const char *token_env,
		   const char *auth_prefix, const char *api_env, const char *api_default,
		   cp_error *err)
{
	const char *tok;
	memset(a, 0, sizeof *a);
	if (purge_need_env(token_env, provider, &tok, err))
		return CP_ERR_BUILD;
	a->base = purge_api_base(api_env, api_default);
	a->auth = cp_xasprintf("%s%s", auth_prefix, tok);
	return 0;
}

void purge_api_close(purge_api *a)
{
	free(a->base);
	free(a->auth);
	memset(a, 0, sizeof *a);
}

int purge_need_opt(const char *value, const char *flag, const char *provider, cp_error *err)
{
	if (value && *value)
		return 0;
	cp_error_set(err, NULL, 0, 0, "--purge %s needs %s", provider, flag);
	return CP_ERR_USAGE;
}

int purge_retry(const cp_purge_opts *o, int attempt, long status, long retry_after, int busy)
{
	int retries = o->retries > 0 ? o->retries : 5;
	if (attempt > retries)
		return 0;
	if (!(busy || status == 0 || status == 429 || status >= 500))
		return 0;
	/* Retry-After when given (at least 1 s: "0" from a busy API must not
	 * mean a burst), else 1, 2, 4 ... s */
	long s = retry_after >= 0 ? retry_after : 1L << (attempt - 1);
	if (s < 1)
		s = 1;
	if (s > (retry_after >= 0 ? 60 : 30))
		s = retry_after >= 0 ? 60 : 30;
	cp_log(CP_LOG_INFO, "purge: HTTP %ld, trying again in %ld s", status, s);
	sleep((unsigned)s);
	return 1;
}

/* The secrets a message could echo back: the providers' tokens and the
 * AWS keys of the environment (the caller adds the ones from files). */
static const char *const secret_envs[] = {"CLOUDFLARE_API_TOKEN", "FASTLY_API_TOKEN",
					  "BUNNY_API_KEY",	  "AWS_SECRET_ACCESS_KEY",
					  "AWS_SESSION_TOKEN",	  NULL};

void purge_scrub(char *s, const char *const *secrets)
{
	/* an AWS signature error quotes the canonical request and the string to
	 * sign, which hold the session token: the message ends before them */
	static const char *const cuts[] = {"The Canonical String", "The String to Sign",
					   "<CanonicalRequest", "<StringToSign", NULL};
	for (const char *const *c = cuts; *c; c++) {
		char *at = strstr(s, *c);
		if (at)
			*at = 0;
	}
	for (int pass = 0; pass < 2; pass++) {
		const char *const *list = pass ? secrets : secret_envs;
		for (size_t i = 0; list && list[i]; i++) {
			const char *v = pass ? list[i] : getenv(list[i]);
			size_t n = v ? strlen(v) : 0;
			if (n < 4)
				continue;
			for (char *at; (at = strstr(s, v));) {
				memset(at, '*', n);
			}
		}
	}
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

long purge_send(const cp_purge_opts *o, const char *method, const char *url,
		const char *const *headers, const char *body, cp_buf *resp, cp_purge_report *r)
{
	long st = 0;
	for (int attempt = 1;; attempt++) {
		char ra[32] = "";
		cp_buf_clear(resp);
		cp_http_req rq = {.method = method,
				  .url = url,
				  .headers = headers,
				  .data = body,
				  .data_len = body ? strlen(body) : 0,
				  .timeout = 10,
				  .total_timeout = 60,
				  .body = cp_http_keep,
				  .ctx = resp,
				  .want_header = "Retry-After",
				  .header_value = ra,
				  .header_size = sizeof ra};
		st = cp_http(&rq);
		r->requests++;
		cp_log(CP_LOG_INFO, "purge: %s %s -> %ld", method, url, st);
		if (st >= 200 && st < 300)
			return st;
		if (!purge_retry(o, attempt, st, cp_http_retry_after(ra), 0))
			return st;
	}
}

/* The provider's words for the failure: Cloudflare's errors[].message,
 * Fastly's msg/detail, Bunny's Message, or the start of the body.  The
 * whole text is scrubbed first and cut after, so a secret that straddles
 * the cut is starred out too.  Newly allocated. */
static char *describe(const cp_buf *resp, const char *const *secrets)
{
	if (!resp || !resp->len)
		return cp_xstrdup("");
	char *text = NULL;
	json_error_t je;
	json_t *j = json_loadb(resp->data, resp->len, 0, &je);
	if (j) {
		json_t *errs = json_object_get(j, "errors");
		const char *m = NULL;
		if (json_is_array(errs) && json_array_size(errs))
			m = json_string_value(json_object_get(json_array_get(errs, 0), "message"));
		static const char *const keys[] = {"msg", "detail", "message", "Message"};
		for (size_t i = 0; !m && i < 4; i++)
			m = json_string_value(json_object_get(j, keys[i]));
		if (m)
			text = cp_xstrdup(m);
		json_decref(j);
	}
	if (!text)
		text = cp_xstrndup(resp->data, resp->len);
	purge_scrub(text, secrets);
	if (strlen(text) > 240)
		strcpy(text + 237, "...");
	return text;
}

int purge_fail(cp_error *err, const char *provider, const char *what, long status,
	       const cp_buf *resp, const char *const *secrets)
{
	char *said = describe(resp, secrets);
	int rc;
	if (!status)
		rc =
		    cp_error_set(err, NULL, 0, 0, "%s: %s: no answer from the API", provider, what);
	else
		rc = cp_error_set(err, NULL, 0, 0, "%s: %s: HTTP %ld%s%s", provider, what, status,
				  said[0] ? ": " : "", said);
	free(said);
	return rc;
}

void purge_note(cp_purge_report *r, const char *name)
{
	r->purged = cp_xrealloc(r->purged, (r->n + 1) * sizeof *r->purged);
	r->purged[r->n++] = cp_xstrdup(name);
}

/* A key in a URL, three ways: encoded as S3 and `cdnpipe url` do (only
 * RFC 3986's unreserved characters kept), as Django's filepath_to_uri does
 * ("/~!*()'" kept too), and as a browser leaves a path it was given (every
 * sub-delimiter and ':' '@' kept).  CDNs key their caches by the URL as it
 * was requested, and which of these a page links depends on the framework
 * that rendered it, so a purge names each distinct one. */
size_t purge_urls(const char *base, const char *key, char *out[3])
{
	static const char *const keep[] = {"/", "/!*()'", "/!$&'()*+,;=:@"};
	size_t n = 0;
	for (size_t v = 0; v < 3; v++) {
		char *u = cp_key_url_keeping(base, key, keep[v]);
		int seen = 0;
		for (size_t i = 0; i < n; i++)
			seen |= !strcmp(out[i], u);
		if (seen)
			free(u);
		else
			out[n++] = u;
	}
	return n;
}

int purge_per_url(const cp_purge_opts *o, const char *provider, const char *const *keys, size_t n,
		  const char *const *headers, char *(*request_url)(void *ctx, const char *url),
		  void *ctx, cp_purge_report *r, cp_error *err)
{
	cp_buf resp = CP_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		char *us[3];
		size_t nu = purge_urls(o->base_url, keys[i], us);
		for (size_t v = 0; v < nu; v++) {
			char *url = request_url(ctx, us[v]);
			long st = rc ? 0 : purge_send(o, "POST", url, headers, "", &resp, r);
			if (!rc && (st < 200 || st > 299))
				rc = purge_fail(err, provider, us[v], st, &resp, NULL);
			else if (!rc)
				purge_note(r, us[v]);
			free(url);
			free(us[v]);
		}
	}
	cp_buf_free(&resp);
	return rc;
}
