/*
 * purge_bunny.c - bunny.net: POST /purge?url=<URL> per URL, with the
 * account's AccessKey.  The API takes one URL per request and answers 200
 * with an empty body; async=false makes the answer mean the edges dropped
 * it, so the deploy that follows a purge never races it.
 */
#include "upload/purge/purge_int.h"

#include "lib/cp.h"
#include "upload/s3/s3.h"

#include <stdlib.h>
#include <string.h>

static int bunny_check(const cp_purge_opts *o, cp_error *err)
{
	(void)o;
	const char *tok;
	return purge_need_env("BUNNY_API_KEY", "bunny", &tok, err);
}

static char *bunny_url(void *ctx, const char *url)
{
	char *q = cp_s3_uri_encode(url, 0);
	char *u = cp_xasprintf("%s/purge?url=%s&async=false", (const char *)ctx, q);
	free(q);
	return u;
}

static int bunny_run(const cp_purge_opts *o, const char *const *keys, size_t n, cp_purge_report *r,
		     cp_error *err)
{
	purge_api api;
	if (purge_api_open(&api, "bunny", "BUNNY_API_KEY", "AccessKey: ", "BUNNY_API_URL",
			   "https://api.bunny.net", err))
		return CP_ERR_BUILD;
	const char *headers[] = {api.auth, "Accept: application/json", NULL};
	int rc = purge_per_url(o, "bunny", keys, n, headers, bunny_url, api.base, r, err);
	purge_api_close(&api);
	return rc;
}

const purge_backend cp_purge_bunny = {"bunny", bunny_check, bunny_run};
