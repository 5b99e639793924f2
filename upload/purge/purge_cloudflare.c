/*
 * purge_cloudflare.c - Cloudflare's purge by URL: POST
 * /client/v4/zones/{zone}/purge_cache with {"files": [URL, ...]}.
 *
 * A request may name at most 30 URLs on most plans (more on Enterprise:
 * --purge-batch), so the URLs go in batches, one after the other: the API
 * rate-limits per zone, and a 429 is waited out (Retry-After) and the same
 * batch re-sent.  Success is HTTP 200 with "success": true; anything else
 * stops the purge with Cloudflare's own error message.
 *
 * CLOUDFLARE_API_URL may be the host alone (http://127.0.0.1:8080) or the
 * API's base with /client/v4, as Cloudflare's tools spell it.
 */
#include "upload/purge/purge_int.h"

#include "lib/cp.h"
#include "upload/s3/s3.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int cfl_check(const cp_purge_opts *o, cp_error *err)
{
	const char *tok;
	int rc = purge_need_opt(o->zone, "--purge-zone", "cloudflare", err);
	return rc ? rc : purge_need_env("CLOUDFLARE_API_TOKEN", "cloudflare", &tok, err);
}

static int answered_success(const cp_buf *resp)
{
	json_error_t je;
	json_t *j = resp->len ? json_loadb(resp->data, resp->len, 0, &je) : NULL;
	int ok = j && json_is_true(json_object_get(j, "success"));
	json_decref(j);
	return ok;
}

static int cfl_run(const cp_purge_opts *o, const char *const *keys, size_t n, cp_purge_report *r,
		   cp_error *err)
{
	purge_api api;
	if (purge_api_open(&api, "cloudflare", "CLOUDFLARE_API_TOKEN", "Authorization: Bearer ",
			   "CLOUDFLARE_API_URL", "https://api.cloudflare.com", err))
		return CP_ERR_BUILD;
	const char *base = api.base;
	size_t bl = strlen(base);
	int has_v4 = bl >= 10 && !strcmp(base + bl - 10, "/client/v4");
	char *zone = cp_s3_uri_encode(o->zone, 0);
	char *url =
	    cp_xasprintf("%s%s/zones/%s/purge_cache", base, has_v4 ? "" : "/client/v4", zone);
	const char *headers[] = {api.auth, "Content-Type: application/json", NULL};
	size_t batch = o->batch > 0 ? (size_t)o->batch : 30;
	/* every spelling of every key, then in batches */
	char **urls = cp_xcalloc(3 * n + 1, sizeof *urls);
	size_t nu = 0;
	for (size_t i = 0; i < n; i++)
		nu += purge_urls(o->base_url, keys[i], urls + nu);
	cp_buf resp = CP_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < nu && !rc; i += batch) {
		size_t m = nu - i < batch ? nu - i : batch;
		json_t *files = json_array();
		for (size_t k = 0; k < m; k++)
			json_array_append_new(files, json_string(urls[i + k]));
		json_t *doc = json_pack("{s:o}", "files", files);
		char *body = json_dumps(doc, JSON_COMPACT);
		long st = purge_send(o, "POST", url, headers, body, &resp, r);
		if (st != 200 || !answered_success(&resp))
			rc = purge_fail(err, "cloudflare", "purge_cache", st, &resp, NULL);
		else
			for (size_t k = 0; k < m; k++)
				purge_note(r, urls[i + k]);
		free(body);
		json_decref(doc);
	}
	for (size_t i = 0; i < nu; i++)
		free(urls[i]);
	free(urls);
	cp_buf_free(&resp);
	free(url);
	free(zone);
	purge_api_close(&api);
	return rc;
}

const purge_backend cp_purge_cloudflare = {"cloudflare", cfl_check, cfl_run};
