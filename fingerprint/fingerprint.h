/*
 * fingerprint.h - the fingerprint stage: find references between files,
 * order files by them, rewrite references to fingerprinted names, and name
 * every file by the MD5 of its final bytes (Django's ManifestStaticFilesStorage
 * scheme: "name.<first 12 hex of MD5>.ext").
 *
 * Input is the asset table (asset/asset.h) with text assets loaded (and
 * minified, if the build minifies).  Output is the same table with refs
 * resolved, out (rewritten text), md5 and hashed set on every asset.
 * Dependency order comes from the reference graph's strongly connected
 * components, processed level by level so every asset of a level is hashed in
 * parallel; a component with several members (a reference cycle) gets one
 * combined hash, so each member can name the others' final names.
 */
#ifndef CP_FINGERPRINT_H
#define CP_FINGERPRINT_H

#include "asset/asset.h"
#include "syntax/syntax.h"
#include "lib/cp.h"

/* Scanners: append the references found in a text to refs (in order of
 * position, target = -1).  They never fail: unterminated constructs are
 * recovered from as the language's spec says. */
void cp_scan_css(const char *text, size_t len, cp_refs *refs);
void cp_scan_js(const char *text, size_t len, cp_refs *refs);
/* The scanner of the asset's kind over its text (CSS, JS; others have no
 * references), appending to a->refs. */
void cp_scan_asset(cp_asset *a);

enum cp_missing_policy {
	CP_MISSING_ERROR =
	    0,		 /* a missing target is an error (all are listed), nothing is written */
	CP_MISSING_WARN, /* keep the reference text as written, warn */
};

typedef struct cp_fingerprint_opts {
	const char *static_url; /* absolute URLs under it are rewritten; default "/static/" */
	enum cp_missing_policy missing; /* for url()/@import */
	int jobs;			/* worker threads */
	int compact_urls; /* write url(x) without quotes where CSS allows (minified output)
			     instead of Django's url("x") */
	int checked;	  /* the references were checked on the authors' text already
			     (cp_fingerprint_check before minifying): resolve again
			     silently, reporting only new errors */
} cp_fingerprint_opts;

/* Resolves, orders, rewrites and hashes every asset of t.  Problems go to d;
 * returns CP_ERR_BUILD when d holds an error (then no asset is named). */
int cp_fingerprint(cp_assets *t, const cp_fingerprint_opts *o, cp_diags *d);

/* Resolves every reference and reports every problem (missing targets,
 * ".." escapes) into d, without naming anything.  The build calls it on the
 * authors' text before minifying, so that messages carry the line and column
 * the author sees, not a position in a one-line minified file. */
int cp_fingerprint_check(cp_assets *t, const cp_fingerprint_opts *o, cp_diags *d);

/* "dir/name.ext" + md5 -> "dir/name.<12 hex>.ext" (only the last extension
 * is split, like os.path.splitext).  Newly allocated. */
char *cp_hashed_name(const char *logical, const unsigned char md5[16]);

#endif
