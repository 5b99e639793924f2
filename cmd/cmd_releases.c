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
#include "cmd/header_rules.h"
#include "cmd/purge_opts.h"
#include "cmd/report.h"
#include "cmd/target_opts.h"
#include "upload/publish/publish.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
			printf("%s%s%s\n", r.v[i].name, r.v[i].live ? "  live" : "",
			       r.v[i].complete ? "" : "  incomplete (a deploy that failed)");
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
static const cp_opt *const rollback_tables[] = {rollback_opts, cp_target_options, cp_purge_options,
						NULL};
static const char *const rollback_sections[] = {"rollback", "purge", NULL};

static const cp_command_spec rollback_spec = {
    .name = "rollback",
    .usage = "cdnpipe rollback [options] TARGET [--to RELEASE]",
    .summary =
	"Makes an earlier release live again: its manifests, kept under .cdnpipe/releases/,\n"
	"are published as the live ones, after checking that every file they name is still\n"
	"at TARGET (if one is gone, nothing changes and the missing files are listed).\n"
	"With --purge, the CDN then drops its copies of those manifests.",
    .sections = rollback_sections,
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
	cp_purge_opts purge;
	rc = cp_purge_settings(&purge, s3.profile);
	if (rc) {
		cp_strlist_free(&pos);
		return rc;
	}
	cp_rollback_report r;
	cp_error err = {0};
	rc = cp_rollback(pos.v[0], &s3, o_to, &purge, &r, &err);
	for (size_t i = 0; i < r.nmissing; i++)
		cp_log(CP_LOG_ERROR, "cdnpipe rollback: missing: %s", r.missing[i]);
	if (rc)
		cp_report_error(&err);
	else
		cp_log(CP_LOG_WARN, "rollback: %s is live (%zu manifests)", r.release, r.restored);
	cp_purge_print(&r.purge, pos.v[0], r.release, NULL, 0);
	if (common.json) {
		json_t *miss = json_array();
		for (size_t i = 0; i < r.nmissing; i++)
			json_array_append_new(miss, json_string(r.missing[i]));
		json_t *j = json_pack("{s:b, s:s?, s:I, s:o}", "ok", rc == 0, "release", r.release,
				      "restored", (json_int_t)r.restored, "missing", miss);
		if (r.purge.ran)
			json_object_set_new(j, "purge", cp_purge_json(&purge, &r.purge));
		cp_print_json(j);
	}
	cp_rollback_report_free(&r);
	cp_strlist_free(&pos);
	return rc;
}

/* ---- prune ---- */

static struct {
	long keep, max_delete;
	const char *min_age;
	int force, dry_run;
} po = {.keep = 3, .max_delete = 1000};

const cp_opt cp_prune_options[] = {
    {"keep", 0, CP_OPT_INT, &po.keep, "N",
     "releases whose files stay (default 3; the live one always)", 0},
    {"min-age", 0, CP_OPT_STR, &po.min_age, "DURATION",
     "only files older than this go (default 24h; 30m, 7d, 0s)", 0},
    {"max-delete", 0, CP_OPT_INT, &po.max_delete, "N",
     "refuse to delete more than N objects without --force (default 1000; 0: no limit)", 0},
    {"force", 0, CP_OPT_FLAG, &po.force, NULL, "delete more than --max-delete", 0},
    CP_OPT_END,
};

static const cp_opt prune_only[] = {
    {"dry-run", 'n', CP_OPT_FLAG, &po.dry_run, NULL,
     "print every key it would delete, delete nothing", 0},
    CP_OPT_END,
};
static const cp_opt *const prune_tables[] = {prune_only, cp_prune_options, cp_target_options, NULL};

static const cp_command_spec prune_spec = {
    .name = "prune",
    .usage = "cdnpipe prune [options] TARGET",
    .summary = "Deletes fingerprinted files (and their .gz/.br) that neither the live manifests\n"
	       "nor the newest --keep releases name, once older than --min-age.  Unhashed keys,\n"
	       "the release history and keys outside the prefix are never touched.",
    .tables = prune_tables,
    .min_args = 1,
    .max_args = 1,
};

/* "24h", "30m", "7d", "45s", "3600": seconds, or -1. */
static int64_t parse_duration(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || v < 0)
		return -1;
	long long mul = !*end || !strcmp(end, "s") ? 1
			: !strcmp(end, "m")	   ? 60
			: !strcmp(end, "h")	   ? 3600
			: !strcmp(end, "d")	   ? 86400
						   : -1;
	return mul < 0 || v > INT64_MAX / mul ? -1 : (int64_t)(v * mul);
}

int cp_prune_run(const char *target, const cp_s3_settings *s3, int json, json_t **report)
{
	int64_t age = parse_duration(po.min_age ? po.min_age : "24h");
	if (age < 0 || po.keep < 1 || po.max_delete < 0) {
		fprintf(stderr, "cdnpipe prune: %s\n",
			age < 0	      ? "--min-age wants a duration like 24h, 30m, 7d or 0s"
			: po.keep < 1 ? "--keep wants at least 1"
				      : "--max-delete wants 0 or more");
		return CP_ERR_USAGE;
	}
	cp_diags d;
	cp_diags_init(&d);
	cp_prune_opts o = {.keep = po.keep,
			   .min_age = age,
			   .max_delete = po.max_delete,
			   .force = po.force,
			   .dry_run = po.dry_run,
			   .diags = &d};
	cp_prune_report r;
	cp_error err = {0};
	int rc = cp_prune(target, s3, &o, &r, &err);
	cp_report_diags(&d);
	cp_diags_free(&d);
	if (po.dry_run && !json)
		for (size_t i = 0; i < r.n; i++)
			printf("delete %s\n", r.keys[i]);
	char b[32];
	cp_human_size(r.bytes, b, sizeof b);
	if (rc)
		cp_report_error(&err);
	else if (!json)
		cp_log(CP_LOG_WARN, "prune: %s %zu objects (%s)%s",
		       po.dry_run ? "would delete" : "deleted", po.dry_run ? r.n : r.deleted, b,
		       po.dry_run ? "; nothing changed" : "");
	if (json || report) {
		json_t *keys = json_array();
		for (size_t i = 0; i < r.n; i++)
			json_array_append_new(keys, json_string(r.keys[i]));
		json_t *j = json_pack("{s:b, s:b, s:I, s:I, s:o}", "ok", rc == 0, "dry_run",
				      po.dry_run, "deleted", (json_int_t)r.deleted, "bytes",
				      (json_int_t)r.bytes, "keys", keys);
		if (report)
			*report = j;
		else
			cp_print_json(j);
	}
	cp_prune_report_free(&r);
	return rc;
}

int cmd_prune(int argc, char **argv)
{
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&prune_spec, &common, argc, argv, &pos);
	if (!rc && !common.help) {
		cp_s3_settings s3 = cp_target_settings();
		rc = cp_prune_run(pos.v[0], &s3, common.json, NULL);
	}
	cp_strlist_free(&pos);
	return rc;
}

/* ---- verify ---- */

static const char *o_base_url;

static const cp_opt verify_opts[] = {
    {"base-url", 0, CP_OPT_STR, &o_base_url, "URL",
     "also fetch every file through URL (the CDN) and compare the bytes", 0},
    CP_OPT_END,
};
static const cp_opt *const verify_tables[] = {verify_opts, cp_target_options, NULL};

static const cp_command_spec verify_spec = {
    .name = "verify",
    .usage = "cdnpipe verify [options] TARGET [--base-url URL]",
    .arg_section = "headers",
    .arg_key = cp_header_rules_key,
    .summary = "Checks every file the live manifests at TARGET name: it is there, its bytes\n"
	       "are the ones its fingerprint names, and its headers (and its .gz/.br siblings')\n"
	       "are the ones upload sets; with --base-url, it is served so through the CDN.\n"
	       "Every problem is listed; the exit status is 1 when there is any.",
    .tables = verify_tables,
    .min_args = 1,
    .max_args = 1,
};

int cmd_verify(int argc, char **argv)
{
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&verify_spec, &common, argc, argv, &pos);
	if (rc || common.help) {
		cp_strlist_free(&pos);
		return rc;
	}
	cp_s3_settings s3 = cp_target_settings();
	cp_verify_report r;
	cp_error err = {0};
	size_t nrules;
	const cp_header_rule *rules = cp_header_rules(&nrules);
	rc = cp_verify(pos.v[0], &s3, o_base_url, rules, nrules, &r, &err);
	for (size_t i = 0; i < r.n && !common.json; i++)
		cp_log(CP_LOG_ERROR, "cdnpipe verify: %s", r.problems[i]);
	if (err.set)
		cp_report_error(&err);
	else if (!common.json)
		cp_log(CP_LOG_WARN, "verify: %zu objects checked, %zu problems", r.checked, r.n);
	if (common.json) {
		json_t *a = json_array();
		for (size_t i = 0; i < r.n; i++)
			json_array_append_new(a, json_string(r.problems[i]));
		cp_print_json(json_pack("{s:b, s:I, s:o}", "ok", rc == 0, "checked",
					(json_int_t)r.checked, "problems", a));
	}
	cp_verify_report_free(&r);
	cp_strlist_free(&pos);
	return rc;
}
