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
/* The library that makes a method's bytes, with its version ("zlib
 * 1.2.13", "brotli 1.0.9"): a cache of compressed outputs must change with
 * it, as it is loaded at run time, not part of cdnpipe's executable. */
const char *cp_compress_library(enum cp_compress_method m);
/* Suffix of a method's sibling: ".gz" or ".br". */
const char *cp_compress_suffix(enum cp_compress_method m);

/* Compresses a buffer with one method into out (appended). */
int cp_compress_buffer(enum cp_compress_method m, const cp_compress_opts *o, const void *in,
		       size_t len, cp_buf *out, cp_error *err);
/* Compresses the file src into dst (written atomically) when the result is
 * at most keep_ratio of src's size; otherwise writes nothing and sets *kept=0. */
int cp_compress_file(enum cp_compress_method m, const cp_compress_opts *o, const char *src,
		     const char *dst, int *kept, cp_error *err);
/* Decompression, for verification and sync tests. */
int cp_decompress_buffer(enum cp_compress_method m, const void *in, size_t len, cp_buf *out,
			 cp_error *err);

#endif
