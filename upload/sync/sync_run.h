/*
 * sync_run.h - what sync_run.c (listing, planning, deleting, reporting) and
 * sync_copy.c (moving one key's bytes) share.  Private to upload/.
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
	cp_s3 *s3; /* may be shared by both sides (same endpoint and keys) */
	cp_sync_list list;
	int exists;	 /* local: the folder exists */
	char *real;	 /* local destination: its real path, which writes and deletes stay in */
	char **dangling; /* local source: rels of the dangling links skipped */
	size_t ndangling;
} sync_side;

typedef struct sync_ctx {
	const cp_sync_opts *o;
	sync_side src, dst;
	int same_endpoint; /* S3 -> S3 on one client: server-side copy */
	char *cache_dir;
	cp_sync_state state; /* of the local side, if any */
	int have_state;
	int listed; /* both sides listed: the state may be saved (and pruned) */
	cp_sync_plan plan;
	cp_sync_result *results; /* one slot per plan item */
	pthread_mutex_t lock;
	size_t done_files, failed;
	uint64_t done_bytes;
	size_t resumed_parts, hashed;
	const char *tmp_dir; /* S3 -> S3 across endpoints: where bytes wait */
	char **generations;  /* deploy targets' generation keys the changes fall under */
	size_t ngenerations;
	int generations_found;
} sync_ctx;

/* Replaces the generation key of every deploy target the destination's
 * changes fall under (sync_generation.c): before the first change and after
 * the last. */
int sync_generations_bump(sync_ctx *c, cp_error *err);
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
