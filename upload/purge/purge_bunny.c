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

static int bunny_run(const cp_purge_opts *o, const char *const *keys, size_t n, cp_purge_report *r,
		     cp_error *err)
{
	purge_api api;
	if (purge_api_open(&api, "bunny", "BUNNY_API_KEY", "AccessKey: ", "BUNNY_API_URL",
			   "https://api.bunny.net", err))
		return CP_ERR_BUILD;
	const char *headers[] = {api.auth, "Accept: application/json", NULL};
	cp_buf resp = CP_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		char *us[3];
		size_t nu = purge_urls(o->base_url, keys[i], us);
		for (size_t v = 0; v < nu; v++) {
			char *q = cp_s3_uri_encode(us[v], 0);
			char *url = cp_xasprintf("%s/purge?url=%s&async=false", api.base, q);
			long st = rc ? 0 : purge_send(o, "POST", url, headers, "", &resp, r);
			if (!rc && st != 200 && st != 204)
				rc = purge_fail(err, "bunny", us[v], st, &resp);
			else if (!rc)
				purge_note(r, us[v]);
			free(url);
			free(q);
			free(us[v]);
		}
	}
	cp_buf_free(&resp);
	purge_api_close(&api);
	return rc;
}

const purge_backend cp_purge_bunny = {"bunny", bunny_check, bunny_run};
