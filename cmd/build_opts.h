/*
 * build_opts.h - the build's options, shared by `cdnpipe build` and `deploy`.
 *
 * The options live in one table bound to one global config (cp_build_cfg,
 * around pipeline/'s struct cp_build_config), so that build and deploy parse
 * exactly the same flags and config keys: deploy lists cp_build_options (and
 * cp_build_out_opt if it wants -o) among its own tables.  The build itself
 * is cp_build (pipeline/pipeline.h); cmd/report.h shows its report.
 */
#ifndef CP_CMD_BUILD_OPTS_H
#define CP_CMD_BUILD_OPTS_H

#include "cmd/opts.h"
#include "pipeline/pipeline.h"

/* What the options fill: the build's config, and the lists it points into. */
struct cp_build_cli {
	struct cp_build_config c;
	cp_strlist roots; /* positional SRC_DIR..., filled by the command */
	cp_strlist include_list, exclude_list, entry_list;
	const char *trust_mtime; /* --trust-mtime=yes|no (the parser checks the value) */
};

extern struct cp_build_cli cp_build_cfg;
/* Every build option except -o, bound to cp_build_cfg. */
extern const cp_opt cp_build_options[];
/* -o/--output, bound to cp_build_cfg.out. */
extern const cp_opt cp_build_out_opt[];

/* The config cp_build takes, pointing into cli's lists. */
const struct cp_build_config *cp_build_config_of(struct cp_build_cli *cli);

#endif
