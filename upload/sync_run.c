/*
 * sync_run.c - one sync, start to end: open both sides, list them, plan,
 * copy, delete, save the state, report.
 *
 * Order matters for safety: deletes run only after every copy succeeded
 * (a failed copy leaves the destination holding more, never less), and only
 * for keys inside the destination prefix, re-checked just before the
 * DeleteObjects request whatever the planner said.  The state file is saved
 * at the end, also after failures, so the hashing a failed run did is kept.
 *
 * Concurrency: the copies run on `--concurrency` worker threads, each doing
 * one key with the client's blocking calls.  A multipart upload fans its
 * parts out on the client's network thread, so one 200 MiB file and many
 * small ones keep the connection pool equally busy; the client streams every
 * body from disk, so memory is bounded by the number of requests in flight
 * times the client's small buffers, never by file sizes.
 *
 * The progress line is drawn by a small thread from the client's byte
 * counters (bytes move inside parts, long before a file completes).
 */
#include "sync_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- opening and listing ----------------------------------------------------- */

static int open_side(const cp_sync_opts *o, const cp_sync_side *sd, sync_side *side, cp_error *err)
{
	if (!side->loc.is_s3) {
		struct stat sb;
		side->exists = !stat(side->loc.root, &sb);
		if (side->exists && !S_ISDIR(sb.st_mode))
			return cp_error_set(err, side->loc.root, 0, 0, "not a folder");
		return 0;
	}
	cp_s3_overrides ov = {.endpoint = sd->endpoint ? sd->endpoint : o->endpoint,
			      .region = sd->region ? sd->region : o->region,
			      .profile = sd->profile ? sd->profile : o->profile,
			      .addressing = o->addressing};
	int rc = cp_s3_config_load(&side->cfg, &ov, err);
	if (rc)
		return rc;
	side->s3 = cp_s3_new(&side->cfg, o->concurrency, o->retries, err);
	return side->s3 ? 0 : CP_ERR_BUILD;
}

/* Temporary files of a download a killed run left behind ("x.tmp.PID.N"). */
static int is_tmp_name(const char *rel)
{
	const char *t = strstr(rel, ".tmp.");
	while (t) {
		const char *p = t + 5;
		size_t a = strspn(p, "0123456789");
		if (a && p[a] == '.' && strspn(p + a + 1, "0123456789") == strlen(p + a + 1) &&
		    p[a + 1])
			return 1;
		t = strstr(t + 1, ".tmp.");
	}
	return 0;
}

static int list_local(sync_side *side, cp_error *err)
{
	if (!side->exists)
		return 0;
	cp_walk_list wl = {0};
	cp_walk_opts wo = {.dotfiles = 1};
	int rc = cp_walk(side->loc.root, &wo, &wl, err);
	for (size_t i = 0; !rc && i < wl.n; i++) {
		const cp_walk_entry *e = &wl.v[i];
		if (is_tmp_name(e->rel))
			continue;
		cp_sync_list_add(&side->list, e->rel, e->path, e->size, e->mtime_ns, e->ino, NULL);
	}
	cp_walk_list_free(&wl);
	return rc;
}

static int list_cb(void *ctx, const cp_s3_object *obj)
{
	sync_side *side = ctx;
	if (!cp_sync_key_within(obj->key, side->loc.prefix))
		return 0;
	const char *rel = obj->key + strlen(side->loc.prefix);
	size_t n = strlen(rel);
	if (n && rel[n - 1] == '/' && !obj->size)
		return 0; /* a "folder" marker, not a file */
	cp_sync_list_add(&side->list, rel, NULL, obj->size, (int64_t)obj->mtime * 1000000000, 0,
			 obj->etag);
	return 0;
}

static int list_side(sync_side *side, cp_error *err)
{
	if (!side->loc.is_s3)
		return list_local(side, err);
	return cp_s3_list(side->s3, side->loc.bucket, side->loc.prefix, list_cb, side, err);
}

static int head_cb(void *ctx, int which, const cp_sync_obj *o, cp_sync_meta *out)
{
	sync_ctx *c = ctx;
	sync_side *side = which ? &c->dst : &c->src;
	if (!side->loc.is_s3)
		return -1;
	char *key = cp_xasprintf("%s%s", side->loc.prefix, o->rel);
	cp_s3_result r = {0};
	int rc = cp_s3_head(side->s3, side->loc.bucket, key, NULL, NULL, &r);
	if (!rc)
		sync_meta_from_result(&r, out);
	cp_s3_result_free(&r);
	free(key);
	return rc;
}

/* ---- --abort-incomplete ------------------------------------------------------------ */

struct abort_ctx {
	sync_ctx *c;
	size_t n;
};

static int abort_cb(void *ctx, const cp_s3_upload *u)
{
	struct abort_ctx *a = ctx;
	cp_s3_result r = {0};
	if (!cp_s3_mpu_abort(a->c->dst.s3, a->c->dst.loc.bucket, u->key, u->upload_id, NULL, NULL,
			     &r))
		a->n++;
	cp_s3_result_free(&r);
	return 0;
}

static size_t abort_incomplete(sync_ctx *c)
{
	struct abort_ctx a = {c, 0};
	char *want =
	    cp_xasprintf("%s|%s|%s", c->dst.cfg.endpoint, c->dst.loc.bucket, c->dst.loc.prefix);
	char **files;
	size_t n;
	cp_journal_list(c->cache_dir, &files, &n);
	for (size_t i = 0; i < n; i++) {
		cp_journal j;
		if (!cp_journal_load(&j, files[i]) && !strncmp(j.dest, want, strlen(want))) {
			const char *key =
			    j.dest + strlen(c->dst.cfg.endpoint) + strlen(c->dst.loc.bucket) + 2;
			cp_s3_upload u = {key, j.upload_id, 0};
			abort_cb(&a, &u);
			cp_journal_remove(&j);
		}
		cp_journal_free(&j);
		free(files[i]);
	}
	free(files);
	free(want);
	/* Servers without ListMultipartUploads (s3rver) answer an error:
	 * the journals above were all we could know. */
	cp_error e = {0};
	cp_s3_list_uploads(c->dst.s3, c->dst.loc.bucket, c->dst.loc.prefix, abort_cb, &a, &e);
	return a.n;
}

/* ---- copying ------------------------------------------------------------------------ */

struct work {
	sync_ctx *c;
	size_t *idx; /* plan items to copy */
};

static void result_set(sync_ctx *c, size_t i, const char *action, const char *why, int failed,
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
	if (rc)
		cp_error_format(&err, msg, sizeof msg);
	result_set(c, i, "copy", c->plan.items[i].why, rc != 0, rc ? msg : NULL);
	pthread_mutex_lock(&c->lock);
	c->done_files++;
	if (rc)
		c->failed++;
	else
		c->done_bytes += c->results[i].size;
	pthread_mutex_unlock(&c->lock);
}

struct progress {
	sync_ctx *c;
	pthread_t th;
	int stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t total_files;
	uint64_t total_bytes;
	double t0;
};

static void human(double v, char *out, size_t n)
{
	const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int k = 0;
	while (v >= 1024 && k < 4) {
		v /= 1024;
		k++;
	}
	snprintf(out, n, k ? "%.1f %s" : "%.0f %s", v, u[k]);
}

static void *progress_main(void *arg)
{
	struct progress *p = arg;
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
		cp_s3_stats st = {0}, st2 = {0};
		if (p->c->dst.s3)
			cp_s3_get_stats(p->c->dst.s3, &st);
		if (p->c->src.s3 && p->c->src.s3 != p->c->dst.s3)
			cp_s3_get_stats(p->c->src.s3, &st2);
		double moved = (double)(st.bytes_sent + st2.bytes_received + st.bytes_received);
		if (p->c->same_endpoint)
			moved = (double)p->c->done_bytes;
		double el = now_s() - p->t0, rate = el > 0 ? moved / el : 0;
		char b1[32], b2[32], b3[32], eta[32] = "-";
		human(moved, b1, sizeof b1);
		human((double)p->total_bytes, b2, sizeof b2);
		human(rate, b3, sizeof b3);
		if (rate > 0 && moved < (double)p->total_bytes)
			snprintf(eta, sizeof eta, "%.0fs", ((double)p->total_bytes - moved) / rate);
		cp_progress("sync: %zu/%zu files, %s/%s, %s/s, ETA %s", p->c->done_files,
			    p->total_files, b1, b2, b3, eta);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void run_copies(sync_ctx *c)
{
	const cp_sync_opts *o = c->o;
	size_t *idx = cp_xmalloc((c->plan.n + 1) * sizeof *idx), n = 0;
	for (size_t i = 0; i < c->plan.n; i++)
		if (c->plan.items[i].action == CP_SYNC_COPY)
			idx[n++] = i;
	/* Largest first: a big file's parts then overlap with the small ones. */
	for (size_t i = 1; i < n; i++) {
		size_t v = idx[i], j = i;
		uint64_t sz = c->src.list.v[c->plan.items[v].src].size;
		while (j && c->src.list.v[c->plan.items[idx[j - 1]].src].size < sz &&
		       sz >= (8u << 20)) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
	struct progress p = {
	    .c = c, .total_files = n, .total_bytes = c->plan.copy_bytes, .t0 = now_s()};
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	int prog = o->progress && cp_progress_enabled() && n;
	if (prog)
		pthread_create(&p.th, NULL, progress_main, &p);
	struct work w = {c, idx};
	int workers = o->concurrency > 0 ? o->concurrency : 16;
	cp_parallel_for(workers, n, copy_one, &w);
	if (prog) {
		pthread_mutex_lock(&p.lock);
		p.stop = 1;
		pthread_cond_signal(&p.cond);
		pthread_mutex_unlock(&p.lock);
		pthread_join(p.th, NULL);
		cp_progress_done();
	}
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.cond);
	free(idx);
}

/* ---- deleting ------------------------------------------------------------------------ */

static void del_fail(void *ctx, const char *key, const char *code, const char *msg)
{
	sync_ctx *c = ctx;
	const char *rel = key + strlen(c->dst.loc.prefix);
	for (size_t i = 0; i < c->plan.n; i++) {
		cp_sync_result *r = &c->results[i];
		if (r->action && !strcmp(r->action, "delete") && !strcmp(r->rel, rel)) {
			r->failed = 1;
			free(r->error);
			r->error = cp_xasprintf("%s: %s", code ? code : "", msg ? msg : "");
			c->failed++;
			break;
		}
	}
}

static void rmdir_up(const char *root, const char *path)
{
	char *d = cp_xstrdup(path);
	for (;;) {
		char *slash = strrchr(d, '/');
		if (!slash)
			break;
		*slash = 0;
		if (!cp_path_is_within(d, root) || !strcmp(d, root) || rmdir(d))
			break;
	}
	free(d);
}

static void run_deletes(sync_ctx *c)
{
	const char **keys = cp_xmalloc((c->plan.ndelete + 1) * sizeof *keys);
	size_t n = 0;
	for (size_t i = 0; i < c->plan.n; i++) {
		if (c->plan.items[i].action != CP_SYNC_DELETE)
			continue;
		const cp_sync_obj *d = &c->dst.list.v[c->plan.items[i].dst];
		char *key = c->dst.loc.is_s3 ? cp_xasprintf("%s%s", c->dst.loc.prefix, d->rel)
					     : cp_path_join(c->dst.loc.root, d->rel);
		int inside = c->dst.loc.is_s3 ? cp_sync_key_within(key, c->dst.loc.prefix)
					      : cp_path_is_within(key, c->dst.loc.root);
		result_set(c, i, "delete", c->plan.items[i].why, !inside,
			   inside ? NULL : "outside the destination: not deleted");
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
			rmdir_up(c->dst.loc.root, key);
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

/* ---- the run ---------------------------------------------------------------------------- */

static void fill_report(sync_ctx *c, cp_sync_report *r)
{
	for (size_t i = 0; i < c->plan.n; i++) {
		cp_sync_result *x = &c->results[i];
		if (!x->rel) {
			const cp_sync_item *it = &c->plan.items[i];
			int unreadable = it->why && !strcmp(it->why, "unreadable");
			if (!c->o->dry_run && !unreadable && it->action == CP_SYNC_SKIP)
				continue;
			const char *a = it->action == CP_SYNC_COPY     ? "copy"
					: it->action == CP_SYNC_DELETE ? "delete"
								       : "skip";
			if (!c->o->dry_run && it->action == CP_SYNC_DELETE)
				a = "keep"; /* deletes withheld: a copy failed */
			result_set(c, i, a, it->why, unreadable, unreadable ? "cannot read" : NULL);
			if (unreadable)
				c->failed++;
		}
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->v = cp_xrealloc(r->v, r->cap * sizeof *r->v);
		}
		r->v[r->n++] = *x;
		memset(x, 0, sizeof *x);
		const cp_sync_result *y = &r->v[r->n - 1];
		if (y->failed)
			r->nfailed++;
		else if (!strcmp(y->action, "copy")) {
			r->ncopied++;
			r->bytes += y->size;
		} else if (!strcmp(y->action, "delete"))
			r->ndeleted++;
	}
	r->nskipped = c->plan.nskip;
	r->hashed = c->plan.hashed + c->hashed;
	r->resumed_parts = c->resumed_parts;
}

static int run_inner(sync_ctx *c, cp_sync_report *r, cp_diags *diags, cp_error *err)
{
	const cp_sync_opts *o = c->o;
	int rc;
	if ((rc = open_side(o, &o->src_side, &c->src, err)))
		return rc;
	if ((rc = open_side(o, &o->dst_side, &c->dst, err)))
		return rc;
	if (c->src.loc.is_s3 && c->dst.loc.is_s3 &&
	    !strcmp(c->src.cfg.endpoint, c->dst.cfg.endpoint) &&
	    !strcmp(c->src.cfg.access_key, c->dst.cfg.access_key))
		c->same_endpoint = 1;
	if (!c->src.loc.is_s3 && !c->src.exists)
		return cp_error_set(err, c->src.loc.root, 0, 0, "no such folder");
	sync_side *local = !c->src.loc.is_s3 ? &c->src : !c->dst.loc.is_s3 ? &c->dst : NULL;
	if (local) {
		char *f = cp_sync_state_path(c->cache_dir, local->loc.root);
		cp_sync_state_load(&c->state, f);
		free(f);
		c->have_state = 1;
	}
	if ((rc = list_side(&c->src, err)) || (rc = list_side(&c->dst, err)))
		return rc;
	if (o->abort_incomplete && c->dst.loc.is_s3 && !o->dry_run)
		r->aborted = abort_incomplete(c);

	cp_sync_plan_opts po = o->plan;
	po.head = head_cb;
	po.head_ctx = c;
	po.state = c->have_state ? &c->state : NULL;
	po.part_size = o->part_size;
	po.jobs = cp_cpu_count() * 2;
	rc = cp_sync_plan_build(&c->src.list, !c->src.loc.is_s3, &c->dst.list, !c->dst.loc.is_s3,
				&po, &c->plan, diags, err);
	if (rc)
		return rc;
	c->results = cp_xcalloc(c->plan.n + 1, sizeof *c->results);
	if (!o->dry_run) {
		if (c->plan.ncopy && !c->dst.loc.is_s3 && !c->dst.exists &&
		    cp_mkdirs(c->dst.loc.root, err))
			return CP_ERR_BUILD;
		run_copies(c);
		if (!c->failed && c->plan.ndelete)
			run_deletes(c);
	}
	fill_report(c, r);
	return 0;
}

int cp_sync_run(const cp_sync_opts *o, cp_sync_report *r, cp_diags *diags, cp_error *err)
{
	double t0 = now_s();
	memset(r, 0, sizeof *r);
	sync_ctx c;
	memset(&c, 0, sizeof c);
	c.o = o;
	pthread_mutex_init(&c.lock, NULL);
	c.tmp_dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	c.cache_dir = o->state_dir ? cp_xstrdup(o->state_dir) : cp_sync_cache_dir();
	int rc = 0;
	if (cp_sync_loc_parse(o->src, &c.src.loc, err) ||
	    cp_sync_loc_parse(o->dst, &c.dst.loc, err))
		rc = CP_ERR_USAGE;
	else if (!c.src.loc.is_s3 && !c.dst.loc.is_s3)
		rc = cp_error_set(err, "", 0, 0, "one side must be s3://bucket/prefix")
			 ? CP_ERR_USAGE
			 : 0;
	if (!rc)
		rc = run_inner(&c, r, diags, err);
	if (c.have_state) {
		cp_error e2 = {0};
		if (c.state.dirty || c.plan.n)
			cp_sync_state_save(&c.state, &e2);
		cp_sync_state_free(&c.state);
	}
	if (!rc && c.failed)
		rc = cp_error_set(err, "", 0, 0, "%zu of %zu keys failed", r->nfailed,
				  r->ncopied + r->ndeleted + r->nfailed);
	if (c.results)
		for (size_t i = 0; i < c.plan.n; i++) {
			free(c.results[i].rel);
			free(c.results[i].error);
		}
	free(c.results);
	cp_sync_plan_free(&c.plan);
	for (int k = 0; k < 2; k++) {
		sync_side *s = k ? &c.dst : &c.src;
		if (s->s3)
			cp_s3_free(s->s3);
		if (s->loc.is_s3)
			cp_s3_config_free(&s->cfg);
		cp_sync_list_free(&s->list);
		cp_sync_loc_free(&s->loc);
	}
	free(c.cache_dir);
	pthread_mutex_destroy(&c.lock);
	r->seconds = now_s() - t0;
	return rc;
}

void cp_sync_report_free(cp_sync_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].rel);
		free(r->v[i].error);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}
