/*
 * sync_run.h - what the files of one sync run share: sync_run.c (the merge
 * of the two streams, the windows, the deferred deletes, the report),
 * sync_stream.c (one side as a stream), sync_apply.c (a window's copies and
 * deletes), sync_copy.c (one key's bytes) and sync_generation.c.  Private
 * to upload/.
 */
#ifndef CP_UPLOAD_SYNC_RUN_H
#define CP_UPLOAD_SYNC_RUN_H

#include "upload/s3/s3.h"
#include "upload/sync/sync_int.h"

#include <pthread.h>

/* One side of a sync: a folder, or a bucket prefix on a client. */
typedef struct sync_side {
	cp_sync_loc loc;
	cp_s3_config cfg;
	cp_s3 *s3;	   /* may be shared by both sides (same endpoint and keys) */
	cp_sync_list list; /* the current window's entries of this side */
	int exists;	   /* local: the folder exists */
	char *real;	   /* local destination: its real path, which writes and deletes stay in */
	char **dangling;   /* local source: rels of the dangling links seen so far */
	size_t ndangling;
} sync_side;

typedef struct sync_ctx {
	const cp_sync_opts *o;
	sync_side src, dst;
	int same_endpoint; /* S3 -> S3 on one client: server-side copy */
	char *cache_dir;
	cp_sync_state state; /* of the local side, if any */
	int have_state;
	int listed;		 /* both sides listed: the state may be saved (and pruned) */
	cp_sync_plan plan;	 /* of the current window */
	cp_sync_result *results; /* one slot per plan item */
	pthread_mutex_t lock;
	size_t done_files, failed;
	uint64_t done_bytes;
	size_t total_files; /* copies planned so far (the progress line's total) */
	uint64_t total_bytes;
	struct sync_progress *progress;
	size_t resumed_parts, hashed;
	const char *tmp_dir; /* S3 -> S3 across endpoints: where bytes wait */
	char **generations;  /* deploy targets' generation keys the changes fall under */
	size_t ngenerations;
	size_t nbumped; /* generations[0..nbumped) were replaced before a change */
	int generations_found;
} sync_ctx;

/* ---- one side as a stream (sync_stream.c) ------------------------------- */

/* An entry of a side's stream; its strings are the receiver's to free. */
typedef struct sync_entry {
	cp_sync_obj o;
	int dangling; /* local source: a dangling link (rel and path only) */
} sync_entry;

typedef struct sync_feed sync_feed;

/* Starts listing side (opened; a local destination resolved to its real
 * path) on a thread of its own.  other_local: the other side is a folder,
 * so every key must be a file name in it. */
sync_feed *sync_feed_start(sync_side *side, int is_dst, int other_local, cp_diags *diags);
/* The next entry in the listing's order: 1; 0 at the end; -1 when the
 * listing failed (sync_feed_finish says why).  Blocks while none is ready. */
int sync_feed_next(sync_feed *f, sync_entry *out);
/* Stops the listing if it still runs, joins its thread and frees f.
 * Returns its result (0 when stopped early) with err; *count: the entries
 * it produced. */
int sync_feed_finish(sync_feed *f, size_t *count, cp_error *err);

/* ---- carrying out a window (sync_apply.c) -------------------------------- */

/* Copies the window's COPY items on the worker pool, filling c->results. */
void sync_run_copies(sync_ctx *c);
/* Deletes the window's DELETE items (re-checked to be inside the
 * destination), filling c->results. */
void sync_run_deletes(sync_ctx *c);
/* Fills c->results[i] for plan item i. */
void sync_result_set(sync_ctx *c, size_t i, const char *action, const char *why, int failed,
		     const char *msg);
/* The progress line's thread (when the options ask for one), for the run. */
void sync_progress_start(sync_ctx *c);
void sync_progress_stop(sync_ctx *c);

/* ---- generations (sync_generation.c) --------------------------------------- */

/* The merge read rel from the destination's stream: noted if it is one. */
void sync_generation_seen(sync_ctx *c, const char *rel);
/* Replaces the generation keys of the deploy targets the destination's
 * changes fall under: all found so far when all is set (after the last
 * change), else those not yet replaced (before a window's changes). */
int sync_generations_bump(sync_ctx *c, int all, cp_error *err);
/* Copies plan item i (sync_copy.c).  Returns 0, or CP_ERR_BUILD with err. */
int sync_copy_item(sync_ctx *c, size_t i, cp_error *err);
/* A server-side copy of an object of any size (CopyObject's 5 GiB limit
 * does not apply): multipart with UploadPartCopy ranges; aborted on failure. */
int sync_copy_big(cp_s3 *s3, const char *src_bucket, const char *src_key, const char *dst_bucket,
		  const char *dst_key, uint64_t size, uint64_t part_size, int concurrency,
		  const cp_s3_put_headers *h, cp_error *err);
/* "endpoint|bucket|key": what a journal is keyed by. */
char *sync_journal_dest(const sync_side *s, const char *key);
/* x-amz-meta-md5 / x-amz-meta-mtime of a HEAD or GET result. */
void sync_meta_from_result(const cp_s3_result *r, cp_sync_meta *m);

#endif
