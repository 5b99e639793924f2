/*
 * cmd_build.c - `cdnpipe build [options] SRC_DIR... -o DIST`.
 *
 * Thin by design: parse (cmd/opts.h, config section [build]), run the
 * pipeline (build_run.c, shared with deploy), print the diagnostics in path
 * order and the one-line summary or the --json report.
 */
#include "cmd/build_run.h"
#include "cmd/cmd.h"

#include <stdio.h>

static const cp_opt *const build_tables[] = {cp_build_out_opt, cp_build_opts, NULL};

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
	struct cp_build_config *c = &cp_build_cfg;
	int rc = cp_parse_command(&build_spec, &common, argc, argv, &c->roots);
	if (rc || common.help)
		return rc;
	struct cp_build_report r;
	cp_build_report_init(&r);
	rc = cp_build_run(c, &r);
	if (rc == CP_ERR_USAGE) {
		char line[4096];
		cp_error_format(&r.err, line, sizeof line);
		fprintf(stderr, "cdnpipe build: %s\n", line);
	} else {
		cp_report_diags(&r.diags);
		if (r.err.set)
			cp_report_error(&r.err);
		if (!rc && !common.json)
			cp_build_print_summary(&r);
	}
	if (common.json)
		cp_build_print_json(&r, rc == 0);
	cp_build_report_free(&r);
	return rc;
}
