/*
 * s3_file.c - whole files: multipart uploads and verified downloads.
 *
 * Multipart.  cp_s3_put_file is a small state machine driven by the
 * completion callbacks of its steps (create -> parts -> complete, or
 * abort), so it never holds a thread while parts are in flight.  All parts
 * are submitted at once: a part is only a file name and a range until the
 * engine starts it, so a 5 GiB file costs a few hundred small structs, and
 * the engine's concurrency bound decides how many are on the wire.  A
 * counter set before the first part is submitted (plus one held by the
 * submitter) tells which completion is the last, whichever thread it runs
 * on.  Any failure ends in an abort (unless the caller keeps the upload to
 * resume it), so no orphaned parts keep costing storage.
 *
 * Downloads.  cp_s3_get_file writes to a temporary name beside the target,
 * hashing the body as it arrives (one pass, no re-read), checks its length
 * and, when the ETag is a plain MD5, its digest, sets the object's mtime and
 * renames into place.  A reader never sees a partial file.
 */
#include "upload/s3/s3_int.h"

#include "lib/digest.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ headers kept for later steps
 */

static void copy_headers(cp_s3_put_headers *d, const cp_s3_put_headers *h)
{
	memset(d, 0, sizeof(*d));
	if (!h)
		return;
#define DUP(f) d->f = h->f ? cp_xstrdup(h->f) : NULL
	DUP(content_type);
	DUP(cache_control);
	DUP(content_encoding);
	DUP(content_disposition);
	DUP(acl);
#undef DUP
	if (h->nmeta) {
		cp_s3_header *m = cp_xcalloc(h->nmeta, sizeof(*m));
		for (size_t i = 0; i < h->nmeta; i++) {
			m[i].name = cp_xstrdup(h->meta[i].name);
			m[i].value = cp_xstrdup(h->meta[i].value);
		}
		d->meta = m;
		d->nmeta = h->nmeta;
	}
}

static void free_put_headers(cp_s3_put_headers *d)
{
	free((char *)d->content_type);
	free((char *)d->cache_control);
	free((char *)d->content_encoding);
	free((char *)d->content_disposition);
	free((char *)d->acl);
	for (size_t i = 0; i < d->nmeta; i++) {
		free(d->meta[i].name);
		free(d->meta[i].value);
	}
	free((cp_s3_header *)d->meta);
}

/* ------------------------------------------------------------------ multipart */

typedef struct mpu mpu;
typedef struct part_ctx {
	mpu *m;
	int number;
} part_ctx;

struct mpu {
	cp_s3 *s;
	char *bucket, *key, *path;
	cp_s3_put_headers h;
	uint64_t size, part_size;
	int nparts;
	cp_s3_part *parts; /* index number-1 */
	unsigned char *have;
	part_ctx *pctx;
	char *upload_id;
	int resumed, restarted, keep;
	int outstanding; /* atomic */
	int failed;	 /* atomic: 1 once a part failed */
	int no_upload;	 /* a part said NoSuchUpload */
	cp_s3_result fail;
	void (*on_create)(void *, const char *, uint64_t);
	void (*on_part)(void *, const cp_s3_part *);
	void *hook_ctx;
	cp_s3_done_fn done;
	void *ctx;
};

static void mpu_free(mpu *m)
{
	free(m->bucket);
	free(m->key);
	free(m->path);
	free_put_headers(&m->h);
	free(m->parts);
	free(m->have);
	free(m->pctx);
	free(m->upload_id);
	cp_s3_result_free(&m->fail);
	free(m);
}

static void mpu_finish(mpu *m, const cp_s3_result *res)
{
	cp_s3 *s = m->s;
	m->done(m->ctx, res);
	mpu_free(m);
	s3_op_end(s);
}

static void mpu_create(mpu *m);
static void mpu_send_parts(mpu *m);

static void on_aborted(void *ctx, const cp_s3_result *res)
{
	mpu *m = ctx;
	if (res->ok) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%.990s (upload aborted)", m->fail.err.msg);
		memcpy(m->fail.err.msg, msg, sizeof(msg));
	} else {
		char msg[700];
		snprintf(msg, sizeof(msg), "%.300s; aborting the upload failed too: %.280s",
			 m->fail.err.msg, res->err.msg);
		snprintf(m->fail.err.msg, sizeof(m->fail.err.msg), "%s", msg);
	}
	mpu_finish(m, &m->fail);
}

/* The ETag S3 gives the completed object: MD5 of the part MD5s, "-N". */
static int expected_etag(const mpu *m, char out[48])
{
	cp_md5_ctx c;
	cp_md5_init(&c);
	int ok = 1;
	for (int i = 0; i < m->nparts; i++) {
		unsigned char d[16];
		const char *e = m->parts[i].etag;
		if (strlen(e) != 32)
			ok = 0;
		for (int k = 0; ok && k < 16; k++) {
			unsigned v;
			if (sscanf(e + 2 * k, "%2x", &v) != 1)
				ok = 0;
			d[k] = (unsigned char)v;
		}
		if (ok)
			cp_md5_update(&c, d, 16);
	}
	unsigned char d[16];
	cp_md5_final(&c, d);
	cp_hex(d, 16, out);
	snprintf(out + 32, 16, "-%d", m->nparts);
	return ok;
}

/* After a lost answer to CompleteMultipartUpload, is our object there?  Only
 * an ETag built from exactly our parts proves it (servers that give a plain
 * MD5, like s3rver, cannot be told apart from an older object: the failure
 * stands there). */
static void on_checked(void *ctx, const cp_s3_result *res)
{
	mpu *m = ctx;
	char want[48];
	if (res->ok && res->size == m->size && expected_etag(m, want) &&
	    strcasecmp(res->etag, want) == 0) {
		cp_s3_result ok = *res;
		ok.nheaders = 0;
		ok.headers = NULL;
		mpu_finish(m, &ok);
		return;
	}
	if (m->keep)
		mpu_finish(m, &m->fail);
	else /* the upload may still exist: leave no parts behind */
		cp_s3_mpu_abort(m->s, m->bucket, m->key, m->upload_id, on_aborted, m, NULL);
}

static void on_completed(void *ctx, const cp_s3_result *res)
{
	mpu *m = ctx;
	if (res->ok) {
		mpu_finish(m, res);
		return;
	}
	s3_result_copy(&m->fail, res);
	if (res->status != 400 && res->status != 403) {
		/* An earlier attempt may have completed the upload and lost its
		 * answer (curl itself resends on a reused connection that closes
		 * without one, so `attempts` cannot tell): the retry then finds
		 * the upload gone.  The object tells. */
		cp_s3_head(m->s, m->bucket, m->key, on_checked, m, NULL);
		return;
	}
	if (m->keep)
		mpu_finish(m, &m->fail);
	else
		cp_s3_mpu_abort(m->s, m->bucket, m->key, m->upload_id, on_aborted, m, NULL);
}

/* The last part is in (or failed): complete, restart or abort. */
static void mpu_settle(mpu *m)
{
	if (__atomic_sub_fetch(&m->outstanding, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (__atomic_load_n(&m->failed, __ATOMIC_ACQUIRE)) {
		if (m->no_upload && m->resumed && !m->restarted) {
			/* the server forgot the upload we resumed: start over */
			m->restarted = 1;
			m->failed = 0;
			m->no_upload = 0;
			memset(m->have, 0, (size_t)m->nparts);
			cp_s3_result_free(&m->fail);
			memset(&m->fail, 0, sizeof(m->fail));
			mpu_create(m);
			return;
		}
		if (m->keep)
			mpu_finish(m, &m->fail);
		else
			cp_s3_mpu_abort(m->s, m->bucket, m->key, m->upload_id, on_aborted, m, NULL);
		return;
	}
	cp_s3_mpu_complete(m->s, m->bucket, m->key, m->upload_id, m->parts, (size_t)m->nparts,
			   on_completed, m, NULL);
}

static void on_part(void *ctx, const cp_s3_result *res)
{
	part_ctx *pc = ctx;
	mpu *m = pc->m;
	cp_s3_part *p = &m->parts[pc->number - 1];
	if (res->ok) {
		snprintf(p->etag, sizeof(p->etag), "%s", res->etag);
		m->have[pc->number - 1] = 1;
		if (m->on_part)
			m->on_part(m->hook_ctx, p);
	} else if (!__atomic_exchange_n(&m->failed, 1, __ATOMIC_ACQ_REL)) {
		/* the first failure is the one reported */
		s3_result_copy(&m->fail, res);
		snprintf(m->fail.err.msg, sizeof(m->fail.err.msg), "part %d: %.900s", pc->number,
			 res->err.msg);
		m->no_upload = strcmp(res->code, "NoSuchUpload") == 0;
	} else if (strcmp(res->code, "NoSuchUpload") == 0) {
		m->no_upload = 1;
	}
	mpu_settle(m);
}

static void mpu_send_parts(mpu *m)
{
	int todo = 0;
	for (int i = 0; i < m->nparts; i++)
		todo += !m->have[i];
	/* +1: the submitter's own share, so no completion can see zero before
	 * every part was submitted. */
	__atomic_store_n(&m->outstanding, todo + 1, __ATOMIC_RELEASE);
	for (int i = 0; i < m->nparts; i++) {
		if (m->have[i])
			continue;
		uint64_t off = (uint64_t)i * m->part_size;
		cp_s3_body b = {0};
		b.file = m->path;
		b.offset = off;
		b.length = m->size - off < m->part_size ? m->size - off : m->part_size;
		m->pctx[i].m = m;
		m->pctx[i].number = i + 1;
		m->parts[i].number = i + 1;
		cp_s3_mpu_part(m->s, m->bucket, m->key, m->upload_id, i + 1, &b, on_part,
			       &m->pctx[i], NULL);
	}
	mpu_settle(m);
}

static void on_created(void *ctx, const cp_s3_result *res)
{
	mpu *m = ctx;
	if (!res->ok) {
		mpu_finish(m, res);
		return;
	}
	free(m->upload_id);
	m->upload_id = cp_xstrdup(res->upload_id);
	if (m->on_create)
		m->on_create(m->hook_ctx, m->upload_id, m->part_size);
	mpu_send_parts(m);
}

static void mpu_create(mpu *m)
{
	cp_s3_mpu_create(m->s, m->bucket, m->key, &m->h, on_created, m, NULL);
}

int cp_s3_put_file(cp_s3 *s, const char *bucket, const char *key, const char *path,
		   const cp_s3_put_headers *h, const cp_s3_file_opts *o, cp_s3_done_fn done,
		   void *ctx, cp_s3_result *res)
{
	static const cp_s3_file_opts defaults = {0};
	if (!o)
		o = &defaults;
	struct stat st;
	if (stat(path, &st) != 0) {
		cp_error err = {0};
		cp_error_set(&err, path, 0, 0, "cannot read: %s", strerror(errno));
		return s3_fail_early(s, &err, done, ctx, res);
	}
	uint64_t size = (uint64_t)st.st_size;
	uint64_t threshold = o->threshold ? o->threshold : (64ull << 20);
	if (size < threshold && !o->resume_upload_id) {
		cp_s3_body b = {0};
		b.file = path;
		b.length = UINT64_MAX;
		b.md5 = o->md5;
		return cp_s3_put(s, bucket, key, &b, h, done, ctx, res);
	}
	s3_waiter *w = NULL;
	if (!done) {
		w = s3_waiter_new(res);
		done = s3_waiter_done;
		ctx = w;
	}
	mpu *m = cp_xcalloc(1, sizeof(*m));
	m->s = s;
	m->bucket = cp_xstrdup(bucket);
	m->key = cp_xstrdup(key);
	m->path = cp_xstrdup(path);
	copy_headers(&m->h, h);
	m->size = size;
	m->part_size = cp_s3_part_size(size, o->part_size);
	m->nparts = size ? (int)((size + m->part_size - 1) / m->part_size) : 1;
	m->parts = cp_xcalloc((size_t)m->nparts, sizeof(*m->parts));
	m->have = cp_xcalloc((size_t)m->nparts, 1);
	m->pctx = cp_xcalloc((size_t)m->nparts, sizeof(*m->pctx));
	m->keep = o->keep_on_failure;
	m->on_create = o->on_create;
	m->on_part = o->on_part;
	m->hook_ctx = o->hook_ctx;
	m->done = done;
	m->ctx = ctx;
	for (int i = 0; i < m->nparts; i++)
		m->parts[i].number = i + 1;
	s3_op_begin(s);
	if (o->resume_upload_id) {
		m->resumed = 1;
		m->upload_id = cp_xstrdup(o->resume_upload_id);
		for (size_t i = 0; i < o->ndone_parts; i++) {
			int n = o->done_parts[i].number;
			if (n >= 1 && n <= m->nparts && o->done_parts[i].etag[0]) {
				m->parts[n - 1] = o->done_parts[i];
				m->have[n - 1] = 1;
			}
		}
		mpu_send_parts(m);
	} else {
		mpu_create(m);
	}
	return w ? s3_waiter_wait(w) : 0;
}

/* ------------------------------------------------------------------ downloads */

typedef struct dl {
	char *path, *tmp;
	int fd;
} dl;

static void dl_fail(s3_req *r, const char *fmt, const char *arg)
{
	r->res.ok = 0;
	r->res.err.set = 1;
	snprintf(r->res.err.msg, sizeof(r->res.err.msg), fmt, arg);
}

static void finish_download(s3_req *r)
{
	dl *d = r->op;
	if (r->res.ok) {
		const char *cl = cp_s3_result_header(&r->res, "content-length");
		r->res.size = r->nbody;
		if (cl && strtoull(cl, NULL, 10) != r->nbody)
			dl_fail(r, "%s: short download", "body shorter than Content-Length");
	}
	if (r->res.ok && r->res.etag[0] && cp_etag_form(r->res.etag, NULL) == CP_ETAG_MD5 &&
	    strlen(r->res.etag) == 32) {
		char hex[33];
		cp_hex(r->res_md5, 16, hex);
		if (strcasecmp(hex, r->res.etag) != 0)
			dl_fail(r, "downloaded bytes do not match the ETag (MD5 %s)", hex);
	}
	if (r->res.ok && r->res.mtime) {
		struct timespec ts[2] = {{r->res.mtime, 0}, {r->res.mtime, 0}};
		futimens(d->fd, ts);
	}
	if (close(d->fd) != 0 && r->res.ok)
		dl_fail(r, "cannot write: %s", strerror(errno));
	if (r->res.ok && rename(d->tmp, d->path) != 0)
		dl_fail(r, "cannot rename into place: %s", strerror(errno));
	if (!r->res.ok)
		unlink(d->tmp);
	free(d->path);
	free(d->tmp);
	free(d);
	cp_s3 *s = r->s;
	r->done(r->done_ctx, &r->res);
	s3_req_free(r);
	s3_op_end(s);
}

int cp_s3_get_file(cp_s3 *s, const char *bucket, const char *key, const char *path,
		   cp_s3_done_fn done, void *ctx, cp_s3_result *res)
{
	cp_error err = {0};
	if (cp_mkdirs_for(path, &err) != 0)
		goto fail;
	dl *d = cp_xcalloc(1, sizeof(*d));
	d->path = cp_xstrdup(path);
	d->tmp = cp_tmp_name(path);
	d->fd = open(d->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (d->fd < 0) {
		cp_error_set(&err, path, 0, 0, "cannot create: %s", strerror(errno));
		free(d->path);
		free(d->tmp);
		free(d);
		goto fail;
	}
	s3_req *r = s3_req_new(s, "GET", bucket, key);
	r->want_headers = 1;
	r->to_fd = 1;
	r->fd = d->fd;
	r->md5_stream = 1;
	r->op = d;
	r->finish = finish_download;
	return s3_run(r, done, ctx, res);
fail:
	return s3_fail_early(s, &err, done, ctx, res);
}
