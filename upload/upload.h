/*
 * upload.h - the public header of the upload stage: where a build goes, and
 * what is sent there.
 *
 * The stage has three layers, each usable (and testable) on its own:
 *
 *   target   one small interface over "a place that holds keys": a local
 *            folder (file:///path, laid out exactly as the bucket would be)
 *            or an S3 bucket prefix (s3://bucket/prefix).  Operations are
 *            synchronous and safe to call from many threads at once; the
 *            S3 implementation multiplexes them onto the client's single
 *            network thread, so N callers means N requests in flight (the
 *            publisher uses its internal asynchronous put instead, see
 *            target_impl.h, to spare a thread per request).
 *   plan     pure data: DIST + ONE flat listing of the target -> the list of
 *            keys to send or skip, with headers and a reason for each.  No
 *            network; the unit tests build plans from fabricated listings.
 *   publish  runs a plan: every asset first (bounded concurrency), then the
 *            manifest(s) only when no asset failed.  Never deletes.
 *
 * Stages never print: progress is a callback, failures are recorded on the
 * plan items (each failed key keeps its own message), and cmd/ reports.
 */
#ifndef CP_UPLOAD_H
#define CP_UPLOAD_H

#include "lib/cp.h"

#include <stdint.h>

/* ======================================================================
 * Targets, plan and publish (upload/target*.c, upload/plan.c, upload/publish.c)
 * ====================================================================== */

#define CP_ETAG_MAX 80

/* One object of a listing.  key is relative to the target's prefix. */
typedef struct cp_remote_obj {
	char *key;
	uint64_t size;
	/* ETag without quotes: 32 hex (single PUT, or s3rver's multipart), or
	 * "<hex>-N" for an AWS multipart object.  "" when the target computes
	 * it lazily (file://): ask cp_target_etag() when it is needed. */
	char etag[CP_ETAG_MAX];
} cp_remote_obj;

typedef struct cp_remote_list {
	cp_remote_obj *v;
	size_t n, cap;
} cp_remote_list;

void cp_remote_list_add(cp_remote_list *l, const char *key, uint64_t size, const char *etag);
void cp_remote_list_free(cp_remote_list *l);

/* Headers of a PUT (NULL: not sent).  A folder target keeps the bytes only. */
typedef struct cp_put_headers {
	const char *content_type;
	const char *cache_control;
	const char *content_encoding;
	const char *acl; /* canned ACL ("public-read"), only when asked */
} cp_put_headers;

/* How to reach S3: everything the S3 client needs from the command line.
 * NULL / 0 fields fall back to the AWS environment and config files. */
typedef struct cp_s3_settings {
	const char *endpoint;
	const char *region;
	const char *profile;
	int path_style; /* 1 path-style, 0 virtual-host, -1 automatic */
	int concurrency;
	int retries;
	uint64_t multipart_threshold;
	uint64_t part_size; /* 0: the client's default */
} cp_s3_settings;

typedef struct cp_target cp_target;

/* Opens "file:///abs/path" or "s3://bucket[/prefix]".  For s3:// the
 * settings apply; for file:// they are ignored. */
int cp_target_open(const char *url, const cp_s3_settings *s3, cp_target **out, cp_error *err);
void cp_target_close(cp_target *t);
/* "file" or "s3". */
const char *cp_target_scheme(const cp_target *t);
/* Part size the target uses for multipart uploads of a file of this size
 * (0: never multipart), so a plan can compute the same multipart ETag. */
uint64_t cp_target_part_size(const cp_target *t, uint64_t size);

/* Every object below prefix (relative to the target's own prefix), flat,
 * in no particular order.  Appends to out. */
int cp_target_list(cp_target *t, const char *prefix, cp_remote_list *out, cp_error *err);
/* *exists = 0 when the key is absent (not an error). */
int cp_target_head(cp_target *t, const char *key, cp_remote_obj *out, int *exists, cp_error *err);
/* The ETag of a listed key, computing it if the listing left it empty. */
int cp_target_etag(cp_target *t, const char *key, char out[CP_ETAG_MAX], cp_error *err);
/* Sends the local file under key.  md5 (may be NULL) is the file's MD5 when
 * the caller already knows it, saving a read. */
int cp_target_put(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
		  const unsigned char *md5, cp_error *err);
/* Deletes keys (absent ones are not an error).  Each failure goes to diags. */
int cp_target_delete(cp_target *t, const char *const *keys, size_t n, cp_diags *diags,
		     cp_error *err);
/* Server-side copy src -> dst, with new headers. */
int cp_target_copy(cp_target *t, const char *src, const char *dst, const cp_put_headers *h,
		   cp_error *err);

/* ---- plan ---- */

enum cp_encoding_mode {
	CP_ENC_SIBLINGS = 0, /* x.css.gz / x.css.br as their own keys */
	CP_ENC_GZIP,	     /* x.css.gz's bytes under x.css, Content-Encoding: gzip */
	CP_ENC_NONE,	     /* plain files only */
};
/* Parses "siblings" / "gzip" / "none"; -1 when unknown. */
int cp_encoding_parse(const char *s);

enum cp_plan_action { CP_PLAN_UPLOAD, CP_PLAN_SKIP };

/* Why an item is sent or skipped; cp_plan_reason_str() spells it for people. */
enum cp_plan_reason {
	CP_WHY_NEW,	      /* not in the listing */
	CP_WHY_SIZE,	      /* listed with another size */
	CP_WHY_ETAG,	      /* listed with the same size but another ETag */
	CP_WHY_HASHED_EXISTS, /* fingerprinted, listed with the same size */
	CP_WHY_SAME_ETAG,     /* listed with the local MD5 (or multipart ETag) */
	CP_WHY_ENCODING,      /* a sibling the --encoding mode does not send */
};
const char *cp_plan_reason_str(enum cp_plan_reason r);

enum cp_item_status { CP_ITEM_PENDING, CP_ITEM_DONE, CP_ITEM_FAILED };

typedef struct cp_plan_item {
	char *key;   /* relative to the target prefix */
	char *local; /* file whose bytes are sent */
	uint64_t size;
	enum cp_plan_action action;
	enum cp_plan_reason reason;
	int manifest; /* phase 2: sent only after every asset succeeded */
	int fingerprinted;
	const char *content_type; /* static strings or owned by the plan */
	const char *cache_control;
	const char *content_encoding;
	int have_md5;
	unsigned char md5[16];
	/* set by publish */
	enum cp_item_status status;
	char *error; /* why it failed (NULL otherwise) */
} cp_plan_item;

typedef struct cp_plan_opts {
	enum cp_encoding_mode encoding;
	const char *cache_control_unhashed; /* NULL: "public, max-age=300" */
	const char *acl;		    /* NULL: none */
	int jobs;			    /* threads for local hashing (0: cores) */
} cp_plan_opts;

typedef struct cp_plan {
	cp_plan_item *v;
	size_t n, cap;
	const char *acl;
	char *cache_control_unhashed; /* owned copy */
	/* The same with ", no-transform", for --encoding=gzip objects: R2 and GCS
	 * otherwise decompress gzip-encoded objects for some clients. */
	char *cache_control_unhashed_gz;
	/* totals over UPLOAD items */
	size_t n_upload, n_skip;
	uint64_t bytes_upload;
} cp_plan;

#define CP_CACHE_IMMUTABLE    "public, max-age=31536000, immutable"
#define CP_CACHE_IMMUTABLE_GZ CP_CACHE_IMMUTABLE ", no-transform"
#define CP_CACHE_UNHASHED     "public, max-age=300"
#define CP_CACHE_MANIFEST     "no-cache"

/* One file of DIST as the planner sees it (rel is the key below the prefix). */
typedef struct cp_dist_file {
	char *rel;
	char *path;
	uint64_t size;
} cp_dist_file;

/* Lists DIST (every file, dotfiles included, sorted by rel). */
int cp_dist_scan(const char *dist, cp_dist_file **out, size_t *n, cp_diags *diags, cp_error *err);
void cp_dist_free(cp_dist_file *v, size_t n);

/* Builds the plan from DIST's files and one listing of the target.  t is
 * used only to compute ETags a listing left empty and the part size (it may
 * be NULL in tests: ETags are then only ever compared when listed, and
 * multipart with the default 8 MiB part size).  The manifest (staticfiles.json
 * in DIST) names the fingerprinted files; a malformed one is an error.
 * Items come out sorted by key, manifests last. */
int cp_plan_build(const cp_dist_file *files, size_t nfiles, const cp_remote_list *remote,
		  cp_target *t, const cp_plan_opts *o, cp_plan *plan, cp_error *err);
void cp_plan_free(cp_plan *p);

/* ---- publish ---- */

typedef struct cp_publish_progress {
	size_t files_done, files_total;
	uint64_t bytes_done, bytes_total;
	size_t failed;
} cp_publish_progress;

/* Called from the thread that completes an item (serialised by publish). */
typedef void (*cp_progress_fn)(void *ctx, const cp_publish_progress *p);

typedef struct cp_publish_opts {
	int concurrency; /* puts in flight (default 16) */
	cp_progress_fn progress;
	void *progress_ctx;
} cp_publish_opts;

typedef struct cp_publish_result {
	size_t uploaded, failed;
	uint64_t bytes;
	int manifest_sent; /* 0 when phase 2 was held back by a failure */
} cp_publish_result;

/* Runs the UPLOAD items: assets, then manifests if every asset succeeded.
 * Returns 0, or CP_ERR_BUILD when anything failed (each failed item holds
 * its message; err gets a summary). */
int cp_publish(cp_target *t, cp_plan *plan, const cp_publish_opts *o, cp_publish_result *res,
	       cp_error *err);

/* ======================================================================
 * Sync (upload/sync*.c): `cdnpipe sync` between folders and buckets.
 * Its API (cp_sync_run, cp_sync_opts, cp_sync_report, and the planner and
 * state file the unit tests drive) lives in upload/sync.h.
 * ====================================================================== */

#include "sync.h"

#endif
