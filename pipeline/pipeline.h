/*
 * pipeline.h - the public header of pipeline/: the build as one library call.
 *
 * cp_build takes a build's options and fills a report; `cdnpipe build` and
 * `deploy` are option parsing around it, and tests run it in-process.  The
 * two stages that touch the file system at either end live here too:
 * collecting the sources into the asset table (collect.c) and writing DIST
 * from it (emit.c); build.c runs the stages between them in order.
 */
#ifndef CP_PIPELINE_H
#define CP_PIPELINE_H

#include "asset/asset.h"
#include "cache/cache.h"
#include "compress/compress.h"
#include "manifest/manifest.h"
#include "lib/cp.h"

/* Collecting: the source roots become the asset table, sorted by logical
 * path.  Like Django's STATICFILES_DIRS, the first root holding a relative
 * path wins; a shadowed duplicate is a warning in d.  Text assets (CSS, JS,
 * maps) are loaded; binary ones are only checked to be readable.  Errors (a
 * missing root, DIST inside a root, a symlink loop or escape, an unreadable
 * file) fill err and return CP_ERR_BUILD, before anything is written. */
typedef struct cp_collect_opts {
	const char *const *roots; /* source folders, in priority order */
	size_t nroots;
	const cp_filter *filter; /* --include/--exclude; may be NULL */
	int dotfiles;		 /* collect names starting with '.' */
	const char *dist;	 /* output folder: refused inside a root; may be NULL */
	int jobs;		 /* threads for loading */
} cp_collect_opts;

int cp_collect(const cp_collect_opts *o, cp_assets *t, cp_diags *d, cp_error *err);

/* Writing DIST: every asset's outputs and their compressed siblings.
 *
 * For each asset: the fingerprinted file (final bytes), the unhashed original
 * (the text before reference rewriting, as Django keeps it; left out with
 * only_hashed), and .gz/.br siblings of both when the type is compressible.
 * A fingerprinted file that already exists in DIST with the right size is
 * not written again (its name is its content), nor are its siblings, so a
 * rebuild with few changes costs little.  Identical bytes (same MD5) are
 * compressed once; further copies are hard links (or copies across devices).
 * Every file goes through a temporary name and rename.
 *
 * Staging: with `staged`, the unhashed files and their siblings are left
 * under temporary names and listed there; cp_emit_commit renames them into
 * place (and removes the siblings no longer kept), cp_emit_discard removes
 * them, so a failed build changes no unhashed file. */
typedef struct cp_emit_staged {
	char **tmp;   /* NULL: final is removed */
	char **final; /* its place in DIST */
	size_t n, cap;
} cp_emit_staged;

typedef struct cp_emit_opts {
	const char *dist;
	int only_hashed;
	int jobs;
	cp_compress_opts comp;
	cp_cache *cache; /* compressed siblings seen before (NULL: none) */
	cp_emit_staged *staged; /* NULL: unhashed files written in place at once */
	/* called after each asset is written (may be NULL) */
	void (*written)(void *ctx, uint64_t bytes);
	void *written_ctx;
} cp_emit_opts;

typedef struct cp_emit_stats {
	uint64_t files;	    /* output files written or already present (siblings included) */
	uint64_t bytes_out; /* bytes of fingerprinted outputs (uncompressed) */
	uint64_t gz_files, gz_bytes, gz_orig; /* siblings kept: their bytes, and their originals' */
	uint64_t br_files, br_bytes, br_orig;
	uint64_t reused;     /* fingerprinted files already in DIST */
	uint64_t compressed; /* siblings compressed by this build */
	uint64_t from_cache; /* siblings taken from the build cache */
} cp_emit_stats;

int cp_emit_dist(const cp_assets *t, const cp_emit_opts *o, cp_emit_stats *st, cp_diags *d);
/* Both empty the list; commit stops at the first failure (naming the path)
 * and removes the temporary files it did not rename. */
int cp_emit_commit(cp_emit_staged *s, cp_error *err);
void cp_emit_discard(cp_emit_staged *s);

/* ---- the manifests (manifests.c) ------------------------------------------ */

typedef struct cp_manifests_opts {
	unsigned dialects; /* CP_MF_* bits */
	cp_sri sri;
	const char *django_version;
	const char *prefix;
	const char *const *entries; /* globs */
	size_t nentries;
	int want_integrity;
	int jobs;
	const char *dist;
	/* the unhashed files emit staged (may be NULL): committed once every
	 * manifest is written, before the first is renamed into place, and
	 * discarded on failure */
	cp_emit_staged *staged;
} cp_manifests_opts;

struct cp_build_report;
/* Writes every manifest asked for into DIST, after every asset is there:
 * hashes the fingerprinted files (one read each, in parallel) when a
 * dialect or the report needs digests, then renders and renames each
 * manifest into place, staticfiles.json last.  Fills the report's outputs,
 * manifest and manifests. */
int cp_write_manifests(const cp_assets *t, const cp_manifests_opts *o, struct cp_build_report *r);
/* Every manifest path the options write (relative to DIST), for the
 * pre-flight check; NULL-terminated, static strings. */
size_t cp_manifests_paths(unsigned dialects, const char *out[8]);

/* ---- the build ---------------------------------------------------------- */

/* Where a build is, for a progress line: the stage, files and bytes done of
 * the stage's total, seconds since the stage started. */
typedef struct cp_build_progress {
	const char *stage; /* "minifying", "writing" */
	size_t done, total;
	uint64_t bytes_done, bytes_total;
	double seconds;
} cp_build_progress;

/* A build's options, as the user gave them (strings are checked by cp_build). */
struct cp_build_config {
	const char *const *roots; /* SRC_DIR..., in priority order */
	size_t nroots;
	const char *out;			     /* -o DIST */
	const char *const *exclude, *const *include; /* globs */
	size_t nexclude, ninclude;
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
	const char *manifests; /* --manifest: "django" (default), "vite,propshaft", "all" */
	const char *sri;       /* --sri: "sha384" (default), "sha256,sha512", ... */
	const char *manifest_prefix; /* --manifest-prefix: symfony's keys and values */
	const char *const *entries;  /* --entry globs: Vite's isEntry */
	size_t nentries;
	int want_integrity; /* fill the report's integrity even when no manifest has a place for it
			     */
	/* the build cache (cache/cache.h): minified outputs, maps and
	 * compressed siblings of content seen before, in any DIST */
	const char *cache_dir; /* NULL: $XDG_CACHE_HOME/cdnpipe/build */
	int no_cache;
	uint64_t cache_max; /* bytes (0: 1 GiB) */
	/* the file-state record (in the build cache): a file whose path, device,
	 * inode, size, mtime and ctime are unchanged keeps its MD5 unread;
	 * no_trust_mtime hashes every file again */
	int no_trust_mtime;
	/* May be NULL.  Called as work completes (from worker threads, one
	 * call at a time). */
	void (*progress)(void *ctx, const cp_build_progress *p);
	void *progress_ctx;
};

/* One output of the build, for the report. */
typedef struct cp_build_output {
	char *logical, *hashed;
	char *integrity; /* NULL when not computed */
} cp_build_output;

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
	char *manifest;	  /* path of the main manifest written (staticfiles.json, else the first) */
	char **manifests; /* every manifest written, relative to DIST, in writing order */
	size_t nmanifests;
	cp_build_output *outputs; /* every asset, sorted by logical */
	size_t noutputs;
	cp_diags diags; /* warnings, and the errors a user wants all at once */
	cp_error err;	/* the failure that stopped the build, if not in diags */
	int cached;	/* a build cache was used */
	cp_cache_stats cache;
	size_t minified_cached; /* of minified: taken from the cache */
	size_t hashed_known;	/* files whose MD5 came from the file-state record */
};

void cp_build_report_init(struct cp_build_report *r);
void cp_build_report_free(struct cp_build_report *r);

/* Runs collect -> check -> minify -> scan -> fingerprint -> DIST pre-flight
 * -> write DIST -> manifest.  Prints nothing: what happened is in r.
 * Returns 0, CP_ERR_BUILD (nothing written when the input was at fault) or
 * CP_ERR_USAGE (a bad option value; r->err says which). */
int cp_build(const struct cp_build_config *c, struct cp_build_report *r);

#endif
