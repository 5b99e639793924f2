/*
 * cmd_sync.c - `cdnpipe sync SRC DST [options]`: parse, run the sync stage,
 * report.  Everything that decides or moves bytes is in upload/sync*.c; this
 * file only turns options into a cp_sync_opts and the cp_sync_report into
 * text (a summary, each failure named) or JSON (--json).
 */
#include "cmd/cmd.h"
#include "cmd/report.h"
#include "lib/cp.h"
#include "upload/sync/sync.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *src_profile, *dst_profile, *src_endpoint, *dst_endpoint, *src_region,
	    *dst_region;
	const char *endpoint, *region, *profile;
	int addressing;
	int size_only, checksum, del, force, dry_run, abort_incomplete, no_progress;
	long max_delete, concurrency, retries;
	uint64_t threshold, part_size;
	const char *shard, *cache_control, *acl, *state_dir;
	cp_strlist include, exclude;
} o;

static const cp_opt sync_opts[] = {
    {"delete", 0, CP_OPT_FLAG, &o.del, NULL,
     "delete destination objects the source lacks (after all copies succeeded)", 0},
    {"max-delete", 0, CP_OPT_INT, &o.max_delete, "N",
     "refuse to delete more than N objects (default 1000; 0: no limit)", 0},
    {"force", 0, CP_OPT_FLAG, &o.force, NULL,
     "delete even past --max-delete or more than half of the destination", 0},
    {"size-only", 0, CP_OPT_FLAG, &o.size_only, NULL, "compare sizes only, never content", 0},
    {"checksum", 0, CP_OPT_FLAG, &o.checksum, NULL,
     "always hash local files (do not trust the state cache)", 0},
    {"include", 0, CP_OPT_LIST, &o.include, "GLOB", "sync only keys matching GLOB (repeatable)", 0},
    {"exclude", 0, CP_OPT_LIST, &o.exclude, "GLOB", "leave keys matching GLOB alone (repeatable)",
     0},
    {"dry-run", 'n', CP_OPT_FLAG, &o.dry_run, NULL, "print the plan, change nothing", 0},
    {"shard", 0, CP_OPT_STR, &o.shard, "I/N",
     "handle only shard I of N (1-based) of the key space; auto or auto/N: from "
     "JOB_COMPLETION_INDEX or CDNPIPE_SHARD_INDEX (0-based) and CDNPIPE_SHARDS",
     0},
    {"multipart-threshold", 0, CP_OPT_SIZE, &o.threshold, "SIZE",
     "multipart upload at or above SIZE (default 64M)", 0},
    {"part-size", 0, CP_OPT_SIZE, &o.part_size, "SIZE",
     "multipart part size (default 8M, grown to stay within 10,000 parts)", 0},
    {"concurrency", 0, CP_OPT_INT, &o.concurrency, "N", "requests in flight (default 16)", 0},
    {"retries", 0, CP_OPT_INT, &o.retries, "N", "retries per request (default 5)", 0},
    {"cache-control", 0, CP_OPT_STR, &o.cache_control, "VALUE", "Cache-Control of uploads", 0},
    {"acl", 0, CP_OPT_STR, &o.acl, "ACL", "canned ACL of uploads (e.g. public-read)", 0},
    {"abort-incomplete", 0, CP_OPT_FLAG, &o.abort_incomplete, NULL,
     "abort unfinished multipart uploads under the destination first", 0},
    {"no-progress", 0, CP_OPT_FLAG, &o.no_progress, NULL, "no progress line", 0},
    {"endpoint", 0, CP_OPT_STR, &o.endpoint, "URL", "S3 endpoint of both sides", 0},
    {"region", 0, CP_OPT_STR, &o.region, "REGION", "region of both sides", 0},
    {"profile", 0, CP_OPT_STR, &o.profile, "NAME", "AWS profile of both sides", 0},
    {"src-endpoint", 0, CP_OPT_STR, &o.src_endpoint, "URL", "S3 endpoint of SRC", 0},
    {"dst-endpoint", 0, CP_OPT_STR, &o.dst_endpoint, "URL", "S3 endpoint of DST", 0},
    {"src-region", 0, CP_OPT_STR, &o.src_region, "REGION", "region of SRC", 0},
    {"dst-region", 0, CP_OPT_STR, &o.dst_region, "REGION", "region of DST", 0},
    {"src-profile", 0, CP_OPT_STR, &o.src_profile, "NAME", "AWS profile of SRC", 0},
    {"dst-profile", 0, CP_OPT_STR, &o.dst_profile, "NAME", "AWS profile of DST", 0},
    {"path-style", 0, CP_OPT_SET, &o.addressing, NULL, "path-style bucket addressing",
     CP_S3_ADDR_PATH},
    {"virtual-host", 0, CP_OPT_SET, &o.addressing, NULL, "virtual-host bucket addressing",
     CP_S3_ADDR_VIRTUAL},
    {"state-dir", 0, CP_OPT_STR, &o.state_dir, "DIR",
     "where the state file and journals live (default $XDG_CACHE_HOME/cdnpipe)", 0},
    CP_OPT_END,
};

static const cp_opt *const sync_tables[] = {sync_opts, NULL};

static const cp_command_spec spec = {
    .name = "sync",
    .usage = "cdnpipe sync SRC DST [options]",
    .summary = "Makes DST hold what SRC holds.  Each side is a local folder or s3://bucket/prefix\n"
	       "(local -> S3, S3 -> local, S3 -> S3).  A key is copied when it is missing, its\n"
	       "size differs or its content differs (MD5 against the ETag; x-amz-meta-md5 and\n"
	       "x-amz-meta-mtime where an ETag says nothing).  Local MD5s are cached in the XDG\n"
	       "cache folder, so an unchanged file is never hashed twice.  Interrupted multipart\n"
	       "uploads resume on the next run.",
    .tables = sync_tables,
    .min_args = 2,
    .max_args = 2,
};

/* files, bytes, rate, ETA: redrawn in place on a terminal. */
static void draw_progress(void *ctx, const cp_sync_progress *p)
{
	(void)ctx;
	cp_report_progress(&(cp_transfer_progress){.what = "sync:",
						   .files_done = p->files_done,
						   .files_total = p->files_total,
						   .bytes_done = p->bytes_done,
						   .bytes_total = p->bytes_total,
						   .seconds = p->seconds});
}

/* Results are printed as the stage hands them over (a sync of ten million
 * keys is never held): text lines, or the JSON report's "items" array,
 * opened before the first and closed, with the counts, after the run. */
struct out {
	int json, dry_run;
	size_t n; /* results printed */
};

static void on_result(void *ctx, const cp_sync_result *x)
{
	struct out *w = ctx;
	if (w->json) {
		json_t *it = json_pack("{s:s, s:s, s:s, s:I, s:b}", "key", x->rel, "action",
				       x->action, "why", x->why ? x->why : "", "size",
				       (json_int_t)x->size, "failed", x->failed);
		if (x->error)
			json_object_set_new(it, "error", json_string(x->error));
		char *s = json_dumps(it, JSON_COMPACT);
		printf("%s\n    %s", w->n ? "," : "", s);
		free(s);
		json_decref(it);
		if (x->failed) /* failures named on stderr too */
			cp_log(CP_LOG_ERROR, "failed: %s: %s", x->rel, x->error ? x->error : "");
	} else if (x->failed) {
		cp_log(CP_LOG_ERROR, "failed: %s: %s", x->rel, x->error ? x->error : "");
	} else if (w->dry_run) {
		printf("%s %s (%s)\n", x->action, x->rel, x->why ? x->why : "");
	} else if (!strcmp(x->action, "keep")) {
		cp_log(CP_LOG_WARN, "%s: %s", x->why, x->rel);
	} else {
		cp_log(CP_LOG_INFO, "%s %s (%s)", x->action, x->rel, x->why ? x->why : "");
	}
	w->n++;
}

static void print_json_end(const cp_sync_report *r)
{
	json_t *counts = json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "copied", (json_int_t)r->ncopied,
	    "skipped", (json_int_t)r->nskipped, "deleted", (json_int_t)r->ndeleted, "failed",
	    (json_int_t)r->nfailed, "bytes", (json_int_t)r->bytes, "hashed", (json_int_t)r->hashed,
	    "resumed_parts", (json_int_t)r->resumed_parts, "aborted_uploads",
	    (json_int_t)r->aborted, "seconds", r->seconds);
	char *s = json_dumps(counts, JSON_COMPACT);
	/* the counts object's members, after the items */
	printf("\n  ],\n  %.*s\n}\n", (int)strlen(s) - 2, s + 1);
	free(s);
	json_decref(counts);
}

static void print_summary(const cp_sync_report *r, int dry_run)
{
	cp_log(CP_LOG_WARN,
	       "sync: %s%zu copied (%.1f MiB), %zu unchanged, %zu deleted, %zu failed "
	       "in %.2fs",
	       dry_run ? "dry run: would have " : "", r->ncopied, (double)r->bytes / 1048576.0,
	       r->nskipped, r->ndeleted, r->nfailed, r->seconds);
}

/* Runs the stage and reports; returns the exit status. */
static int run_and_report(cp_sync_opts *so, const cp_common *common)
{
	cp_sync_report rep;
	cp_diags diags;
	cp_error err = {0};
	cp_diags_init(&diags);
	struct out w = {common->json, so->dry_run, 0};
	so->on_result = on_result;
	so->result_ctx = &w;
	if (w.json)
		printf("{\n  \"dry_run\": %s,\n  \"items\": [", so->dry_run ? "true" : "false");
	int rc = cp_sync_run(so, &rep, &diags, &err);
	if (so->progress)
		cp_progress_done();
	if (w.json)
		print_json_end(&rep);
	fflush(stdout);
	cp_report_diags(&diags);
	/* A run that stopped before planning (bad credentials, refused
	 * deletes) has only its error to tell. */
	if (!w.json && (!rc || w.n || rep.nskipped))
		print_summary(&rep, so->dry_run);
	if (rc)
		cp_report_error(&err);
	cp_sync_report_free(&rep);
	cp_diags_free(&diags);
	return rc;
}

/* --shard: I/N, or auto[/N] from the engine's environment; -v says which. */
static int resolve_shard(const char *spec, cp_sync_rules *rules, char *from, size_t fromsz,
			 cp_error *err)
{
	const cp_sync_shard_env env = {
	    .job_completion_index = getenv("JOB_COMPLETION_INDEX"),
	    .shard_index = getenv("CDNPIPE_SHARD_INDEX"),
	    .shards = getenv("CDNPIPE_SHARDS"),
	};
	int rc =
	    cp_sync_shard_resolve(spec, &env, &rules->shard_i, &rules->shard_n, from, fromsz, err);
	if (!rc)
		cp_log(CP_LOG_INFO, "sync: shard %u of %u (%s)", rules->shard_i, rules->shard_n,
		       from);
	return rc;
}

int cmd_sync(int argc, char **argv)
{
	o.max_delete = 1000;
	o.concurrency = 16;
	o.retries = 5;
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&spec, &common, argc, argv, &pos);
	if (rc || common.help) {
		cp_strlist_free(&pos);
		return rc;
	}
	cp_filter filter = {0};
	cp_filter_from_lists(&filter, &o.include, &o.exclude);
	cp_sync_opts so = {
	    .src = pos.v[0],
	    .dst = pos.v[1],
	    .src_side = {o.src_profile, o.src_endpoint, o.src_region},
	    .dst_side = {o.dst_profile, o.dst_endpoint, o.dst_region},
	    .endpoint = o.endpoint,
	    .region = o.region,
	    .profile = o.profile,
	    .addressing = (enum cp_s3_addressing)o.addressing,
	    .multipart_threshold = o.threshold,
	    .part_size = o.part_size,
	    .concurrency = (int)o.concurrency,
	    .retries = (int)o.retries,
	    .cache_control = o.cache_control,
	    .acl = o.acl,
	    .dry_run = o.dry_run,
	    .abort_incomplete = o.abort_incomplete,
	    .progress = !o.no_progress && !common.json && !common.quiet && cp_progress_enabled()
			    ? draw_progress
			    : NULL,
	    .state_dir = o.state_dir,
	};
	so.plan.size_only = o.size_only;
	so.plan.checksum = o.checksum;
	so.plan.do_delete = o.del;
	so.plan.force = o.force;
	so.plan.max_delete = o.max_delete < 0 ? 0 : (uint64_t)o.max_delete;
	so.plan.filter = &filter;
	cp_error shard_err = {0};
	char shard_from[256];
	if (o.shard &&
	    resolve_shard(o.shard, &so.plan, shard_from, sizeof shard_from, &shard_err)) {
		fprintf(stderr, "cdnpipe sync: %s\n", shard_err.msg);
		rc = CP_ERR_USAGE;
	} else if (o.concurrency < 1 || o.concurrency > 1024 || o.retries < 0) {
		fprintf(stderr, "cdnpipe sync: --concurrency wants 1..1024, --retries >= 0\n");
		rc = CP_ERR_USAGE;
	} else {
		rc = run_and_report(&so, &common);
	}
	cp_filter_free(&filter);
	cp_strlist_free(&pos);
	return rc;
}
