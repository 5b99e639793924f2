/*
 * build_run.h - the build pipeline, shared by `cdnpipe build` and `deploy`.
 *
 * The options live in one table bound to one global config (cp_build_cfg),
 * so that build and deploy parse exactly the same flags and config keys:
 * deploy lists cp_build_opts (and cp_build_out_opt if it wants -o) among its
 * own tables.  cp_build_run prints nothing; the caller reports the diags,
 * the error and the summary (cp_build_print_summary / _json).
 */
#ifndef CP_CMD_BUILD_RUN_H
#define CP_CMD_BUILD_RUN_H

#include "compress/compress.h"
#include "lib/cp.h"
#include "cmd/opts.h"

struct cp_build_config {
	cp_strlist roots; /* SRC_DIR..., in priority order (positional: filled by the caller) */
	const char *out;  /* -o DIST */
	cp_strlist exclude, include;
	const char *static_url;	      /* default "/static/" */
	const char *missing;	      /* "error" (default) or "warn" */
	const char *compress;	      /* "gzip,br" (default), "gzip", "br", "none" */
	int only_hashed;	      /* leave the unhashed originals out */
	const char *manifest_version; /* --django-manifest-version: "1.1" (default) or "1.0" */
	long jobs;		      /* 0: number of cores */
	int no_minify;
	int source_map; /* write a source map for each minified file */
	int dotfiles;
	int no_default_ignore; /* keep CVS folders and *~ backups (Django's default ignores) */
};

extern struct cp_build_config cp_build_cfg;
/* Every build option except -o, bound to cp_build_cfg. */
extern const cp_opt cp_build_opts[];
/* -o/--output, bound to cp_build_cfg.out. */
extern const cp_opt cp_build_out_opt[];

enum cp_build_stage {
	CP_STAGE_COLLECT,
	CP_STAGE_MINIFY,
	CP_STAGE_FINGERPRINT,
	CP_STAGE_WRITE,
	CP_STAGE_COUNT
};

struct cp_build_report {
	size_t files;	   /* assets collected */
	size_t minified;   /* assets minified by this build */
	uint64_t bytes_in; /* their source bytes */
	cp_emit_stats emit;
	double seconds;
	double stage_seconds[CP_STAGE_COUNT]; /* shown with -v */
	char *manifest;			      /* path of the manifest written */
	cp_diags diags; /* warnings, and the errors a user wants all at once */
	cp_error err;	/* the failure that stopped the build, if not in diags */
};

void cp_build_report_init(struct cp_build_report *r);
void cp_build_report_free(struct cp_build_report *r);

/* Runs collect -> minify -> scan -> fingerprint -> write DIST -> manifest.
 * Returns 0, CP_ERR_BUILD (nothing written when the input was at fault) or
 * CP_ERR_USAGE (a bad option value; r->err says which). */
int cp_build_run(struct cp_build_config *c, struct cp_build_report *r);

/* One line on stderr (unless -q); the report as JSON on stdout. */
void cp_build_print_summary(const struct cp_build_report *r);
void cp_build_print_json(const struct cp_build_report *r, int ok);

#endif
