/*
 * purge.c - the provider table and the entry points of purge.h: which
 * provider, its checks, and the run.  The providers are one file each
 * (purge_<name>.c) behind purge_backend; what they share is purge_http.c.
 */
#include "upload/purge/purge_int.h"

#include "lib/cp.h"
#include "upload/s3/s3.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const purge_backend *const backends[] = {
    [CP_PURGE_CLOUDFRONT] = &cp_purge_cloudfront,
    [CP_PURGE_CLOUDFLARE] = &cp_purge_cloudflare,
    [CP_PURGE_FASTLY] = &cp_purge_fastly,
    [CP_PURGE_BUNNY] = &cp_purge_bunny,
};
#define NBACKENDS (sizeof backends / sizeof backends[0])

int cp_purge_provider_parse(const char *s)
{
	if (!s || !*s || !strcmp(s, "none"))
		return CP_PURGE_NONE;
	for (size_t i = 1; i < NBACKENDS; i++)
		if (!strcmp(s, backends[i]->name))
			return (int)i;
	return -1;
}

const char *cp_purge_provider_name(int provider)
{
	return provider > 0 && (size_t)provider < NBACKENDS ? backends[provider]->name : "none";
}

int cp_purge_check(const cp_purge_opts *o, cp_error *err)
{
	if (o->provider == CP_PURGE_NONE) {
		/* a provider's setting without --purge: a forgotten flag, not a
		 * deploy that means to skip its purge */
		int set = o->base_url || o->distribution_id || o->zone || o->service_id ||
			  o->surrogate_key || o->soft || o->max_paths || o->batch || o->wait;
		if (set) {
			cp_error_set(
			    err, NULL, 0, 0,
			    "purge settings are given but no provider: add --purge "
			    "cloudfront|cloudflare|fastly|bunny (or provider = in [purge])");
			return CP_ERR_USAGE;
		}
		return 0;
	}
	if (o->provider < 0 || (size_t)o->provider >= NBACKENDS) {
		cp_error_set(err, NULL, 0, 0, "unknown purge provider");
		return CP_ERR_USAGE;
	}
	const char *name = backends[o->provider]->name;
	int rc = purge_need_opt(o->base_url, "--purge-base-url (the URL the files are served at)",
				name, err);
	if (!rc && strncmp(o->base_url, "https://", 8) && strncmp(o->base_url, "http://", 7)) {
		cp_error_set(err, NULL, 0, 0,
			     "--purge-base-url must be an http:// or https:// URL, not '%s'",
			     o->base_url);
		rc = CP_ERR_USAGE;
	}
	if (!rc && (o->max_paths < 0 || o->max_paths > 3000 || o->batch < 0 || o->retries < 0)) {
		cp_error_set(
		    err, NULL, 0, 0,
		    "--purge-max-paths wants 1 to 3000 (CloudFront's limit), --purge-batch "
		    "1 or more");
		rc = CP_ERR_USAGE;
	}
	/* a setting of another provider is a mistake, not something to ignore */
	struct {
		int set, provider;
		const char *flag;
	} only[] = {
	    {o->distribution_id != NULL, CP_PURGE_CLOUDFRONT, "--purge-distribution-id"},
	    {o->max_paths != 0, CP_PURGE_CLOUDFRONT, "--purge-max-paths"},
	    {o->wait, CP_PURGE_CLOUDFRONT, "--purge-wait"},
	    {o->zone != NULL, CP_PURGE_CLOUDFLARE, "--purge-zone"},
	    {o->batch != 0, CP_PURGE_CLOUDFLARE, "--purge-batch"},
	    {o->service_id != NULL, CP_PURGE_FASTLY, "--purge-service-id"},
	    {o->surrogate_key != NULL, CP_PURGE_FASTLY, "--surrogate-key"},
	    {o->soft, CP_PURGE_FASTLY, "--soft-purge"},
	};
	for (size_t i = 0; !rc && i < sizeof only / sizeof only[0]; i++)
		if (only[i].set && only[i].provider != o->provider) {
			cp_error_set(err, NULL, 0, 0, "%s is for --purge %s, not %s", only[i].flag,
				     backends[only[i].provider]->name, name);
			rc = CP_ERR_USAGE;
		}
	return rc ? rc : backends[o->provider]->check(o, err);
}

int cp_purge(const cp_purge_opts *o, const char *const *keys, size_t n, cp_purge_report *r)
{
	if (o->provider == CP_PURGE_NONE || !n)
		return 0;
	r->ran = 1;
	int rc = cp_purge_check(o, &r->err);
	if (!rc)
		rc = backends[o->provider]->run(o, keys, n, r, &r->err);
	if (rc) {
		r->failed = 1;
		rc = CP_ERR_BUILD;
	}
	return rc;
}

void cp_purge_report_free(cp_purge_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->purged[i]);
	free(r->purged);
	free(r->id);
	memset(r, 0, sizeof *r);
}
