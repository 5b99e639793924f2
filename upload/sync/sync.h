/*
 * sync.h - `cdnpipe sync`: keeping media folders and buckets in sync; what
 * cmd/cmd_sync.c sees.
 *
 * cmd/ only parses options into a cp_sync_opts and calls cp_sync_run();
 * everything it prints comes back in a cp_sync_report.  The user's rules
 * (cp_sync_rules) are all it says about the plan: the callbacks, the state
 * cache and the dangling-link keep list the planner also needs are the
 * stage's own business, built inside sync_run.c (see sync_int.h for how the
 * stage is cut into files).
 */
#ifndef CP_UPLOAD_SYNC_H
#define CP_UPLOAD_SYNC_H

#include "lib/cp.h"
#include "upload/s3/s3.h"

#include <stddef.h>
#include <stdint.h>

/* ---- multipart arithmetic ---------------------------------------------- */

#define CP_COPY_MAX_SINGLE (5ull << 30) /* CopyObject's limit */

/* Part size for an upload of size bytes: want rounded up to whole MiB, then
 * the S3 client's rule (cp_s3_part_size: at least 5 MiB, doubled until no
 * more than 10,000 parts are needed). */
uint64_t cp_sync_part_size(uint64_t size, uint64_t want);

/* ---- locations ---------------------------------------------------------- */

typedef struct cp_sync_loc {
	int is_s3;
	char *bucket; /* S3 */
	char *prefix; /* S3: "" or ending in '/' */
	char *root;   /* local: absolute folder */
} cp_sync_loc;

/* Parses "s3://bucket/prefix" or a local folder (a "file://" URL too). */
int cp_sync_loc_parse(const char *s, cp_sync_loc *l, cp_error *err);
void cp_sync_loc_free(cp_sync_loc *l);

/* ---- running (sync_run.c) ------------------------------------------------ */

/* What decides which keys are copied, skipped or deleted: the user's word. */
typedef struct cp_sync_rules {
	int size_only;
	int checksum; /* always hash local files, trusting no cache */
	int do_delete;
	int force;
	uint64_t max_delete;	   /* 0: no limit */
	unsigned shard_i, shard_n; /* 1-based i of n; n == 0: no sharding */
	const cp_filter *filter;
} cp_sync_rules;

/* Parses "I/N" (1 <= I <= N). */
int cp_sync_parse_shard(const char *s, unsigned *i, unsigned *n);

/* What `--shard auto` reads from the engine running it; each NULL when
 * unset.  cmd/ reads the environment, the stage only judges the values. */
typedef struct cp_sync_shard_env {
	const char
	    *job_completion_index; /* JOB_COMPLETION_INDEX: Kubernetes Indexed Job, 0-based */
	const char *shard_index;   /* CDNPIPE_SHARD_INDEX, 0-based (strategy.job-index) */
	const char *shards;	   /* CDNPIPE_SHARDS (strategy.job-total) */
} cp_sync_shard_env;

/* Turns a --shard value into the 1-based shard i of n: "I/N" as it is;
 * "auto" or "auto/N" takes the 0-based index K from JOB_COMPLETION_INDEX or
 * CDNPIPE_SHARD_INDEX (both set: they must agree) and runs shard K + 1, of N
 * or else of CDNPIPE_SHARDS (both given: they must agree).  On success
 * `from` says where the shard came from (for -v).  An index or count that is
 * missing, not a plain decimal number, or an index not below the count:
 * CP_ERR_USAGE with err->msg saying which variable and why. */
int cp_sync_shard_resolve(const char *spec, const cp_sync_shard_env *env, unsigned *i, unsigned *n,
			  char *from, size_t fromsz, cp_error *err);

typedef struct cp_sync_side {
	const char *profile, *endpoint, *region;
} cp_sync_side;

/* What a progress callback is told (about 4 times a second, from a thread
 * of the stage's own; cmd/ draws the line). */
typedef struct cp_sync_progress {
	size_t files_done, files_total;
	uint64_t bytes_done, bytes_total;
	double seconds;
} cp_sync_progress;

typedef struct cp_sync_result {
	char *rel;
	const char *action; /* "copy", "skip", "delete", "keep" (a delete withheld) */
	const char *why;
	uint64_t size;
	int failed;
	char *error;
} cp_sync_result;

typedef struct cp_sync_opts {
	const char *src, *dst;
	cp_sync_side src_side, dst_side;
	const char *endpoint, *region, *profile; /* defaults for both sides */
	enum cp_s3_addressing addressing;	 /* --path-style / --virtual-host; 0: automatic */
	cp_sync_rules plan;
	uint64_t multipart_threshold;
	uint64_t part_size;
	int concurrency;
	int retries;
	const char *cache_control;
	const char *acl;
	int dry_run;
	int abort_incomplete;
	void (*progress)(void *ctx, const cp_sync_progress *p); /* NULL: none */
	void *progress_ctx;
	const char *state_dir; /* override of the cache folder (tests) */
	/* Each result as it is known, in place of cp_sync_report.v (which then
	 * stays empty): a sync of ten million keys reports without holding
	 * them.  Called on the caller's thread, inside cp_sync_run. */
	void (*on_result)(void *ctx, const cp_sync_result *res);
	void *result_ctx;
} cp_sync_opts;

typedef struct cp_sync_report {
	cp_sync_result *v;
	size_t n, cap;
	size_t ncopied, nskipped, ndeleted, nfailed;
	uint64_t bytes;
	size_t hashed, resumed_parts, aborted;
	size_t listed; /* entries both listings produced: 0 when the run stopped before */
	double seconds;
} cp_sync_report;

int cp_sync_run(const cp_sync_opts *o, cp_sync_report *r, cp_diags *diags, cp_error *err);
void cp_sync_report_free(cp_sync_report *r);

#endif
