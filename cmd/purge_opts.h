/*
 * purge_opts.h - the CDN purge options (--purge PROVIDER and its
 * --purge-* settings, section [purge] of cdnpipe.ini), shared by upload,
 * deploy, rollback and purge, and how a purge's outcome is printed.
 */
#ifndef CP_CMD_PURGE_OPTS_H
#define CP_CMD_PURGE_OPTS_H

#include "cmd/opts.h"
#include "upload/purge/purge.h"

#include <jansson.h>

extern const cp_opt cp_purge_options[];

/* The options as the library takes them, checked (provider known, its
 * settings and token there); prints a message and returns CP_ERR_USAGE
 * when something is wrong.  o->aws_profile is profile (--profile). */
int cp_purge_settings(cp_purge_opts *o, const char *profile);

/* One line for people: what was purged, or why the purge failed with the
 * command that repeats it (`cdnpipe purge TARGET --release R` or the keys). */
void cp_purge_print(const cp_purge_report *r, const char *target, const char *release,
		    const char *const *keys, size_t nkeys);
/* The report as JSON (new reference): provider, purged, requests, id,
 * wildcard, ok, error. */
json_t *cp_purge_json(const cp_purge_opts *o, const cp_purge_report *r);

#endif
