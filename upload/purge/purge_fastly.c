/*
 * purge_fastly.c - Fastly: purge each URL (POST /purge/{host}/{path}), or,
 * when uploads carry a surrogate key, that key for the whole service in one
 * request (POST /service/{id}/purge/{key}).
 *
 * URL purges name the cached URL without its scheme, the way Fastly's API
 * takes them.  "Fastly-Soft-Purge: 1" marks objects stale instead of
 * evicting them (--soft-purge), so the origin is not hit by every edge at
 * once.  A surrogate-key purge drops every object tagged with the key -
 * with --surrogate-key, that is every unhashed object cdnpipe uploaded,
 * which costs one request however many keys changed.
 */
#include "upload/purge/purge_int.h"

#include "lib/cp.h"
#include "upload/s3/s3.h"

#include <stdlib.h>
#include <string.h>

static int fastly_check(const cp_purge_opts *o, cp_error *err)
{
	const char *tok;
	if (o->surrogate_key &&
	    purge_need_opt(o->service_id, "--purge-service-id (for --surrogate-key)", "fastly",
			   err))
		return CP_ERR_USAGE;
	return purge_need_env("FASTLY_API_TOKEN", "fastly", &tok, err);
}

/* Fastly's API names the cached URL without its scheme. */
static char *fastly_url(void *ctx, const char *url)
{
	const char *hp = strstr(url, "://");
	return cp_xasprintf("%s/purge/%s", (const char *)ctx, hp ? hp + 3 : url);
}

static int fastly_run(const cp_purge_opts *o, const char *const *keys, size_t n, cp_purge_report *r,
		      cp_error *err)
{
	purge_api api;
	if (purge_api_open(&api, "fastly", "FASTLY_API_TOKEN", "Fastly-Key: ", "FASTLY_API_URL",
			   "https://api.fastly.com", err))
		return CP_ERR_BUILD;
	const char *base = api.base;
	const char *headers[] = {api.auth, "Accept: application/json",
				 o->soft ? "Fastly-Soft-Purge: 1" : NULL, NULL};
	cp_buf resp = CP_BUF_INIT;
	int rc = 0;
	if (o->surrogate_key) {
		char *svc = cp_s3_uri_encode(o->service_id, 0);
		char *sk = cp_s3_uri_encode(o->surrogate_key, 0);
		char *url = cp_xasprintf("%s/service/%s/purge/%s", base, svc, sk);
		long st = purge_send(o, "POST", url, headers, "", &resp, r);
		if (st != 200)
			rc = purge_fail(err, "fastly", "purge by surrogate key", st, &resp, NULL);
		else
			purge_note(r, o->surrogate_key);
		free(url);
		free(sk);
		free(svc);
	} else {
		rc = purge_per_url(o, "fastly", keys, n, headers, fastly_url, (void *)base, r, err);
	}
	cp_buf_free(&resp);
	purge_api_close(&api);
	return rc;
}

const purge_backend cp_purge_fastly = {"fastly", fastly_check, fastly_run};
