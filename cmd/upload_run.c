/*
 * upload_run.c - the upload job as upload and deploy both run it; see
 * upload_run.h.
 *
 * Everything here is options and reporting: cp_upload (upload/publish/)
 * does the scanning, listing, planning and publishing and prints nothing.  What
 * this file decides is what a person or a deploy script sees:
 *   - --dry-run: one line per key on stdout ("upload KEY (why)" / "skip KEY
 *     (why)"), then the summary; nothing is written to the target;
 *   - on a terminal, a progress line (files, bytes, rate, ETA), redrawn at
 *     most ten times a second;
 *   - each failed key with its reason, then a summary that says whether the
 *     manifest was held back;
 *   - --json: one JSON object on stdout instead of the summary (per-key
 *     entries included, so a script can tell what was sent).
 */
#include "cmd/upload_run.h"
#include "cmd/header_rules.h"
#include "cmd/purge_opts.h"
#include "cmd/cmd.h"
#include "cmd/report.h"
#include "cmd/target_opts.h"
#include "upload/publish/publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cp_upload_config cp_upload_cfg = {
    .concurrency = 16,
    .retries = 5,
    .multipart_threshold = 64ull << 20,
    .cache_control_unhashed = CP_CACHE_UNHASHED,
    .encoding = "siblings",
};

#define U (&cp_upload_cfg)
const cp_opt cp_upload_options[] = {
    {"concurrency", 0, CP_OPT_INT, &U->concurrency, "N", "requests in flight (default 16)", 0},
    {"retries", 0, CP_OPT_INT, &U->retries, "N",
     "retries of a failed request, with backoff (default 5)", 0},
    {"multipart-threshold", 0, CP_OPT_SIZE, &U->multipart_threshold, "SIZE",
     "send files of this size or more in parts (default 64M)", 0},
    {"acl", 0, CP_OPT_STR, &U->acl, "ACL", "canned ACL for every object (default: none sent)", 0},
    {"cache-control-unhashed", 0, CP_OPT_STR, &U->cache_control_unhashed, "VALUE",
     "Cache-Control of files that are not fingerprinted (default 'public, max-age=300')", 0},
    {"encoding", 0, CP_OPT_STR, &U->encoding, "MODE",
     "siblings (x.gz/x.br as own keys, default), gzip (gzip body under x), none", 0},
    {"dry-run", 'n', CP_OPT_FLAG, &U->dry_run, NULL, "print the plan, change nothing", 0},
    {"trust-state", 0, CP_OPT_FLAG, &U->trust_state, NULL,
     "plan from what the last upload here left, without listing (only if nothing else "
     "writes to the target)",
     0},
    CP_OPT_END,
};
#undef U

static void on_progress(void *ctx, const cp_publish_progress *p)
{
	const double *start = ctx;
	cp_report_progress(&(cp_transfer_progress){.what = "uploading",
						   .files_done = p->files_done,
						   .files_total = p->files_total,
						   .bytes_done = p->bytes_done,
						   .bytes_total = p->bytes_total,
						   .seconds = cp_clock() - *start,
						   .note = p->failed ? "some failed" : NULL});
}

/* What DIST's scan skipped (dangling links), said before anything is sent. */
static void on_scanned(void *ctx, cp_diags *d)
{
	(void)ctx;
	cp_report_diags(d);
}

static int validate(const struct cp_upload_config *c, cp_plan_opts *po)
{
	int enc = cp_encoding_parse(c->encoding);
	if (enc < 0) {
		fprintf(stderr, "cdnpipe: --encoding must be siblings, gzip or none, not '%s'\n",
			c->encoding);
		return CP_ERR_USAGE;
	}
	if (c->concurrency < 1 || c->concurrency > 1024) {
		fprintf(stderr, "cdnpipe: --concurrency must be between 1 and 1024\n");
		return CP_ERR_USAGE;
	}
	if (c->retries < 0 || c->retries > 100) {
		fprintf(stderr, "cdnpipe: --retries must be between 0 and 100\n");
		return CP_ERR_USAGE;
	}
	if (c->multipart_threshold < 1) {
		fprintf(stderr, "cdnpipe: --multipart-threshold must be at least 1 byte\n");
		return CP_ERR_USAGE;
	}
	po->encoding = (enum cp_encoding_mode)enc;
	po->rules = cp_header_rules(&po->nrules);
	po->cache_control_unhashed = c->cache_control_unhashed;
	po->acl = c->acl && *c->acl ? c->acl : NULL;
	return 0;
}

static json_t *item_json(const cp_plan_item *it)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "key", it->key, "action",
			      it->action == CP_PLAN_UPLOAD ? "upload" : "skip", "reason",
			      cp_plan_reason_str(it->reason), "size", (json_int_t)it->size);
	if (it->action == CP_PLAN_UPLOAD) {
		json_object_set_new(o, "content_type", json_string(it->content_type));
		json_object_set_new(o, "cache_control", json_string(it->cache_control));
		if (it->content_encoding)
			json_object_set_new(o, "content_encoding",
					    json_string(it->content_encoding));
		const char *st = it->status == CP_ITEM_DONE	? "done"
				 : it->status == CP_ITEM_FAILED ? "failed"
								: "not sent";
		json_object_set_new(o, "status", json_string(st));
		if (it->error)
			json_object_set_new(o, "error", json_string(it->error));
	}
	return o;
}

static void print_plan(const cp_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const cp_plan_item *it = &p->v[i];
		printf("%-6s %s  [%s%s]\n", it->action == CP_PLAN_UPLOAD ? "upload" : "skip",
		       it->key, cp_plan_reason_str(it->reason), it->manifest ? ", manifest" : "");
	}
	fflush(stdout);
}

struct outcome {
	const char *target;
	int dry_run;
	double seconds;
	const cp_plan *plan;
	const cp_publish_result *res;
	const char *error; /* stops the whole job, or NULL */
};

static json_t *outcome_json(const struct outcome *o, int ok)
{
	json_t *items = json_array();
	size_t manifests = 0;
	for (size_t i = 0; o->plan && i < o->plan->n; i++) {
		json_array_append_new(items, item_json(&o->plan->v[i]));
		manifests += o->plan->v[i].manifest && o->plan->v[i].status == CP_ITEM_DONE;
	}
	const cp_publish_result *r = o->res;
	return json_pack("{s:b, s:s, s:b, s:I, s:I, s:I, s:I, s:b, s:f, s:s?, s:o}", "ok", ok,
			 "target", o->target, "dry_run", o->dry_run, "uploaded",
			 (json_int_t)(r ? r->uploaded : 0), "skipped",
			 (json_int_t)(o->plan ? o->plan->n_skip : 0), "failed",
			 (json_int_t)(r ? r->failed : 0), "bytes", (json_int_t)(r ? r->bytes : 0),
			 "manifest_uploaded", manifests > 0, "seconds", o->seconds, "error",
			 o->error, "items", items);
}

static void print_summary(const struct outcome *o)
{
	const cp_plan *p = o->plan;
	char b[32];
	if (o->dry_run) {
		cp_human_size(p->bytes_upload, b, sizeof b);
		cp_log(CP_LOG_WARN,
		       "dry run: would upload %zu files (%s), skip %zu; nothing changed",
		       p->n_upload, b, p->n_skip);
		return;
	}
	const cp_publish_result *r = o->res;
	cp_human_size(r->bytes, b, sizeof b);
	if (r->failed)
		cp_log(CP_LOG_ERROR, "cdnpipe: %zu of %zu uploads failed%s", r->failed, p->n_upload,
		       r->manifest_sent ? ""
					: "; the manifest was NOT uploaded (the old one stays)");
	else
		cp_log(CP_LOG_WARN,
		       "uploaded %zu files (%s), skipped %zu unchanged, in %.2fs to %s",
		       r->uploaded, b, p->n_skip, o->seconds, o->target);
}

int cp_upload_check(const struct cp_upload_config *c)
{
	cp_plan_opts po;
	cp_purge_opts pu;
	int rc = validate(c, &po);
	return rc ? rc : cp_purge_settings(&pu, cp_target_settings().profile);
}

cp_s3_settings cp_upload_settings(const struct cp_upload_config *c)
{
	cp_s3_settings s = cp_target_settings(); /* endpoint, region, profile, addressing */
	s.concurrency = (int)c->concurrency;
	s.retries = (int)c->retries;
	s.multipart_threshold = c->multipart_threshold;
	return s;
}

int cp_upload_run(const struct cp_upload_config *c, const char *dist, const char *target, int json,
		  json_t **report)
{
	double start = cp_clock();
	cp_upload_opts uo = {
	    .s3 = cp_upload_settings(c),
	    .concurrency = (int)c->concurrency,
	    .dry_run = c->dry_run,
	    .progress = on_progress,
	    .progress_ctx = &start,
	    .scanned = on_scanned,
	    .trust_state = c->trust_state,
	};
	int rc = validate(c, &uo.plan);
	if (!rc)
		rc = cp_purge_settings(&uo.purge, uo.s3.profile);
	if (rc)
		return rc;
	cp_upload_report r;
	cp_upload_report_init(&r);
	rc = cp_upload(dist, target, &uo, &r);
	cp_progress_done();

	struct outcome o = {.target = target,
			    .dry_run = c->dry_run,
			    .seconds = r.seconds,
			    .plan = &r.plan,
			    .res = r.published ? &r.result : NULL};
	char line[4096] = "";
	if (rc && !r.published) {
		/* the job stopped before sending anything: one message */
		cp_error_format(&r.err, line, sizeof line);
		o.error = line;
		cp_log(CP_LOG_ERROR, "cdnpipe: %s", line); /* stderr, also with --json */
	} else {
		if (c->dry_run && !json)
			print_plan(&r.plan);
		for (size_t i = 0; i < r.plan.n; i++)
			if (r.plan.v[i].status == CP_ITEM_FAILED)
				cp_log(CP_LOG_ERROR, "cdnpipe: failed: %s: %s", r.plan.v[i].key,
				       r.plan.v[i].error);
		if (!json)
			print_summary(&o);
		if (r.trusted_state && !json)
			cp_log(CP_LOG_WARN,
			       "planned from the upload state of %.0f minutes ago (--trust-state): "
			       "the "
			       "target was not listed",
			       (double)(time(NULL) - r.state_time) / 60.0);
		if (rc) {
			cp_error_format(&r.err, line, sizeof line);
			o.error = line;
		}
		if (r.purge.failed && r.result.failed == 0)
			cp_log(CP_LOG_ERROR, "cdnpipe: %s", line);
		else if (r.purge.ran && r.result.failed)
			cp_log(
			    CP_LOG_ERROR,
			    "cdnpipe: the unhashed files that arrived before the failure are live: "
			    "%s",
			    r.purge.failed ? r.purge.err.msg : "the CDN was told to drop them");
		const char **keys;
		size_t nk = cp_plan_purge_keys(&r.plan, 1, &keys);
		cp_purge_print(&r.purge, target, r.release, keys, nk);
		free(keys);
	}
	if (json || report) {
		json_t *j = outcome_json(&o, rc == 0);
		if (r.release[0])
			json_object_set_new(j, "release", json_string(r.release));
		json_object_set_new(j, "listed", json_boolean(!r.trusted_state));
		if (r.purge.ran)
			json_object_set_new(j, "purge", cp_purge_json(&uo.purge, &r.purge));
		if (report)
			*report = j;
		else
			cp_print_json(j);
	}
	cp_upload_report_free(&r);
	return rc;
}
