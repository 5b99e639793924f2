/*
 * build.c - the build pipeline: collect -> check -> minify -> scan ->
 * fingerprint -> DIST pre-flight -> write DIST -> manifest; see pipeline.h.
 *
 * The order is what keeps a failed build harmless: every check that can fail
 * on bad input (option values, roots, DIST placement, unreadable files, JS
 * syntax, missing references, ".." escapes) runs before the first byte is
 * written to DIST.  Writing then goes through temporary names (emit.c), and
 * the manifest - the one file that makes templates use the new names - is
 * renamed into place last, so a crash mid-write leaves the old site working.
 * Nothing in DIST is deleted: fingerprinted files of earlier builds stay for
 * the pages still cached with the old names.
 *
 * Minify and scan are parallel-for loops over the table (lib/pool.h); the
 * fingerprint and emit stages parallelise themselves.
 */
#include "pipeline/pipeline.h"
#include "fingerprint/fingerprint.h"
#include "manifest/manifest.h"
#include "minify/minify.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void cp_build_report_init(struct cp_build_report *r)
{
	memset(r, 0, sizeof *r);
	cp_diags_init(&r->diags);
}

void cp_build_report_free(struct cp_build_report *r)
{
	free(r->manifest);
	for (size_t i = 0; i < r->nmanifests; i++)
		free(r->manifests[i]);
	free(r->manifests);
	for (size_t i = 0; i < r->noutputs; i++) {
		free(r->outputs[i].logical);
		free(r->outputs[i].hashed);
		free(r->outputs[i].integrity);
	}
	free(r->outputs);
	cp_diags_free(&r->diags);
}

static int usage_error(struct cp_build_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(struct cp_build_report *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cp_error_set(&r->err, NULL, 0, 0, "%s", msg);
	return CP_ERR_USAGE;
}

/* The progress line's state: one stage at a time, counted by workers. */
struct progress {
	const struct cp_build_config *c;
	pthread_mutex_t lock;
	cp_build_progress p;
	double t0;
};

struct settings {
	cp_filter filter;
	cp_fingerprint_opts fp;
	cp_emit_opts emit;
	cp_manifests_opts mf;
	int jobs;
	struct progress prog;
};

static void progress_stage(struct progress *g, const char *stage, size_t total, uint64_t bytes)
{
	pthread_mutex_lock(&g->lock);
	g->p = (cp_build_progress){.stage = stage, .total = total, .bytes_total = bytes};
	g->t0 = cp_clock(); /* rates and ETA are the stage's */
	pthread_mutex_unlock(&g->lock);
}

static void progress_step(struct progress *g, uint64_t bytes)
{
	if (!g->c->progress)
		return;
	pthread_mutex_lock(&g->lock);
	g->p.done++;
	g->p.bytes_done += bytes;
	g->p.seconds = cp_clock() - g->t0;
	g->c->progress(g->c->progress_ctx, &g->p);
	pthread_mutex_unlock(&g->lock);
}

static void on_written(void *ctx, uint64_t bytes)
{
	progress_step(ctx, bytes);
}

static int check_config(const struct cp_build_config *c, struct settings *s,
			struct cp_build_report *r)
{
	if (!c->nroots)
		return usage_error(r, "no source folder given");
	if (!c->out || !*c->out)
		return usage_error(r, "no output folder given (-o DIST)");
	s->fp.static_url = c->static_url && *c->static_url ? c->static_url : "/static/";
	if (s->fp.static_url[strlen(s->fp.static_url) - 1] != '/')
		return usage_error(r, "--static-url must end with '/': '%s'", s->fp.static_url);
	if (!c->missing || !strcmp(c->missing, "error"))
		s->fp.missing = CP_MISSING_ERROR;
	else if (!strcmp(c->missing, "warn"))
		s->fp.missing = CP_MISSING_WARN;
	else
		return usage_error(r, "--missing wants error or warn, not '%s'", c->missing);
	cp_compress_defaults(&s->emit.comp);
	if (cp_compress_parse(c->compress ? c->compress : "gzip,br", &s->emit.comp.methods))
		return usage_error(r, "--compress wants gzip,br, gzip, br or none, not '%s'",
				   c->compress);
	s->mf.django_version = c->manifest_version ? c->manifest_version : "1.1";
	if (strcmp(s->mf.django_version, "1.1") && strcmp(s->mf.django_version, "1.0"))
		return usage_error(r, "--django-manifest-version wants 1.1 or 1.0, not '%s'",
				   s->mf.django_version);
	if (cp_manifest_dialects_parse(c->manifests ? c->manifests : "django", &s->mf.dialects))
		return usage_error(
		    r,
		    "--manifest wants a list of django, propshaft, sprockets, phoenix, "
		    "vite, mix, symfony (or flat), or all; not '%s'",
		    c->manifests);
	if (cp_sri_parse(c->sri ? c->sri : "sha384", &s->mf.sri))
		return usage_error(r, "--sri wants sha256, sha384 or sha512 (a list), not '%s'",
				   c->sri);
	s->mf.prefix = c->manifest_prefix;
	s->mf.entries = c->entries;
	s->mf.nentries = c->nentries;
	s->mf.want_integrity = c->want_integrity;
	s->mf.dist = c->out;
	if (c->jobs < 0 || c->jobs > 1024)
		return usage_error(r, "--jobs wants a number from 1 to 1024");
	s->jobs = c->jobs ? (int)c->jobs : cp_cpu_count();
	s->mf.jobs = s->jobs;
	s->fp.jobs = s->jobs;
	s->fp.compact_urls = !c->no_minify;
	s->emit.dist = c->out;
	s->emit.only_hashed = c->only_hashed;
	s->emit.jobs = s->jobs;
	for (size_t i = 0; i < c->ninclude; i++)
		cp_filter_add(&s->filter, 0, c->include[i]);
	for (size_t i = 0; i < c->nexclude; i++)
		cp_filter_add(&s->filter, 1, c->exclude[i]);
	if (!c->no_default_ignore) {
		/* collectstatic's default ignore_patterns (its third, '.*', is --dotfiles) */
		cp_filter_add(&s->filter, 1, "CVS");
		cp_filter_add(&s->filter, 1, "*~");
	}
	return 0;
}

/* ---- minify ---- */

struct minify_job {
	struct progress *prog;
	cp_assets *t;
	int source_map;
	cp_diags *d;
	cp_buf *maps; /* per asset: the generated source map, if any */
	size_t minified, cached;
	cp_cache *cache;
};

/* What decides a minified output: the kind, the options, the names the
 * output and its map carry, an input map, and the input. */
static cp_cache_key minify_key(const cp_asset *a, const cp_minify_opts *mo)
{
	cp_cache_keyer k;
	cp_cache_key key;
	cp_cache_key_begin(&k, "minify");
	cp_cache_key_int(&k, a->kind);
	cp_cache_key_int(&k, mo->legal);
	cp_cache_key_str(&k, mo->source_name);
	cp_cache_key_str(&k, mo->map_url);
	cp_cache_key_str(&k, mo->out_name);
	if (mo->in_map)
		cp_cache_key_add(&k, mo->in_map, mo->in_map_len);
	else
		cp_cache_key_str(&k, NULL);
	cp_cache_key_add(&k, a->text.data ? a->text.data : "", a->text.len);
	cp_cache_key_end(&k, &key);
	return key;
}

/* The output (and map) from the cache: 1 when every part was there. */
static int minify_cached(struct minify_job *j, size_t i, const cp_cache_key *key, cp_buf *out)
{
	cp_cache_key tk = cp_cache_key_part(key, "text"), mk = cp_cache_key_part(key, "map");
	if (!cp_cache_get(j->cache, &tk, out))
		return 0;
	if (j->source_map && !cp_cache_get(j->cache, &mk, &j->maps[i])) {
		cp_buf_free(out);
		return 0;
	}
	return 1;
}

static void minify_one(void *ctx, size_t i)
{
	struct minify_job *j = ctx;
	cp_asset *a = &j->t->v[i];
	if (!cp_minify_kind_ok(a->kind) || cp_is_preminified(a->logical))
		return;
	const char *base = cp_path_base(a->logical);
	char *map_url = j->source_map ? cp_xasprintf("%s.map", base) : NULL;
	cp_minify_opts mo = {.source_name = base, .map_url = map_url, .out_name = base};
	if (map_url && a->kind == CP_ASSET_JS) {
		char *in_name = cp_xasprintf("%s.map", a->logical);
		long m = cp_assets_find(j->t, in_name);
		if (m >= 0) {
			mo.in_map = j->t->v[m].text.data;
			mo.in_map_len = j->t->v[m].text.len;
		}
		free(in_name);
	}
	cp_buf out = CP_BUF_INIT;
	cp_error e = {0};
	cp_cache_key key = {0};
	int rc = 0, hit = 0;
	if (j->cache) {
		key = minify_key(a, &mo);
		hit = minify_cached(j, i, &key, &out);
	}
	if (hit) {
		cp_log(CP_LOG_INFO, "from cache: %s (minified)", a->logical);
		__atomic_fetch_add(&j->cached, 1, __ATOMIC_RELAXED);
	} else {
		rc = cp_minify(a->kind, a->text.data, a->text.len, &mo, &out,
			       map_url ? &j->maps[i] : NULL, &e);
		if (!rc && j->cache) {
			cp_log(CP_LOG_INFO, "minified: %s (content not in the cache)", a->logical);
			cp_cache_key tk = cp_cache_key_part(&key, "text");
			cp_cache_put(j->cache, &tk, out.data ? out.data : "", out.len);
			if (map_url) {
				cp_cache_key mk = cp_cache_key_part(&key, "map");
				cp_cache_put(j->cache, &mk, j->maps[i].data ? j->maps[i].data : "",
					     j->maps[i].len);
			}
		}
	}
	free(map_url);
	if (rc) {
		/* the minifier names the file by base name: give the real path */
		cp_diags_add(j->d, CP_DIAG_ERROR, a->source, e.line, e.col, "%s", e.msg);
		cp_buf_free(&out);
		cp_buf_free(&j->maps[i]);
		return;
	}
	progress_step(j->prog, a->text.len);
	cp_buf_free(&a->text);
	a->text = out;
	a->flags |= CP_ASSET_MINIFIED;
	__atomic_fetch_add(&j->minified, 1, __ATOMIC_RELAXED);
}

static int asset_cmp(const void *x, const void *y)
{
	return strcmp(((const cp_asset *)x)->logical, ((const cp_asset *)y)->logical);
}

/* Generated maps join the table (or replace a map of the same name, whose
 * mappings the JS minifier has composed into the new one). */
static void add_maps(cp_assets *t, cp_buf *maps, size_t n)
{
	int added = 0;
	for (size_t i = 0; i < n; i++) {
		if (!maps[i].data)
			continue;
		char *name = cp_xasprintf("%s.map", t->v[i].logical);
		/* looked up among the first n only: those are sorted, the maps
		 * appended below are not until the end */
		cp_assets sorted = *t;
		sorted.n = n;
		long m = cp_assets_find(&sorted, name);
		if (m >= 0) {
			cp_buf_free(&t->v[m].text);
			t->v[m].text = maps[i];
			t->v[m].flags |= CP_ASSET_GENERATED;
			free(name);
		} else {
			char *source = cp_xasprintf("%s.map", t->v[i].source);
			cp_asset *a = cp_assets_add(t);
			a->logical = name;
			a->source = source;
			a->kind = CP_ASSET_MAP;
			a->flags = CP_ASSET_GENERATED;
			a->mtime_ns = t->v[i].mtime_ns; /* a map is as new as its file */
			a->text = maps[i];
			a->size = maps[i].len;
			added = 1;
		}
		memset(&maps[i], 0, sizeof maps[i]);
	}
	if (added)
		qsort(t->v, t->n, sizeof *t->v, asset_cmp);
}

static int minify_all(cp_assets *t, const struct cp_build_config *c, struct settings *s,
		      struct cp_build_report *r)
{
	size_t n = t->n;
	struct minify_job j = {.prog = &s->prog,
			       .t = t,
			       .source_map = c->source_map,
			       .d = &r->diags,
			       .cache = s->emit.cache};
	size_t todo = 0;
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		if (cp_minify_kind_ok(t->v[i].kind) && !cp_is_preminified(t->v[i].logical)) {
			todo++;
			bytes += t->v[i].text.len;
		}
	progress_stage(&s->prog, "minifying", todo, bytes);
	j.maps = cp_xcalloc(n + 1, sizeof *j.maps);
	size_t errors = r->diags.nerrors;
	cp_parallel_for(s->jobs, n, minify_one, &j);
	r->minified = j.minified;
	r->minified_cached = j.cached;
	if (r->diags.nerrors == errors)
		add_maps(t, j.maps, n);
	for (size_t i = 0; i < n; i++)
		cp_buf_free(&j.maps[i]);
	free(j.maps);
	return r->diags.nerrors > errors ? CP_ERR_BUILD : 0;
}

/* ---- scan ---- */

static void scan_one(void *ctx, size_t i)
{
	cp_scan_asset(&((cp_assets *)ctx)->v[i]);
}

/* ---- the file-state record ---- */

/* A file not parsed (an image, a font) is only read to name it; when its
 * path, device, inode, size, mtime and ctime are those of a build before,
 * its MD5 is that build's.  ctime is in the key because no user call can
 * set it back: a file rewritten with its old size and mtime still differs.
 * The record lives in the build cache, one small entry per file state. */
struct record {
	cp_assets *t;
	cp_cache *cache;
	size_t known;
	struct stat *before; /* each file's state before fingerprinting read it */
	cp_cache_key *keys;  /* and the record's key for that state */
	int *have;
	time_t now;
};

static void record_key(const cp_asset *a, const struct stat *st, cp_cache_key *key)
{
	char *abs = cp_path_absolute(a->source);
	cp_cache_keyer k;
	cp_cache_key_begin(&k, "file-state");
	cp_cache_key_str(&k, abs);
	cp_cache_key_int(&k, (int64_t)st->st_dev);
	cp_cache_key_int(&k, (int64_t)st->st_ino);
	cp_cache_key_int(&k, (int64_t)st->st_size);
	cp_cache_key_int(&k, (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec);
	cp_cache_key_int(&k, (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec);
	cp_cache_key_end(&k, key);
	free(abs);
}

static void record_get(void *ctx, size_t i)
{
	struct record *r = ctx;
	cp_asset *a = &r->t->v[i];
	if (a->kind != CP_ASSET_OTHER || (a->flags & CP_ASSET_GENERATED) ||
	    stat(a->source, &r->before[i]) != 0)
		return;
	r->have[i] = 1;
	record_key(a, &r->before[i], &r->keys[i]);
	cp_buf v = CP_BUF_INIT;
	if (cp_cache_get(r->cache, &r->keys[i], &v) && v.len == 16) {
		memcpy(a->md5, v.data, 16);
		a->flags |= CP_ASSET_MD5_KNOWN;
		__atomic_fetch_add(&r->known, 1, __ATOMIC_RELAXED);
	}
	cp_buf_free(&v);
}

static int same_state(const struct stat *x, const struct stat *y)
{
	return x->st_dev == y->st_dev && x->st_ino == y->st_ino && x->st_size == y->st_size &&
	       x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec &&
	       x->st_ctim.tv_sec == y->st_ctim.tv_sec && x->st_ctim.tv_nsec == y->st_ctim.tv_nsec;
}

/* Records what fingerprinting read, under the state the file had before it
 * was read - only when the state is the same after (a file written during
 * the build is not recorded) and is not "racy": a file changed in the last
 * two seconds may change again within its timestamp's granularity (coarse
 * clocks, NFS), so its MD5 is not tied to a state that could repeat. */
static void record_put(void *ctx, size_t i)
{
	struct record *r = ctx;
	cp_asset *a = &r->t->v[i];
	struct stat after;
	if (!r->have[i] || (a->flags & CP_ASSET_MD5_KNOWN) || stat(a->source, &after) != 0 ||
	    !same_state(&r->before[i], &after) || r->now - after.st_mtim.tv_sec < 2 ||
	    r->now - after.st_ctim.tv_sec < 2)
		return;
	cp_cache_put(r->cache, &r->keys[i], a->md5, 16);
}

/* ---- DIST pre-flight ---- */

/* An output path is blocked when it exists as something other than a file,
 * or when one of its folders exists as something other than a folder. */
static int check_out_path(const char *dist, const char *logical, struct cp_build_report *r)
{
	char *p = cp_path_join(dist, logical);
	size_t dl = strlen(dist);
	struct stat st;
	int rc = 0;
	for (char *q = p + dl + 1; !rc && (q = strchr(q, '/')); q++) {
		*q = 0;
		if (stat(p, &st) == 0 && !S_ISDIR(st.st_mode))
			rc = cp_error_set(&r->err, p, 0, 0, "is in the way of %s/%s: not a folder",
					  dist, logical);
		*q = '/';
	}
	if (!rc && stat(p, &st) == 0 && !S_ISREG(st.st_mode))
		rc = cp_error_set(&r->err, p, 0, 0, "is in the way of an output: not a file");
	free(p);
	return rc;
}

/* What a write into DIST could trip over, checked before the first write so
 * that a failing build leaves DIST as it was: DIST itself, and every output
 * path (fingerprinted, unhashed and manifest). */
static int check_dist(const cp_assets *t, const struct settings *s, struct cp_build_report *r)
{
	const char *dist = s->emit.dist;
	struct stat st;
	if (stat(dist, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return cp_error_set(&r->err, dist, 0, 0, "output folder is not a folder");
		if (access(dist, W_OK | X_OK) != 0)
			return cp_error_set(&r->err, dist, 0, 0,
					    "output folder is not writable: %s", strerror(errno));
	}
	const char *manifests[8];
	cp_manifests_paths(s->mf.dialects, manifests);
	int rc = 0;
	for (const char **m = manifests; *m && !rc; m++) {
		/* a site's own manifest.json (a web app manifest) would be replaced */
		long a = cp_assets_find(t, *m);
		if (a >= 0)
			rc = cp_error_set(
			    &r->err, t->v[a].source, 0, 0,
			    "has the name of a manifest this build writes (%s): rename it, "
			    "or leave that dialect out of --manifest",
			    *m);
		if (!rc)
			rc = check_out_path(dist, *m, r);
	}
	for (size_t i = 0; i < t->n && !rc; i++) {
		rc = check_out_path(dist, t->v[i].hashed, r);
		if (!rc && !s->emit.only_hashed)
			rc = check_out_path(dist, t->v[i].logical, r);
	}
	return rc;
}

static int run(cp_assets *t, const struct cp_build_config *c, struct settings *s,
	       struct cp_build_report *r)
{
	cp_collect_opts co = {.roots = c->roots,
			      .nroots = c->nroots,
			      .filter = &s->filter,
			      .dotfiles = c->dotfiles,
			      .dist = c->out,
			      .jobs = s->jobs};
	double t0 = cp_clock();
	int rc = cp_collect(&co, t, &r->diags, &r->err);
	r->stage_seconds[CP_STAGE_COLLECT] = cp_clock() - t0;
	if (rc)
		return rc;
	r->files = t->n;
	for (size_t i = 0; i < t->n; i++)
		r->bytes_in += t->v[i].size;
	cp_parallel_for(s->jobs, t->n, scan_one, t);
	if (!c->no_minify) {
		/* references are checked on the authors' text (messages with their
		 * line:col), then found again in the minified text for rewriting */
		if ((rc = cp_fingerprint_check(t, &s->fp, &r->diags)))
			return rc;
		for (size_t i = 0; i < t->n; i++)
			cp_refs_free(&t->v[i].refs);
		t0 = cp_clock();
		rc = minify_all(t, c, s, r);
		r->stage_seconds[CP_STAGE_MINIFY] = cp_clock() - t0;
		if (rc)
			return rc;
		cp_parallel_for(s->jobs, t->n, scan_one, t);
		s->fp.checked = 1;
	}
	t0 = cp_clock();
	struct record rec = {.t = t, .cache = c->no_trust_mtime ? NULL : s->emit.cache};
	if (rec.cache) {
		rec.before = cp_xcalloc(t->n + 1, sizeof *rec.before);
		rec.keys = cp_xcalloc(t->n + 1, sizeof *rec.keys);
		rec.have = cp_xcalloc(t->n + 1, sizeof *rec.have);
		cp_parallel_for(s->jobs, t->n, record_get, &rec);
	}
	rc = cp_fingerprint(t, &s->fp, &r->diags);
	rec.now = time(NULL);
	if (rec.cache && !rc)
		cp_parallel_for(s->jobs, t->n, record_put, &rec);
	free(rec.before);
	free(rec.keys);
	free(rec.have);
	r->hashed_known = rec.known;
	r->stage_seconds[CP_STAGE_FINGERPRINT] = cp_clock() - t0;
	if (rc)
		return rc;
	if ((rc = check_dist(t, s, r)))
		return rc;
	/* everything is checked: from here on DIST changes */
	if ((rc = cp_mkdirs(c->out, &r->err)))
		return rc;
	uint64_t out_bytes = 0;
	for (size_t i = 0; i < t->n; i++)
		out_bytes += t->v[i].flags & CP_ASSET_REWRITTEN ? t->v[i].out.len
			     : t->v[i].kind != CP_ASSET_OTHER	? t->v[i].text.len
								: t->v[i].size;
	progress_stage(&s->prog, "writing and compressing", t->n, out_bytes);
	t0 = cp_clock();
	/* the unhashed files change only once everything is written */
	cp_emit_staged staged = {0};
	s->emit.staged = s->mf.staged = &staged;
	rc = cp_emit_dist(t, &s->emit, &r->emit, &r->diags);
	r->stage_seconds[CP_STAGE_WRITE] = cp_clock() - t0;
	if (!rc)
		rc = cp_write_manifests(t, &s->mf, r);
	cp_emit_discard(&staged);
	s->emit.staged = s->mf.staged = NULL;
	return rc;
}

/* The build cache, unless --no-cache.  A cache that cannot be opened is
 * a warning: the build is only slower without it. */
static void open_cache(const struct cp_build_config *c, struct settings *s,
		       struct cp_build_report *r)
{
	if (c->no_cache)
		return;
	char *dir =
	    c->cache_dir && *c->cache_dir ? cp_xstrdup(c->cache_dir) : cp_cache_default_dir();
	cp_error e = {0};
	/* inside a source root or DIST, its files would be collected or
	 * uploaded, and published: other projects' outputs among them */
	char *real = cp_path_real_maybe(dir);
	const char *inside = NULL;
	for (size_t i = 0; i < c->nroots && !inside; i++) {
		char *root = cp_path_real_maybe(c->roots[i]);
		if (cp_path_is_within(real, root))
			inside = c->roots[i];
		free(root);
	}
	char *out = c->out ? cp_path_real_maybe(c->out) : NULL;
	if (!inside && out && cp_path_is_within(real, out))
		inside = c->out;
	free(out);
	free(real);
	if (inside)
		cp_diags_add(&r->diags, CP_DIAG_WARN, dir, 0, 0,
			     "no build cache: the folder is inside %s, where its files would be "
			     "published",
			     inside);
	else if (cp_cache_open(dir, c->cache_max, &s->emit.cache, &e))
		cp_diags_add(&r->diags, CP_DIAG_WARN, dir, 0, 0, "no build cache: %s", e.msg);
	r->cached = s->emit.cache != NULL;
	free(dir);
}

int cp_build(const struct cp_build_config *c, struct cp_build_report *r)
{
	double t0 = cp_clock();
	struct settings s = {0};
	int rc = check_config(c, &s, r);
	if (rc) {
		cp_filter_free(&s.filter);
		return rc;
	}
	open_cache(c, &s, r);
	s.prog = (struct progress){.c = c, .t0 = t0};
	pthread_mutex_init(&s.prog.lock, NULL);
	if (c->progress) {
		s.emit.written = on_written;
		s.emit.written_ctx = &s.prog;
	}
	cp_assets t = {0};
	rc = run(&t, c, &s, r);
	pthread_mutex_destroy(&s.prog.lock);
	if (!rc && r->diags.nerrors)
		rc = CP_ERR_BUILD;
	cp_assets_free(&t);
	cp_cache_close(s.emit.cache, &r->cache);
	cp_filter_free(&s.filter);
	r->seconds = cp_clock() - t0;
	return rc;
}
