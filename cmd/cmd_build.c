/*
 * cmd_build.c - `cdnpipe build [options] SRC_DIR... -o DIST`.
 *
 * Thin by design: parse (cmd/opts.h, config section [build]), run the
 * pipeline (cp_build), print the diagnostics in path order and the one-line
 * summary or the --json report (cmd/report.h).
 */
#include "cmd/build_opts.h"
#include "cmd/cmd.h"
#include "cmd/report.h"

static const cp_opt *const build_tables[] = {cp_build_out_opt, cp_build_options, NULL};

static const cp_command_spec build_spec = {
    .name = "build",
    .usage = "cdnpipe build [options] SRC_DIR... -o DIST_DIR",
    .summary =
	"Collects the files under the source folders (the first folder holding a path wins),\n"
	"minifies CSS and JS, fingerprints every file as Django's ManifestStaticFilesStorage\n"
	"does (name.<12 hex of MD5>.ext), rewrites url(), @import and source map references\n"
	"in dependency order, writes .gz/.br siblings, and writes staticfiles.json last.\n"
	"On any error nothing in DIST_DIR is changed.",
    .tables = build_tables,
};

int cmd_build(int argc, char **argv)
{
	cp_common common = {0};
	int rc = cp_parse_command(&build_spec, &common, argc, argv, &cp_build_cfg.roots);
	if (rc || common.help)
		return rc;
	struct cp_build_report r;
	cp_build_report_init(&r);
	cp_build_cfg.c.want_integrity = common.json; /* the report lists each file's */
	cp_build_cfg.c.progress = cp_build_progress_line;
	rc = cp_build(cp_build_config_of(&cp_build_cfg), &r);
	cp_progress_done();
	cp_build_print("build", &r, rc, common.json);
	if (common.json)
		cp_print_json(cp_build_report_json(&r, rc == 0));
	cp_build_report_free(&r);
	return rc;
}
