/*
 * upload_run.h - publishing a DIST, shared by `cdnpipe upload` and `deploy`.
 *
 * As with build_opts.h, the options live in one table bound to one global
 * config (cp_upload_cfg), so upload and deploy parse exactly the same flags
 * and config keys.  cp_upload_run does the whole job - scan DIST, list the
 * target once, plan, publish (or print the plan for --dry-run) - and prints
 * the progress line, the failures and the summary or the --json report.
 */
#ifndef CP_CMD_UPLOAD_RUN_H
#define CP_CMD_UPLOAD_RUN_H

#include "lib/cp.h"
#include "cmd/opts.h"
#include "upload/target/target.h"

#include <jansson.h>

struct cp_upload_config {
	long concurrency;
	long retries;
	uint64_t multipart_threshold;
	const char *acl;
	const char *cache_control_unhashed;
	const char *encoding;
	int dry_run;
	int trust_state;
};

extern struct cp_upload_config cp_upload_cfg;
/* The upload options but how to reach the target (cp_target_options, which
 * upload and deploy list beside these). */
extern const cp_opt cp_upload_options[];

/* Checks the option values (prints a message); 0 or CP_ERR_USAGE.  Deploy
 * calls it before building, so a typo does not cost a build. */
int cp_upload_check(const struct cp_upload_config *c);

/* The S3 settings the upload options give (deploy --prune uses them too). */
cp_s3_settings cp_upload_settings(const struct cp_upload_config *c);

/* Publishes dist to target.  json: collect the report instead of printing a
 * summary; when report is non-NULL the upload's JSON object is stored there
 * (new reference) for the caller to print or embed.  Returns 0, 1 (a
 * failure) or 2 (bad option value). */
int cp_upload_run(const struct cp_upload_config *c, const char *dist, const char *target, int json,
		  json_t **report);

#endif
