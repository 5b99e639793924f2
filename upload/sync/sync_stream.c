/*
 * sync_stream.c - one side of a sync read as a stream of entries in key
 * order, on a thread of its own, so that a listing of ten million keys is
 * never held in memory and the copies start while it goes on.
 *
 * Design: a producer thread (the folder walk, cp_walk_each, or the
 * ListObjectsV2 pages, cp_s3_list) pushes copies of its entries into a
 * bounded ring; the merge in sync_run.c pops them.  The ring is the only
 * buffer: when the merge is busy copying, the producer blocks on a full
 * ring, so memory is bounded by the ring's size, one listing page and one
 * folder's names per level of the walk, whatever the number of keys.
 *
 * Trade-offs: entries cross in batches of BATCH each way (one lock per
 * batch, a wake-up only for a thread that sleeps), so a batch waits on the
 * producer's side until it is full or the listing ends; a producer that fails stops the stream, and
 * the merge tells "ended" from "failed" (sync_feed_next's -1) before it
 * plans anything from the partial stream.
 *
 * The filtering of what a listing may carry (names that cannot travel,
 * folder markers, temporary names) happens here, on the producer's thread;
 * cp_diags has its own lock.
 */
#include "upload/sync/sync_run.h"

#include <stdlib.h>
#include <string.h>

#define RING  4096
#define BATCH 256 /* entries moved per lock, each way */

struct sync_feed {
	sync_side *side;
	char *root; /* local: what to walk, NULL when the folder does not exist */
	int is_dst, other_local;
	cp_diags *diags;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	sync_entry ring[RING];
	size_t head, n;	       /* entries ring[head..head+n) wait, modulo RING */
	int waiting[2];	       /* the producer (0) / the merge (1) sleeps on cond */
	sync_entry out[BATCH]; /* the producer's entries not yet in the ring */
	size_t nout;
	sync_entry in[BATCH]; /* the merge's entries taken from the ring */
	size_t nin, iin;
	int done;   /* the producer returned */
	int cancel; /* the merge stopped reading */
	int rc;
	cp_error err;
	size_t count; /* entries produced (for the report's "listed") */
};

static void free_entry(sync_entry *e)
{
	free(e->o.rel);
	free(e->o.path);
	free(e->o.etag);
}

/* Moves the producer's batch into the ring; nonzero when the merge stopped
 * reading, which stops the producer.  The lock is taken once per batch and
 * the other thread woken only when it sleeps: a futex call per entry would
 * cost more than the entry. */
static int flush(sync_feed *f)
{
	pthread_mutex_lock(&f->lock);
	size_t i = 0;
	while (i < f->nout && !f->cancel) {
		if (f->n == RING) {
			f->waiting[0] = 1;
			pthread_cond_broadcast(&f->cond);
			pthread_cond_wait(&f->cond, &f->lock);
			f->waiting[0] = 0;
			continue;
		}
		for (; i < f->nout && f->n < RING; i++) {
			f->ring[(f->head + f->n) % RING] = f->out[i];
			f->n++;
			f->count++;
		}
		if (f->waiting[1])
			pthread_cond_broadcast(&f->cond);
	}
	int cancel = f->cancel;
	pthread_mutex_unlock(&f->lock);
	for (; i < f->nout; i++)
		free_entry(&f->out[i]);
	f->nout = 0;
	return cancel;
}

/* Hands one entry (its strings owned by it) to the merge. */
static int push(sync_feed *f, sync_entry *e)
{
	f->out[f->nout++] = *e;
	return f->nout == BATCH ? flush(f) : 0;
}

static int walk_cb(void *ctx, const cp_walk_entry *we)
{
	sync_feed *f = ctx;
	sync_entry e = {.o = {.rel = cp_xstrdup(we->rel),
			      .path = cp_xstrdup(we->path),
			      .size = we->size,
			      .mtime_ns = we->mtime_ns,
			      .ino = we->ino},
			.dangling = we->dangling};
	return push(f, &e);
}

/* A warning about a key, the key shown escaped (it may hold a newline). */
static void key_warn(cp_diags *d, const char *key, const char *msg)
{
	char *show = cp_name_show(key);
	cp_diags_add(d, CP_DIAG_WARN, show, 0, 0, "%s", msg);
	free(show);
}

/* README, sync: names that cannot travel are skipped with a warning.  Names
 * a killed download leaves behind ("x.tmp.PID.N") are skipped on both sides
 * (the walk's CP_WALK_TMP_WARN; here for a bucket), so a user's file named
 * like one is neither copied nor ever deleted; said, so that nobody believes
 * it synced. */
static int list_cb(void *ctx, const cp_s3_object *obj)
{
	sync_feed *f = ctx;
	const char *prefix = f->side->loc.prefix;
	if (!cp_sync_key_within(obj->key, prefix)) {
		size_t n = strlen(prefix);
		/* Below the prefix but with a ".." segment: no local path can hold
		 * it, and no sync should drop it unannounced. */
		if (!strncmp(obj->key, prefix, n) && obj->key[n])
			key_warn(f->diags, obj->key, "key has a '..' segment: skipped");
		return 0;
	}
	const char *rel = obj->key + strlen(prefix);
	if (!cp_name_is_clean(rel)) {
		key_warn(f->diags, obj->key,
			 "key has a control character (a newline...) or is not UTF-8: skipped");
		return 0;
	}
	if (cp_is_tmp_name(rel)) {
		key_warn(f->diags, obj->key, CP_TMP_SKIPPED);
		return 0;
	}
	size_t n = strlen(rel);
	if (n && rel[n - 1] == '/' && !obj->size)
		return 0; /* a "folder" marker, not a file */
	if (f->other_local && !cp_path_is_safe_rel(rel)) {
		key_warn(f->diags, obj->key,
			 "key cannot be a file name in a folder (a leading or trailing '/', or "
			 "an empty segment): skipped");
		return 0;
	}
	sync_entry e = {.o = {.rel = cp_xstrdup(rel),
			      .size = obj->size,
			      .mtime_ns = (int64_t)obj->mtime * 1000000000,
			      .etag = obj->etag ? cp_xstrdup(obj->etag) : NULL}};
	return push(f, &e);
}

static void *feed_main(void *arg)
{
	sync_feed *f = arg;
	sync_side *s = f->side;
	int rc = 0;
	if (s->loc.is_s3) {
		rc = cp_s3_list(s->s3, s->loc.bucket, s->loc.prefix, list_cb, f, &f->err);
	} else if (f->root) {
		/* Links are followed in a source (confined to it), never in a
		 * destination (see cp_walk_opts.no_links). */
		cp_walk_opts wo = {.dotfiles = 1,
				   .diags = f->diags,
				   .no_links = f->is_dst,
				   .tmp = CP_WALK_TMP_WARN};
		rc = cp_walk_each(f->root, &wo, walk_cb, f, &f->err);
	}
	flush(f);
	pthread_mutex_lock(&f->lock);
	f->rc = f->cancel ? 0 : rc;
	f->done = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

sync_feed *sync_feed_start(sync_side *side, int is_dst, int other_local, cp_diags *diags)
{
	sync_feed *f = cp_xcalloc(1, sizeof *f);
	f->side = side;
	f->is_dst = is_dst;
	f->other_local = other_local;
	f->diags = diags;
	/* Read here, not on the thread: a destination made by the first copy
	 * is not walked (it was empty when the listing began). */
	if (!side->loc.is_s3 && side->exists)
		f->root = cp_xstrdup(side->real ? side->real : side->loc.root);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	pthread_create(&f->th, NULL, feed_main, f);
	return f;
}

int sync_feed_next(sync_feed *f, sync_entry *out)
{
	if (f->iin < f->nin) {
		*out = f->in[f->iin++];
		return 1;
	}
	pthread_mutex_lock(&f->lock);
	while (!f->n && !f->done) {
		f->waiting[1] = 1;
		pthread_cond_wait(&f->cond, &f->lock);
		f->waiting[1] = 0;
	}
	int got = 0;
	f->nin = f->iin = 0;
	for (; f->n && f->nin < BATCH; f->n--, f->head = (f->head + 1) % RING)
		f->in[f->nin++] = f->ring[f->head];
	if (f->nin) {
		*out = f->in[f->iin++];
		got = 1;
		if (f->waiting[0])
			pthread_cond_broadcast(&f->cond);
	} else if (f->rc) {
		got = -1;
	}
	pthread_mutex_unlock(&f->lock);
	return got;
}

int sync_feed_finish(sync_feed *f, size_t *count, cp_error *err)
{
	pthread_mutex_lock(&f->lock);
	f->cancel = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->th, NULL);
	for (; f->n; f->n--, f->head = (f->head + 1) % RING)
		free_entry(&f->ring[f->head]);
	for (; f->iin < f->nin; f->iin++)
		free_entry(&f->in[f->iin]);
	int rc = f->rc;
	if (rc && err)
		*err = f->err;
	if (count)
		*count = f->count;
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f->root);
	free(f);
	return rc;
}
