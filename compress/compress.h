/*
 * compress.h - the compress stage: gzip and brotli siblings of output files.
 *
 * Output is reproducible: gzip carries no timestamp or name, brotli has none
 * to carry.  A compressed copy is kept only when it is at most keep_ratio of
 * the original (default 95%): a sibling that saves less costs a request
 * header and a cache entry for nothing.  Files are compressed by streaming,
 * so a large compressible file (a JSON dump, a tar) does not sit in memory.
 */
#ifndef CP_COMPRESS_H
#define CP_COMPRESS_H

#include "asset/asset.h"
#include "lib/cp.h"

enum cp_compress_method {
	CP_GZIP = 1 << 0,
	CP_BROTLI = 1 << 1,
};

typedef struct cp_compress_opts {
	unsigned methods;   /* CP_GZIP | CP_BROTLI */
	int gzip_level;	    /* 1..9, default 9 */
	int brotli_quality; /* 0..11, default 11 */
	double keep_ratio;  /* default 0.95 */
} cp_compress_opts;

void cp_compress_defaults(cp_compress_opts *o);
/* Parses "gzip,br", "gzip", "br", "brotli", "none". Returns 0 or -1. */
int cp_compress_parse(const char *spec, unsigned *methods);
/* Suffix of a method's sibling: ".gz" or ".br". */
const char *cp_compress_suffix(enum cp_compress_method m);

/* Compresses a buffer with one method into out (appended). */
int cp_compress_buffer(enum cp_compress_method m, const cp_compress_opts *o, const void *in,
		       size_t len, cp_buf *out, cp_error *err);
/* Compresses the file src into dst (written atomically) when the result is
 * at most keep_ratio of src's size; otherwise writes nothing and sets *kept=0. */
int cp_compress_file(enum cp_compress_method m, const cp_compress_opts *o, const char *src,
		     const char *dst, int *kept, cp_error *err);
/* Writing DIST: every asset's outputs and their compressed siblings.
 *
 * For each asset: the fingerprinted file (final bytes), the unhashed original
 * (the text before reference rewriting, as Django keeps it; left out with
 * only_hashed), and .gz/.br siblings of both when the type is compressible.
 * A fingerprinted file that already exists in DIST with the right size is
 * not written again (its name is its content), nor are its siblings, so a
 * rebuild with few changes costs little.  Identical bytes (same MD5) are
 * compressed once; further copies are hard links (or copies across devices).
 * Every file goes through a temporary name and rename. */
typedef struct cp_emit_opts {
	const char *dist;
	int only_hashed;
	int jobs;
	cp_compress_opts comp;
} cp_emit_opts;

typedef struct cp_emit_stats {
	uint64_t files;	    /* output files written or already present (siblings included) */
	uint64_t bytes_out; /* bytes of fingerprinted outputs (uncompressed) */
	uint64_t gz_files, gz_bytes, gz_orig; /* siblings kept: their bytes, and their originals' */
	uint64_t br_files, br_bytes, br_orig;
	uint64_t reused; /* fingerprinted files already in DIST */
} cp_emit_stats;

int cp_emit_dist(const cp_assets *t, const cp_emit_opts *o, cp_emit_stats *st, cp_diags *d);

/* Decompression, for verification and sync tests. */
int cp_decompress_buffer(enum cp_compress_method m, const void *in, size_t len, cp_buf *out,
			 cp_error *err);

#endif
