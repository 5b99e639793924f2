/*
 * sync_int.h - the inside of the sync stage, shared by its files and their
 * unit tests; cmd/ includes only sync.h.
 *
 *   sync_state.c  what a previous run learnt about a local tree (size, mtime,
 *                 inode, MD5 of every file, in SQLite) so an unchanged file
 *                 is never hashed twice;
 *   sync_journal.c the journal of in-flight multipart uploads, so an
 *                 interrupted upload resumes without ListParts;
 *   sync_cache.c  where both files live (XDG cache) and their line escaping;
 *   sync_loc.c    the parsing of a side ("s3://bucket/prefix" or a folder)
 *                 and sync's part size (ETags are upload/s3/etag.c's);
 *   sync_plan.c   the pure decision: given the two listings, which keys are
 *                 copied, skipped or deleted, and why (filters, shards, delete
 *                 guards).  No I/O except through callbacks, so every rule is
 *                 unit-tested without a server;
 *   sync_shard.c  which shard a run is (--shard I/N, auto from the engine);
 *   sync_run.c    one sync start to end: open both sides, merge their
 *                 streams a window at a time, the deferred deletes, report;
 *   sync_stream.c one side (walk or listing) as a stream on its own thread;
 *   sync_apply.c  a window's copies and deletes, the progress thread;
 *   sync_copy.c   moving one key's bytes (streamed PUT/GET, multipart,
 *                 server-side copy) on the S3 client of upload/s3/s3.h;
 *   sync_generation.c  deploy targets' generation keys around changes.
 *
 * sync_run.h holds what only the run's files share.
 */
#ifndef CP_UPLOAD_SYNC_INT_H
#define CP_UPLOAD_SYNC_INT_H

#include "upload/sync/sync.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* ---- local state (sync_state.c) and multipart journal ------------------- */

/* What the state knows of one file. */
typedef struct cp_state_ent {
	uint64_t size;
	int64_t mtime_ns;
	uint64_t ino;
	unsigned char md5[16];
	/* Multipart ETag last computed for this content ("" if none), with the
	 * part size used: saves re-hashing when the remote ETag is "x-N". */
	char mpetag[48];
	uint64_t mp_part;
} cp_state_ent;

struct sqlite3;
struct sqlite3_stmt;

/* The local MD5 cache of one tree, an SQLite database (see sync_state.c). */
typedef struct cp_sync_state {
	char *file;
	struct sqlite3 *db; /* NULL: no state (every lookup misses) */
	struct sqlite3_stmt *q[5];
	size_t pending;	      /* writes in the open batch transaction */
	int64_t batch_t0;     /* when it began (ns) */
	int64_t stamp;	      /* this run's start (ns): what "seen" rows carry */
	pthread_mutex_t lock; /* taken by the callers around every call */
} cp_sync_state;

/* The cache folder: $XDG_CACHE_HOME/cdnpipe or ~/.cache/cdnpipe. Newly allocated. */
char *cp_sync_cache_dir(void);
/* The line escaping of the state file and journals (sync_cache.c): '%', CR
 * and LF become %XX; cp_sync_unescape reads n bytes back (newly allocated). */
void cp_sync_escape(cp_buf *b, const char *s);
char *cp_sync_unescape(const char *s, size_t n);
/* The state database of an absolute root ("<cache>/sync-<sha256(root)[:24]>.db"). */
char *cp_sync_state_path(const char *cache_dir, const char *abs_root);
/* Opens (or creates) the database; a corrupt or foreign file is reported in
 * diags, removed and created anew.  -1 (with a warning) when there can be
 * no state at all; cp_sync_state_free is needed either way. */
int cp_sync_state_open(cp_sync_state *s, const char *file, cp_diags *diags);
/* 1 and *out when rel's entry has this size, mtime and inode, else 0. */
int cp_sync_state_lookup(cp_sync_state *s, const char *rel, uint64_t size, int64_t mtime_ns,
			 uint64_t ino, cp_state_ent *out);
/* Records (or replaces) what is known of rel; its multipart ETag is kept
 * only when the content is the same. */
void cp_sync_state_set(cp_sync_state *s, const char *rel, uint64_t size, int64_t mtime_ns,
		       uint64_t ino, const unsigned char md5[16]);
/* Records the multipart ETag of rel's content, if its entry still matches. */
void cp_sync_state_set_mp(cp_sync_state *s, const char *rel, uint64_t size, int64_t mtime_ns,
			  uint64_t ino, const char *mpetag, uint64_t mp_part);
/* rel is still on disk (also when a filter or shard left it out): its
 * entry survives cp_sync_state_prune. */
void cp_sync_state_keep(cp_sync_state *s, const char *rel);
/* After a complete listing of the tree: drops the entries no run since this
 * one's start has seen (deleted files). */
void cp_sync_state_prune(cp_sync_state *s);
/* Commits what is pending and closes. */
void cp_sync_state_free(cp_sync_state *s);

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
/* Appends o, taking ownership of its strings (allocated with malloc). */
void cp_sync_list_take(cp_sync_list *l, cp_sync_obj *o);
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
	cp_sync_rules rules; /* the user's (cp_sync_opts.plan) */
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

/* What the delete guards count, summed over the windows of a run. */
typedef struct cp_sync_tally {
	size_t job_del, job_scope; /* over all shards */
	size_t shard_del, shard_scope;
} cp_sync_tally;

/* Plans one window: src and dst hold every key of one key range (equal keys
 * in the same window), in any order inside it.  Adds to the tally what the
 * guards count; plans deletes without judging them (cp_sync_plan_guard does,
 * once every window was planned). */
void cp_sync_plan_window(const cp_sync_list *src, int src_local, const cp_sync_list *dst,
			 int dst_local, const cp_sync_plan_opts *o, cp_sync_plan *plan,
			 cp_sync_tally *tally, cp_diags *diags);
/* 0, or CP_ERR_BUILD with a message when a delete guard refuses the tally. */
int cp_sync_plan_guard(const cp_sync_tally *t, const cp_sync_rules *r, cp_error *err);
/* One window holding everything (the unit tests' planner): window + guard.
 * src_local/dst_local say which side is a folder.  Fails (with a message)
 * only when a delete guard refuses. */
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

#endif
