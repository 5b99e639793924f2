/*
 * report.h - how cmd/ shows what a job did: the one module that turns the
 * library's reports into text for a person and JSON for a script.
 *
 * Every command prints through here, so sizes read the same in build,
 * upload and sync ("12.3 MiB"), progress lines have one shape, and the
 * --json object of a build is the same whether `build` or `deploy` ran it.
 * Text goes to stderr through lib/log (so -q silences it and a progress
 * line is erased first); JSON goes to stdout, one object per run.
 */
#ifndef CP_CMD_REPORT_H
#define CP_CMD_REPORT_H

#include "lib/cp.h"
#include "pipeline/pipeline.h"

#include <jansson.h>
#include <stdint.h>

/* "512 B", "1.5 KiB", "12.3 MiB", "2.0 GiB", "1.1 TiB". */
void cp_human_size(uint64_t bytes, char *out, size_t n);

/* Prints every diagnostic (warnings, errors) of a stage in path order. */
void cp_report_diags(cp_diags *d);
/* Prints "cdnpipe: <formatted error>" and returns CP_ERR_BUILD. */
int cp_report_error(const cp_error *e);
/* The diagnostics of one level as a JSON array of "path:line:col: msg". */
json_t *cp_diags_json(const cp_diags *d, enum cp_diag_level level);
/* Prints o on stdout (indented, one object) and releases it. */
void cp_print_json(json_t *o);

/* The progress line of a transfer, redrawn in place on a terminal:
 * "<what> 3/10 files, 1.0 MiB/4.0 MiB, 2.0 MiB/s, ETA 2s[, <note>]".
 * seconds is the time since the transfer started.  Calls closer together
 * than a tenth of a second are dropped, except the last (files_done ==
 * files_total). */
typedef struct cp_transfer_progress {
	const char *what;
	size_t files_done, files_total;
	uint64_t bytes_done, bytes_total;
	double seconds;
	const char *note; /* may be NULL */
} cp_transfer_progress;
void cp_report_progress(const cp_transfer_progress *p);

/* A build's report: the summary line (and, with -v, the stage times), and
 * its JSON object (ok: the build succeeded; the manifest is named only then). */
void cp_build_print_summary(const struct cp_build_report *r);
/* What `build` and `deploy` print after cp_build returned rc: a usage error
 * as "cdnpipe <command>: ...", else the diagnostics, the error, and (when
 * the build succeeded and json is 0) the summary. */
void cp_build_print(const char *command, const struct cp_build_report *r, int rc, int json);
/* The build's progress callback: the same line upload draws, on a terminal. */
void cp_build_progress_line(void *ctx, const cp_build_progress *p);
json_t *cp_build_report_json(const struct cp_build_report *r, int ok);

#endif
