/*
 * sync.h - `cdnpipe sync`: keeping media folders and buckets in sync.
 *
 * The stage has three parts, each in its own file:
 *
 *   sync_state.c  what a previous run learnt about a local tree (size, mtime,
 *                 inode, MD5 of every file) so an unchanged file is never
 *                 hashed twice, and the journal of in-flight multipart uploads
 *                 so an interrupted upload resumes without ListParts;
 *   sync_plan.c   the pure decision: given the two listings, which keys are
 *                 copied, skipped or deleted, and why (filters, shards, delete
 *                 guards).  No I/O except through callbacks, so every rule is
 *                 unit-tested without a server;
 *   sync_run.c    moving the bytes (streamed PUT/GET, multipart, server-side
 *                 copy) on the S3 client of upload/s3.h.
 *
 * cmd/cmd_sync.c only parses options into a cp_sync_opts and calls
 * cp_sync_run(); everything it prints comes back in a cp_sync_report.
 */
#ifndef CP_UPLOAD_SYNC_H
#define CP_UPLOAD_SYNC_H

#include "lib/cp.h"

#include <stddef.h>
#include <stdint.h>

/* ---- local state file and multipart journal (sync_state.c) ------------- */

typedef struct cp_state_ent {
	char *rel;
	uint64_t size;
	int64_t mtime_ns;
	uint64_t ino;
	unsigned char md5[16];
	/* Multipart ETag last computed for this content ("" if none), with the
	 * part size used: saves re-hashing when the remote ETag is "x-N". */
	char mpetag[48];
	uint64_t mp_part;
	int used; /* seen in this run: only used entries are saved */
} cp_state_ent;

typedef struct cp_sync_state {
	char *file; /* where it is saved */
	cp_state_ent *v;
	size_t n, cap;
	cp_strmap map;
	int dirty;
	pthread_mutex_t lock; /* taken by the cp_sync_local_* helpers */
} cp_sync_state;

/* The cache folder: $XDG_CACHE_HOME/cdnpipe or ~/.cache/cdnpipe. Newly allocated. */
char *cp_sync_cache_dir(void);
/* The state file of an absolute root ("<cache>/sync-<sha256(root)[:24]>.state"). */
char *cp_sync_state_path(const char *cache_dir, const char *abs_root);
/* Loads (a missing or corrupt file gives an empty state: it is only a cache). */
void cp_sync_state_load(cp_sync_state *s, const char *file);
/* Keeps rel's entry (if any) in the next save without trusting it: every
 * file still on disk is kept, also those a filter or shard left out. */
void cp_sync_state_keep(cp_sync_state *s, const char *rel);
/* 1 when saving would change the file (new entries, or entries to drop). */
int cp_sync_state_changed(const cp_sync_state *s);
/* Saves the used entries atomically. */
int cp_sync_state_save(cp_sync_state *s, cp_error *err);
void cp_sync_state_free(cp_sync_state *s);
/* The entry for rel when size, mtime and inode all still match, else NULL.
 * Marks it used. */
cp_state_ent *cp_sync_state_lookup(cp_sync_state *s, const char *rel, uint64_t size,
				   int64_t mtime_ns, uint64_t ino);
/* Records (or replaces) what is known of rel; thread-unsafe, call under a lock. */
cp_state_ent *cp_sync_state_set(cp_sync_state *s, const char *rel, uint64_t size, int64_t mtime_ns,
				uint64_t ino, const unsigned char md5[16]);

/* A multipart upload in flight.  One small append-only file per upload
 * (beside the state file), one line per finished part: appending a line is
 * cheap and crash-safe (a torn last line is ignored), where rewriting the
 * whole state after every part would cost O(files) per part. */
typedef struct cp_journal_part {
	unsigned num;
	char etag[72];
} cp_journal_part;

typedef struct cp_journal {
	char *file;
	char *dest; /* "endpoint|bucket|key" the upload goes to */
	char *upload_id;
	uint64_t part_size;
	uint64_t size; /* of the source file when it started */
	int64_t mtime_ns;
	uint64_t ino;
	cp_journal_part *parts; /* sorted by num, no duplicates after load */
	size_t nparts, cap;
	pthread_mutex_t lock;
	int fd;
} cp_journal;

/* Journal file of a destination: "<cache>/journal/<sha256(dest)[:24]>.jnl". */
char *cp_journal_path(const char *cache_dir, const char *dest);
/* Loads an existing journal; 0 when found and well-formed, -1 otherwise. */
int cp_journal_load(cp_journal *j, const char *file);
/* Starts a new journal (truncating any old one). */
int cp_journal_create(cp_journal *j, const char *file, const char *dest, const char *upload_id,
		      uint64_t part_size, uint64_t size, int64_t mtime_ns, uint64_t ino,
		      cp_error *err);
/* Records a finished part (thread-safe: parts finish on several threads). */
int cp_journal_add(cp_journal *j, unsigned num, const char *etag);
/* The ETag of part num, or NULL. */
const char *cp_journal_part_etag(const cp_journal *j, unsigned num);
/* Removes the journal file (upload completed or aborted). */
void cp_journal_remove(cp_journal *j);
void cp_journal_free(cp_journal *j);
/* Every journal file in the cache folder (for --abort-incomplete). */
int cp_journal_list(const char *cache_dir, char ***files, size_t *n);

/* ---- multipart arithmetic ---------------------------------------------- */

#define CP_COPY_MAX_SINGLE (5ull << 30) /* CopyObject's limit */

/* Part size for an upload of size bytes: want rounded up to whole MiB, then
 * the S3 client's rule (cp_s3_part_size: at least 5 MiB, doubled until no
 * more than 10,000 parts are needed). */
uint64_t cp_mp_part_size(uint64_t size, uint64_t want);
/* Number of parts (at least 1). */
unsigned cp_mp_part_count(uint64_t size, uint64_t part_size);
/* 1 when etag is a plain MD5 ("hex32"), 2 when multipart ("hex32-N", *nparts
 * set), 0 when it cannot be compared.  Quotes are ignored. */
int cp_etag_kind(const char *etag, unsigned *nparts);
/* Candidate part sizes whose part count for size is exactly n, most likely
 * first (tools' defaults: 8 MiB, 5 MiB, 16 MiB, ..., then size/n rounded up to
 * a MiB).  Returns how many were written (at most max). */
size_t cp_mp_part_candidates(uint64_t size, unsigned n, uint64_t *out, size_t max);
/* The multipart ETag ("hex-N") of a local file for a part size. */
int cp_mp_etag_file(const char *path, uint64_t size, uint64_t part_size, char out[48],
		    cp_error *err);

/* ---- locations ---------------------------------------------------------- */

typedef struct cp_sync_loc {
	int is_s3;
	char *bucket; /* S3 */
	char *prefix; /* S3: "" or ending in '/' */
	char *root;   /* local: absolute folder */
} cp_sync_loc;

/* Parses "s3://bucket/prefix" or a local folder (a "file://" URL too). */
int cp_sync_loc_parse(const char *s, cp_sync_loc *l, cp_error *err);
void cp_sync_loc_free(cp_sync_loc *l);

/* ---- planning (sync_plan.c) --------------------------------------------- */

struct cp_sync_obj;
/* The MD5 of a local file: from the state when size, mtime and inode still
 * match (unless force), else by reading it (and recorded).  st may be NULL.
 * *hashed is incremented when the file was read. */
int cp_sync_local_md5(cp_sync_state *st, const struct cp_sync_obj *o, int force,
		      unsigned char md5[16], size_t *hashed, cp_error *err);
/* 1 when the local file's multipart ETag for some plausible part size equals
 * etag ("hex-N"), 0 when not, -1 on a read error.  Cached in the state. */
int cp_sync_local_mp_match(cp_sync_state *st, const struct cp_sync_obj *o, const char *etag,
			   uint64_t our_part, size_t *hashed, cp_error *err);
/* x-amz-meta-mtime as rclone writes it: seconds with a 9-digit fraction. */
void cp_sync_format_mtime(int64_t ns, char out[32]);
int cp_sync_parse_mtime(const char *s, int64_t *ns);

/* One side's view of a key.  Local entries have path/ino, S3 ones an ETag. */
typedef struct cp_sync_obj {
	char *rel;  /* key below the prefix / path below the root */
	char *path; /* local: path to open */
	uint64_t size;
	int64_t mtime_ns; /* local mtime, or S3 LastModified */
	uint64_t ino;
	char *etag; /* S3, unquoted; NULL for local */
} cp_sync_obj;

typedef struct cp_sync_list {
	cp_sync_obj *v;
	size_t n, cap;
} cp_sync_list;

void cp_sync_list_add(cp_sync_list *l, const char *rel, const char *path, uint64_t size,
		      int64_t mtime_ns, uint64_t ino, const char *etag);
/* Same, taking ownership of rel and path (allocated with malloc). */
void cp_sync_list_take(cp_sync_list *l, char *rel, char *path, uint64_t size, int64_t mtime_ns,
		       uint64_t ino);
void cp_sync_list_free(cp_sync_list *l);

enum cp_sync_action { CP_SYNC_SKIP, CP_SYNC_COPY, CP_SYNC_DELETE };

typedef struct cp_sync_item {
	enum cp_sync_action action;
	size_t src;	       /* index in the source list (COPY, SKIP) */
	size_t dst;	       /* index in the destination list, (size_t)-1 if missing */
	const char *why;       /* "missing", "size differs", "content differs", ... */
	unsigned char md5[16]; /* local source's MD5 when known (written as x-amz-meta-md5) */
	int have_md5;
} cp_sync_item;

/* What the remote side says beyond the listing, for the fallbacks. */
typedef struct cp_sync_meta {
	char md5[33];	  /* x-amz-meta-md5, "" if none */
	int64_t mtime_ns; /* x-amz-meta-mtime, -1 if none */
	int etag_opaque;  /* SSE-KMS or SSE-C: the ETag is not the MD5 of the bytes */
} cp_sync_meta;

typedef struct cp_sync_plan_opts {
	int size_only;
	int checksum; /* always hash local files, trusting no cache */
	int do_delete;
	int force;
	uint64_t max_delete;	   /* 0: no limit */
	unsigned shard_i, shard_n; /* 1-based i of n; n == 0: no sharding */
	const cp_filter *filter;
	/* Source paths that could not be read (dangling links): nothing at or
	 * below one of them is deleted, nor counted by the guards. */
	const char *const *keep;
	size_t nkeep;
	uint64_t part_size; /* what our own uploads use (for ETag candidates) */
	/* Fetches the metadata of an S3 object (dst if which==1 else src);
	 * returns 0 on success.  NULL: no fallback beyond the listing. */
	int (*head)(void *ctx, int which, const cp_sync_obj *o, cp_sync_meta *out);
	void *head_ctx;
	cp_sync_state *state; /* local side's cache; may be NULL */
	int jobs;	      /* threads for hashing */
} cp_sync_plan_opts;

typedef struct cp_sync_plan {
	cp_sync_item *items;
	size_t n, cap;
	size_t ncopy, nskip, ndelete;
	uint64_t copy_bytes;
	size_t hashed; /* local files hashed in this run (the cache missed) */
} cp_sync_plan;

/* 1 when key belongs to shard i of n (1-based); every key is in exactly one. */
int cp_sync_in_shard(const char *key, unsigned i, unsigned n);
/* Parses "I/N" (1 <= I <= N). */
int cp_sync_parse_shard(const char *s, unsigned *i, unsigned *n);
/* Builds the plan.  src_local/dst_local say which side is a folder.  Fails
 * (with a message) only when a delete guard refuses or a file cannot be read. */
int cp_sync_plan_build(const cp_sync_list *src, int src_local, const cp_sync_list *dst,
		       int dst_local, const cp_sync_plan_opts *o, cp_sync_plan *plan,
		       cp_diags *diags, cp_error *err);
void cp_sync_plan_free(cp_sync_plan *p);
/* Refuses ndelete deletes out of the nscope destination objects in scope
 * when they break a guard: more than --max-delete, or more than half (with
 * --force: never). */
int cp_sync_delete_guard(size_t ndelete, size_t nscope, uint64_t max_delete, int force,
			 cp_error *err);
/* 1 when key lies within prefix (prefix "" or ending in '/'). */
int cp_sync_key_within(const char *key, const char *prefix);

/* ---- running (sync_run.c) ------------------------------------------------ */

typedef struct cp_sync_side {
	const char *profile, *endpoint, *region;
} cp_sync_side;

/* What a progress callback is told (about 4 times a second, from a thread
 * of the stage's own; cmd/ draws the line). */
typedef struct cp_sync_progress {
	size_t files_done, files_total;
	uint64_t bytes_done, bytes_total;
	double seconds;
} cp_sync_progress;

typedef struct cp_sync_opts {
	const char *src, *dst;
	cp_sync_side src_side, dst_side;
	const char *endpoint, *region, *profile; /* defaults for both sides */
	int addressing; /* enum cp_s3_addressing: 0 auto, 1 path-style, 2 virtual-host */
	cp_sync_plan_opts plan;
	uint64_t multipart_threshold;
	uint64_t part_size;
	int concurrency;
	int retries;
	const char *cache_control;
	const char *acl;
	int dry_run;
	int abort_incomplete;
	void (*progress)(void *ctx, const cp_sync_progress *p); /* NULL: none */
	void *progress_ctx;
	const char *state_dir; /* override of the cache folder (tests) */
} cp_sync_opts;

typedef struct cp_sync_result {
	char *rel;
	const char *action; /* "copy", "skip", "delete" */
	const char *why;
	uint64_t size;
	int failed;
	char *error;
} cp_sync_result;

typedef struct cp_sync_report {
	cp_sync_result *v;
	size_t n, cap;
	size_t ncopied, nskipped, ndeleted, nfailed;
	uint64_t bytes;
	size_t hashed, resumed_parts, aborted;
	double seconds;
} cp_sync_report;

int cp_sync_run(const cp_sync_opts *o, cp_sync_report *r, cp_diags *diags, cp_error *err);
void cp_sync_report_free(cp_sync_report *r);

#endif
