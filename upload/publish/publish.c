/*
 * publish.c - running a plan: every asset, then the release's history, then
 * the manifest(s).
 *
 * The order is the point of the command.  A page is rendered from the
 * manifest, so the manifest may only appear once every file it names is in
 * place: phase 1 sends the release's copies of the manifests (releases.c),
 * phase 2 all assets, and phase 3 (the live manifests) starts only when the
 * phases before had no failure at all.  A failure anywhere leaves the
 * old manifest in charge, which still points at the old files - nothing is
 * deleted here - so a half-finished deploy is invisible to users.
 *
 * Concurrency.  For s3:// every put is submitted from this thread to the
 * client's engine (which keeps --concurrency requests on the wire and
 * retries by itself) and completes through a callback; submission waits
 * while the client already has 4N+64 operations queued, so memory stays
 * bounded for any number of files.  An earlier version used N worker
 * threads each blocked in a synchronous put: same throughput, but every
 * request cost several thread wake-ups, and client CPU is one of the
 * figures users compare.  Targets without an async put (file://) still get
 * worker threads: lib/pool.h's parallel-for over the phase's items.  A
 * failure does not stop the other workers: the user wants the list of every
 * key that failed, and the files that did arrive are reused by the next run.
 *
 * Progress is reported through a callback under one lock (cmd/ draws the
 * line); the stage itself never prints.
 */
#include "upload/publish/publish.h"
#include "upload/target/target_impl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run {
	cp_target *t;
	cp_plan *plan;
	size_t *idx;
	size_t nidx;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t pending; /* items of the phase not finished yet */
	cp_publish_progress prog;
	const cp_publish_opts *o;
};

static void report(struct run *r)
{
	if (r->o->progress)
		r->o->progress(r->o->progress_ctx, &r->prog);
}

/* Records how one item ended; safe from any thread. */
static void record(struct run *r, cp_plan_item *it, const cp_error *e)
{
	pthread_mutex_lock(&r->lock);
	if (e) {
		/* the key is the item's; the message says why */
		it->status = CP_ITEM_FAILED;
		it->error = cp_xstrdup(e->set && e->msg[0] ? e->msg : "failed");
		r->prog.failed++;
	} else {
		it->status = CP_ITEM_DONE;
		r->prog.bytes_done += it->headers_only ? 0 : it->size;
	}
	r->prog.files_done++;
	r->pending--;
	report(r);
	if (!r->pending) /* only the end of the phase is waited for */
		pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void item_headers(struct run *r, const cp_plan_item *it, cp_put_headers *h)
{
	h->content_type = it->content_type;
	h->cache_control = it->cache_control;
	h->content_encoding = it->content_encoding;
	h->acl = r->plan->acl;
	h->content_disposition = it->content_disposition;
	h->meta = it->meta;
	h->nmeta = it->nmeta;
}

static void put_one(struct run *r, cp_plan_item *it)
{
	cp_put_headers h;
	item_headers(r, it, &h);
	cp_error e = {0};
	int rc = it->headers_only ? cp_target_set_headers(r->t, it->key, &h, &e)
				  : cp_target_put(r->t, it->key, it->local, &h,
						  it->have_md5 ? it->md5 : NULL, &e);
	if (rc && !e.set)
		cp_error_set(&e, it->key, 0, 0, "failed");
	record(r, it, rc ? &e : NULL);
}

struct slot {
	struct run *r;
	cp_plan_item *it;
};

static void async_done(void *ctx, const cp_error *e)
{
	struct slot *s = ctx;
	record(s->r, s->it, e);
}

static void copy_index(void *ctx, size_t k)
{
	struct slot *s = &((struct slot *)ctx)[k];
	put_one(s->r, s->it);
}

/* Targets that complete work on their own thread (s3://): submit every put
 * from here, bounded by the target's queue, and wait for the completions.
 * No thread per request: fewer wake-ups, less CPU. */
static void run_async(struct run *r)
{
	struct slot *slots = cp_xmalloc((r->nidx + 1) * sizeof *slots);
	/* enough queued to keep the engine busy, few enough to bound memory */
	size_t bound = 4 * (size_t)(r->o->concurrency > 0 ? r->o->concurrency : 16) + 64;
	/* refill in batches: once bound are queued, wait until half are done,
	 * then queue that half again, so this thread wakes once per batch
	 * rather than once per completion */
	size_t low = bound / 2;
	for (size_t k = 0; k < r->nidx; k++) {
		slots[k] = (struct slot){r, &r->plan->v[r->idx[k]]};
		cp_put_headers h;
		item_headers(r, slots[k].it, &h);
		if (k >= bound && (k - bound) % (bound - low) == 0)
			r->t->ops->wait_below(r->t, low);
		cp_plan_item *it = slots[k].it;
		if (it->headers_only)
			continue; /* copies: below, in parallel */
		if (r->t->ops->put_async(r->t, it->key, it->local, &h,
					 it->have_md5 ? it->md5 : NULL, async_done, &slots[k])) {
			cp_error e = {0};
			cp_error_set(&e, it->key, 0, 0, "could not be started");
			record(r, it, &e);
		}
	}
	/* metadata copies are synchronous calls: worker threads keep several
	 * on the wire (a changed rule for *.js is one copy per script) */
	/* (their own slots: the puts' are still in flight) */
	struct slot *copies = cp_xmalloc((r->nidx + 1) * sizeof *copies);
	size_t ncopy = 0;
	for (size_t k = 0; k < r->nidx; k++)
		if (r->plan->v[r->idx[k]].headers_only)
			copies[ncopy++] = (struct slot){r, &r->plan->v[r->idx[k]]};
	if (ncopy)
		cp_parallel_for(r->o->concurrency > 0 ? r->o->concurrency : 16, ncopy, copy_index,
				copies);
	pthread_mutex_lock(&r->lock);
	while (r->pending)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	free(copies);
	free(slots);
}

static void put_index(void *ctx, size_t k)
{
	struct run *r = ctx;
	put_one(r, &r->plan->v[r->idx[k]]);
}

/* 1 the release's history (first, so that a prune running beside this
 * deploy sees a release newer than the live one and keeps what it names),
 * 2 the assets, 3 the live manifests. */
static int phase_of(const cp_plan_item *it)
{
	return it->manifest ? 3 : it->history ? 1 : 2;
}

/* Sends the UPLOAD items of one phase; returns the number that failed. */
static size_t run_phase(struct run *r, int phase)
{
	r->nidx = 0;
	for (size_t i = 0; i < r->plan->n; i++) {
		cp_plan_item *it = &r->plan->v[i];
		if (it->action == CP_PLAN_UPLOAD && phase_of(it) == phase)
			r->idx[r->nidx++] = i;
	}
	if (!r->nidx)
		return 0;
	size_t before = r->prog.failed;
	r->pending = r->nidx;
	if (r->t->ops->put_async) {
		run_async(r);
		return r->prog.failed - before;
	}
	/* synchronous targets: one put per worker of a parallel-for */
	cp_parallel_for(r->o->concurrency > 0 ? r->o->concurrency : 16, r->nidx, put_index, r);
	return r->prog.failed - before;
}

int cp_publish(cp_target *t, cp_plan *plan, const cp_publish_opts *o, cp_publish_result *res,
	       cp_error *err)
{
	static const cp_publish_opts defaults = {0};
	struct run r = {.t = t, .plan = plan, .o = o ? o : &defaults};
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	r.idx = cp_xmalloc((plan->n + 1) * sizeof *r.idx);
	for (size_t i = 0; i < plan->n; i++) {
		plan->v[i].status = CP_ITEM_PENDING;
		if (plan->v[i].action == CP_PLAN_UPLOAD) {
			r.prog.files_total++;
			r.prog.bytes_total += plan->v[i].headers_only ? 0 : plan->v[i].size;
		}
	}
	report(&r);
	size_t failed = run_phase(&r, 1);
	int manifest_sent = 0;
	if (!failed)
		failed = run_phase(&r, 2);
	if (!failed) {
		failed = run_phase(&r, 3);
		manifest_sent = !failed;
	}
	free(r.idx);
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.cond);
	if (res) {
		memset(res, 0, sizeof *res);
		res->failed = r.prog.failed;
		res->uploaded = r.prog.files_done - r.prog.failed;
		res->bytes = r.prog.bytes_done;
		res->manifest_sent = manifest_sent;
	}
	if (r.prog.failed) {
		size_t held = 0;
		for (size_t i = 0; i < plan->n; i++)
			held += plan->v[i].manifest && plan->v[i].action == CP_PLAN_UPLOAD &&
				plan->v[i].status == CP_ITEM_PENDING;
		return cp_error_set(err, "", 0, 0, "%zu of %zu uploads failed%s", r.prog.failed,
				    r.prog.files_total,
				    held ? "; the manifest was not uploaded" : "");
	}
	return 0;
}
