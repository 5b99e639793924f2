/*
 * releases.c - a deploy's history at the target, and going back to an
 * earlier release; see publish.h.
 *
 * A release is the set of manifests one deploy made live.  Before anything
 * else is sent (phase 1 of publish), copies go under
 * <prefix>/.cdnpipe/releases/<UTC time, to the ms>-<hash>/ with a release.json (when,
 * which cdnpipe, host, git HEAD, counts), so the history is a plain listing
 * of the bucket: no database, nothing to keep in sync, and a copy is never
 * overwritten (the time and the hash of the manifests name it).  A deploy
 * whose manifests are all unchanged records nothing, and one that fails
 * removes its release again (cp_upload), so the history holds releases that
 * went live, and the one under way.  "Live" is decided by
 * content: the release whose manifest copies have the ETags of the live
 * manifests.  Rollback puts a release's copies back as the live manifests,
 * after checking that every file they name is still at the target.
 */
#include "upload/publish/publish.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD "release.json"

/* A manifest of the release, copied out of the plan (whose items move as
 * the history items are added). */
typedef struct rel_file {
	char *key, *local;
	uint64_t size;
} rel_file;

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const rel_file *)a)->key, ((const rel_file *)b)->key);
}

/* The release's name: its UTC time and the MD5 of its manifests (names and
 * bytes, in name order). */
static int release_name(const rel_file *m, size_t n, time_t now, char out[64], cp_error *err)
{
	cp_md5_ctx c;
	cp_md5_init(&c);
	unsigned char d[16];
	for (size_t i = 0; i < n; i++) {
		int rc = cp_md5_file(m[i].local, 0, UINT64_MAX, d, err);
		if (rc) {
			cp_md5_final(&c, d);
			return rc;
		}
		cp_md5_update(&c, m[i].key, strlen(m[i].key) + 1);
		cp_md5_update(&c, d, 16);
	}
	char hex[33];
	cp_md5_final(&c, d);
	cp_hex(d, 16, hex);
	/* milliseconds: deploys a second apart (a script's retries) still sort
	 * by time, and names are ordered as they are listed */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t sec = ts.tv_sec > now ? ts.tv_sec : now;
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t k = strftime(out, 64, "%Y%m%dT%H%M%S", &tm);
	snprintf(out + k, 64 - k, ".%03ldZ-%.12s", ts.tv_nsec / 1000000, hex);
	return 0;
}

/* `git rev-parse HEAD` of the working folder, where there is one. */
static void git_head(char out[64])
{
	out[0] = 0;
	FILE *f = popen("git rev-parse HEAD 2>/dev/null", "r");
	if (!f)
		return;
	if (!fgets(out, 64, f))
		out[0] = 0;
	out[strcspn(out, "\r\n")] = 0;
	if (pclose(f) != 0 || strspn(out, "0123456789abcdef") != strlen(out))
		out[0] = 0;
}

static int write_record(const char *path, const char *name, time_t now, const cp_plan *plan,
			cp_error *err)
{
	char when[32], host[256] = "", git[64];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (gethostname(host, sizeof host - 1) != 0)
		host[0] = 0;
	git_head(git);
	cp_buf b = CP_BUF_INIT;
	cp_buf_puts(&b, "{\n  \"release\": ");
	cp_json_py_string(&b, name);
	cp_buf_puts(&b, ",\n  \"time\": ");
	cp_json_py_string(&b, when);
	cp_buf_puts(&b, ",\n  \"cdnpipe\": ");
	cp_json_py_string(&b, CP_VERSION);
	cp_buf_puts(&b, ",\n  \"host\": ");
	cp_json_py_string(&b, host);
	cp_buf_puts(&b, ",\n  \"git\": ");
	if (git[0])
		cp_json_py_string(&b, git);
	else
		cp_buf_puts(&b, "null");
	cp_buf_printf(&b, ",\n  \"files\": %zu,\n  \"uploaded\": %zu,\n  \"skipped\": %zu", plan->n,
		      plan->n_upload, plan->n_skip);
	/* what a purge of this release names, for `cdnpipe purge --release` */
	const char **keys;
	size_t nk = cp_plan_purge_keys(plan, 0, &keys);
	cp_buf_puts(&b, ",\n  \"purge\": [");
	for (size_t i = 0; i < nk; i++) {
		cp_buf_puts(&b, i ? ", " : "");
		cp_json_py_string(&b, keys[i]);
	}
	free(keys);
	cp_buf_puts(&b, "]\n}\n");
	int rc = cp_write_atomic(path, b.data, b.len, err);
	cp_buf_free(&b);
	return rc;
}

int cp_release_plan(cp_plan *plan, const char *tmpdir, char **record, char name[64], cp_error *err)
{
	*record = NULL;
	name[0] = 0;
	size_t n = 0, changed = 0;
	rel_file *m = cp_xcalloc(plan->n + 1, sizeof *m);
	for (size_t i = 0; i < plan->n; i++)
		if (plan->v[i].manifest) {
			m[n++] = (rel_file){cp_xstrdup(plan->v[i].key),
					    cp_xstrdup(plan->v[i].local), plan->v[i].size};
			changed += plan->v[i].action == CP_PLAN_UPLOAD;
		}
	int rc = 0;
	if (changed) { /* something goes live: a new release */
		qsort(m, n, sizeof *m, file_cmp);
		time_t now = time(NULL);
		rc = release_name(m, n, now, name, err);
		if (!rc) {
			*record = cp_xasprintf("%s/%s", tmpdir, RECORD);
			rc = write_record(*record, name, now, plan, err);
		}
		for (size_t i = 0; !rc && i < n; i++) {
			char *key = cp_xasprintf("%s%s/%s", CP_HISTORY_PREFIX, name, m[i].key);
			cp_plan_add(plan, key, m[i].local, m[i].size, "application/json",
				    CP_CACHE_IMMUTABLE, 1);
			free(key);
		}
		if (!rc) {
			char *key = cp_xasprintf("%s%s/%s", CP_HISTORY_PREFIX, name, RECORD);
			struct stat st;
			uint64_t size = stat(*record, &st) == 0 ? (uint64_t)st.st_size : 0;
			cp_plan_add(plan, key, *record, size, "application/json",
				    CP_CACHE_IMMUTABLE, 1);
			free(key);
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(m[i].key);
		free(m[i].local);
	}
	free(m);
	return rc;
}

/* ---- listing the history ---- */

void cp_releases_free(cp_releases *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		for (size_t k = 0; k < r->v[i].nmanifests; k++)
			free(r->v[i].manifests[k]);
		free(r->v[i].manifests);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* What one listing of the target says: every key, and the releases. */
struct history {
	cp_target *t;
	cp_remote_list rl;
	cp_strmap keys; /* key -> index in rl */
	cp_releases rel;
};

static cp_release *release_named(cp_releases *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->n; i++)
		if (strlen(r->v[i].name) == len && !strncmp(r->v[i].name, name, len))
			return &r->v[i];
	r->v = cp_xrealloc(r->v, (r->n + 1) * sizeof *r->v);
	cp_release *x = &r->v[r->n++];
	memset(x, 0, sizeof *x);
	x->name = cp_xstrndup(name, len);
	return x;
}

static int newest_first(const void *a, const void *b)
{
	return strcmp(((const cp_release *)b)->name, ((const cp_release *)a)->name);
}

/* The ETag of a listed key (computed for a folder target), or "". */
static void etag_of(struct history *h, size_t i, char out[CP_ETAG_MAX])
{
	cp_error ignore = {0};
	snprintf(out, CP_ETAG_MAX, "%s", h->rl.v[i].etag);
	if (!out[0] && cp_target_etag(h->t, h->rl.v[i].key, out, &ignore))
		out[0] = 0;
}

/* Live: every manifest of the release has the ETag of its live key. */
static int is_live(struct history *h, const cp_release *x)
{
	if (!x->nmanifests)
		return 0;
	for (size_t k = 0; k < x->nmanifests; k++) {
		char *hk = cp_xasprintf("%s%s/%s", CP_HISTORY_PREFIX, x->name, x->manifests[k]);
		size_t a, b;
		int ok =
		    cp_strmap_get(&h->keys, hk, &a) && cp_strmap_get(&h->keys, x->manifests[k], &b);
		free(hk);
		char ea[CP_ETAG_MAX], eb[CP_ETAG_MAX];
		if (ok) {
			etag_of(h, a, ea);
			etag_of(h, b, eb);
			ok = ea[0] && !strcasecmp(ea, eb);
		}
		if (!ok)
			return 0;
	}
	return 1;
}

static int history_load(const char *target, const cp_s3_settings *s3, struct history *h,
			cp_error *err)
{
	memset(h, 0, sizeof *h);
	int rc = cp_target_open(target, s3, &h->t, err);
	if (!rc)
		rc = cp_target_list(h->t, "", &h->rl, err);
	size_t pl = strlen(CP_HISTORY_PREFIX);
	for (size_t i = 0; !rc && i < h->rl.n; i++) {
		const char *k = h->rl.v[i].key;
		cp_strmap_put(&h->keys, k, i);
		if (strncmp(k, CP_HISTORY_PREFIX, pl))
			continue;
		const char *name = k + pl, *slash = strchr(name, '/');
		if (!slash || slash == name || !slash[1])
			continue;
		cp_release *x = release_named(&h->rel, name, (size_t)(slash - name));
		if (!strcmp(slash + 1, RECORD)) {
			x->complete = 1;
			continue;
		}
		x->manifests =
		    cp_xrealloc(x->manifests, (x->nmanifests + 1) * sizeof *x->manifests);
		x->manifests[x->nmanifests++] = cp_xstrdup(slash + 1);
	}
	if (h->rel.n > 1)
		qsort(h->rel.v, h->rel.n, sizeof *h->rel.v, newest_first);
	for (size_t i = 0; !rc && i < h->rel.n; i++)
		h->rel.v[i].live = is_live(h, &h->rel.v[i]);
	return rc;
}

static void history_free(struct history *h)
{
	cp_strmap_free(&h->keys);
	cp_remote_list_free(&h->rl);
	cp_target_close(h->t);
	cp_releases_free(&h->rel);
}

int cp_releases_list(const char *target, const cp_s3_settings *s3, cp_releases *out, cp_error *err)
{
	struct history h;
	int rc = history_load(target, s3, &h, err);
	*out = h.rel;
	memset(&h.rel, 0, sizeof h.rel);
	history_free(&h);
	return rc;
}

/* ---- rollback ---- */

void cp_rollback_report_free(cp_rollback_report *r)
{
	for (size_t i = 0; i < r->nmissing; i++)
		free(r->missing[i]);
	free(r->missing);
	free(r->release);
	cp_purge_report_free(&r->purge);
	memset(r, 0, sizeof *r);
}

/* The release asked for (a unique prefix of a name), or the one before the
 * live one. */
static const cp_release *pick(const cp_releases *r, const char *to, cp_error *err)
{
	if (to && !*to) {
		cp_error_set(err, NULL, 0, 0, "--to wants a release name (see cdnpipe releases)");
		return NULL;
	}
	if (to) {
		const cp_release *found = NULL;
		for (size_t i = 0; i < r->n; i++)
			if (r->v[i].complete && !strncmp(r->v[i].name, to, strlen(to))) {
				if (found) {
					cp_error_set(err, to, 0, 0, "names more than one release");
					return NULL;
				}
				found = &r->v[i];
			}
		if (!found)
			cp_error_set(err, to, 0, 0, "no such release (see cdnpipe releases)");
		return found;
	}
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].live) {
			for (size_t k = i + 1; k < r->n; k++)
				if (r->v[k].complete)
					return &r->v[k];
			cp_error_set(err, NULL, 0, 0,
				     "the live release is the oldest: nothing before it");
			return NULL;
		}
	cp_error_set(err, NULL, 0, 0, "no release is live; name one with --to");
	return NULL;
}

/* Fetches the release's manifests into tmp; lists what they name that the
 * target lacks. */
static int fetch_and_check(struct history *h, const cp_release *x, const char *tmp, char **local,
			   cp_rollback_report *r, cp_error *err)
{
	int rc = 0;
	for (size_t k = 0; !rc && k < x->nmanifests; k++) {
		char *hk = cp_xasprintf("%s%s/%s", CP_HISTORY_PREFIX, x->name, x->manifests[k]);
		int exists = 0;
		local[k] = cp_xasprintf("%s/%zu", tmp, k);
		rc = cp_target_fetch(h->t, hk, local[k], &exists, err);
		if (!rc && !exists)
			rc = cp_error_set(err, hk, 0, 0, "is gone from the target");
		free(hk);
		cp_buf b = CP_BUF_INIT;
		cp_manifest_index m;
		if (!rc)
			rc = cp_read_file(local[k], &b, err);
		if (!rc && !cp_manifest_sniff(x->manifests[k], b.data ? b.data : "", b.len, &m))
			rc = cp_error_set(err, x->manifests[k], 0, 0,
					  "is not a manifest cdnpipe reads");
		for (size_t i = 0; !rc && i < m.n; i++)
			if (!cp_strmap_get(&h->keys, m.v[i].hashed, NULL)) {
				r->missing =
				    cp_xrealloc(r->missing, (r->nmissing + 1) * sizeof *r->missing);
				r->missing[r->nmissing++] = cp_xstrdup(m.v[i].hashed);
			}
		if (!rc)
			cp_manifest_index_free(&m);
		cp_buf_free(&b);
	}
	return rc;
}

int cp_rollback(const char *target, const cp_s3_settings *s3, const char *to,
		const cp_purge_opts *purge, cp_rollback_report *r, cp_error *err)
{
	memset(r, 0, sizeof *r);
	struct history h;
	int rc = history_load(target, s3, &h, err);
	const cp_release *x = rc ? NULL : pick(&h.rel, to, err);
	if (!rc && !x)
		rc = CP_ERR_BUILD;
	const char *t = getenv("TMPDIR");
	char *tmp = cp_xasprintf("%s/cdnpipe-rollback.XXXXXX", t && *t ? t : "/tmp");
	if (!rc && !mkdtemp(tmp))
		rc = cp_error_set(err, NULL, 0, 0, "cannot make a temporary folder: %s",
				  strerror(errno));
	char **local = x ? cp_xcalloc(x->nmanifests + 1, sizeof *local) : NULL;
	if (!rc) {
		r->release = cp_xstrdup(x->name);
		rc = fetch_and_check(&h, x, tmp, local, r, err);
	}
	if (!rc && r->nmissing)
		rc = cp_error_set(err, x->name, 0, 0,
				  "%zu files it names are gone from the target: not rolled back",
				  r->nmissing);
	/* every other manifest first, staticfiles.json last, as a deploy */
	cp_put_headers hd = {.content_type = "application/json",
			     .cache_control = CP_CACHE_MANIFEST};
	cp_state_run run = {0};
	if (!rc) { /* the live manifests change under every upload state */
		cp_upload_state_forget(h.t);
		rc = cp_upload_state_begin(h.t, &run, err);
	}
	for (int last = 0; !rc && last < 2; last++)
		for (size_t k = 0; !rc && k < x->nmanifests; k++)
			if ((strcmp(cp_path_base(x->manifests[k]), CP_DJANGO_MANIFEST) == 0) ==
			    last) {
				rc = cp_target_put(h.t, x->manifests[k], local[k], &hd, NULL, err);
				r->restored += !rc;
			}
	cp_upload_state_end(h.t, &run);
	if (!rc && purge &&
	    cp_purge(purge, (const char *const *)x->manifests, x->nmanifests, &r->purge))
		rc = cp_error_set(err, NULL, 0, 0,
				  "%s is live, but the CDN may serve the old manifests until "
				  "their max-age: %s",
				  x->name, r->purge.err.msg);
	for (size_t k = 0; local && k < x->nmanifests; k++) {
		if (local[k])
			unlink(local[k]);
		free(local[k]);
	}
	free(local);
	rmdir(tmp);
	free(tmp);
	history_free(&h);
	return rc;
}

/* ---- purge again: what a release's record says to purge ---- */

/* A record listing more keys than this is not believed (a tampered record
 * could otherwise cost tens of thousands of purge requests): a site whose
 * deploys change more unhashed keys than this purges them by deploy, not
 * by `cdnpipe purge --release`. */
#define PURGE_MAX 20000

static void push_key(char ***v, size_t *n, const char *k)
{
	*v = cp_xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = cp_xstrdup(k);
}

/* The keys the release's record lists under "purge" (a record written
 * before cdnpipe recorded them: its manifests). */
static int recorded_purge(struct history *h, const cp_release *x, const char *tmp, char ***keys,
			  size_t *n, cp_error *err)
{
	char *key = cp_xasprintf("%s%s/%s", CP_HISTORY_PREFIX, x->name, RECORD);
	char *local = cp_xasprintf("%s/record", tmp);
	cp_buf b = CP_BUF_INIT;
	int exists = 0;
	int rc = cp_target_read(h->t, key, local, &b, &exists, err);
	json_error_t je;
	json_t *j = !rc && exists ? json_loadb(b.data ? b.data : "", b.len, 0, &je) : NULL;
	json_t *list = json_object_get(j, "purge");
	if (!rc && !json_is_array(list)) {
		for (size_t i = 0; i < x->nmanifests; i++)
			push_key(keys, n, x->manifests[i]);
	}
	if (json_array_size(list) > PURGE_MAX)
		rc = cp_error_set(err, key, 0, 0,
				  "lists %zu keys to purge, more than a deploy of cdnpipe records "
				  "(%d): not trusted",
				  json_array_size(list), PURGE_MAX);
	for (size_t i = 0; !rc && i < json_array_size(list); i++) {
		const char *k = json_string_value(json_array_get(list, i));
		if (!k || !cp_path_is_safe_rel(k))
			rc = cp_error_set(err, key, 0, 0, "a purge entry is not a safe key");
		else if (strncmp(k, ".cdnpipe/", 9)) /* history is never purged */
			push_key(keys, n, k);
	}
	json_decref(j);
	cp_buf_free(&b);
	free(local);
	free(key);
	return rc;
}

int cp_purge_release(const char *target, const cp_s3_settings *s3, const char *release,
		     const char *const *keys, size_t nkeys, const cp_purge_opts *purge,
		     cp_purge_report *r, cp_error *err)
{
	if (purge->provider == CP_PURGE_NONE) {
		cp_error_set(err, NULL, 0, 0, "which CDN? --purge PROVIDER (or [purge] provider)");
		return CP_ERR_USAGE;
	}
	int rc = cp_purge_check(purge, err);
	if (rc)
		return rc;
	char **all = NULL;
	size_t n = 0;
	for (size_t i = 0; i < nkeys; i++)
		push_key(&all, &n, keys[i]);
	struct history h = {0};
	int loaded = 0;
	if (release || !nkeys) {
		rc = history_load(target, s3, &h, err);
		loaded = 1;
		const cp_release *x = NULL;
		for (size_t i = 0; !rc && !release && i < h.rel.n; i++)
			if (h.rel.v[i].live)
				x = &h.rel.v[i];
		if (!rc && release)
			x = pick(&h.rel, release, err);
		if (!rc && !x)
			rc = release ? CP_ERR_BUILD
				     : cp_error_set(err, NULL, 0, 0,
						    "no live release at the target: name one with "
						    "--release, or the keys");
		const char *t = getenv("TMPDIR");
		char *tmp = cp_xasprintf("%s/cdnpipe-purge.XXXXXX", t && *t ? t : "/tmp");
		if (!rc && !mkdtemp(tmp))
			rc = cp_error_set(err, NULL, 0, 0, "cannot make a temporary folder: %s",
					  strerror(errno));
		else if (!rc) {
			rc = recorded_purge(&h, x, tmp, &all, &n, err);
			rmdir(tmp);
		}
		free(tmp);
	}
	if (!rc && !n)
		rc = cp_error_set(err, NULL, 0, 0, "nothing to purge");
	if (!rc && cp_purge(purge, (const char *const *)all, n, r))
		rc = cp_error_set(err, NULL, 0, 0, "%s", r->err.msg);
	for (size_t i = 0; i < n; i++)
		free(all[i]);
	free(all);
	if (loaded)
		history_free(&h);
	return rc;
}

/* ---- prune: retention ---- */

void cp_prune_report_free(cp_prune_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->keys[i]);
	free(r->keys);
	memset(r, 0, sizeof *r);
}

/* What the manifests of a release (or the live ones) reference: their
 * fingerprinted paths and their logical names (an author's file is never
 * pruned, however its name looks).  strict: a manifest that cannot be read
 * stops the prune.  live: every path it names must be at the target; one
 * that is not (a --manifest-prefix that does not match the keys) means the
 * paths cannot be matched to keys, and nothing can be pruned safely. */
static int add_references(struct history *h, const char *const *keys, const char *const *rels,
			  size_t n, int strict, int live, const char *tmp, cp_strmap *keep,
			  char ***owned, size_t *nowned, cp_error *err)
{
	int rc = 0;
	for (size_t k = 0; !rc && k < n; k++) {
		char *local = cp_xasprintf("%s/ref", tmp);
		int exists = 0, ok = 0;
		cp_buf b = CP_BUF_INIT;
		cp_manifest_index m;
		rc = cp_target_read(h->t, keys[k], local, &b, &exists, err);
		if (!rc && exists && cp_manifest_sniff(rels[k], b.data ? b.data : "", b.len, &m)) {
			ok = 1;
			*owned = cp_xrealloc(*owned, (*nowned + 2 * m.n + 1) * sizeof **owned);
			for (size_t i = 0; i < m.n && !rc; i++) {
				if (live && !cp_strmap_get(&h->keys, m.v[i].hashed, NULL))
					rc = cp_error_set(
					    err, keys[k], 0, 0,
					    "names %.300s, which is not at the target "
					    "(paths that do not match keys?): nothing is "
					    "pruned",
					    m.v[i].hashed);
				(*owned)[(*nowned)++] = cp_xstrdup(m.v[i].hashed);
				cp_strmap_put(keep, (*owned)[*nowned - 1], 0);
				(*owned)[(*nowned)++] = cp_xstrdup(m.v[i].name);
				cp_strmap_put(keep, (*owned)[*nowned - 1], 0);
			}
			cp_manifest_index_free(&m);
		}
		/* a kept release that cannot be read would protect nothing: stop */
		if (!rc && !ok && strict)
			rc = cp_error_set(err, keys[k], 0, 0,
					  "cannot be read as a manifest: nothing is pruned");
		cp_buf_free(&b);
		free(local);
	}
	return rc;
}

/* The live manifests at the top of the prefix (also when no release was
 * recorded for them) and the kept releases' copies. */
/* A manifest name whose file is ours for sure (read strictly); a root
 * manifest.json or .manifest.json may be a web app's own. */
static int strict_name(const char *k)
{
	return strcmp(k, "manifest.json") && strcmp(k, ".manifest.json");
}

static int kept_references(struct history *h, const cp_prune_opts *o, const char *tmp,
			   cp_strmap *keep, char ***owned, size_t *nowned, size_t *live,
			   cp_error *err)
{
	*live = 0;
	int rc = 0;
	for (size_t i = 0; !rc && i < h->rl.n; i++) {
		const char *k = h->rl.v[i].key;
		if (!strncmp(k, ".cdnpipe/", 9) || !cp_manifest_is_name(k))
			continue;
		size_t before = *nowned;
		rc = add_references(h, &k, &k, 1, strict_name(k), 1, tmp, keep, owned, nowned, err);
		*live += *nowned > before;
	}
	/* the newest `keep` releases with manifests, the live one, and every
	 * release newer than the live one (a deploy under way records its
	 * release before its manifests go live) */
	size_t kept = 0;
	int seen_live = 0;
	for (size_t i = 0; i < h->rel.n; i++)
		seen_live |= h->rel.v[i].live;
	int before_live = seen_live;
	for (size_t i = 0; !rc && i < h->rel.n; i++) {
		cp_release *x = &h->rel.v[i];
		if (x->live)
			before_live = 0;
		if (!x->nmanifests)
			continue; /* a release whose copies never arrived holds no slot */
		if (!x->complete && !x->live && !before_live)
			continue; /* a failed deploy's: it never went live */
		if (kept >= (size_t)o->keep && !x->live && !before_live)
			continue;
		kept += x->complete || x->live;
		char **keys = cp_xcalloc(x->nmanifests + 1, sizeof *keys);
		for (size_t k = 0; k < x->nmanifests; k++)
			keys[k] =
			    cp_xasprintf("%s%s/%s", CP_HISTORY_PREFIX, x->name, x->manifests[k]);
		rc = add_references(h, (const char *const *)keys, (const char *const *)x->manifests,
				    x->nmanifests, 1, 0, tmp, keep, owned, nowned, err);
		for (size_t k = 0; k < x->nmanifests; k++)
			free(keys[k]);
		free(keys);
	}
	return rc;
}

/* Folders below the prefix that are sites of their own (a staticfiles.json
 * or a .cdnpipe/ history inside): out of bounds for this prune. */
static void nested_roots(const struct history *h, cp_strmap *roots, char ***owned, size_t *nowned)
{
	for (size_t i = 0; i < h->rl.n; i++) {
		const char *k = h->rl.v[i].key, *cut = NULL;
		const char *c = strstr(k, "/.cdnpipe/");
		if (c)
			cut = c + 1;
		else if (strchr(k, '/') && !strcmp(cp_path_base(k), CP_DJANGO_MANIFEST))
			cut = k + cp_path_dirlen(k);
		if (!cut || !strncmp(k, ".cdnpipe/", 9))
			continue;
		char *dir = cp_xstrndup(k, (size_t)(cut - k)); /* "admin/" */
		if (cp_strmap_get(roots, dir, NULL)) {
			free(dir);
			continue;
		}
		*owned = cp_xrealloc(*owned, (*nowned + 1) * sizeof **owned);
		(*owned)[(*nowned)++] = dir;
		cp_strmap_put(roots, dir, 0);
	}
}

static int in_nested(const cp_strmap *roots, const char *key)
{
	for (size_t i = 0; i < roots->cap; i++)
		if (roots->keys[i] && !strncmp(key, roots->keys[i], strlen(roots->keys[i])))
			return 1;
	return 0;
}

/* A key prune may delete: fingerprinted (or a sibling of one), not named by
 * anything kept, not history, older than min_age. */
static int prunable(const cp_remote_obj *o, const cp_strmap *keep, const cp_strmap *nested,
		    int64_t cutoff)
{
	const char *k = o->key;
	char plain[4096], base[4096];
	if (!strncmp(k, ".cdnpipe/", 9) || strstr(k, "/.cdnpipe/") ||
	    cp_strmap_get(keep, k, NULL) || in_nested(nested, k))
		return 0;
	size_t n = strlen(k);
	snprintf(base, sizeof base, "%s", k);
	if (n > 3 && (!strcmp(k + n - 3, ".gz") || !strcmp(k + n - 3, ".br"))) {
		base[n - 3] = 0;
		if (cp_strmap_get(keep, base, NULL))
			return 0; /* the sibling of a kept file */
	}
	if (!cp_unfingerprinted(base, plain, sizeof plain))
		return 0; /* unhashed keys are the live site's: never pruned */
	return o->mtime > 0 && o->mtime <= cutoff;
}

int cp_prune(const char *target, const cp_s3_settings *s3, const cp_prune_opts *o,
	     cp_prune_report *r, cp_error *err)
{
	memset(r, 0, sizeof *r);
	struct history h;
	int rc = history_load(target, s3, &h, err);
	const char *t = getenv("TMPDIR");
	char *tmp = cp_xasprintf("%s/cdnpipe-prune.XXXXXX", t && *t ? t : "/tmp");
	if (!rc && !mkdtemp(tmp))
		rc = cp_error_set(err, NULL, 0, 0, "cannot make a temporary folder: %s",
				  strerror(errno));
	cp_strmap keep = {0};
	char **owned = NULL;
	size_t nowned = 0, live = 0;
	cp_strmap nested = {0};
	if (!rc) {
		nested_roots(&h, &nested, &owned, &nowned);
		rc = kept_references(&h, o, tmp, &keep, &owned, &nowned, &live, err);
	}
	if (!rc && !live)
		rc =
		    cp_error_set(err, target, 0, 0,
				 "no live manifest found: nothing tells what is in use, so nothing "
				 "is pruned");
	int64_t cutoff = (int64_t)time(NULL) - o->min_age;
	for (size_t i = 0; !rc && i < h.rl.n; i++)
		if (prunable(&h.rl.v[i], &keep, &nested, cutoff)) {
			r->keys = cp_xrealloc(r->keys, (r->n + 1) * sizeof *r->keys);
			r->keys[r->n++] = cp_xstrdup(h.rl.v[i].key);
			r->bytes += h.rl.v[i].size;
		}
	if (!rc && o->max_delete && r->n > (size_t)o->max_delete && !o->force)
		rc = cp_error_set(err, target, 0, 0,
				  "would delete %zu objects, more than --max-delete %ld: nothing "
				  "deleted (--force to go ahead)",
				  r->n, o->max_delete);
	if (!rc && !o->dry_run && r->n) {
		/* before: a delete that fails half-way counts */
		cp_state_run run = {0};
		cp_upload_state_forget(h.t);
		rc = cp_upload_state_begin(h.t, &run, err);
		if (!rc)
			rc = cp_target_delete(h.t, (const char *const *)r->keys, r->n, o->diags,
					      err);
		cp_upload_state_end(h.t, &run);
		r->deleted = rc ? 0 : r->n;
	}
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	cp_strmap_free(&keep);
	cp_strmap_free(&nested);
	rmdir(tmp);
	free(tmp);
	history_free(&h);
	return rc;
}
