/*
 * cmd_releases.c - `cdnpipe releases TARGET` and `cdnpipe rollback TARGET
 * [--to RELEASE]`: the deploy history kept at the target, and going back.
 *
 * Both read one listing of the target (cp_releases_list, cp_rollback in
 * upload/publish/releases.c).  releases prints one line per release, newest
 * first, the live one marked; rollback says which release is live now, or
 * lists the files it refused over.
 */
#include "cmd/cmd.h"
#include "cmd/report.h"
#include "cmd/target_opts.h"
#include "upload/publish/publish.h"

#include <stdio.h>
#include <stdlib.h>

static const cp_opt *const releases_tables[] = {cp_target_options, NULL};

static const cp_command_spec releases_spec = {
    .name = "releases",
    .usage = "cdnpipe releases [options] TARGET",
    .summary = "Lists the releases deploys recorded at TARGET (s3://bucket/prefix or\n"
	       "file:///path, under .cdnpipe/releases/), newest first; the live one is marked.",
    .tables = releases_tables,
    .min_args = 1,
    .max_args = 1,
};

int cmd_releases(int argc, char **argv)
{
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&releases_spec, &common, argc, argv, &pos);
	if (rc || common.help) {
		cp_strlist_free(&pos);
		return rc;
	}
	cp_s3_settings s3 = cp_target_settings();
	cp_releases r = {0};
	cp_error err = {0};
	rc = cp_releases_list(pos.v[0], &s3, &r, &err);
	if (rc) {
		cp_report_error(&err);
	} else if (common.json) {
		json_t *a = json_array();
		for (size_t i = 0; i < r.n; i++) {
			json_t *m = json_array();
			for (size_t k = 0; k < r.v[i].nmanifests; k++)
				json_array_append_new(m, json_string(r.v[i].manifests[k]));
			json_array_append_new(a,
					      json_pack("{s:s, s:b, s:o}", "release", r.v[i].name,
							"live", r.v[i].live, "manifests", m));
		}
		cp_print_json(json_pack("{s:o}", "releases", a));
	} else {
		for (size_t i = 0; i < r.n; i++)
			printf("%s%s\n", r.v[i].name, r.v[i].live ? "  live" : "");
	}
	cp_releases_free(&r);
	cp_strlist_free(&pos);
	return rc;
}

static const char *o_to;

static const cp_opt rollback_opts[] = {
    {"to", 0, CP_OPT_STR, &o_to, "RELEASE",
     "the release to make live (a unique prefix of its name; default: the one before the live "
     "one)",
     0},
    CP_OPT_END,
};
static const cp_opt *const rollback_tables[] = {rollback_opts, cp_target_options, NULL};

static const cp_command_spec rollback_spec = {
    .name = "rollback",
    .usage = "cdnpipe rollback [options] TARGET [--to RELEASE]",
    .summary =
	"Makes an earlier release live again: its manifests, kept under .cdnpipe/releases/,\n"
	"are published as the live ones, after checking that every file they name is still\n"
	"at TARGET (if one is gone, nothing changes and the missing files are listed).",
    .tables = rollback_tables,
    .min_args = 1,
    .max_args = 1,
};

int cmd_rollback(int argc, char **argv)
{
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&rollback_spec, &common, argc, argv, &pos);
	if (rc || common.help) {
		cp_strlist_free(&pos);
		return rc;
	}
	cp_s3_settings s3 = cp_target_settings();
	cp_rollback_report r;
	cp_error err = {0};
	rc = cp_rollback(pos.v[0], &s3, o_to, &r, &err);
	for (size_t i = 0; i < r.nmissing; i++)
		cp_log(CP_LOG_ERROR, "cdnpipe rollback: missing: %s", r.missing[i]);
	if (rc)
		cp_report_error(&err);
	else
		cp_log(CP_LOG_WARN, "rollback: %s is live (%zu manifests)", r.release, r.restored);
	if (common.json) {
		json_t *miss = json_array();
		for (size_t i = 0; i < r.nmissing; i++)
			json_array_append_new(miss, json_string(r.missing[i]));
		cp_print_json(json_pack("{s:b, s:s?, s:I, s:o}", "ok", rc == 0, "release",
					r.release, "restored", (json_int_t)r.restored, "missing",
					miss));
	}
	cp_rollback_report_free(&r);
	cp_strlist_free(&pos);
	return rc;
}
