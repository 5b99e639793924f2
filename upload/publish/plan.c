/*
 * plan.c - what to send: DIST compared with ONE flat listing of the target.
 *
 * The plan is data (one item per key, with its headers and the reason it is
 * sent or skipped), so --dry-run, --json and the unit tests all read the
 * same thing the publisher executes, and none of it needs a server.
 *
 * Comparison.  The listing is put in a hash table and every DIST key looked
 * up in it.  A merge-join of two sorted lists would be cheaper in theory, but
 * servers do not all list in key order (s3rver lists in its file-system
 * order), and a join over a misordered list silently re-sends or, worse,
 * skips files.  Then, per key:
 *   - not listed                                   -> upload (new)
 *   - fingerprinted and listed with the same size  -> skip: its name is its
 *     content, so no byte needs to be read (this is what makes a no-change
 *     deploy of a big site cost one listing);
 *   - listed with another size                     -> upload
 *   - otherwise the ETag decides: a plain MD5 is compared with the local
 *     file's MD5 (also what s3rver gives for multipart objects), "X-N" with
 *     the multipart ETag computed locally for part sizes giving N parts.
 * Local hashing happens only for that last group, in parallel, and the MD5 is
 * kept on the item so the PUT does not read the file again for Content-MD5.
 *
 * Fingerprinted means: a hashed name listed in a manifest (staticfiles.json,
 * relative to the manifest's folder), an older hashed name of one of the
 * manifest's logical files still in DIST (name.<12 hex>.ext: build keeps them
 * for rolling deploys), or a compressed sibling (.gz/.br) of either.
 *
 * Encodings.  A "sibling" is x.gz or x.br where x is also in DIST (a lone
 * archive.tar.gz is just a file).  siblings: each is its own key with
 * Content-Encoding and x's Content-Type.  gzip: x's key carries x.gz's bytes
 * with Content-Encoding: gzip, and the siblings themselves are not sent.
 * none: plain files only.
 *
 * Manifests go last (publish's last phase) and are never "fingerprinted": they
 * get Cache-Control: no-cache, and their ETag decides like any unhashed file.
 */
#include "upload/publish/publish.h"
#include "upload/s3/s3.h"
#include "manifest/manifest.h"
#include "upload/target/target_impl.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- names ---- */

int cp_encoding_parse(const char *s)
{
	if (!s || !strcmp(s, "siblings"))
		return CP_ENC_SIBLINGS;
	if (!strcmp(s, "gzip"))
		return CP_ENC_GZIP;
	if (!strcmp(s, "none"))
		return CP_ENC_NONE;
	return -1;
}

const char *cp_plan_reason_str(enum cp_plan_reason r)
{
	switch (r) {
	case CP_WHY_NEW:
		return "new";
	case CP_WHY_SIZE:
		return "size differs";
	case CP_WHY_ETAG:
		return "content differs (ETag)";
	case CP_WHY_HASHED_EXISTS:
		return "fingerprinted, already there";
	case CP_WHY_SAME_ETAG:
		return "unchanged (ETag matches)";
	case CP_WHY_ENCODING:
		return "compressed sibling not sent (--encoding, or precompressed = false)";
	case CP_WHY_HEADERS:
		return "headers differ (metadata copy)";
	case CP_WHY_LISTED_TWICE:
		return "listed twice, differently: which copy is there cannot be told";
	}
	return "?";
}

/* ".gz" -> "gzip", ".br" -> "br", else NULL. */
static const char *sibling_encoding(const char *rel)
{
	size_t n = strlen(rel);
	if (n > 3 && !strcmp(rel + n - 3, ".gz"))
		return "gzip";
	if (n > 3 && !strcmp(rel + n - 3, ".br"))
		return "br";
	return NULL;
}

/* name.<12 lower hex>.ext -> name.ext in out (1), or 0 when not that shape. */
int cp_unfingerprinted(const char *rel, char *out, size_t outsz)
{
	size_t ext = cp_path_extpos(rel);
	if (ext < 13 || rel[ext - 13] != '.')
		return 0;
	for (size_t i = ext - 12; i < ext; i++)
		if (!((rel[i] >= '0' && rel[i] <= '9') || (rel[i] >= 'a' && rel[i] <= 'f')))
			return 0;
	size_t base = cp_path_dirlen(rel);
	if (ext - 13 <= base) /* ".<hash>.css": no name left */
		return 0;
	int n = snprintf(out, outsz, "%.*s%s", (int)(ext - 13), rel, rel + ext);
	return n > 0 && (size_t)n < outsz;
}

/* ---- manifests -> the set of fingerprinted keys ---- */

struct fpset {
	cp_strmap hashed;    /* keys that are fingerprinted names */
	cp_strmap logical;   /* logical names the manifests list */
	cp_strmap manifests; /* the other dialects' manifests found at the top of DIST */
	char **owned;
	size_t nowned;
};

static const char *fp_own(struct fpset *f, char *s)
{
	if ((f->nowned & (f->nowned + 1)) == 0)
		f->owned = cp_xrealloc(f->owned, (2 * f->nowned + 2) * sizeof *f->owned);
	f->owned[f->nowned++] = s;
	return s;
}

static int load_manifest(struct fpset *f, const cp_dist_file *mf, cp_error *err)
{
	cp_buf b = CP_BUF_INIT;
	cp_manifest m = {0};
	int rc = cp_read_file(mf->path, &b, err);
	if (!rc)
		rc = cp_manifest_django_parse(b.data, b.len, &m, err);
	if (rc && err && !err->path[0])
		snprintf(err->path, sizeof err->path, "%s", mf->path);
	size_t dl = cp_path_dirlen(mf->rel);
	for (size_t i = 0; !rc && i < m.n; i++) {
		char *h = cp_xasprintf("%.*s%s", (int)dl, mf->rel, m.v[i].hashed);
		char *l = cp_xasprintf("%.*s%s", (int)dl, mf->rel, m.v[i].name);
		/* "x.css": "x.css" (an unhashed entry) is not a fingerprint. */
		if (strcmp(h, l))
			cp_strmap_put(&f->hashed, fp_own(f, h), 0);
		else
			free(h);
		cp_strmap_put(&f->logical, fp_own(f, l), 0);
	}
	cp_manifest_free(&m);
	cp_buf_free(&b);
	return rc;
}

/* Another dialect's manifest at the top of DIST (.vite/manifest.json,
 * manifest.json, ...): one only when its content has that dialect's shape,
 * so a web app's own manifest.json stays an ordinary file.  Its names and
 * paths join the fingerprint set, so a build without staticfiles.json still
 * gets immutable caching. */
static void load_other_manifest(struct fpset *f, const cp_dist_file *mf)
{
	cp_buf b = CP_BUF_INIT;
	cp_error ignore = {0};
	cp_manifest_index m;
	if (!cp_read_file(mf->path, &b, &ignore) && cp_manifest_sniff(mf->rel, b.data, b.len, &m)) {
		cp_strmap_put(&f->manifests, fp_own(f, cp_xstrdup(mf->rel)), 0);
		for (size_t i = 0; i < m.n; i++) {
			if (strcmp(m.v[i].hashed, m.v[i].name))
				cp_strmap_put(&f->hashed, fp_own(f, cp_xstrdup(m.v[i].hashed)), 0);
			cp_strmap_put(&f->logical, fp_own(f, cp_xstrdup(m.v[i].name)), 0);
		}
		cp_manifest_index_free(&m);
	}
	cp_buf_free(&b);
}

/* staticfiles.json at any depth (as before), and the other dialects'
 * manifests found at the top of DIST: what is published last, never cached. */
static int is_manifest_name(const struct fpset *f, const char *rel)
{
	return !strcmp(cp_path_base(rel), CP_DJANGO_MANIFEST) ||
	       cp_strmap_get(&f->manifests, rel, NULL);
}

/* A key that is a logical name in a manifest is an author's file, however
 * its name looks ("lib.0123456789ab.js" beside "lib.js"): never taken for a
 * fingerprint, so it is compared like any other file and not served as
 * immutable. */
static int fingerprinted(const struct fpset *f, const char *rel)
{
	if (cp_strmap_get(&f->logical, rel, NULL))
		return 0;
	if (cp_strmap_get(&f->hashed, rel, NULL))
		return 1;
	char plain[4096];
	return cp_unfingerprinted(rel, plain, sizeof plain) &&
	       cp_strmap_get(&f->logical, plain, NULL);
}

/* ---- items ---- */

static cp_plan_item *add_item(cp_plan *p, const char *key, const cp_dist_file *src)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->v = cp_xrealloc(p->v, p->cap * sizeof *p->v);
	}
	cp_plan_item *it = &p->v[p->n++];
	memset(it, 0, sizeof *it);
	it->key = cp_xstrdup(key);
	it->local = cp_xstrdup(src->path);
	it->size = src->size;
	it->action = CP_PLAN_UPLOAD;
	return it;
}

cp_plan_item *cp_plan_add(cp_plan *p, const char *key, const char *local, uint64_t size,
			  const char *content_type, const char *cache_control, int history)
{
	cp_dist_file f = {.rel = (char *)key, .path = (char *)local, .size = size};
	cp_plan_item *it = add_item(p, key, &f);
	it->reason = CP_WHY_NEW;
	it->content_type = content_type;
	it->cache_control = cache_control;
	it->history = history;
	p->n_upload++;
	p->bytes_upload += size;
	return it;
}

struct planner {
	const cp_dist_file *files;
	size_t nfiles;
	cp_strmap dist;	  /* rel -> index in files */
	cp_strmap remote; /* key -> index in remote list */
	const cp_remote_list *rl;
	struct fpset fp;
	const cp_plan_opts *o;
	cp_plan *plan;
};

/* Plain name of a sibling ("x.css.gz" -> "x.css") when x.css is in DIST. */
static int sibling_of(struct planner *pl, const char *rel, char *plain, size_t plainsz)
{
	if (!sibling_encoding(rel))
		return 0;
	size_t n = strlen(rel) - 3;
	if (n >= plainsz)
		return 0;
	memcpy(plain, rel, n);
	plain[n] = 0;
	return cp_strmap_get(&pl->dist, plain, NULL);
}

static void set_headers(struct planner *pl, cp_plan_item *it, const char *plain,
			const char *encoding)
{
	it->manifest = is_manifest_name(&pl->fp, plain);
	it->fingerprinted = !it->manifest && fingerprinted(&pl->fp, plain);
	it->content_type = cp_mime_type(plain);
	it->content_encoding = encoding;
	/* gzip bytes under the plain key must reach the browser as they are */
	int gz_key = encoding && pl->o->encoding == CP_ENC_GZIP;
	if (it->manifest)
		it->cache_control = CP_CACHE_MANIFEST;
	else if (it->fingerprinted)
		it->cache_control = gz_key ? CP_CACHE_IMMUTABLE_GZ : CP_CACHE_IMMUTABLE;
	else
		it->cache_control =
		    gz_key ? pl->plan->cache_control_unhashed_gz : pl->plan->cache_control_unhashed;
	const cp_header_rule *rule =
	    it->manifest ? NULL : cp_header_rule_for(pl->o->rules, pl->o->nrules, plain);
	if (rule) {
		it->rule = rule;
		if (rule->content_type)
			it->content_type = rule->content_type;
		if (rule->cache_control)
			it->cache_control = rule->cache_control;
		it->content_disposition = rule->content_disposition;
		it->meta = rule->meta;
		it->nmeta = rule->nmeta;
	}
}

/* 0 when a [headers] rule says the key is sent as plain bytes only. */
static int precompressed(struct planner *pl, const char *plain)
{
	const cp_header_rule *r = cp_header_rule_for(pl->o->rules, pl->o->nrules, plain);
	return !r || r->precompressed;
}

/* The remote index of a key that a listing named twice with different sizes
 * or ETags (a store that repeats a key, a listing that changed while it was
 * read): which copy is there cannot be told, so the key is always sent. */
#define LISTED_TWICE SIZE_MAX

static void index_remote(struct planner *pl, size_t i)
{
	const cp_remote_obj *o = &pl->rl->v[i];
	size_t k;
	if (!cp_strmap_get(&pl->remote, o->key, &k)) {
		cp_strmap_put(&pl->remote, o->key, i);
		return;
	}
	if (k == LISTED_TWICE)
		return;
	const cp_remote_obj *p = &pl->rl->v[k];
	if (p->size != o->size || strcasecmp(p->etag, o->etag))
		cp_strmap_put(&pl->remote, o->key, LISTED_TWICE);
}

/* Decides what can be decided without reading bytes; returns 1 when only an
 * ETag comparison can tell. */
static int decide_cheap(struct planner *pl, cp_plan_item *it)
{
	size_t ri;
	if (!cp_strmap_get(&pl->remote, it->key, &ri)) {
		it->reason = CP_WHY_NEW;
		return 0;
	}
	if (ri == LISTED_TWICE) {
		it->reason = CP_WHY_LISTED_TWICE;
		return 0;
	}
	const cp_remote_obj *r = &pl->rl->v[ri];
	if (r->size != it->size) {
		it->reason = CP_WHY_SIZE;
		return 0;
	}
	if (it->fingerprinted) {
		it->action = CP_PLAN_SKIP;
		it->reason = CP_WHY_HASHED_EXISTS;
		return 0;
	}
	return 1;
}

static void add_file(struct planner *pl, size_t i)
{
	const cp_dist_file *f = &pl->files[i];
	char plain[4096];
	const char *enc = NULL;
	enum cp_encoding_mode mode = pl->o->encoding;
	if (sibling_of(pl, f->rel, plain, sizeof plain)) {
		enc = sibling_encoding(f->rel);
		if (mode == CP_ENC_NONE || mode == CP_ENC_GZIP || !precompressed(pl, plain)) {
			cp_plan_item *it = add_item(pl->plan, f->rel, f);
			set_headers(pl, it, plain, NULL);
			it->action = CP_PLAN_SKIP;
			it->reason = CP_WHY_ENCODING;
			return;
		}
		cp_plan_item *it = add_item(pl->plan, f->rel, f);
		set_headers(pl, it, plain, enc);
		return;
	}
	size_t gi;
	char *gz = cp_xasprintf("%s.gz", f->rel);
	/* A manifest is read by programs (Django's storage), not browsers: it
	 * keeps its plain bytes even in gzip mode. */
	if (mode == CP_ENC_GZIP && !is_manifest_name(&pl->fp, f->rel) &&
	    precompressed(pl, f->rel) && cp_strmap_get(&pl->dist, gz, &gi)) {
		/* x's key, x.gz's bytes */
		cp_plan_item *it = add_item(pl->plan, f->rel, &pl->files[gi]);
		set_headers(pl, it, f->rel, "gzip");
	} else {
		cp_plan_item *it = add_item(pl->plan, f->rel, f);
		set_headers(pl, it, f->rel, NULL);
	}
	free(gz);
}

/* ---- the ETag pass, in parallel ---- */

struct etag_job {
	struct planner *pl;
	size_t *idx; /* items to compare */
	cp_target *t;
	pthread_mutex_t lock;
	cp_error err;
	atomic_int failed;
};

static int local_md5(cp_plan_item *it, cp_error *err)
{
	if (it->have_md5)
		return 0;
	int rc = cp_md5_file(it->local, 0, UINT64_MAX, it->md5, err);
	it->have_md5 = rc == 0;
	return rc;
}

static void etag_one(void *ctx, size_t k)
{
	struct etag_job *j = ctx;
	if (atomic_load(&j->failed))
		return;
	cp_plan_item *it = &j->pl->plan->v[j->idx[k]];
	size_t ri = 0;
	cp_strmap_get(&j->pl->remote, it->key, &ri);
	const cp_remote_obj *r = &j->pl->rl->v[ri];
	char etag[CP_ETAG_MAX];
	cp_error e = {0};
	int rc = 0, same = 0;
	snprintf(etag, sizeof etag, "%s", r->etag);
	if (!etag[0]) {
		if (j->t)
			rc = cp_target_etag(j->t, it->key, etag, &e);
	}
	if (!rc && cp_etag_form(etag, NULL) != CP_ETAG_MULTIPART) {
		/* a plain MD5: keep the local one for the PUT's Content-MD5 */
		rc = local_md5(it, &e);
		char hex[33];
		if (!rc) {
			cp_hex(it->md5, 16, hex);
			same = !strcasecmp(hex, etag);
		}
	} else if (!rc) {
		int m = cp_s3_etag_matches(etag, it->local, it->size, NULL, &e);
		rc = m < 0 ? CP_ERR_BUILD : 0;
		same = m == 1;
	}
	if (rc) {
		pthread_mutex_lock(&j->lock);
		if (!j->err.set)
			j->err = e;
		pthread_mutex_unlock(&j->lock);
		atomic_store(&j->failed, 1);
		return;
	}
	it->action = same ? CP_PLAN_SKIP : CP_PLAN_UPLOAD;
	it->reason = same ? CP_WHY_SAME_ETAG : CP_WHY_ETAG;
}

static int item_cmp(const void *a, const void *b)
{
	const cp_plan_item *x = a, *y = b;
	if (x->manifest != y->manifest)
		return x->manifest - y->manifest;
	return strcmp(x->key, y->key);
}

static void planner_free(struct planner *pl)
{
	cp_strmap_free(&pl->dist);
	cp_strmap_free(&pl->remote);
	cp_strmap_free(&pl->fp.hashed);
	cp_strmap_free(&pl->fp.logical);
	cp_strmap_free(&pl->fp.manifests);
	for (size_t i = 0; i < pl->fp.nowned; i++)
		free(pl->fp.owned[i]);
	free(pl->fp.owned);
}

static int compare_etags(struct planner *pl, cp_target *t, cp_error *err)
{
	cp_plan *plan = pl->plan;
	size_t *idx = cp_xmalloc((plan->n + 1) * sizeof *idx), nidx = 0;
	for (size_t i = 0; i < plan->n; i++)
		if (plan->v[i].action == CP_PLAN_UPLOAD && plan->v[i].reason != CP_WHY_ENCODING &&
		    decide_cheap(pl, &plan->v[i]))
			idx[nidx++] = i;
	struct etag_job j = {.pl = pl, .idx = idx, .t = t};
	pthread_mutex_init(&j.lock, NULL);
	int jobs = pl->o->jobs > 0 ? pl->o->jobs : cp_cpu_count();
	cp_parallel_for(jobs, nidx, etag_one, &j);
	pthread_mutex_destroy(&j.lock);
	free(idx);
	if (j.failed) {
		if (err && !err->set)
			*err = j.err;
		return CP_ERR_BUILD;
	}
	return 0;
}

int cp_plan_build(const cp_dist_file *files, size_t nfiles, const cp_remote_list *remote,
		  cp_target *t, const cp_plan_opts *o, cp_plan *plan, cp_error *err)
{
	static const cp_plan_opts defaults = {0};
	o = o ? o : &defaults;
	memset(plan, 0, sizeof *plan);
	plan->acl = o->acl;
	plan->cache_control_unhashed =
	    cp_xstrdup(o->cache_control_unhashed ? o->cache_control_unhashed : CP_CACHE_UNHASHED);
	plan->cache_control_unhashed_gz =
	    strstr(plan->cache_control_unhashed, "no-transform")
		? cp_xstrdup(plan->cache_control_unhashed)
		: cp_xasprintf("%s, no-transform", plan->cache_control_unhashed);
	struct planner pl = {.files = files, .nfiles = nfiles, .rl = remote, .o = o, .plan = plan};
	for (size_t i = 0; i < nfiles; i++)
		cp_strmap_put(&pl.dist, files[i].rel, i);
	static const cp_remote_list empty = {0};
	if (!remote)
		pl.rl = &empty;
	for (size_t i = 0; i < pl.rl->n; i++)
		index_remote(&pl, i);
	int rc = 0;
	for (size_t i = 0; !rc && i < nfiles; i++)
		if (!strcmp(cp_path_base(files[i].rel), CP_DJANGO_MANIFEST))
			rc = load_manifest(&pl.fp, &files[i],
					   err); /* what names are fingerprinted */
		else if (cp_manifest_is_name(files[i].rel))
			load_other_manifest(&pl.fp, &files[i]);
	for (size_t i = 0; !rc && i < nfiles; i++)
		add_file(&pl, i);
	if (!rc)
		rc = compare_etags(&pl, t, err);
	planner_free(&pl);
	if (rc) {
		cp_plan_free(plan);
		return rc;
	}
	qsort(plan->v, plan->n, sizeof *plan->v, item_cmp);
	for (size_t i = 0; i < plan->n; i++) {
		if (plan->v[i].action == CP_PLAN_UPLOAD) {
			plan->n_upload++;
			plan->bytes_upload += plan->v[i].size;
		} else {
			plan->n_skip++;
		}
	}
	return 0;
}

void cp_plan_free(cp_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].local);
		free(p->v[i].error);
		cp_s3_headers_free(p->v[i].own_meta, p->v[i].own_meta ? p->v[i].nmeta : 0);
		free(p->v[i].own_disposition);
	}
	free(p->v);
	free(p->cache_control_unhashed);
	free(p->cache_control_unhashed_gz);
	memset(p, 0, sizeof *p);
}

/* ---- DIST ---- */

int cp_dist_scan(const char *dist, cp_dist_file **out, size_t *n, cp_diags *diags, cp_error *err)
{
	cp_walk_opts wo = {.dotfiles = 1, .diags = diags, .tmp = CP_WALK_TMP_SKIP};
	cp_walk_list l = {0};
	*out = NULL;
	*n = 0;
	int rc = cp_walk(dist, &wo, &l, err);
	if (rc) {
		cp_walk_list_free(&l);
		return rc;
	}
	cp_dist_file *v = cp_xcalloc(l.n + 1, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < l.n; i++) {
		v[k].rel = l.v[i].rel;
		v[k].path = l.v[i].path;
		v[k].size = l.v[i].size;
		l.v[i].rel = l.v[i].path = NULL;
		k++;
	}
	cp_walk_list_free(&l);
	*out = v;
	*n = k;
	return 0;
}

void cp_dist_free(cp_dist_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].rel);
		free(v[i].path);
	}
	free(v);
}

size_t cp_plan_purge_keys(const cp_plan *p, int done_only, const char ***out)
{
	*out = cp_xcalloc(p->n + 1, sizeof **out);
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const cp_plan_item *it = &p->v[i];
		/* a fingerprinted key is new bytes under a new name, unless only
		 * its headers changed: then the CDN holds the old headers */
		int named = !it->fingerprinted || it->reason == CP_WHY_HEADERS;
		if (it->action == CP_PLAN_UPLOAD && named && !it->history &&
		    (!done_only || it->status == CP_ITEM_DONE))
			(*out)[n++] = it->key;
	}
	return n;
}
