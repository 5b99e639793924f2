/*
 * emit.c - writing DIST: outputs and their compressed siblings; see compress.h.
 *
 * Work is grouped by content: assets whose final bytes are identical (same
 * MD5 and size, outside reference cycles, whose combined hash is not a
 * content hash) form one group.  The group's first member writes and
 * compresses; the others get hard links to those files.  Groups run in
 * parallel, so brotli-11 on the big bundles overlaps with the small files.
 *
 * Fingerprinted names are content-addressed, so an existing file of the right
 * size is the right file: it and its siblings are kept as they are.  Unhashed
 * names are rewritten every build, and a sibling that is no longer worth
 * keeping is removed so that no stale .gz/.br is served beside a new file.
 *
 * With o->staged, the unhashed files and their siblings are written under
 * temporary names and only listed; cp_emit_commit renames them into place
 * (and removes the siblings no longer kept) once the whole build is written,
 * so a build that fails (a full disk) or is killed leaves them as they were,
 * never a new a.css beside the old a.css.gz.
 */
#include "pipeline/pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct emit {
	const cp_assets *t;
	const cp_emit_opts *o;
	cp_diags *d;
	size_t *order;	/* asset indexes sorted so that groups are contiguous */
	size_t *groups; /* start offset of each group in order, plus a final end */
	size_t ngroups;
	size_t *gorder; /* groups, biggest first: the longest work starts first */
	long *scc_size;
	_Atomic uint64_t files, bytes_out, reused;
	_Atomic uint64_t gz_files, gz_bytes, gz_orig, br_files, br_bytes, br_orig;
	_Atomic uint64_t compressed, from_cache;
	pthread_mutex_t stage_lock; /* o->staged */
};

/* Lists tmp (NULL: remove final) for cp_emit_commit; takes tmp. */
static void stage_add(struct emit *e, char *tmp, const char *final)
{
	cp_emit_staged *s = e->o->staged;
	pthread_mutex_lock(&e->stage_lock);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->tmp = cp_xrealloc(s->tmp, s->cap * sizeof *s->tmp);
		s->final = cp_xrealloc(s->final, s->cap * sizeof *s->final);
	}
	s->tmp[s->n] = tmp;
	s->final[s->n++] = cp_xstrdup(final);
	pthread_mutex_unlock(&e->stage_lock);
}

static void staged_free(cp_emit_staged *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->tmp[i]);
		free(s->final[i]);
	}
	free(s->tmp);
	free(s->final);
	memset(s, 0, sizeof *s);
}

int cp_emit_commit(cp_emit_staged *s, cp_error *err)
{
	int rc = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (rc) {
			if (s->tmp[i])
				unlink(s->tmp[i]);
		} else if (s->tmp[i] ? rename(s->tmp[i], s->final[i]) != 0
				     : unlink(s->final[i]) != 0 && errno != ENOENT) {
			rc = cp_error_set(err, s->final[i], 0, 0, "cannot put in place: %s",
					  strerror(errno));
			if (s->tmp[i])
				unlink(s->tmp[i]);
		} else if (s->tmp[i]) {
			/* rename() of two links to one inode (an unchanged file
			 * linked again) succeeds doing nothing: the name stays */
			unlink(s->tmp[i]);
		}
	}
	staged_free(s);
	return rc;
}

void cp_emit_discard(cp_emit_staged *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->tmp[i])
			unlink(s->tmp[i]);
	staged_free(s);
}

static const char *hashed_bytes(const cp_asset *a, size_t *len)
{
	if (a->flags & CP_ASSET_REWRITTEN) {
		*len = a->out.len;
		return a->out.data ? a->out.data : "";
	}
	if (a->kind != CP_ASSET_OTHER) {
		*len = a->text.len;
		return a->text.data ? a->text.data : "";
	}
	return NULL; /* streamed from a->source */
}

static int same_size(const char *path, uint64_t size)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

static int write_output(struct emit *e, const cp_asset *a, const char *dst, int hashed)
{
	cp_error err = {0};
	int rc;
	size_t len;
	const char *bytes = hashed ? hashed_bytes(a, &len) : NULL;
	if (!hashed && a->kind != CP_ASSET_OTHER) {
		bytes = a->text.data ? a->text.data : "";
		len = a->text.len;
	}
	rc = bytes ? cp_write_atomic(dst, bytes, len, &err) : cp_copy_atomic(a->source, dst, &err);
	if (rc)
		cp_diags_add(e->d, CP_DIAG_ERROR, err.path, 0, 0, "%s", err.msg);
	else
		atomic_fetch_add(&e->files, 1);
	return rc;
}

/* Hard link src to dst through a temporary name; copies across devices. */
static int link_output(struct emit *e, const char *src, const char *dst)
{
	cp_error err = {0};
	char *tmp = cp_tmp_name(dst);
	int linked = link(src, tmp) == 0;
	if (!linked && errno == ENOENT && cp_mkdirs_for(dst, &err) == 0)
		linked = link(src, tmp) == 0; /* the folder was missing */
	if (linked && rename(tmp, dst) != 0) {
		unlink(tmp);
		linked = 0;
	}
	/* A rebuild links onto a dst that already is this inode, and rename()
	 * of two links to one file succeeds doing nothing: the temporary name
	 * stays unless removed (a no-op after a real rename). */
	if (linked)
		unlink(tmp);
	free(tmp);
	/* across devices, or where links are refused: a copy */
	if (linked || (!err.set && cp_copy_atomic(src, dst, &err) == 0)) {
		atomic_fetch_add(&e->files, 1);
		return 0;
	}
	cp_diags_add(e->d, CP_DIAG_ERROR, err.path[0] ? err.path : dst, 0, 0, "%s",
		     err.set ? err.msg : strerror(errno));
	return CP_ERR_BUILD;
}

static const enum cp_compress_method methods[] = {CP_GZIP, CP_BROTLI};

/* Is this asset's name the one a generated sibling takes ("a.css.gz" beside a
 * compressible "a.css")?  The generated sibling wins: it is the compression
 * of the bytes this build publishes as a.css, where an author's own a.css.gz
 * would be stale after minifying and rewriting, and a server would hand it out
 * as a.css's encoding.  The author's file is still published under its
 * fingerprinted name; only its unhashed copy gives way, with a warning. */
static int shadowed_by_sibling(struct emit *e, const cp_asset *a)
{
	for (size_t k = 0; k < 2; k++) {
		const char *suffix = cp_compress_suffix(methods[k]);
		size_t n = strlen(a->logical), sl = strlen(suffix);
		if (!(e->o->comp.methods & methods[k]) || n <= sl ||
		    strcmp(a->logical + n - sl, suffix))
			continue;
		char *base = cp_xstrndup(a->logical, n - sl);
		int taken = cp_mime_compressible(base) && cp_assets_find(e->t, base) >= 0;
		free(base);
		if (taken)
			return 1;
	}
	return 0;
}

static void count_sibling(struct emit *e, enum cp_compress_method m, const char *path,
			  uint64_t orig)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	atomic_fetch_add(&e->files, 1);
	atomic_fetch_add(m == CP_GZIP ? &e->gz_files : &e->br_files, 1);
	atomic_fetch_add(m == CP_GZIP ? &e->gz_bytes : &e->br_bytes, (uint64_t)st.st_size);
	atomic_fetch_add(m == CP_GZIP ? &e->gz_orig : &e->br_orig, orig);
}

/* Compresses dst into sib, or takes the result from the build cache: the
 * key is the method, its settings and dst's bytes.  A kept sibling is a file
 * value (linked into DIST from the cache where it can be); a sibling not
 * worth keeping is remembered as such under the key's "none" part. */
static int compress_cached(struct emit *e, enum cp_compress_method m, const char *dst,
			   const char *sib, int *kept, cp_error *err)
{
	const cp_compress_opts *co = &e->o->comp;
	cp_cache *c = e->o->cache;
	cp_cache_key key, none;
	if (c) {
		cp_cache_keyer k;
		cp_cache_key_begin(&k, m == CP_GZIP ? "gzip" : "brotli");
		cp_cache_key_str(&k, cp_compress_library(m));
		cp_cache_key_int(&k, m == CP_GZIP ? co->gzip_level : co->brotli_quality);
		cp_cache_key_int(&k, (int64_t)(co->keep_ratio * 1e6));
		cp_error ke = {0};
		if (cp_cache_key_file(&k, dst, &ke))
			c = NULL; /* the compressor reports it */
		cp_cache_key_end(&k, &key);
		none = cp_cache_key_part(&key, "none");
	}
	cp_buf v = CP_BUF_INIT;
	int hit = 0;
	if (c && cp_cache_get_file(c, &key, sib))
		hit = *kept = 1;
	else if (c && cp_cache_get(c, &none, &v) && v.len == 1 && v.data[0] == 'N')
		hit = 1, *kept = 0;
	cp_buf_free(&v);
	if (hit) {
		atomic_fetch_add(&e->from_cache, 1);
		cp_log(CP_LOG_INFO, "from cache: %s%s", sib, *kept ? "" : " (not worth keeping)");
		return 0;
	}
	int rc = cp_compress_file(m, co, dst, sib, kept, err);
	if (!rc)
		atomic_fetch_add(&e->compressed, 1);
	if (!rc && c) {
		cp_log(CP_LOG_INFO, "compressed: %s (content not in the cache)", sib);
		if (*kept)
			cp_cache_put_file(c, &key, sib);
		else
			cp_cache_put(c, &none, "N", 1);
	}
	return rc;
}

/* One sibling: compressed from dst, or linked from a twin's (from), or, with
 * reuse (dst is a fingerprinted file already in DIST), kept when there.
 * final != NULL: dst is a staged copy of final, and the sibling of final is
 * staged too (written under a temporary name, or listed for removal). */
static int make_sibling(struct emit *e, enum cp_compress_method m, const char *dst,
			const char *final, const char *from, uint64_t size, int reuse)
{
	int rc = 0;
	char *place = final ? cp_xasprintf("%s%s", final, cp_compress_suffix(m)) : NULL;
	char *sib = place ? cp_tmp_name(place) : cp_xasprintf("%s%s", dst, cp_compress_suffix(m));
	int kept = 0;
	struct stat st;
	/* a sibling with other links may be the cache's blob, shared with other
	 * DISTs: one written into in place anywhere is wrong everywhere, so it is
	 * not kept unseen but taken from the cache again, which checks the blob */
	if (reuse && lstat(sib, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_nlink == 1 || !e->o->cache)) {
		kept = 1;
	} else if (from) {
		char *fsib = cp_xasprintf("%s%s", from, cp_compress_suffix(m));
		kept = cp_exists(fsib);
		if (kept)
			rc |= link_output(e, fsib, sib);
		free(fsib);
		if (kept)
			atomic_fetch_sub(&e->files, 1); /* counted below */
	} else {
		cp_error err = {0};
		if (compress_cached(e, m, dst, sib, &kept, &err)) {
			cp_diags_add(e->d, CP_DIAG_ERROR, err.path, 0, 0, "%s", err.msg);
			rc = CP_ERR_BUILD;
		}
	}
	if (kept)
		count_sibling(e, m, sib, size);
	if (place) {
		if (kept && !rc)
			stage_add(e, sib, place), sib = NULL;
		else if (!rc)
			stage_add(e, NULL, place);
		else
			unlink(sib);
	} else if (!kept && unlink(sib) != 0 && errno != ENOENT) {
		rc = CP_ERR_BUILD;
	}
	free(place);
	free(sib);
	return rc;
}

/* A file this big has its gzip made on a thread of its own while brotli
 * runs on the worker's: the two codecs of one file are two streams, and the
 * build's wall time is at least its longest stream. */
#define SPLIT_STREAMS (1u << 20)

struct gzip_job {
	struct emit *e;
	const char *dst, *final;
	uint64_t size;
	int rc;
};

static void *gzip_thread(void *arg)
{
	struct gzip_job *j = arg;
	j->rc = make_sibling(j->e, CP_GZIP, j->dst, j->final, NULL, j->size, 0);
	return NULL;
}

/* Compresses dst into its siblings, or links them from a twin's (from != NULL).
 * With reuse (dst is a fingerprinted file already in DIST), a sibling that is
 * there is the right one and is kept.  final: as for make_sibling. */
static int make_siblings(struct emit *e, const char *dst, const char *final, const char *from,
			 uint64_t size, int reuse)
{
	unsigned want = e->o->comp.methods;
	pthread_t th;
	struct gzip_job gz = {e, dst, final, size, 0};
	int split = !from && !reuse && size >= SPLIT_STREAMS && e->o->jobs != 1 &&
		    (want & CP_GZIP) && (want & CP_BROTLI) &&
		    pthread_create(&th, NULL, gzip_thread, &gz) == 0;
	int rc = 0;
	for (size_t k = 0; k < 2; k++)
		if ((want & methods[k]) && !(split && methods[k] == CP_GZIP))
			rc |= make_sibling(e, methods[k], dst, final, from, size, reuse);
	if (split) {
		pthread_join(th, NULL);
		rc |= gz.rc;
	}
	return rc;
}

static void emit_asset(struct emit *e, const cp_asset *a, const cp_asset *leader)
{
	const cp_emit_opts *o = e->o;
	int compress = o->comp.methods && cp_mime_compressible(a->logical);
	char *hdst = cp_path_join(o->dist, a->hashed);
	size_t len;
	uint64_t hsize = hashed_bytes(a, &len) ? len : a->size;
	char *lead_dst = leader ? cp_path_join(o->dist, leader->hashed) : NULL;
	int reuse = same_size(hdst, hsize);
	if (reuse) {
		atomic_fetch_add(&e->reused, 1);
		atomic_fetch_add(&e->files, 1);
	} else if (leader ? link_output(e, lead_dst, hdst) : write_output(e, a, hdst, 1)) {
		goto out;
	}
	if (compress && make_siblings(e, hdst, NULL, lead_dst, hsize, reuse))
		goto out;
	atomic_fetch_add(&e->bytes_out, hsize);
	if (!o->only_hashed && shadowed_by_sibling(e, a)) {
		cp_diags_add(e->d, CP_DIAG_WARN, a->logical, 0, 0,
			     "the compressed sibling of a file of the same name takes this name in "
			     "DIST; this file is published only as %s",
			     a->hashed);
	} else if (!o->only_hashed) {
		char *udst = cp_path_join(o->dist, a->logical);
		/* staged: written under a temporary name, put in place by
		 * cp_emit_commit */
		char *out = o->staged ? cp_tmp_name(udst) : cp_xstrdup(udst);
		/* the unhashed file holds the text before rewriting: identical to the
		 * fingerprinted bytes unless references were rewritten */
		int same = !(a->flags & CP_ASSET_REWRITTEN);
		if (same ? link_output(e, hdst, out) == 0 : write_output(e, a, out, 0) == 0) {
			if (compress)
				make_siblings(e, out, o->staged ? udst : NULL, same ? hdst : NULL,
					      same ? hsize : a->text.len, 0);
			if (o->staged)
				stage_add(e, out, udst), out = NULL;
		}
		free(out);
		free(udst);
	}
out:
	if (o->written)
		o->written(o->written_ctx, hsize);
	free(lead_dst);
	free(hdst);
}

static void emit_group(void *ctx, size_t gi)
{
	struct emit *e = ctx;
	size_t g = e->gorder[gi];
	const cp_asset *leader = &e->t->v[e->order[e->groups[g]]];
	for (size_t k = e->groups[g]; k < e->groups[g + 1]; k++) {
		const cp_asset *a = &e->t->v[e->order[k]];
		emit_asset(e, a, k == e->groups[g] ? NULL : leader);
	}
}

static int content_key_cmp(const void *pa, const void *pb, void *ctx)
{
	const cp_assets *t = ctx;
	const cp_asset *a = &t->v[*(const size_t *)pa];
	const cp_asset *b = &t->v[*(const size_t *)pb];
	int c = memcmp(a->md5, b->md5, 16);
	if (c)
		return c;
	return strcmp(a->logical, b->logical);
}

static int groupable(struct emit *e, const cp_asset *a)
{
	return a->scc < 0 || e->scc_size[a->scc] <= 1;
}

/* The bytes a group compresses: its leader's, when compressible. */
static uint64_t group_work(const struct emit *e, size_t g)
{
	const cp_asset *a = &e->t->v[e->order[e->groups[g]]];
	size_t len;
	uint64_t n = hashed_bytes(a, &len) ? len : a->size;
	return cp_mime_compressible(a->logical) ? n : n / 64; /* copying is cheap */
}

static int group_size_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct emit *e = ctx;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	uint64_t wa = group_work(e, a), wb = group_work(e, b);
	return wa > wb ? -1 : wa < wb ? 1 : (a > b) - (a < b);
}

static void make_groups(struct emit *e)
{
	const cp_assets *t = e->t;
	long maxscc = -1;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].scc > maxscc)
			maxscc = t->v[i].scc;
	e->scc_size = cp_xcalloc((size_t)(maxscc + 2), sizeof *e->scc_size);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].scc >= 0)
			e->scc_size[t->v[i].scc]++;
	e->order = cp_xmalloc((t->n + 1) * sizeof *e->order);
	for (size_t i = 0; i < t->n; i++)
		e->order[i] = i;
	qsort_r(e->order, t->n, sizeof *e->order, content_key_cmp, (void *)t);
	e->groups = cp_xmalloc((t->n + 1) * sizeof *e->groups);
	for (size_t k = 0; k < t->n; k++) {
		const cp_asset *a = &t->v[e->order[k]];
		const cp_asset *p = k ? &t->v[e->order[k - 1]] : NULL;
		size_t la, lp;
		int twin =
		    p && groupable(e, a) && groupable(e, p) && !memcmp(a->md5, p->md5, 16) &&
		    cp_mime_compressible(a->logical) == cp_mime_compressible(p->logical) &&
		    (hashed_bytes(a, &la) ? la : a->size) == (hashed_bytes(p, &lp) ? lp : p->size);
		if (!twin)
			e->groups[e->ngroups++] = k;
	}
	e->groups[e->ngroups] = t->n;
	e->gorder = cp_xmalloc((e->ngroups + 1) * sizeof *e->gorder);
	for (size_t g = 0; g < e->ngroups; g++)
		e->gorder[g] = g;
	qsort_r(e->gorder, e->ngroups, sizeof *e->gorder, group_size_cmp, e);
}

int cp_emit_dist(const cp_assets *t, const cp_emit_opts *o, cp_emit_stats *st, cp_diags *d)
{
	struct emit e = {.t = t, .o = o, .d = d};
	size_t errors_before = d->nerrors;
	pthread_mutex_init(&e.stage_lock, NULL);
	make_groups(&e);
	cp_parallel_for(o->jobs, e.ngroups, emit_group, &e);
	pthread_mutex_destroy(&e.stage_lock);
	free(e.order);
	free(e.gorder);
	free(e.groups);
	free(e.scc_size);
	if (st) {
		st->files = e.files;
		st->bytes_out = e.bytes_out;
		st->reused = e.reused;
		st->compressed = e.compressed;
		st->from_cache = e.from_cache;
		st->gz_files = e.gz_files;
		st->gz_bytes = e.gz_bytes;
		st->gz_orig = e.gz_orig;
		st->br_files = e.br_files;
		st->br_bytes = e.br_bytes;
		st->br_orig = e.br_orig;
	}
	return d->nerrors > errors_before ? CP_ERR_BUILD : 0;
}
