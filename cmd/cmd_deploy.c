/*
 * cmd_deploy.c - `cdnpipe deploy [options] SRC_DIR... TARGET`: build, then
 * upload, in one command.
 *
 * Thin: every build option and every upload option applies (the two shared
 * tables of build_opts.h and upload_run.h, with target_opts.h and
 * purge_opts.h; config sections [build], [upload], [deploy] and [purge]), the build runs into a
 * temporary DIST that is removed afterwards - or into --dist DIR (or the build's -o / [build]
 * output), which is kept - and the upload runs only when the build succeeded.
 *
 * --json prints one object, {"build": {...}, "upload": {...}}, so a deploy
 * script parses one document whatever happened.
 */
#include "cmd/build_opts.h"
#include "cmd/cmd.h"
#include "cmd/header_rules.h"
#include "cmd/purge_opts.h"
#include "cmd/report.h"
#include "cmd/target_opts.h"
#include "cmd/upload_run.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dist_opt;
static int prune_opt;

static const cp_opt deploy_opts[] = {
    {"dist", 0, CP_OPT_STR, &dist_opt, "DIR",
     "build into DIR and keep it (default: a temporary folder, removed afterwards)", 0},
    {"prune", 0, CP_OPT_FLAG, &prune_opt, NULL,
     "after a successful deploy, prune as `cdnpipe prune` does (--keep, --min-age, ...)", 0},
    CP_OPT_END,
};

static const cp_opt *const deploy_tables[] = {
    deploy_opts,      cp_build_options, cp_upload_options, cp_target_options,
    cp_build_out_opt, cp_prune_options, cp_purge_options,  NULL};
static const char *const deploy_sections[] = {"build", "upload", "deploy", "purge", NULL};

static const cp_command_spec deploy_spec = {
    .name = "deploy",
    .usage = "cdnpipe deploy [options] SRC_DIR... TARGET",
    .summary = "Builds SRC_DIR... as `cdnpipe build` does, then publishes the result to\n"
	       "TARGET (s3://bucket/prefix or file:///path) as `cdnpipe upload` does: every\n"
	       "asset first, the manifest last and only when every asset arrived.  Reads the\n"
	       "config sections [build], [upload], [deploy] and [purge].",
    .sections = deploy_sections,
    .tables = deploy_tables,
    .min_args = 2,
    .arg_section = "headers",
    .arg_key = cp_header_rules_key,
    .max_args = -1,
};

/* A file:// target inside a source root would be collected as sources by the
 * next deploy, the way build refuses a DIST inside a root. */
static int target_in_root(const char *target, const cp_strlist *roots)
{
	const char *path;
	cp_error e = {0};
	if (cp_file_url(target, &path, &e) || !path)
		return 0; /* not a folder, or a bad URL: the upload says why */
	char *t = cp_path_absolute(path);
	int bad = 0;
	for (size_t i = 0; !bad && i < roots->n; i++) {
		char *r = cp_path_absolute(roots->v[i]);
		bad = cp_path_is_within(t, r);
		if (bad)
			fprintf(
			    stderr,
			    "cdnpipe deploy: the target folder %s is inside the source root %s\n",
			    t, r);
		free(r);
	}
	free(t);
	return bad;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Builds into dist; prints the build's diagnostics and summary. */
static int run_build(const char *dist, int json, json_t **report)
{
	cp_build_cfg.c.out = dist;
	cp_build_cfg.c.want_integrity = json;
	struct cp_build_report r;
	cp_build_report_init(&r);
	cp_build_cfg.c.progress = cp_build_progress_line;
	int rc = cp_build(cp_build_config_of(&cp_build_cfg), &r);
	cp_progress_done();
	cp_build_print("deploy", &r, rc, json);
	if (json)
		*report = cp_build_report_json(&r, rc == 0);
	cp_build_report_free(&r);
	return rc;
}

int cmd_deploy(int argc, char **argv)
{
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&deploy_spec, &common, argc, argv, &pos);
	if (rc || common.help) {
		cp_strlist_free(&pos);
		return rc;
	}
	if (!rc)
		rc = cp_upload_check(&cp_upload_cfg);

	if (rc) {
		cp_strlist_free(&pos);
		return rc;
	}
	/* positional: the sources, then the target */
	char *target = pos.v[--pos.n];
	pos.v[pos.n] = NULL;
	cp_strlist_free(&cp_build_cfg.roots);
	cp_build_cfg.roots = pos;
	if (target_in_root(target, &pos)) {
		free(target);
		return CP_ERR_USAGE;
	}

	const char *keep = dist_opt ? dist_opt : cp_build_cfg.c.out;
	char tmp[4096] = "";
	if (!keep) {
		const char *base = getenv("TMPDIR");
		snprintf(tmp, sizeof tmp, "%s/cdnpipe-deploy.XXXXXX",
			 base && *base ? base : "/tmp");
		if (!mkdtemp(tmp)) {
			perror("cdnpipe deploy: cannot create a temporary folder");
			free(target);
			return CP_ERR_BUILD;
		}
	}
	const char *dist = keep ? keep : tmp;
	json_t *bj = NULL, *uj = NULL;
	rc = run_build(dist, common.json, &bj);
	if (bj && tmp[0]) /* the temporary DIST is removed below: name no file in it */
		json_object_set_new(bj, "manifest", json_null());
	if (!rc)
		rc = cp_upload_run(&cp_upload_cfg, dist, target, common.json,
				   common.json ? &uj : NULL);
	json_t *pj = NULL;
	if (!rc && prune_opt && !cp_upload_cfg.dry_run) {
		cp_s3_settings s3 = cp_upload_settings(&cp_upload_cfg);
		rc = cp_prune_run(target, &s3, common.json, common.json ? &pj : NULL);
		if (rc)
			cp_log(CP_LOG_ERROR, "cdnpipe deploy: the deploy is live; only the prune "
					     "failed (run cdnpipe prune alone to retry)");
	}
	if (common.json) {
		json_t *o = json_pack("{s:b, s:o, s:o}", "ok", rc == 0, "build",
				      bj ? bj : json_null(), "upload", uj ? uj : json_null());
		if (pj)
			json_object_set_new(o, "prune", pj);
		cp_print_json(o);
	}
	if (tmp[0])
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(target);
	return rc;
}
