/*
 * sync_plan.c - deciding, key by key, what a sync copies, skips and deletes.
 *
 * The plan is computed from two listings before any byte moves, so
 * `--dry-run` shows exactly what a real run would do and the delete guards
 * can refuse before anything changed.  Keys are matched through a hash table
 * of the destination, never by merge-joining sorted lists: S3 servers (s3rver
 * among them) do not all list in key order.
 *
 * Rules for a key present on both sides, in order:
 *   1. sizes differ                      -> copy ("size differs")
 *   2. --size-only                       -> skip
 *   3. content, as cheaply as it can be told:
 *      - a plain-MD5 ETag against the local MD5 (which the state file
 *        usually knows without reading the file);
 *      - a multipart ETag "x-N" against the multipart ETag computed locally
 *        with a part size that gives N parts (upload/s3/etag.c);
 *      - S3 to S3: equal ETags;
 *      - when that is not conclusive (SSE-KMS/SSE-C ETags are not MD5s, a
 *        multipart upload with an unguessable part size, a plain-MD5 ETag
 *        that differs but might be such a random one) the object's
 *        x-amz-meta-md5, written by cdnpipe on every upload, through a HEAD;
 *      - failing that, size + mtime: x-amz-meta-mtime equal to the local
 *        mtime, or with no such metadata the source not newer than the
 *        destination (what `aws s3 sync` uses), in either direction;
 *      - a plain-MD5 ETag that differs is overruled by x-amz-meta-md5 only
 *        (or by HEAD showing SSE-KMS/SSE-C), never by an mtime header.
 * The HEADs and the hashing are done for at most the keys that need them,
 * in parallel, because a planner that hashes 100,000 files in one thread is
 * what makes peers slow.
 *
 * Filters and shards apply to both sides: an excluded key is neither copied
 * nor deleted, and shard i of n plans only the keys whose hash falls in it,
 * deletes included, so n machines running the n shards together do exactly
 * what one run would.  The delete guards count the objects in scope (those
 * the filters let through), over the whole job and over this shard.
 */
#include "upload/sync/sync_int.h"
#include "upload/s3/s3.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- listings ------------------------------------------------------------- */

void cp_sync_list_add(cp_sync_list *l, const char *rel, const char *path, uint64_t size,
		      int64_t mtime_ns, uint64_t ino, const char *etag)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = cp_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	cp_sync_obj *o = &l->v[l->n++];
	o->rel = cp_xstrdup(rel);
	o->path = path ? cp_xstrdup(path) : NULL;
	o->size = size;
	o->mtime_ns = mtime_ns;
	o->ino = ino;
	o->etag = etag ? cp_xstrdup(etag) : NULL;
}

void cp_sync_list_take(cp_sync_list *l, cp_sync_obj *o)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = cp_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = *o;
}

void cp_sync_list_free(cp_sync_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].rel);
		free(l->v[i].path);
		free(l->v[i].etag);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* ---- shards, guards, prefixes ------------------------------------------------ */

int cp_sync_in_shard(const char *key, unsigned i, unsigned n)
{
	if (n <= 1)
		return 1;
	return cp_str_hash(key) % n == (uint64_t)(i - 1);
}

int cp_sync_delete_guard(size_t ndelete, size_t nscope, uint64_t max_delete, int force,
			 cp_error *err)
{
	if (force || !ndelete)
		return 0;
	if (max_delete && ndelete > max_delete)
		return cp_error_set(err, "", 0, 0,
				    "refusing to delete %zu objects (more than --max-delete %llu); "
				    "check the source, or raise --max-delete / give --force",
				    ndelete, (unsigned long long)max_delete);
	if (ndelete * 2 > nscope)
		return cp_error_set(
		    err, "", 0, 0,
		    "refusing to delete %zu of the %zu objects in scope at the destination "
		    "(more than half); check the source, or give --force",
		    ndelete, nscope);
	return 0;
}

int cp_sync_key_within(const char *key, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(key, prefix, n))
		return 0;
	if (!key[n])
		return 0; /* the prefix itself is not an object below it */
	/* No ".." segment may climb out (keys are not paths, but a local
	 * destination would resolve them). */
	for (const char *p = key + n; *p;) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += l + (e ? 1 : 0);
	}
	return 1;
}

/* ---- local hashing --------------------------------------------------------------- */

int cp_sync_local_md5(cp_sync_state *st, const cp_sync_obj *o, int force, unsigned char md5[16],
		      size_t *hashed, cp_error *err)
{
	if (st && !force) {
		cp_state_ent e;
		pthread_mutex_lock(&st->lock);
		int found = cp_sync_state_lookup(st, o->rel, o->size, o->mtime_ns, o->ino, &e);
		pthread_mutex_unlock(&st->lock);
		if (found) {
			memcpy(md5, e.md5, 16);
			return 0;
		}
	}
	if (cp_md5_file(o->path, 0, UINT64_MAX, md5, err))
		return CP_ERR_BUILD;
	if (hashed)
		__atomic_add_fetch(hashed, 1, __ATOMIC_RELAXED);
	if (st) {
		pthread_mutex_lock(&st->lock);
		cp_sync_state_set(st, o->rel, o->size, o->mtime_ns, o->ino, md5);
		pthread_mutex_unlock(&st->lock);
	}
	return 0;
}

static int same_etag(const char *a, const char *b)
{
	return !strcasecmp(a, b);
}

int cp_sync_local_mp_match(cp_sync_state *st, const cp_sync_obj *o, const char *etag,
			   uint64_t our_part, size_t *hashed, cp_error *err)
{
	unsigned n = 0;
	if (cp_etag_form(etag, &n) != CP_ETAG_MULTIPART)
		return 0;
	if (st) {
		cp_state_ent e;
		pthread_mutex_lock(&st->lock);
		int found = cp_sync_state_lookup(st, o->rel, o->size, o->mtime_ns, o->ino, &e);
		pthread_mutex_unlock(&st->lock);
		if (found && e.mpetag[0] && same_etag(e.mpetag, etag))
			return 1;
	}
	uint64_t part = 0;
	int m = cp_etag_multipart_matches(etag, o->path, o->size,
					  cp_sync_part_size(o->size, our_part), &part, hashed, err);
	if (m == 1 && st) {
		pthread_mutex_lock(&st->lock);
		cp_sync_state_set_mp(st, o->rel, o->size, o->mtime_ns, o->ino, etag, part);
		pthread_mutex_unlock(&st->lock);
	}
	return m;
}

void cp_sync_format_mtime(int64_t ns, char out[32])
{
	int64_t s = ns / 1000000000, f = ns % 1000000000;
	if (f < 0) {
		f += 1000000000;
		s--;
	}
	snprintf(out, 32, "%lld.%09lld", (long long)s, (long long)f);
}

int cp_sync_parse_mtime(const char *s, int64_t *ns)
{
	char *end;
	errno = 0;
	long long sec = strtoll(s, &end, 10);
	if (end == s || errno)
		return -1;
	int64_t frac = 0;
	if (*end == '.') {
		int digits = 0;
		for (end++; *end >= '0' && *end <= '9'; end++, digits++)
			if (digits < 9)
				frac = frac * 10 + (*end - '0');
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (*end)
		return -1;
	*ns = (int64_t)sec * 1000000000 + (sec < 0 ? -frac : frac);
	return 0;
}

/* ---- comparing one key ------------------------------------------------------------ */

struct planner {
	const cp_sync_list *src, *dst;
	int src_local, dst_local;
	const cp_sync_plan_opts *o;
	cp_sync_plan *plan;
	size_t *todo; /* indexes into plan->items needing a content check */
	size_t ntodo;
	cp_diags *diags;
	size_t hashed;
};

/* Local file against an S3 object: 1 same, 0 different, -1 error.
 * Only x-amz-meta-md5 may overrule a plain-MD5 ETag that differs, or HEAD
 * showing the ETag is no MD5 at all (SSE-KMS, SSE-C); an mtime header (as
 * rclone writes one) never does.  With nothing comparable, size + time:
 * unchanged when the source is not newer than the destination. */
static int compare_local_s3(struct planner *p, cp_sync_item *it, const cp_sync_obj *local,
			    const cp_sync_obj *remote, int remote_which, cp_error *err)
{
	unsigned char md5[16];
	if (cp_sync_local_md5(p->o->state, local, p->o->rules.checksum, md5, &p->hashed, err))
		return -1;
	if (p->src_local) {
		memcpy(it->md5, md5, 16);
		it->have_md5 = 1;
	}
	char hex[33];
	cp_hex(md5, 16, hex);
	enum cp_etag_form kind = cp_etag_form(remote->etag, NULL);
	if (kind == CP_ETAG_MD5 && !strcasecmp(hex, remote->etag))
		return 1;
	if (kind == CP_ETAG_MULTIPART) {
		int r = cp_sync_local_mp_match(p->o->state, local, remote->etag, p->o->part_size,
					       &p->hashed, err);
		if (r)
			return r;
	}
	cp_sync_meta m = {.mtime_ns = -1};
	int have = p->o->head && !p->o->head(p->o->head_ctx, remote_which, remote, &m);
	if (have && m.md5[0])
		return !strcasecmp(hex, m.md5);
	if (kind == CP_ETAG_MD5 && !(have && m.etag_opaque))
		return 0; /* an MD5 that differs, and nothing can say otherwise */
	if (have && m.mtime_ns >= 0)
		return m.mtime_ns == local->mtime_ns;
	if (p->src_local)
		return local->mtime_ns <= remote->mtime_ns;
	return remote->mtime_ns <= local->mtime_ns;
}

/* S3 object against S3 object.  Equal ETags are the same bytes; two plain
 * MD5 ETags that differ are different bytes, unless HEAD shows one is no MD5
 * (SSE-KMS/SSE-C) -- then x-amz-meta-md5 (an MD5 on one side only: copy),
 * x-amz-meta-mtime, and when neither side has any MD5, the time rule:
 * unchanged when the source is not newer than the destination (not with
 * --checksum), so a copy onto a KMS bucket settles instead of being redone
 * every run. */
static int compare_s3_s3(struct planner *p, const cp_sync_obj *s, const cp_sync_obj *d)
{
	enum cp_etag_form ks = cp_etag_form(s->etag, NULL), kd = cp_etag_form(d->etag, NULL);
	if (ks != CP_ETAG_OPAQUE && s->etag && d->etag && same_etag(s->etag, d->etag))
		return 1;
	if (!p->o->head)
		return 0;
	cp_sync_meta ms = {.mtime_ns = -1}, md = {.mtime_ns = -1};
	if (p->o->head(p->o->head_ctx, 0, s, &ms) || p->o->head(p->o->head_ctx, 1, d, &md))
		return 0;
	const char *a = ms.md5[0] ? ms.md5 : ks == CP_ETAG_MD5 && !ms.etag_opaque ? s->etag : NULL;
	const char *b = md.md5[0] ? md.md5 : kd == CP_ETAG_MD5 && !md.etag_opaque ? d->etag : NULL;
	if (a && b)
		return !strcasecmp(a, b);
	if (a || b)
		return 0; /* one side vouches for its bytes, the other cannot: copy */
	if (ms.mtime_ns >= 0 && md.mtime_ns >= 0)
		return ms.mtime_ns == md.mtime_ns;
	return !p->o->rules.checksum && s->mtime_ns <= d->mtime_ns;
}

static void check_one(void *ctx, size_t i)
{
	struct planner *p = ctx;
	cp_sync_item *it = &p->plan->items[p->todo[i]];
	const cp_sync_obj *s = &p->src->v[it->src], *d = &p->dst->v[it->dst];
	cp_error err = {0};
	int same;
	if (p->src_local)
		same = compare_local_s3(p, it, s, d, 1, &err);
	else if (p->dst_local)
		same = compare_local_s3(p, it, d, s, 0, &err);
	else
		same = compare_s3_s3(p, s, d);
	if (same < 0) {
		cp_diags_add(p->diags, CP_DIAG_ERROR, s->rel, 0, 0, "%s", err.msg);
		it->action = CP_SYNC_SKIP;
		it->why = "unreadable";
	} else if (same) {
		it->action = CP_SYNC_SKIP;
		it->why = "unchanged";
	} else {
		it->action = CP_SYNC_COPY;
		it->why = "content differs";
	}
}

/* ---- the plan ---------------------------------------------------------------------- */

static cp_sync_item *plan_push(cp_sync_plan *pl)
{
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 256;
		pl->items = cp_xrealloc(pl->items, pl->cap * sizeof *pl->items);
	}
	cp_sync_item *it = &pl->items[pl->n++];
	memset(it, 0, sizeof *it);
	it->dst = (size_t)-1;
	return it;
}

/* rel is one of o->keep, or below one. */
static int kept(const cp_sync_plan_opts *o, const char *rel)
{
	for (size_t i = 0; i < o->nkeep; i++) {
		size_t n = strlen(o->keep[i]);
		if (!strncmp(rel, o->keep[i], n) && (rel[n] == 0 || rel[n] == '/'))
			return 1;
	}
	return 0;
}

static int wanted(const cp_sync_plan_opts *o, const char *rel)
{
	if (o->rules.filter && !cp_filter_pass(o->rules.filter, rel))
		return 0;
	return cp_sync_in_shard(rel, o->rules.shard_i, o->rules.shard_n);
}

void cp_sync_plan_window(const cp_sync_list *src, int src_local, const cp_sync_list *dst,
			 int dst_local, const cp_sync_plan_opts *o, cp_sync_plan *plan,
			 cp_sync_tally *tally, cp_diags *diags)
{
	memset(plan, 0, sizeof *plan);
	struct planner p = {src, dst, src_local, dst_local, o, plan, NULL, 0, diags, 0};
	cp_strmap dmap = {0}, smap = {0};
	for (size_t i = 0; i < dst->n; i++)
		cp_strmap_put(&dmap, dst->v[i].rel, i);
	p.todo = cp_xmalloc((src->n + 1) * sizeof *p.todo);
	for (size_t i = 0; i < src->n; i++) {
		const cp_sync_obj *s = &src->v[i];
		cp_strmap_put(&smap, s->rel, i);
		if (!wanted(o, s->rel))
			continue;
		cp_sync_item *it = plan_push(plan);
		it->src = i;
		size_t d;
		if (!cp_strmap_get(&dmap, s->rel, &d)) {
			it->action = CP_SYNC_COPY;
			it->why = "missing";
			continue;
		}
		it->dst = d;
		if (dst->v[d].size != s->size) {
			it->action = CP_SYNC_COPY;
			it->why = "size differs";
		} else if (o->rules.size_only) {
			it->action = CP_SYNC_SKIP;
			it->why = "same size";
		} else {
			p.todo[p.ntodo++] = plan->n - 1;
		}
	}
	cp_parallel_for(o->jobs > 0 ? o->jobs : 1, p.ntodo, check_one, &p);
	plan->hashed = p.hashed;
	free(p.todo);

	/* The guards count what is in scope: the destination objects the filters
	 * let through.  They judge the whole job (every shard sees both full
	 * listings, so all n shards count the same deletes against the same scope
	 * and refuse together, whenever one unsharded run would), then this
	 * shard's part alone. */
	if (o->rules.do_delete) {
		for (size_t i = 0; i < dst->n; i++) {
			const char *rel = dst->v[i].rel;
			if ((o->rules.filter && !cp_filter_pass(o->rules.filter, rel)) ||
			    kept(o, rel))
				continue;
			int mine = cp_sync_in_shard(rel, o->rules.shard_i, o->rules.shard_n);
			tally->job_scope++;
			tally->shard_scope += mine;
			size_t k;
			if (cp_strmap_get(&smap, rel, &k))
				continue;
			tally->job_del++;
			if (!mine)
				continue;
			tally->shard_del++;
			cp_sync_item *it = plan_push(plan);
			it->action = CP_SYNC_DELETE;
			it->dst = i;
			it->why = "not in source";
		}
	}
	cp_strmap_free(&dmap);
	cp_strmap_free(&smap);
	for (size_t i = 0; i < plan->n; i++) {
		cp_sync_item *it = &plan->items[i];
		if (it->action == CP_SYNC_COPY) {
			plan->ncopy++;
			plan->copy_bytes += src->v[it->src].size;
		} else if (it->action == CP_SYNC_SKIP) {
			plan->nskip++;
		} else {
			plan->ndelete++;
		}
	}
}

int cp_sync_plan_guard(const cp_sync_tally *t, const cp_sync_rules *r, cp_error *err)
{
	if (!r->do_delete)
		return 0;
	if (cp_sync_delete_guard(t->job_del, t->job_scope, r->max_delete, r->force, err)) {
		size_t len = strlen(err->msg);
		if (r->shard_n > 1 && len < sizeof err->msg)
			snprintf(err->msg + len, sizeof err->msg - len,
				 " (counted over all %u shards; this shard's part: %zu)",
				 r->shard_n, t->shard_del);
		return CP_ERR_BUILD;
	}
	/* And this shard's own part, so no run deletes most of what it covers. */
	if (r->shard_n > 1 && cp_sync_delete_guard(t->shard_del, t->shard_scope, 0, r->force, err))
		return CP_ERR_BUILD;
	return 0;
}

int cp_sync_plan_build(const cp_sync_list *src, int src_local, const cp_sync_list *dst,
		       int dst_local, const cp_sync_plan_opts *o, cp_sync_plan *plan,
		       cp_diags *diags, cp_error *err)
{
	cp_sync_tally t = {0};
	cp_sync_plan_window(src, src_local, dst, dst_local, o, plan, &t, diags);
	return cp_sync_plan_guard(&t, &o->rules, err);
}

void cp_sync_plan_free(cp_sync_plan *p)
{
	free(p->items);
	memset(p, 0, sizeof *p);
}
