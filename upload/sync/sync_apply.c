/*
 * sync_apply.c - carrying out one window of a sync's plan: its copies on a
 * pool of workers, its deletes in DeleteObjects batches (or unlinks), and
 * the progress line's thread.
 *
 * Concurrency: the copies run on 2 x `--concurrency` worker threads, each
 * doing one key with the client's blocking calls; twice as many workers as
 * requests in flight, so that while some hash a file (for Content-MD5 and
 * x-amz-meta-md5) the others keep every connection busy.  A multipart
 * upload fans its parts out on the client's network thread, so one 200 MiB
 * file and many small ones keep the connection pool equally busy; the client
 * streams every body from disk, so memory is bounded by the number of
 * requests in flight times the client's small buffers, never by file sizes.
 *
 * Progress is reported to cmd/'s callback by a small thread, from the
 * clients' byte counters (bytes move inside parts, long before a file
 * completes), against totals that grow as the windows are planned.
 *
 * Deletes are only ever asked for keys inside the destination, re-checked
 * here just before the request whatever the planner said.
 */
#include "upload/sync/sync_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- copying ------------------------------------------------------------------------ */

struct work {
	sync_ctx *c;
	size_t *idx; /* plan items to copy */
};

void sync_result_set(sync_ctx *c, size_t i, const char *action, const char *why, int failed,
		     const char *msg)
{
	const cp_sync_item *it = &c->plan.items[i];
	const cp_sync_obj *o =
	    it->action == CP_SYNC_DELETE ? &c->dst.list.v[it->dst] : &c->src.list.v[it->src];
	cp_sync_result *r = &c->results[i];
	r->rel = cp_xstrdup(o->rel);
	r->action = action;
	r->why = why;
	r->size = o->size;
	r->failed = failed;
	r->error = msg ? cp_xstrdup(msg) : NULL;
}

static void copy_one(void *vctx, size_t k)
{
	struct work *w = vctx;
	sync_ctx *c = w->c;
	size_t i = w->idx[k];
	cp_error err = {0};
	int rc = sync_copy_item(c, i, &err);
	char msg[2200];
	const cp_sync_item *it = &c->plan.items[i];
	const char *rel = c->src.list.v[it->src].rel;
	if (rc && !strcmp(err.path, rel)) /* the report names the key already */
		snprintf(msg, sizeof msg, "%s", err.msg);
	else if (rc)
		cp_error_format(&err, msg, sizeof msg);
	sync_result_set(c, i, "copy", it->why, rc != 0, rc ? msg : NULL);
	pthread_mutex_lock(&c->lock);
	c->done_files++;
	if (rc)
		c->failed++;
	else
		c->done_bytes += c->results[i].size;
	pthread_mutex_unlock(&c->lock);
}

struct sync_progress {
	sync_ctx *c;
	pthread_t th;
	int stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	double t0;
};

static void *progress_main(void *arg)
{
	struct sync_progress *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		if (p->stop)
			break;
		/* Bytes move inside parts long before a file completes: count
		 * them from the clients (server-side copies only by file). */
		sync_ctx *c = p->c;
		cp_s3_stats st = {0}, st2 = {0};
		if (c->dst.s3)
			cp_s3_get_stats(c->dst.s3, &st);
		if (c->src.s3 && c->src.s3 != c->dst.s3)
			cp_s3_get_stats(c->src.s3, &st2);
		cp_sync_progress pr = {.seconds = cp_clock() - p->t0};
		pthread_mutex_lock(&c->lock);
		pr.files_total = c->total_files;
		pr.bytes_total = c->total_bytes;
		pr.files_done = c->done_files;
		pr.bytes_done = c->done_bytes;
		pthread_mutex_unlock(&c->lock);
		if (!c->same_endpoint) {
			uint64_t moved = c->dst.loc.is_s3 ? st.bytes_sent : st2.bytes_received;
			pr.bytes_done = moved < pr.bytes_total ? moved : pr.bytes_total;
		}
		c->o->progress(c->o->progress_ctx, &pr);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void sync_progress_start(sync_ctx *c)
{
	if (!c->o->progress)
		return;
	struct sync_progress *p = cp_xcalloc(1, sizeof *p);
	p->c = c;
	p->t0 = cp_clock();
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	pthread_create(&p->th, NULL, progress_main, p);
	c->progress = p;
}

void sync_progress_stop(sync_ctx *c)
{
	struct sync_progress *p = c->progress;
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->th, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
	c->progress = NULL;
}

static int by_size_desc(const void *a, const void *b, void *ctx)
{
	sync_ctx *c = ctx;
	uint64_t x = c->src.list.v[c->plan.items[*(const size_t *)a].src].size;
	uint64_t y = c->src.list.v[c->plan.items[*(const size_t *)b].src].size;
	return x < y ? 1 : x > y ? -1 : 0;
}

void sync_run_copies(sync_ctx *c)
{
	size_t *idx = cp_xmalloc((c->plan.n + 1) * sizeof *idx), n = 0;
	for (size_t i = 0; i < c->plan.n; i++)
		if (c->plan.items[i].action == CP_SYNC_COPY)
			idx[n++] = i;
	/* Big files first (largest first): their parts then overlap with the
	 * many small files instead of trailing at the end. */
	size_t nbig = 0;
	for (size_t i = 0; i < n; i++)
		if (c->src.list.v[c->plan.items[idx[i]].src].size >= (8u << 20)) {
			size_t t = idx[nbig];
			idx[nbig++] = idx[i];
			idx[i] = t;
		}
	qsort_r(idx, nbig, sizeof *idx, by_size_desc, c);
	struct work w = {c, idx};
	int workers = 2 * (c->o->concurrency > 0 ? c->o->concurrency : 16);
	cp_parallel_for(workers, n, copy_one, &w);
	free(idx);
}

/* ---- deleting ------------------------------------------------------------------------ */

static void del_fail(void *ctx, const char *key, const char *code, const char *msg)
{
	sync_ctx *c = ctx;
	size_t pl = strlen(c->dst.loc.prefix);
	const char *rel = strncmp(key, c->dst.loc.prefix, pl) ? NULL : key + pl;
	for (size_t i = 0; rel && i < c->plan.n; i++) {
		cp_sync_result *r = &c->results[i];
		if (r->action && !strcmp(r->action, "delete") && !strcmp(r->rel, rel)) {
			r->failed = 1;
			free(r->error);
			r->error = cp_xasprintf("%s: %s", code ? code : "", msg ? msg : "");
			c->failed++;
			return;
		}
	}
	/* An answer that names a key no delete asked for is not about this
	 * request: what it deleted is not known, so no delete counts as done. */
	char *show = cp_name_show(key);
	for (size_t i = 0; i < c->plan.n; i++) {
		cp_sync_result *r = &c->results[i];
		if (r->action && !strcmp(r->action, "delete") && !r->failed) {
			r->failed = 1;
			r->error = cp_xasprintf("DeleteObjects on s3://%s answered about key '%s', "
						"which was not asked for: what was deleted is not "
						"known",
						c->dst.loc.bucket, show);
			c->failed++;
		}
	}
	free(show);
}

/* Removes the folders a delete emptied, up to (not including) the root; a
 * link on the way is never removed (rmdir refuses one). */
static void rmdir_up(const char *real_root, const char *path)
{
	char *d = cp_xstrdup(path);
	for (;;) {
		char *slash = strrchr(d, '/');
		if (!slash)
			break;
		*slash = 0;
		if (!cp_path_is_within(d, real_root) || !strcmp(d, real_root) || rmdir(d))
			break;
	}
	free(d);
}

void sync_run_deletes(sync_ctx *c)
{
	const char **keys = cp_xmalloc((c->plan.ndelete + 1) * sizeof *keys);
	size_t n = 0;
	for (size_t i = 0; i < c->plan.n; i++) {
		if (c->plan.items[i].action != CP_SYNC_DELETE)
			continue;
		const cp_sync_obj *d = &c->dst.list.v[c->plan.items[i].dst];
		char *key = c->dst.loc.is_s3 ? cp_xasprintf("%s%s", c->dst.loc.prefix, d->rel)
					     : cp_path_join(c->dst.real, d->rel);
		/* Locally, by the path's text and by the folders on the way: a
		 * link in the destination (made since the listing) never carries
		 * a delete outside it, nor to another path of the same files. */
		int inside = c->dst.loc.is_s3 ? cp_sync_key_within(key, c->dst.loc.prefix)
					      : cp_path_is_safe_rel(d->rel) &&
						    cp_path_no_link_below(c->dst.real, d->rel);
		sync_result_set(
		    c, i, "delete", c->plan.items[i].why, !inside,
		    inside ? NULL
			   : "a symlink on the way, or outside the destination: not deleted");
		if (!inside) {
			c->failed++;
			free(key);
			continue;
		}
		if (c->dst.loc.is_s3) {
			keys[n++] = key;
			continue;
		}
		if (unlink(key) && errno != ENOENT) {
			c->results[i].failed = 1;
			c->results[i].error = cp_xasprintf("cannot delete: %s", strerror(errno));
			c->failed++;
		} else {
			rmdir_up(c->dst.real, key);
		}
		free(key);
	}
	if (n) {
		cp_error err = {0};
		if (cp_s3_delete(c->dst.s3, c->dst.loc.bucket, keys, n, del_fail, c, &err)) {
			char msg[2200];
			cp_error_format(&err, msg, sizeof msg);
			for (size_t i = 0; i < c->plan.n; i++) {
				cp_sync_result *r = &c->results[i];
				if (r->action && !strcmp(r->action, "delete") && !r->failed) {
					r->failed = 1;
					r->error = cp_xstrdup(msg);
					c->failed++;
				}
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free((char *)keys[i]);
	free(keys);
}
