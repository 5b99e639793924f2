/*
 * sync_run.c - one sync, start to end: open both sides, read them as two
 * streams in key order (sync_stream.c) and merge them a window at a time,
 * then the deletes, the state, the report.
 *
 * Memory is bounded by the window, not by the number of keys: the merge
 * gathers the entries of both sides up to CDNPIPE_SYNC_WINDOW of them
 * (default 10,000; 0: one window), cut only between distinct keys, so a key
 * present on both sides is always judged in one window; the window is
 * planned (sync_plan.c), its copies run (sync_apply.c) while the listings
 * go on into their rings, its results go out to the caller, and it is
 * freed.  Both listings come in UTF-8 byte order (S3's order, and the
 * walk's); a key that comes after a window it sorts into was judged
 * without it, so the deletes are then withheld and the run fails, naming
 * the key.  Disorder inside a window (s3rver lists in file-system order) is
 * harmless.
 *
 * Order matters for safety: the deletes are only collected while the
 * windows go by (in a nameless file, never a list in memory), and run only
 * when both listings completed, came in order, every copy succeeded (a
 * failed copy leaves the destination holding more, never less) and the
 * guards allow the whole tally; each is re-checked to lie inside the
 * destination just before it is sent.  --max-delete refuses as soon as the
 * count passes it; the share of the scope is known only at the end, so a
 * run of several windows may have copied before that guard refuses (one
 * window, every run below 10,000 keys, is judged before its copies).  The
 * state is saved at the end, also after failures, so the hashing a failed
 * run did is kept, and pruned only after complete listings.
 *
 * The window is a barrier: its copies finish before the next is planned,
 * so a big file at a window's end delays the next one by its own time.
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

static int side_real(sync_side *side, cp_error *err)
{
	char real[PATH_MAX];
	if (!realpath(side->loc.root, real))
		return cp_error_set(err, side->loc.root, 0, 0, "%s", strerror(errno));
	side->real = cp_xstrdup(real);
	return 0;
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

/* ---- reporting ------------------------------------------------------------------------ */

/* Counts result x and hands it on (cmd's callback, or the report's list);
 * x is left empty. */
static void emit(sync_ctx *c, cp_sync_report *r, cp_sync_result *x)
{
	if (x->failed)
		r->nfailed++;
	else if (!strcmp(x->action, "copy")) {
		r->ncopied++;
		r->bytes += x->size;
	} else if (!strcmp(x->action, "delete"))
		r->ndeleted++;
	if (c->o->on_result) {
		c->o->on_result(c->o->result_ctx, x);
		free(x->rel);
		free(x->error);
	} else {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->v = cp_xrealloc(r->v, r->cap * sizeof *r->v);
		}
		r->v[r->n++] = *x;
	}
	memset(x, 0, sizeof *x);
}

/* The delete candidates of a run, one line each ("size escaped-rel"), in a
 * file that has no name (unlinked once open): what a run of ten million
 * deletes holds is this file, not a plan. */
typedef struct spill {
	FILE *f;
	size_t n;
} spill;

static int spill_add(spill *sp, const char *tmp_dir, const cp_sync_obj *o, cp_error *err)
{
	if (!sp->f) {
		char *path = cp_xasprintf("%s/cdnpipe-deletes-XXXXXX", tmp_dir);
		int fd = mkstemp(path); /* 0600 */
		if (fd < 0 || !(sp->f = fdopen(fd, "w+"))) {
			int rc =
			    cp_error_set(err, path, 0, 0, "cannot hold the delete candidates: %s",
					 strerror(errno));
			if (fd >= 0)
				close(fd);
			free(path);
			return rc;
		}
		unlink(path);
		free(path);
	}
	cp_buf b = {0};
	cp_sync_escape(&b, o->rel);
	fprintf(sp->f, "%llu %.*s\n", (unsigned long long)o->size, (int)b.len, b.data);
	cp_buf_free(&b);
	sp->n++;
	if (ferror(sp->f))
		return cp_error_set(err, tmp_dir, 0, 0, "cannot hold the delete candidates: %s",
				    strerror(errno));
	return 0;
}

/* Reads up to max candidates back into the window's destination list, each
 * a DELETE item of the plan. */
static void spill_read(spill *sp, sync_ctx *c, size_t max)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while (c->dst.list.n < max && (len = getline(&line, &cap, sp->f)) > 0) {
		char *sp1 = strchr(line, ' ');
		if (!sp1 || line[len - 1] != '\n')
			continue; /* cannot happen: the file is ours, unlinked */
		cp_sync_obj o = {.rel =
				     cp_sync_unescape(sp1 + 1, (size_t)(line + len - 1 - sp1 - 1)),
				 .size = strtoull(line, NULL, 10)};
		cp_sync_list_take(&c->dst.list, &o);
		if (c->plan.n == c->plan.cap) {
			c->plan.cap = c->plan.cap ? c->plan.cap * 2 : 256;
			c->plan.items =
			    cp_xrealloc(c->plan.items, c->plan.cap * sizeof *c->plan.items);
		}
		c->plan.items[c->plan.n++] = (cp_sync_item){
		    .action = CP_SYNC_DELETE, .dst = c->dst.list.n - 1, .why = "not in source"};
		c->plan.ndelete++;
	}
	free(line);
}

/* ---- the merge of the two streams -------------------------------------------------------- */

typedef struct merge {
	sync_feed *feed[2]; /* source, destination */
	sync_entry head[2];
	int have[2];	  /* sync_feed_next's answer for head[] */
	size_t window;	  /* entries per window; 0: one window */
	const char *wmax; /* largest key in the window (its entry's string) */
	char *bound;	  /* largest key of the windows planned before */
	char *disorder;	  /* the first key that came after a window it belongs to */
	cp_sync_tally tally;
	spill spill;
	int changed; /* a copy or delete was done (or tried) */
} merge;

static void take(sync_ctx *c, merge *m, int dst, sync_entry *e)
{
	const char *rel = e->o.rel;
	sync_side *side = dst ? &c->dst : &c->src;
	/* S3 lists in UTF-8 byte order and the walk yields it; disorder inside a
	 * window is harmless (the planner matches keys in any order), but a key
	 * at or below a planned window's end was judged without it. */
	if (m->bound && strcmp(rel, m->bound) <= 0 && !m->disorder) {
		char *show = cp_name_show(rel);
		m->disorder = cp_xasprintf("%s%s", side->loc.is_s3 ? side->loc.prefix : "", show);
		free(show);
	}
	if (e->dangling) { /* nothing at or below it is deleted */
		free(e->o.path);
		if (dst) {
			free(e->o.rel);
			return;
		}
		c->src.dangling =
		    cp_xrealloc(c->src.dangling, (c->src.ndangling + 1) * sizeof *c->src.dangling);
		c->src.dangling[c->src.ndangling++] = e->o.rel;
		if (!m->wmax || strcmp(rel, m->wmax) > 0)
			m->wmax = rel; /* lives as long as the run */
		return;
	}
	if (!m->wmax || strcmp(rel, m->wmax) > 0)
		m->wmax = rel; /* lives as long as the window */
	if (c->have_state && !side->loc.is_s3) {
		pthread_mutex_lock(&c->state.lock);
		cp_sync_state_keep(&c->state, rel);
		pthread_mutex_unlock(&c->state.lock);
	}
	if (dst)
		sync_generation_seen(c, rel);
	cp_sync_list_take(&side->list, &e->o);
}

static void window_free(sync_ctx *c)
{
	if (c->results)
		for (size_t i = 0; i < c->plan.n; i++) {
			free(c->results[i].rel);
			free(c->results[i].error);
		}
	free(c->results);
	c->results = NULL;
	cp_sync_plan_free(&c->plan);
	cp_sync_list_free(&c->src.list);
	cp_sync_list_free(&c->dst.list);
}

/* Emits the window's copies and skips; its deletes go to the spill file. */
static int window_report(sync_ctx *c, merge *m, cp_sync_report *r, cp_error *err)
{
	for (size_t i = 0; i < c->plan.n; i++) {
		const cp_sync_item *it = &c->plan.items[i];
		cp_sync_result *x = &c->results[i];
		if (it->action == CP_SYNC_DELETE) {
			if (spill_add(&m->spill, c->tmp_dir, &c->dst.list.v[it->dst], err))
				return CP_ERR_BUILD;
			continue;
		}
		if (!x->rel) {
			int unreadable = it->why && !strcmp(it->why, "unreadable");
			if (!c->o->dry_run && !unreadable && it->action == CP_SYNC_SKIP)
				continue;
			sync_result_set(c, i, it->action == CP_SYNC_COPY ? "copy" : "skip", it->why,
					unreadable, unreadable ? "cannot read" : NULL);
			if (unreadable)
				c->failed++;
		}
		emit(c, r, x);
	}
	r->nskipped += c->plan.nskip;
	r->hashed += c->plan.hashed;
	return 0;
}

/* Plans and carries out the window the merge has gathered.  last: both
 * streams ended, so the guards can judge the whole tally now, before the
 * window's copies (a refused sync of one window changes nothing). */
static int window(sync_ctx *c, merge *m, int last, cp_sync_report *r, cp_diags *diags,
		  cp_error *err)
{
	const cp_sync_opts *o = c->o;
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
	cp_sync_plan_window(&c->src.list, !c->src.loc.is_s3, &c->dst.list, !c->dst.loc.is_s3, &po,
			    &c->plan, &m->tally, diags);
	c->results = cp_xcalloc(c->plan.n + 1, sizeof *c->results);
	/* --max-delete refuses as soon as the count passes it (the count only
	 * grows); the share of the scope only once the scope is known. */
	cp_sync_tally early = m->tally;
	early.job_scope = early.shard_scope = SIZE_MAX / 4;
	int rc = cp_sync_plan_guard(last ? &m->tally : &early, &o->plan, err);
	if (!rc && !o->dry_run && c->plan.ncopy) {
		pthread_mutex_lock(&c->lock);
		c->total_files += c->plan.ncopy;
		c->total_bytes += c->plan.copy_bytes;
		pthread_mutex_unlock(&c->lock);
		if (!c->dst.loc.is_s3 && !c->dst.exists && !cp_mkdirs(c->dst.loc.root, err))
			c->dst.exists = 1;
		if (!c->dst.loc.is_s3 && !c->dst.exists)
			rc = CP_ERR_BUILD;
		else if (!c->dst.loc.is_s3 && !c->dst.real)
			rc = side_real(&c->dst, err); /* made just now */
		if (!rc)
			rc = sync_generations_bump(c, 0, err);
		if (!rc) {
			m->changed = 1;
			sync_run_copies(c);
		}
	}
	if (!rc)
		rc = window_report(c, m, r, err);
	free(m->bound);
	m->bound = m->wmax ? cp_xstrdup(m->wmax) : NULL;
	m->wmax = NULL;
	window_free(c);
	return rc;
}

/* After both listings completed: the deletes, once the guards allow them,
 * read back from the spill file a thousand at a time (one DeleteObjects
 * request each). */
static int run_deletes(sync_ctx *c, merge *m, cp_sync_report *r, cp_error *err)
{
	const cp_sync_opts *o = c->o;
	int rc = cp_sync_plan_guard(&m->tally, &o->plan, err);
	if (rc || !m->spill.n)
		return rc;
	const char *withheld = NULL;
	if (m->disorder) {
		withheld = "not in source; not deleted because a listing was out of key order";
		rc = cp_error_set(err, m->disorder, 0, 0,
				  "listed after keys that sort after it (a server that does not "
				  "list in UTF-8 byte order): nothing was deleted; "
				  "CDNPIPE_SYNC_WINDOW=0 plans such a sync in one window");
	} else if (c->failed) {
		withheld = "not in source; not deleted because a copy failed";
	}
	if (!withheld && !o->dry_run && (rc = sync_generations_bump(c, 0, err)))
		return rc;
	rewind(m->spill.f);
	for (;;) {
		spill_read(&m->spill, c, 1000);
		if (!c->plan.n)
			break;
		c->results = cp_xcalloc(c->plan.n + 1, sizeof *c->results);
		if (!withheld && !o->dry_run) {
			m->changed = 1;
			sync_run_deletes(c);
		}
		for (size_t i = 0; i < c->plan.n; i++) {
			if (!c->results[i].rel)
				sync_result_set(c, i, o->dry_run ? "delete" : "keep",
						o->dry_run ? "not in source" : withheld, 0, NULL);
			emit(c, r, &c->results[i]);
		}
		window_free(c);
	}
	return rc;
}

static size_t window_size(void)
{
	const char *s = getenv("CDNPIPE_SYNC_WINDOW");
	char *end;
	unsigned long long n = s && *s ? strtoull(s, &end, 10) : 10000;
	return s && *s && *end ? 10000 : (size_t)n;
}

/* Reads both streams in key order, a window of keys at a time: a key
 * present on both sides lands in one window (equal heads are taken
 * together), so each window is planned on its own. */
static int run_merge(sync_ctx *c, cp_sync_report *r, cp_diags *diags, cp_error *err)
{
	merge m = {.window = window_size()};
	m.feed[0] = sync_feed_start(&c->src, 0, !c->dst.loc.is_s3, diags);
	m.feed[1] = sync_feed_start(&c->dst, 1, !c->src.loc.is_s3, diags);
	for (int k = 0; k < 2; k++)
		m.have[k] = sync_feed_next(m.feed[k], &m.head[k]);
	int rc = 0;
	while (m.have[0] >= 0 && m.have[1] >= 0) {
		int end = !m.have[0] && !m.have[1];
		size_t n = c->src.list.n + c->dst.list.n;
		if ((end && (n || m.wmax)) || (m.window && n >= m.window)) {
			if ((rc = window(c, &m, end, r, diags, err)))
				break;
		}
		if (end)
			break;
		int cmp = !m.have[0]   ? 1
			  : !m.have[1] ? -1
				       : strcmp(m.head[0].o.rel, m.head[1].o.rel);
		for (int k = 0; k < 2; k++)
			if (k ? cmp >= 0 : cmp <= 0) {
				take(c, &m, k, &m.head[k]);
				m.have[k] = sync_feed_next(m.feed[k], &m.head[k]);
			}
	}
	size_t count[2];
	for (int k = 0; k < 2; k++) {
		cp_error e = {0};
		if (m.have[k] > 0) { /* stopped early: the head is still ours */
			free(m.head[k].o.rel);
			free(m.head[k].o.path);
			free(m.head[k].o.etag);
		}
		int lrc = sync_feed_finish(m.feed[k], &count[k], &e);
		if (lrc && !rc) {
			*err = e;
			rc = lrc;
		}
	}
	r->listed = count[0] + count[1];
	if (!rc) {
		c->listed = 1; /* the whole tree was walked: what it lacks is gone */
		rc = run_deletes(c, &m, r, err);
	} else if (m.spill.n && !c->o->dry_run) {
		cp_diags_add(diags, CP_DIAG_WARN, "", 0, 0,
			     "%zu objects not in the source were not deleted: the sync stopped "
			     "early",
			     m.spill.n);
	}
	if (m.disorder && !m.spill.n)
		cp_diags_add(diags, CP_DIAG_WARN, m.disorder, 0, 0,
			     "listed after keys that sort after it (a server that does not list in "
			     "UTF-8 byte order): some keys may have been copied again");
	if (m.changed) {
		cp_error e = {0};
		if (sync_generations_bump(c, 1, &e))
			cp_diags_add(diags, CP_DIAG_WARN, e.path, 0, 0, "%s", e.msg);
	}
	window_free(c);
	if (m.spill.f)
		fclose(m.spill.f);
	free(m.bound);
	free(m.disorder);
	return rc;
}

/* ---- the run ---------------------------------------------------------------------------- */

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
	if (o->abort_incomplete && c->dst.loc.is_s3 && !o->dry_run)
		r->aborted = abort_incomplete(c);
	sync_progress_start(c);
	rc = run_merge(c, r, diags, err);
	sync_progress_stop(c);
	r->hashed += c->hashed;
	r->resumed_parts = c->resumed_parts;
	return rc;
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
		if (c.listed)
			cp_sync_state_prune(&c.state);
		cp_sync_state_free(&c.state);
	}
	if (!rc && c.failed)
		rc = cp_error_set(err, "", 0, 0, "%zu of %zu keys failed", r->nfailed,
				  r->ncopied + r->ndeleted + r->nfailed);
	for (int k = 0; k < 2; k++) {
		sync_side *s = k ? &c.dst : &c.src;
		if (s->s3)
			cp_s3_free(s->s3);
		if (s->loc.is_s3)
			cp_s3_config_free(&s->cfg);
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
