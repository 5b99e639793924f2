/*
 * cmd_purge.c - `cdnpipe purge [options] TARGET [--release RELEASE] [KEY...]`:
 * a CDN purge alone, the command a deploy prints when its purge failed.
 *
 * With --release, the keys that release's record lists (what its deploy
 * changed: manifests, unhashed files); with KEYs, those (relative to the
 * prefix, as uploaded); with neither, the live release's.  Everything else
 * is the purge options deploy takes (section [purge]).
 */
#include "cmd/cmd.h"
#include "cmd/purge_opts.h"
#include "cmd/report.h"
#include "cmd/target_opts.h"
#include "upload/publish/publish.h"

#include <stdio.h>

static const char *o_release;

static const cp_opt purge_cmd_opts[] = {
    {"release", 0, CP_OPT_STR, &o_release, "RELEASE",
     "purge what this release changed (a unique prefix of its name; default: the live one)", 0},
    CP_OPT_END,
};
static const cp_opt *const purge_tables[] = {purge_cmd_opts, cp_purge_options, cp_target_options,
					     NULL};

static const cp_command_spec purge_spec = {
    .name = "purge",
    .usage = "cdnpipe purge [options] TARGET [--release RELEASE] [KEY...]",
    .summary =
	"Tells the CDN (--purge PROVIDER, [purge] in cdnpipe.ini) to drop its copies of the\n"
	"unhashed keys a release changed, as deploy does after publishing; or of the KEYs\n"
	"given (relative to the target prefix).  Fingerprinted keys never need a purge.",
    .tables = purge_tables,
    .min_args = 1,
    .max_args = -1,
};

int cmd_purge(int argc, char **argv)
{
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&purge_spec, &common, argc, argv, &pos);
	cp_s3_settings s3 = cp_target_settings();
	cp_purge_opts purge;
	if (!rc && !common.help)
		rc = cp_purge_settings(&purge, s3.profile);
	if (rc || common.help) {
		cp_strlist_free(&pos);
		return rc;
	}
	cp_purge_report r = {0};
	cp_error err = {0};
	rc = cp_purge_release(pos.v[0], &s3, o_release, (const char *const *)pos.v + 1, pos.n - 1,
			      &purge, &r, &err);
	if (rc && !r.failed)
		cp_report_error(&err);
	else if (rc)
		cp_log(CP_LOG_ERROR, "cdnpipe purge: %s", r.err.msg);
	if (!r.failed)
		cp_purge_print(&r, pos.v[0], NULL, NULL, 0);
	if (common.json)
		cp_print_json(cp_purge_json(&purge, &r));
	cp_purge_report_free(&r);
	cp_strlist_free(&pos);
	return rc;
}
