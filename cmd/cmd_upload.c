/*
 * cmd_upload.c - `cdnpipe upload [options] DIST TARGET`.
 *
 * Thin: parse (config sections [upload] and [purge]), then upload_run.c does the job and
 * the reporting, exactly as deploy runs it after its build.
 */
#include "cmd/cmd.h"
#include "cmd/header_rules.h"
#include "cmd/purge_opts.h"
#include "cmd/target_opts.h"
#include "cmd/upload_run.h"

#include <stdio.h>

static const cp_opt *const upload_tables[] = {cp_upload_options, cp_target_options,
					      cp_purge_options, NULL};
static const char *const upload_sections[] = {"upload", "purge", NULL};

static const cp_command_spec upload_spec = {
    .name = "upload",
    .usage = "cdnpipe upload [options] DIST_DIR TARGET",
    .summary = "Publishes a built DIST_DIR to TARGET: s3://bucket/prefix (any S3-compatible\n"
	       "storage) or file:///path (a folder laid out as the bucket would be).  One listing\n"
	       "of the target tells what is there: fingerprinted files already present are\n"
	       "skipped by name and size, others when their ETag matches.  Every asset is sent\n"
	       "first; the manifest (staticfiles.json) only when all of them succeeded.\n"
	       "Nothing is ever deleted.  Credentials, region and endpoint are read as the AWS\n"
	       "CLI reads them (AWS_* variables, ~/.aws/credentials and ~/.aws/config).",
    .sections = upload_sections,
    .tables = upload_tables,
    .min_args = 2,
    .arg_section = "headers",
    .arg_key = cp_header_rules_key,
    .max_args = 2,
};

int cmd_upload(int argc, char **argv)
{
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&upload_spec, &common, argc, argv, &pos);
	if (rc || common.help) {
		cp_strlist_free(&pos);
		return rc;
	}
	rc = cp_upload_run(&cp_upload_cfg, pos.v[0], pos.v[1], common.json, NULL);
	cp_strlist_free(&pos);
	return rc;
}
