/*
 * target_s3.c - s3://bucket/prefix over the S3 client (s3.h).
 *
 * A thin adapter: keys below the target are joined to the prefix, results
 * mapped to the target interface.  Every call uses the client's blocking
 * mode, which only parks the calling thread while the client's one network
 * thread does the work; the publisher's N worker threads therefore keep N
 * requests in flight without this file knowing about concurrency.
 *
 * Files at or above the multipart threshold go through cp_s3_put_file, which
 * streams parts from disk in parallel and aborts the upload on failure; the
 * part size is the client's (cp_s3_part_size), and part_size() exposes the
 * same number so a plan can compute the same multipart ETag.
 *
 * A multipart upload in flight is noted in the cache folder (uploads/, one
 * small file per upload: endpoint, bucket, key, upload id, hex-encoded),
 * locked (flock) by the process that owns it and removed once the upload
 * completed.  A killed upload or deploy leaves its note behind, unlocked;
 * the next upload to the same endpoint and bucket aborts those uploads
 * before its first put, so killed runs never leave parts to accumulate (a
 * failed one aborts its upload itself).  A note still locked belongs to a
 * run in progress and is left alone.
 */
#include "upload/target/target_impl.h"
#include "upload/s3/s3.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

struct s3_target {
	struct cp_target base;
	cp_s3 *client;
	cp_s3_config cfg;
	char *bucket;
	char *prefix; /* "" or ends with '/' */
	uint64_t threshold;
	uint64_t part_size; /* wanted; 0: client default */
	pthread_mutex_t sweep_lock;
	int swept; /* the notes of killed runs' uploads were handled */
};

static struct s3_target *st(const cp_target *t)
{
	return (struct s3_target *)t;
}

static char *full_key(struct s3_target *s, const char *key)
{
	return cp_xasprintf("%s%s", s->prefix, key);
}

/* Copies the client's error, which already names bucket/key and why. */
static int fail(cp_error *err, const cp_s3_result *r, const char *key)
{
	if (err && !err->set) {
		*err = r->err;
		if (!err->set)
			cp_error_set(err, key, 0, 0, "request failed (HTTP %d)", r->status);
	}
	return CP_ERR_BUILD;
}

struct list_ctx {
	struct s3_target *s;
	cp_remote_list *out;
};

static int list_one(void *ctx, const cp_s3_object *o)
{
	struct list_ctx *c = ctx;
	size_t pl = strlen(c->s->prefix);
	/* The server answers for the prefix we asked; guard anyway. */
	if (strncmp(o->key, c->s->prefix, pl) || !o->key[pl])
		return 0;
	cp_remote_list_add(c->out, o->key + pl, o->size, o->etag);
	c->out->v[c->out->n - 1].mtime = (int64_t)o->mtime;
	return 0;
}

static int s3t_list(cp_target *t, const char *prefix, cp_remote_list *out, cp_error *err)
{
	struct s3_target *s = st(t);
	char *p = full_key(s, prefix);
	struct list_ctx c = {s, out};
	int rc = cp_s3_list(s->client, s->bucket, p, list_one, &c, err);
	free(p);
	return rc;
}

/* Every x-amz-meta-* header of a HEAD, canonical (cp_meta_canon). */
static void head_meta(const cp_s3_result *r, cp_object_info *out)
{
	cp_s3_header *m = cp_xcalloc(r->nheaders + 1, sizeof *m);
	size_t n = 0;
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strncasecmp(r->headers[i].name, "x-amz-meta-", 11))
			m[n++] = (cp_s3_header){r->headers[i].name + 11, r->headers[i].value};
	char *c = cp_meta_canon(m, n);
	out->truncated |= strlen(c) >= sizeof out->meta;
	snprintf(out->meta, sizeof out->meta, "%s", c);
	free(c);
	free(m);
}

static int s3t_head(cp_target *t, const char *key, cp_object_info *out, int *exists, cp_error *err)
{
	struct s3_target *s = st(t);
	char *k = full_key(s, key);
	cp_s3_result r = {0};
	int rc = cp_s3_head(s->client, s->bucket, k, NULL, NULL, &r);
	*exists = 0;
	if (rc == 0) {
		*exists = 1;
		out->headers = 1;
		out->size = r.size;
		snprintf(out->etag, sizeof out->etag, "%s", r.etag);
		static const struct {
			const char *name;
			size_t off, size;
		} fields[] = {
		    {"content-type", offsetof(cp_object_info, content_type), CP_HEADER_MAX},
		    {"cache-control", offsetof(cp_object_info, cache_control), CP_HEADER_MAX},
		    {"content-encoding", offsetof(cp_object_info, content_encoding), 64},
		    {"content-disposition", offsetof(cp_object_info, content_disposition),
		     CP_HEADER_MAX},
		};
		for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
			const char *v = cp_s3_result_header(&r, fields[f].name);
			char *dst = (char *)out + fields[f].off;
			if (v) {
				out->truncated |= strlen(v) >= fields[f].size;
				snprintf(dst, fields[f].size, "%s", v);
			}
		}
		head_meta(&r, out);
	} else if (r.status == 404) {
		rc = 0;
	} else {
		fail(err, &r, k);
	}
	cp_s3_result_free(&r);
	free(k);
	return rc;
}

static int s3t_etag(cp_target *t, const char *key, char out[CP_ETAG_MAX], cp_error *err)
{
	cp_object_info o = {0};
	int exists = 0;
	int rc = s3t_head(t, key, &o, &exists, err);
	if (!rc && !exists)
		rc = cp_error_set(err, key, 0, 0, "no longer there");
	if (!rc)
		snprintf(out, CP_ETAG_MAX, "%s", o.etag);
	return rc;
}

static int s3t_fetch(cp_target *t, const char *key, const char *local, int *exists, cp_error *err)
{
	struct s3_target *s = st(t);
	char *k = full_key(s, key);
	cp_s3_result r = {0};
	int rc = cp_s3_get_file(s->client, s->bucket, k, local, NULL, NULL, &r);
	*exists = rc == 0;
	if (rc && r.status == 404)
		rc = 0;
	else if (rc)
		fail(err, &r, k);
	cp_s3_result_free(&r);
	free(k);
	return rc;
}

struct del_ctx {
	cp_diags *diags;
	size_t failed;
};

static void del_fail(void *ctx, const char *key, const char *code, const char *msg)
{
	struct del_ctx *c = ctx;
	c->failed++;
	if (c->diags)
		cp_diags_add(c->diags, CP_DIAG_ERROR, key, 0, 0, "cannot delete: %s%s%s",
			     code ? code : "", code && msg ? ": " : "", msg ? msg : "");
}

static int s3t_del(cp_target *t, const char *const *keys, size_t n, cp_diags *diags, cp_error *err)
{
	struct s3_target *s = st(t);
	char **full = cp_xmalloc(n * sizeof *full);
	for (size_t i = 0; i < n; i++)
		full[i] = full_key(s, keys[i]);
	struct del_ctx c = {diags, 0};
	int rc;
	if (n == 1) { /* one DeleteObject: no XML body, and no store lacks it */
		cp_s3_result r = {0};
		rc = cp_s3_delete_one(s->client, s->bucket, full[0], NULL, NULL, &r);
		if (rc)
			del_fail(&c, full[0], r.code[0] ? r.code : NULL, r.err.msg), rc = 0;
		cp_s3_result_free(&r);
	} else {
		rc = cp_s3_delete(s->client, s->bucket, (const char *const *)full, n, del_fail, &c,
				  err);
	}
	for (size_t i = 0; i < n; i++)
		free(full[i]);
	free(full);
	if (!rc && c.failed)
		rc = cp_error_set(err, "", 0, 0, "%zu of %zu deletions failed", c.failed, n);
	return rc;
}

static void map_headers(const cp_put_headers *h, cp_s3_put_headers *sh)
{
	memset(sh, 0, sizeof *sh);
	sh->content_type = h->content_type;
	sh->cache_control = h->cache_control;
	sh->content_encoding = h->content_encoding;
	sh->acl = h->acl;
	sh->content_disposition = h->content_disposition;
	sh->meta = h->meta;
	sh->nmeta = h->nmeta;
}

static int s3t_set_headers(cp_target *t, const char *key, const cp_put_headers *h, cp_error *err)
{
	struct s3_target *s = st(t);
	char *k = full_key(s, key);
	cp_s3_put_headers sh;
	map_headers(h, &sh);
	cp_s3_result r = {0};
	int rc = cp_s3_copy(s->client, s->bucket, k, s->bucket, k, &sh, NULL, NULL, &r);
	if (rc)
		fail(err, &r, k);
	cp_s3_result_free(&r);
	free(k);
	return rc;
}

/* ---- notes of multipart uploads in flight ---------------------------------- */

#define NOTE_MAGIC "cdnpipe-upload 1\n"

struct note {
	struct s3_target *s;
	char *key; /* full key */
	char *file;
	int fd; /* locked while the upload runs */
};

static void hex_line(cp_buf *b, const char *name, const char *v)
{
	size_t n = strlen(v);
	char *h = cp_xmalloc(2 * n + 1);
	cp_hex((const unsigned char *)v, n, h);
	cp_buf_printf(b, "%s %s\n", name, h);
	free(h);
}

/* The value of "name HEX" in a note, decoded; NULL when absent or bad. */
static char *note_get(const char *text, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, name, nl) || p[nl] != ' ')
			continue;
		const char *v = p + nl + 1, *e = strchr(v, '\n');
		size_t n = e ? (size_t)(e - v) : 0;
		if (!n || n % 2)
			return NULL;
		char *out = cp_xcalloc(n / 2 + 1, 1);
		if (cp_unhex(v, (unsigned char *)out, n / 2) || memchr(out, 0, n / 2)) {
			free(out);
			return NULL;
		}
		return out;
	}
	return NULL;
}

/* on_create, on the engine thread: the note, written under a temporary name,
 * locked, then renamed to its place (so a sweeper never sees it unlocked). */
/* A note's file name: the hash of what it names, so a note copied under
 * another name (its lock then not held) names nothing a sweep acts on. */
static void note_name(const char *endpoint, const char *bucket, const char *key, const char *id,
		      char hex[33])
{
	unsigned char d[32];
	char *all = cp_xasprintf("%s\n%s\n%s\n%s", endpoint, bucket, key, id);
	cp_sha256(all, strlen(all), d);
	cp_hex(d, 16, hex);
	free(all);
}

static void note_create(void *ctx, const char *upload_id, uint64_t part_size)
{
	(void)part_size;
	struct note *n = ctx;
	char *dir = cp_xdg_cache_dir("uploads");
	cp_error err = {0};
	char hex[33];
	note_name(n->s->cfg.endpoint, n->s->bucket, n->key, upload_id, hex);
	n->file = cp_xasprintf("%s/%s.mpu", dir, hex);
	cp_buf b = CP_BUF_INIT;
	cp_buf_puts(&b, NOTE_MAGIC);
	hex_line(&b, "endpoint", n->s->cfg.endpoint);
	hex_line(&b, "bucket", n->s->bucket);
	hex_line(&b, "key", n->key);
	hex_line(&b, "upload", upload_id);
	char *tmp = NULL;
	/* private: a note another user could write would have this user's
	 * credentials abort the upload it names */
	int fd = cp_private_dir(dir, &err) ? -1 : cp_create_tmp(n->file, &tmp, &err);
	if (fd >= 0 && (fchmod(fd, 0600) || flock(fd, LOCK_EX) || cp_write_all(fd, b.data, b.len) ||
			rename(tmp, n->file))) {
		close(fd);
		unlink(tmp);
		fd = -1;
	}
	if (fd < 0)
		cp_log(CP_LOG_INFO, "cannot note the multipart upload of %s in %s", n->key, dir);
	n->fd = fd;
	free(tmp);
	free(dir);
	cp_buf_free(&b);
}

static struct note *note_new(struct s3_target *s, const char *key, cp_s3_file_opts *fo)
{
	struct note *n = cp_xcalloc(1, sizeof *n);
	n->s = s;
	n->key = cp_xstrdup(key);
	n->fd = -1;
	fo->on_create = note_create;
	fo->hook_ctx = n;
	return n;
}

/* The upload ended: completed, or failed and aborted by the client.  The
 * note goes only after a success; after a failure the next run aborts the
 * upload again (NoSuchUpload is success), in case this abort did not land. */
static void note_end(struct note *n, int ok)
{
	if (n->fd >= 0) {
		if (ok)
			unlink(n->file);
		close(n->fd);
	}
	free(n->file);
	free(n->key);
	free(n);
}

/* Aborts the uploads that notes of dead runs name on this endpoint and
 * bucket; once per target, before its first put. */
static void sweep_notes(struct s3_target *s)
{
	pthread_mutex_lock(&s->sweep_lock);
	if (s->swept++) {
		pthread_mutex_unlock(&s->sweep_lock);
		return;
	}
	char *dir = cp_xdg_cache_dir("uploads");
	cp_error pe = {0};
	DIR *d = cp_private_dir(dir, &pe) ? NULL : opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".mpu"))
			continue;
		char *file = cp_path_join(dir, de->d_name);
		int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		cp_buf b = CP_BUF_INIT;
		cp_error err = {0};
		struct stat st;
		if (fd < 0 || fstat(fd, &st) || st.st_uid != geteuid() ||
		    flock(fd, LOCK_EX | LOCK_NB) || cp_read_file(file, &b, &err)) {
			if (fd >= 0)
				close(fd);
			cp_buf_free(&b);
			free(file);
			continue; /* a run in progress owns it */
		}
		char *ep = NULL, *bucket = NULL, *key = NULL, *id = NULL;
		int ours = 0, bad = strncmp(b.data, NOTE_MAGIC, strlen(NOTE_MAGIC)) != 0;
		if (!bad) {
			ep = note_get(b.data, "endpoint"), bucket = note_get(b.data, "bucket");
			key = note_get(b.data, "key"), id = note_get(b.data, "upload");
			bad = !ep || !bucket || !key || !id;
			char hex[33];
			if (!bad) {
				note_name(ep, bucket, key, id, hex);
				bad =
				    strncmp(de->d_name, hex, 32) || strcmp(de->d_name + 32, ".mpu");
			}
			ours = !bad && !strcmp(ep, s->cfg.endpoint) && !strcmp(bucket, s->bucket);
		}
		cp_s3_result r = {0};
		if (bad ||
		    (ours && cp_s3_mpu_abort(s->client, bucket, key, id, NULL, NULL, &r) == 0)) {
			if (ours)
				cp_log(CP_LOG_INFO,
				       "aborted the multipart upload of s3://%s/%s that a "
				       "killed run left",
				       bucket, key);
			unlink(file); /* done with, or unreadable (never written whole) */
		}
		cp_s3_result_free(&r);
		close(fd);
		free(ep), free(bucket), free(key), free(id);
		cp_buf_free(&b);
		free(file);
	}
	if (d)
		closedir(d);
	free(dir);
	pthread_mutex_unlock(&s->sweep_lock);
}

static int s3t_put(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
		   const unsigned char *md5, cp_error *err)
{
	struct s3_target *s = st(t);
	char *k = full_key(s, key);
	cp_s3_put_headers sh;
	map_headers(h, &sh);
	cp_s3_file_opts fo = {.threshold = s->threshold, .part_size = s->part_size, .md5 = md5};
	sweep_notes(s);
	struct note *n = note_new(s, k, &fo);
	cp_s3_result r = {0};
	int rc = cp_s3_put_file(s->client, s->bucket, k, local, &sh, &fo, NULL, NULL, &r);
	note_end(n, rc == 0);
	if (rc)
		fail(err, &r, k);
	cp_s3_result_free(&r);
	free(k);
	return rc;
}

struct async_put {
	void (*done)(void *ctx, const cp_error *e);
	void *ctx;
	struct note *note;
};

/* On the client's engine thread: map the result and hand it on. */
static void put_done(void *ctx, const cp_s3_result *r)
{
	struct async_put *a = ctx;
	note_end(a->note, r->ok);
	if (r->ok) {
		a->done(a->ctx, NULL);
	} else {
		cp_error e = {0};
		fail(&e, r, "");
		a->done(a->ctx, &e);
	}
	free(a);
}

/* The publisher's fast path: no thread per request, the engine calls back. */
static int s3t_put_async(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
			 const unsigned char *md5, void (*done)(void *ctx, const cp_error *e),
			 void *ctx)
{
	struct s3_target *s = st(t);
	char *k = full_key(s, key);
	cp_s3_put_headers sh;
	map_headers(h, &sh);
	cp_s3_file_opts fo = {.threshold = s->threshold, .part_size = s->part_size, .md5 = md5};
	sweep_notes(s);
	struct async_put *a = cp_xmalloc(sizeof *a);
	a->done = done;
	a->ctx = ctx;
	a->note = note_new(s, k, &fo);
	int rc = cp_s3_put_file(s->client, s->bucket, k, local, &sh, &fo, put_done, a, NULL);
	free(k);
	return rc;
}

static void s3t_wait_below(cp_target *t, size_t n)
{
	cp_s3_wait_below(st(t)->client, n);
}

static uint64_t s3t_part_size(const cp_target *t, uint64_t size)
{
	const struct s3_target *s = st(t);
	return size >= s->threshold ? cp_s3_part_size(size, s->part_size) : 0;
}

static char *s3t_identity(const cp_target *t)
{
	const struct s3_target *s = st(t);
	return cp_xasprintf("s3 %s %s/%s", s->cfg.endpoint, s->bucket, s->prefix);
}

static void s3t_close(cp_target *t)
{
	struct s3_target *s = st(t);
	if (s->client)
		cp_s3_free(s->client);
	cp_s3_config_free(&s->cfg);
	free(s->bucket);
	free(s->prefix);
	pthread_mutex_destroy(&s->sweep_lock);
	free(s);
}

static const struct cp_target_ops s3_ops = {
    .scheme = "s3",
    .list = s3t_list,
    .etag = s3t_etag,
    .put = s3t_put,
    .fetch = s3t_fetch,
    .del = s3t_del,
    .head = s3t_head,
    .set_headers = s3t_set_headers,
    .put_async = s3t_put_async,
    .wait_below = s3t_wait_below,
    .part_size = s3t_part_size,
    .identity = s3t_identity,
    .close = s3t_close,
};

int cp_target_s3_open(const char *url, const cp_s3_settings *set, cp_target **out, cp_error *err)
{
	static const cp_s3_settings defaults = {.addressing = CP_S3_ADDR_AUTO};
	set = set ? set : &defaults;
	cp_s3_target where = {0};
	int rc = cp_s3_target_parse(url, &where, err);
	if (rc)
		return rc;
	struct s3_target *s = cp_xcalloc(1, sizeof *s);
	s->base.ops = &s3_ops;
	pthread_mutex_init(&s->sweep_lock, NULL);
	s->bucket = where.bucket;
	s->prefix = where.prefix;
	s->threshold = set->multipart_threshold ? set->multipart_threshold : 64ull << 20;
	s->part_size = set->part_size;
	cp_s3_overrides ov = {
	    .endpoint = set->endpoint,
	    .region = set->region,
	    .profile = set->profile,
	    .addressing = set->addressing,
	};
	rc = cp_s3_config_load(&s->cfg, &ov, err);
	if (!rc) {
		s->client = cp_s3_new(&s->cfg, set->concurrency, set->retries, err);
		if (!s->client)
			rc = err && err->set
				 ? CP_ERR_BUILD
				 : cp_error_set(err, url, 0, 0, "cannot start the S3 client");
	}
	if (rc) {
		s3t_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}
