/*
 * purge_opts.c - the CDN purge options; see purge_opts.h.
 */
#include "cmd/purge_opts.h"

#include "cmd/report.h"
#include "lib/cp.h"

#include <stdio.h>
#include <string.h>

static struct {
	const char *provider, *base_url, *distribution_id, *zone, *service_id, *surrogate_key;
	int soft, wait;
	long max_paths, batch;
} o;

const cp_opt cp_purge_options[] = {
    {"purge", 0, CP_OPT_STR, &o.provider, "PROVIDER",
     "after publishing, purge the changed unhashed keys: cloudfront, cloudflare, fastly, bunny", 0},
    {"purge-base-url", 0, CP_OPT_STR, &o.base_url, "URL",
     "where the files are served: https://cdn.example.com/static/ (+ key)", 0},
    {"purge-distribution-id", 0, CP_OPT_STR, &o.distribution_id, "ID",
     "cloudfront: the distribution", 0},
    {"purge-zone", 0, CP_OPT_STR, &o.zone, "ID", "cloudflare: the zone (CLOUDFLARE_API_TOKEN)", 0},
    {"purge-service-id", 0, CP_OPT_STR, &o.service_id, "ID",
     "fastly: the service (FASTLY_API_TOKEN)", 0},
    {"surrogate-key", 0, CP_OPT_STR, &o.surrogate_key, "KEY",
     "fastly: purge this surrogate key in one request instead of each URL", 0},
    {"soft-purge", 0, CP_OPT_FLAG, &o.soft, NULL, "fastly: mark stale instead of evicting", 0},
    {"purge-max-paths", 0, CP_OPT_INT, &o.max_paths, "N",
     "cloudfront: past N paths, one wildcard (default 100)", 0},
    {"purge-batch", 0, CP_OPT_INT, &o.batch, "N", "cloudflare: URLs per request (default 30)", 0},
    {"purge-wait", 0, CP_OPT_FLAG, &o.wait, NULL,
     "cloudfront: wait until the invalidation is Completed", 0},
    CP_OPT_END,
};

int cp_purge_settings(cp_purge_opts *out, const char *profile)
{
	/* deploy asks before it builds and again when it uploads: the options
	 * do not change within a run, and a CloudFront check loads the AWS
	 * credentials (a metadata-service round trip on EC2), so once is enough */
	static int checked;
	memset(out, 0, sizeof *out);
	int p = cp_purge_provider_parse(o.provider);
	if (p < 0) {
		fprintf(stderr,
			"cdnpipe: --purge: unknown provider '%s' (cloudfront, cloudflare, fastly, "
			"bunny)\n",
			o.provider);
		return CP_ERR_USAGE;
	}
	*out = (cp_purge_opts){.provider = p,
			       .base_url = o.base_url,
			       .distribution_id = o.distribution_id,
			       .zone = o.zone,
			       .service_id = o.service_id,
			       .surrogate_key = o.surrogate_key,
			       .soft = o.soft,
			       .max_paths = o.max_paths,
			       .batch = o.batch,
			       .wait = o.wait,
			       .aws_profile = profile};
	cp_error err = {0};
	if (!checked && cp_purge_check(out, &err)) {
		cp_report_error(&err);
		return CP_ERR_USAGE;
	}
	checked = 1;
	return 0;
}

void cp_purge_print(const cp_purge_report *r, const char *target, const char *release,
		    const char *const *keys, size_t nkeys)
{
	if (!r->ran)
		return;
	if (!r->failed) {
		cp_log(CP_LOG_WARN, "purge: %zu %s%s%s%s", r->n,
		       r->wildcard ? "wildcard path" : (r->n == 1 ? "entry" : "entries"),
		       r->id ? " (invalidation " : "", r->id ? r->id : "", r->id ? ")" : "");
		for (size_t i = 0; i < r->n; i++)
			cp_log(CP_LOG_INFO, "purged %s", r->purged[i]);
		return;
	}
	cp_buf b = CP_BUF_INIT;
	cp_buf_printf(&b, "cdnpipe purge %s", target);
	if (release && *release)
		cp_buf_printf(&b, " --release %s", release);
	else if (nkeys)
		cp_buf_puts(&b, " --"); /* a key may start with '-' */
	for (size_t i = 0; !(release && *release) && i < nkeys; i++) {
		cp_buf_puts(&b, " '");
		for (const char *c = keys[i]; *c; c++)
			cp_buf_puts(&b, *c == '\'' ? "'\\''" : (char[2]){*c, 0});
		cp_buf_putc(&b, '\'');
	}
	cp_log(CP_LOG_ERROR, "cdnpipe: to purge again, alone: %s (with the same --purge options)",
	       b.data);
	cp_buf_free(&b);
}

json_t *cp_purge_json(const cp_purge_opts *po, const cp_purge_report *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(a, json_string(r->purged[i]));
	return json_pack("{s:s, s:b, s:o, s:I, s:b, s:s?, s:s?}", "provider",
			 cp_purge_provider_name(po->provider), "ok", !r->failed, "purged", a,
			 "requests", (json_int_t)r->requests, "wildcard", r->wildcard, "id", r->id,
			 "error", r->failed ? r->err.msg : NULL);
}
