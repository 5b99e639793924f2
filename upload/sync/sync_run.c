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
 * Concurrency: the copies run on 2 x `--concurrency` worker threads, each
 * doing one key with the client's blocking calls; twice as many workers as
 * requests in flight, so that while some hash a file (for Content-MD5 and
 * x-amz-meta-md5) the others keep every connection busy.  A multipart upload fans its
 * parts out on the client's network thread, so one 200 MiB file and many
 * small ones keep the connection pool equally busy; the client streams every
 * body from disk, so memory is bounded by the number of requests in flight
 * times the client's small buffers, never by file sizes.
 *
 * Progress is reported to cmd/'s callback by a small thread, from the
 * clients' byte counters (bytes move inside parts, long before a file
 * completes).
 */
#include "upload/sync/sync_run.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* Names a killed download leaves behind ("x.tmp.PID.N") are skipped on both
 * sides (the walk's CP_WALK_TMP_WARN; list_cb for a bucket), so a user's
 * file named like one is neither copied nor ever deleted; said, so that
 * nobody believes it synced. */

static int side_real(sync_side *side, cp_error *err)
{
	char real[PATH_MAX];
	if (!realpath(side->loc.root, real))
		return cp_error_set(err, side->loc.root, 0, 0, "%s", strerror(errno));
	side->real = cp_xstrdup(real);
	return 0;
}

/* A local side: links are followed in a source (confined to it), never in a
 * destination (see cp_walk_opts.no_links). */
static int list_local(sync_side *side, int is_dst, cp_diags *diags, cp_error *err)
{
	if (!side->exists)
		return 0;
	cp_walk_list wl = {0};
	cp_walk_opts wo = {
	    .dotfiles = 1, .diags = diags, .no_links = is_dst, .tmp = CP_WALK_TMP_WARN};
	int rc = cp_walk(side->real ? side->real : side->loc.root, &wo, &wl, err);
	side->dangling = wl.dangling;
	side->ndangling = wl.ndangling;
	wl.dangling = NULL;
	wl.ndangling = 0;
	/* The strings move over: a tree of 100,000 files is not held twice. */
	for (size_t i = 0; !rc && i < wl.n; i++) {
		cp_walk_entry *e = &wl.v[i];
		cp_sync_list_take(&side->list, e->rel, e->path, e->size, e->mtime_ns, e->ino);
		e->rel = e->path = NULL;
	}
	cp_walk_list_free(&wl);
	return rc;
}

struct list_ctx {
	sync_side *side;
	int to_local; /* the other side is a folder: every key must name a file in it */
	cp_diags *diags;
};

/* A warning about a key, the key shown escaped (it may hold a newline). */
static void key_warn(cp_diags *d, const char *key, const char *msg)
{
	char *show = cp_name_show(key);
	cp_diags_add(d, CP_DIAG_WARN, show, 0, 0, "%s", msg);
	free(show);
}

/* README, sync: names that cannot travel are skipped with a warning. */
static int list_cb(void *ctx, const cp_s3_object *obj)
{
	struct list_ctx *lc = ctx;
	sync_side *side = lc->side;
	if (!cp_sync_key_within(obj->key, side->loc.prefix)) {
		size_t n = strlen(side->loc.prefix);
		/* Below the prefix but with a ".." segment: no local path can hold
		 * it, and no sync should drop it unannounced. */
		if (!strncmp(obj->key, side->loc.prefix, n) && obj->key[n])
			key_warn(lc->diags, obj->key, "key has a '..' segment: skipped");
		return 0;
	}
	const char *rel = obj->key + strlen(side->loc.prefix);
	if (!cp_name_is_clean(rel)) {
		key_warn(lc->diags, obj->key,
			 "key has a control character (a newline...) or is not UTF-8: skipped");
		return 0;
	}
	if (cp_is_tmp_name(rel)) {
		key_warn(lc->diags, obj->key, CP_TMP_SKIPPED);
		return 0;
	}
	size_t n = strlen(rel);
	if (n && rel[n - 1] == '/' && !obj->size)
		return 0; /* a "folder" marker, not a file */
	if (lc->to_local && !cp_path_is_safe_rel(rel)) {
		key_warn(lc->diags, obj->key,
			 "key cannot be a file name in a folder (a leading or trailing '/', or "
			 "an empty segment): skipped");
		return 0;
	}
	cp_sync_list_add(&side->list, rel, NULL, obj->size, (int64_t)obj->mtime * 1000000000, 0,
			 obj->etag);
	return 0;
}

static int list_side(sync_side *side, int is_dst, int other_local, cp_diags *diags, cp_error *err)
{
	if (!side->loc.is_s3)
		return list_local(side, is_dst, diags, err);
	struct list_ctx lc = {side, other_local, diags};
	return cp_s3_list(side->s3, side->loc.bucket, side->loc.prefix, list_cb, &lc, err);
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
	const cp_sync_item *it = &c->plan.items[i];
	const char *rel = c->src.list.v[it->src].rel;
	if (rc && !strcmp(err.path, rel)) /* the report names the key already */
		snprintf(msg, sizeof msg, "%s", err.msg);
	else if (rc)
		cp_error_format(&err, msg, sizeof msg);
	result_set(c, i, "copy", it->why, rc != 0, rc ? msg : NULL);
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
		/* Bytes move inside parts long before a file completes: count
		 * them from the clients (server-side copies only by file). */
		sync_ctx *c = p->c;
		cp_s3_stats st = {0}, st2 = {0};
		if (c->dst.s3)
			cp_s3_get_stats(c->dst.s3, &st);
		if (c->src.s3 && c->src.s3 != c->dst.s3)
			cp_s3_get_stats(c->src.s3, &st2);
		cp_sync_progress pr = {.files_total = p->total_files,
				       .bytes_total = p->total_bytes,
				       .seconds = cp_clock() - p->t0};
		pthread_mutex_lock(&c->lock);
		pr.files_done = c->done_files;
		pr.bytes_done = c->done_bytes;
		pthread_mutex_unlock(&c->lock);
		if (!c->same_endpoint) {
			uint64_t moved = c->dst.loc.is_s3 ? st.bytes_sent : st2.bytes_received;
			pr.bytes_done = moved < p->total_bytes ? moved : p->total_bytes;
		}
		c->o->progress(c->o->progress_ctx, &pr);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int by_size_desc(const void *a, const void *b, void *ctx)
{
	sync_ctx *c = ctx;
	uint64_t x = c->src.list.v[c->plan.items[*(const size_t *)a].src].size;
	uint64_t y = c->src.list.v[c->plan.items[*(const size_t *)b].src].size;
	return x < y ? 1 : x > y ? -1 : 0;
}

static void run_copies(sync_ctx *c)
{
	const cp_sync_opts *o = c->o;
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
	struct progress p = {
	    .c = c, .total_files = n, .total_bytes = c->plan.copy_bytes, .t0 = cp_clock()};
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	int prog = o->progress && n;
	if (prog)
		pthread_create(&p.th, NULL, progress_main, &p);
	struct work w = {c, idx};
	int workers = 2 * (o->concurrency > 0 ? o->concurrency : 16);
	cp_parallel_for(workers, n, copy_one, &w);
	if (prog) {
		pthread_mutex_lock(&p.lock);
		p.stop = 1;
		pthread_cond_signal(&p.cond);
		pthread_mutex_unlock(&p.lock);
		pthread_join(p.th, NULL);
	}
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.cond);
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

static void run_deletes(sync_ctx *c)
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
		result_set(c, i, "delete", c->plan.items[i].why, !inside,
			   inside
			       ? NULL
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
			const char *why = it->why;
			if (!c->o->dry_run && it->action == CP_SYNC_DELETE) {
				a = "keep"; /* deletes withheld: a copy failed */
				why = "not in source; not deleted because a copy failed";
			}
			result_set(c, i, a, why, unreadable, unreadable ? "cannot read" : NULL);
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
	cp_error pe = {0};
	if (local && cp_private_dir(c->cache_dir, &pe)) /* a planted MD5 would skip a copy */
		cp_diags_add(diags, CP_DIAG_WARN, pe.path, 0, 0, "no sync state: %s", pe.msg);
	else if (local) {
		char *f = cp_sync_state_path(c->cache_dir, local->loc.root);
		if (!cp_sync_state_open(&c->state, f, diags))
			c->have_state = 1;
		else
			cp_sync_state_free(&c->state);
		free(f);
	}
	/* A local destination is resolved once, before it is listed, and walked,
	 * written and deleted in by that real path only. */
	if (!c->dst.loc.is_s3 && c->dst.exists && (rc = side_real(&c->dst, err)))
		return rc;
	if ((rc = list_side(&c->src, 0, !c->dst.loc.is_s3, diags, err)) ||
	    (rc = list_side(&c->dst, 1, !c->src.loc.is_s3, diags, err)))
		return rc;
	for (size_t i = 0; c->have_state && i < local->list.n; i++)
		cp_sync_state_keep(&c->state, local->list.v[i].rel);
	c->listed = 1;
	if (o->abort_incomplete && c->dst.loc.is_s3 && !o->dry_run)
		r->aborted = abort_incomplete(c);

	cp_sync_plan_opts po = {
	    .rules = o->plan,
	    .keep = (const char *const *)c->src.dangling,
	    .nkeep = c->src.ndangling,
	    .part_size = o->part_size,
	    .head = head_cb,
	    .head_ctx = c,
	    .state = c->have_state ? &c->state : NULL,
	    .jobs = cp_cpu_count() * 2,
	};
	rc = cp_sync_plan_build(&c->src.list, !c->src.loc.is_s3, &c->dst.list, !c->dst.loc.is_s3,
				&po, &c->plan, diags, err);
	if (rc)
		return rc;
	c->results = cp_xcalloc(c->plan.n + 1, sizeof *c->results);
	if (!o->dry_run) {
		if (c->plan.ncopy && !c->dst.loc.is_s3 && !c->dst.exists &&
		    cp_mkdirs(c->dst.loc.root, err))
			return CP_ERR_BUILD;
		if (!c->dst.loc.is_s3 && !c->dst.real && (rc = side_real(&c->dst, err)))
			return rc; /* made just now */
		int changes = c->plan.ncopy || c->plan.ndelete;
		if (changes && (rc = sync_generations_bump(c, err)))
			return rc;
		run_copies(c);
		if (!c->failed && c->plan.ndelete)
			run_deletes(c);
		cp_error e = {0};
		if (changes && sync_generations_bump(c, &e))
			cp_diags_add(diags, CP_DIAG_WARN, e.path, 0, 0, "%s", e.msg);
	}
	fill_report(c, r);
	return 0;
}

int cp_sync_run(const cp_sync_opts *o, cp_sync_report *r, cp_diags *diags, cp_error *err)
{
	double t0 = cp_clock();
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
		if (c.listed) /* the whole tree was walked: what it lacks is gone */
			cp_sync_state_prune(&c.state);
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
	for (size_t i = 0; i < c.ngenerations; i++)
		free(c.generations[i]);
	free(c.generations);
	free(c.cache_dir);
	free(c.dst.real);
	for (size_t i = 0; i < c.src.ndangling; i++)
		free(c.src.dangling[i]);
	free(c.src.dangling);
	pthread_mutex_destroy(&c.lock);
	r->seconds = cp_clock() - t0;
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
