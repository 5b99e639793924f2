/*
 * s3_ops.c - S3 operations as requests: building them, reading the answers.
 *
 * Each operation fills an s3_req (method, bucket, key, query, headers, body)
 * and a finish function that reads the reply into a cp_s3_result; the engine
 * does the rest.  The blocking form of every operation is the async form
 * plus a waiter, so there is one code path to test.
 *
 * URLs are built in s3_url.c and failures explained in s3_explain.c, both
 * below this file and the engine (no file cycle).
 */
#include "upload/s3/s3_int.h"

#include "lib/log.h"

#include "lib/digest.h"
#include "lib/strmap.h"

#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

/* ------------------------------------------------------------------ running */

static void finish_simple(s3_req *r)
{
	cp_s3 *s = r->s;
	r->done(r->done_ctx, &r->res);
	s3_req_free(r);
	s3_op_end(s);
}

int s3_run(s3_req *r, cp_s3_done_fn done, void *ctx, cp_s3_result *res)
{
	s3_waiter *w = NULL;
	if (!done) {
		w = s3_waiter_new(res);
		done = s3_waiter_done;
		ctx = w;
	}
	r->done = done;
	r->done_ctx = ctx;
	if (!r->finish)
		r->finish = finish_simple;
	s3_op_begin(r->s);
	s3_submit(r);
	return w ? s3_waiter_wait(w) : 0;
}

static void apply_headers(s3_req *r, const cp_s3_put_headers *h)
{
	if (!h)
		return;
	if (h->content_type)
		s3_req_add_header(r, "content-type", h->content_type);
	if (h->cache_control)
		s3_req_add_header(r, "cache-control", h->cache_control);
	if (h->content_encoding)
		s3_req_add_header(r, "content-encoding", h->content_encoding);
	if (h->content_disposition)
		s3_req_add_header(r, "content-disposition", h->content_disposition);
	if (h->acl)
		s3_req_add_header(r, "x-amz-acl", h->acl);
	for (size_t i = 0; i < h->nmeta; i++) {
		char *n = cp_xasprintf("x-amz-meta-%s", h->meta[i].name);
		for (char *p = n; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		s3_req_add_header(r, n, h->meta[i].value);
		free(n);
	}
}

/* Sets the body; memory bodies are hashed here (they are small). */
static int apply_body(s3_req *r, const cp_s3_body *b, cp_error *err)
{
	if (b->file) {
		struct stat st;
		if (stat(b->file, &st) != 0)
			return cp_error_set(err, b->file, 0, 0, "cannot read: %m");
		uint64_t size = (uint64_t)st.st_size;
		if (b->offset > size)
			return cp_error_set(err, b->file, 0, 0, "offset past the end of the file");
		r->body_kind = S3_BODY_FILE;
		r->file = cp_xstrdup(b->file);
		r->off = b->offset;
		r->len = b->length == UINT64_MAX || b->offset + b->length > size ? size - b->offset
										 : b->length;
	} else {
		unsigned char sha[32];
		r->body_kind = S3_BODY_MEM;
		r->len = b->len;
		r->body_data = cp_xmalloc(b->len ? b->len : 1);
		if (b->len)
			memcpy(r->body_data, b->data, b->len);
		cp_sha256(r->body_data, r->len, sha);
		cp_hex(sha, 32, r->sha256);
		if (!b->md5)
			cp_md5(r->body_data, r->len, r->md5);
		r->have_md5 = 1;
	}
	if (b->md5) {
		memcpy(r->md5, b->md5, 16);
		r->have_md5 = 1;
	}
	r->send_md5 = 1;
	return 0;
}

/* Reports a failure before anything was submitted, in the chosen mode. */
/* Reports a failure found before anything was sent, in the caller's mode.
 * An async caller still hears about it on the engine thread, as promised:
 * a callback run inside the submit call could deadlock a caller that holds
 * a lock its callback takes. */
int s3_fail_early(cp_s3 *s, const cp_error *err, cp_s3_done_fn done, void *ctx, cp_s3_result *res)
{
	if (!done) {
		memset(res, 0, sizeof(*res));
		res->err = *err;
		res->err.set = 1;
		return CP_ERR_BUILD;
	}
	s3_req *r = s3_req_new(s, "GET", "", NULL);
	r->res.err = *err;
	r->res.err.set = 1;
	r->prep_failed = 1; /* the engine finishes it without sending */
	r->done = done;
	r->done_ctx = ctx;
	r->finish = finish_simple;
	s3_op_begin(s);
	s3_submit(r);
	return 0;
}

/* ------------------------------------------------------------------ objects */

int cp_s3_put(cp_s3 *s, const char *bucket, const char *key, const cp_s3_body *body,
	      const cp_s3_put_headers *h, cp_s3_done_fn done, void *ctx, cp_s3_result *res)
{
	s3_req *r = s3_req_new(s, "PUT", bucket, key);
	cp_error err = {0};
	if (apply_body(r, body, &err) != 0) {
		s3_req_free(r);
		return s3_fail_early(s, &err, done, ctx, res);
	}
	apply_headers(r, h);
	return s3_run(r, done, ctx, res);
}

int cp_s3_head(cp_s3 *s, const char *bucket, const char *key, cp_s3_done_fn done, void *ctx,
	       cp_s3_result *res)
{
	s3_req *r = s3_req_new(s, "HEAD", bucket, key);
	r->want_headers = 1;
	return s3_run(r, done, ctx, res);
}

int cp_s3_get_fd(cp_s3 *s, const char *bucket, const char *key, int fd, uint64_t range_off,
		 uint64_t range_len, cp_s3_done_fn done, void *ctx, cp_s3_result *res)
{
	s3_req *r = s3_req_new(s, "GET", bucket, key);
	r->want_headers = 1;
	r->to_fd = 1;
	r->fd = fd;
	r->fd_start = lseek(fd, 0, SEEK_CUR);
	if (r->fd_start < 0)
		r->fd_start = 0;
	if (range_len) {
		char range[64];
		snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)range_off,
			 (unsigned long long)(range_off + range_len - 1));
		s3_req_add_header(r, "range", range);
	}
	return s3_run(r, done, ctx, res);
}

int cp_s3_copy(cp_s3 *s, const char *src_bucket, const char *src_key, const char *dst_bucket,
	       const char *dst_key, const cp_s3_put_headers *h, cp_s3_done_fn done, void *ctx,
	       cp_s3_result *res)
{
	s3_req *r = s3_req_new(s, "PUT", dst_bucket, dst_key);
	char *src = cp_s3_copy_source(src_bucket, src_key);
	s3_req_add_header(r, "x-amz-copy-source", src);
	free(src);
	s3_req_add_header(r, "x-amz-metadata-directive", h ? "REPLACE" : "COPY");
	apply_headers(r, h);
	r->error_in_200 = 1;
	r->expect_root = "CopyObjectResult"; /* a cut 200 proves no copy */
	return s3_run(r, done, ctx, res);
}

/* CopyObjectResult / CopyPartResult carry the ETag in the body. */
/* Printable ASCII only: what an ETag or an UploadId is made of, and what
 * can go into a URL, a header and a journal line unescaped. */
static int printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* The ETag of an UploadPartCopy or CompleteMultipartUpload answer (op). */
static void take_etag(s3_req *r, const char *op)
{
	if (r->res.ok && r->resp.data) {
		char *etag = cp_xml_get(r->resp.data, r->resp.len, NULL, "ETag");
		if (etag) {
			size_t n = strlen(etag);
			const char *e = etag;
			if (n >= 2 && e[0] == '"')
				e++, n -= 2;
			if (n < sizeof(r->res.etag) && printable(e, n)) {
				memcpy(r->res.etag, e, n);
				r->res.etag[n] = 0;
			}
			free(etag);
		}
		/* no ETag that can be one: nothing proves the copy or the
		 * Complete happened as asked */
		if (!r->res.etag[0]) {
			r->res.ok = 0;
			char path[sizeof r->res.err.path];
			memcpy(path, r->res.err.path, sizeof path);
			cp_error_set(&r->res.err, path, 0, 0,
				     "%s answered without a usable ETag: not taken as done", op);
		}
	}
	finish_simple(r);
}

static void finish_copy_etag(s3_req *r)
{
	take_etag(r, "UploadPartCopy");
}

/* ------------------------------------------------------------------ multipart steps */

static void finish_create(s3_req *r)
{
	if (r->res.ok) {
		r->res.upload_id =
		    r->resp.data ? cp_xml_get(r->resp.data, r->resp.len, NULL, "UploadId") : NULL;
		const char *id = r->res.upload_id;
		if (!id || !*id || strlen(id) > 1024 || !printable(id, strlen(id))) {
			char path[sizeof r->res.err.path];
			memcpy(path, r->res.err.path, sizeof path);
			cp_error_set(&r->res.err, path, 0, 0,
				     "%s: CreateMultipartUpload: %s UploadId in the reply", path,
				     id ? "an unusable" : "no");
			free(r->res.upload_id);
			r->res.upload_id = NULL;
			r->res.ok = 0;
		}
	}
	finish_simple(r);
}

int cp_s3_mpu_create(cp_s3 *s, const char *bucket, const char *key, const cp_s3_put_headers *h,
		     cp_s3_done_fn done, void *ctx, cp_s3_result *res)
{
	s3_req *r = s3_req_new(s, "POST", bucket, key);
	r->query = cp_xstrdup("uploads=");
	apply_headers(r, h);
	r->error_in_200 = 1;
	r->expect_root = "InitiateMultipartUploadResult"; /* a cut reply is retried */
	r->finish = finish_create;
	return s3_run(r, done, ctx, res);
}

static char *part_query(int number, const char *upload_id)
{
	char *id = cp_s3_uri_encode(upload_id, 0);
	char *q = cp_xasprintf("partNumber=%d&uploadId=%s", number, id);
	free(id);
	return q;
}

int cp_s3_mpu_part(cp_s3 *s, const char *bucket, const char *key, const char *upload_id, int number,
		   const cp_s3_body *body, cp_s3_done_fn done, void *ctx, cp_s3_result *res)
{
	s3_req *r = s3_req_new(s, "PUT", bucket, key);
	cp_error err = {0};
	if (apply_body(r, body, &err) != 0) {
		s3_req_free(r);
		return s3_fail_early(s, &err, done, ctx, res);
	}
	r->query = part_query(number, upload_id);
	return s3_run(r, done, ctx, res);
}

int cp_s3_mpu_part_copy(cp_s3 *s, const char *src_bucket, const char *src_key, uint64_t off,
			uint64_t len, const char *bucket, const char *key, const char *upload_id,
			int number, cp_s3_done_fn done, void *ctx, cp_s3_result *res)
{
	s3_req *r = s3_req_new(s, "PUT", bucket, key);
	char *src = cp_s3_copy_source(src_bucket, src_key);
	char range[64];
	snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
		 (unsigned long long)(off + len - 1));
	s3_req_add_header(r, "x-amz-copy-source", src);
	s3_req_add_header(r, "x-amz-copy-source-range", range);
	free(src);
	r->query = part_query(number, upload_id);
	r->error_in_200 = 1;
	r->expect_root = "CopyPartResult";
	r->finish = finish_copy_etag;
	return s3_run(r, done, ctx, res);
}

static int cmp_part(const void *a, const void *b)
{
	return ((const cp_s3_part *)a)->number - ((const cp_s3_part *)b)->number;
}

static void finish_complete(s3_req *r)
{
	take_etag(r, "CompleteMultipartUpload");
}

int cp_s3_mpu_complete(cp_s3 *s, const char *bucket, const char *key, const char *upload_id,
		       const cp_s3_part *parts, size_t nparts, cp_s3_done_fn done, void *ctx,
		       cp_s3_result *res)
{
	cp_s3_part *sorted = cp_xcalloc(nparts ? nparts : 1, sizeof(*sorted));
	memcpy(sorted, parts, nparts * sizeof(*sorted));
	qsort(sorted, nparts, sizeof(*sorted), cmp_part);
	cp_buf xml = CP_BUF_INIT;
	cp_buf_puts(&xml, "<CompleteMultipartUpload "
			  "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (size_t i = 0; i < nparts; i++) {
		cp_buf_printf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>&quot;",
			      sorted[i].number);
		cp_xml_escape(&xml, sorted[i].etag);
		cp_buf_puts(&xml, "&quot;</ETag></Part>");
	}
	cp_buf_puts(&xml, "</CompleteMultipartUpload>");
	free(sorted);
	s3_req *r = s3_req_new(s, "POST", bucket, key);
	cp_s3_body b = {0};
	b.data = xml.data;
	b.len = xml.len;
	cp_error err = {0};
	apply_body(r, &b, &err);
	cp_buf_free(&xml);
	s3_req_add_header(r, "content-type", "application/xml");
	char *id = cp_s3_uri_encode(upload_id, 0);
	r->query = cp_xasprintf("uploadId=%s", id);
	free(id);
	r->error_in_200 = 1;
	/* a 200 whose body is cut may hide the <Error> S3 sends in a 200 */
	r->expect_root = "CompleteMultipartUploadResult";
	r->finish = finish_complete;
	return s3_run(r, done, ctx, res);
}

static void finish_abort(s3_req *r)
{
	if (!r->res.ok && r->res.status == 404) { /* already gone: what we wanted */
		r->res.ok = 1;
		r->res.err.set = 0;
	}
	finish_simple(r);
}

int cp_s3_mpu_abort(cp_s3 *s, const char *bucket, const char *key, const char *upload_id,
		    cp_s3_done_fn done, void *ctx, cp_s3_result *res)
{
	s3_req *r = s3_req_new(s, "DELETE", bucket, key);
	char *id = cp_s3_uri_encode(upload_id, 0);
	r->query = cp_xasprintf("uploadId=%s", id);
	free(id);
	r->finish = finish_abort;
	return s3_run(r, done, ctx, res);
}

/* ------------------------------------------------------------------ raw blocking requests */

/* Keeps the reply body for the caller: listings and DeleteObjects. */
typedef struct raw_ctx {
	cp_buf *body;
	cp_s3_done_fn done;
	void *ctx;
} raw_ctx;

static void finish_raw(s3_req *r)
{
	raw_ctx *rc = r->op;
	if (r->res.ok) {
		cp_buf_clear(rc->body);
		cp_buf_append(rc->body, r->resp.data ? r->resp.data : "", r->resp.len);
	}
	finish_simple(r);
}

static int run_raw(s3_req *r, cp_buf *body, cp_error *err)
{
	raw_ctx rc = {body, NULL, NULL};
	cp_s3_result res;
	r->op = &rc;
	r->finish = finish_raw;
	int rv = s3_run(r, NULL, NULL, &res);
	if (rv != 0 && err)
		*err = res.err, err->set = 1;
	cp_s3_result_free(&res);
	return rv;
}

/* A token seen before means the server is walking in a circle: without
 * this check the listing never ends.  Tokens are kept whole (exact, one map
 * lookup a page); they weigh well under 1% of the listing a sync holds. */
struct seen_tokens {
	cp_strmap map;
	char **v;
	size_t n;
};

/* 1 when token was seen before; otherwise takes it. */
static int token_seen(struct seen_tokens *t, char *token)
{
	size_t i;
	if (cp_strmap_get(&t->map, token, &i))
		return 1;
	if ((t->n & (t->n + 1)) == 0)
		t->v = cp_xrealloc(t->v, (2 * t->n + 2) * sizeof *t->v);
	t->v[t->n] = cp_xstrdup(token);
	cp_strmap_put(&t->map, t->v[t->n], t->n);
	t->n++;
	return 0;
}

int cp_s3_list(cp_s3 *s, const char *bucket, const char *prefix, cp_s3_list_fn fn, void *ctx,
	       cp_error *err)
{
	char *token = NULL;
	cp_buf body = CP_BUF_INIT;
	char *pfx = cp_s3_uri_encode(prefix ? prefix : "", 0);
	struct seen_tokens seen = {0};
	unsigned page = 0;
	int rc = 0;
	do {
		s3_req *r = s3_req_new(s, "GET", bucket, NULL);
		if (token) {
			char *t = cp_s3_uri_encode(token, 0);
			r->query =
			    cp_xasprintf("continuation-token=%s&list-type=2&prefix=%s", t, pfx);
			free(t);
		} else {
			r->query = cp_xasprintf("list-type=2&prefix=%s", pfx);
		}
		r->error_in_200 = 1;
		r->expect_root = "ListBucketResult";
		free(token);
		token = NULL;
		page++;
		cp_error perr = {0};
		rc = run_raw(r, &body, &perr);
		if (!rc)
			rc = s3_xml_list_page(body.data ? body.data : "", body.len, fn, ctx, &token,
					      &perr);
		if (perr.set)
			cp_error_set(err, "", 0, 0, "s3://%s/%s: page %u of the listing: %s",
				     bucket, prefix ? prefix : "", page, perr.msg);
		if (!rc && token && token_seen(&seen, token))
			rc = cp_error_set(err, "", 0, 0,
					  "s3://%s/%s: page %u of the listing repeats an earlier "
					  "continuation token (the server is going in a circle)",
					  bucket, prefix ? prefix : "", page);
	} while (!rc && token);
	free(token);
	for (size_t i = 0; i < seen.n; i++)
		free(seen.v[i]);
	free(seen.v);
	cp_strmap_free(&seen.map);
	free(pfx);
	cp_buf_free(&body);
	return rc;
}

int cp_s3_list_uploads(cp_s3 *s, const char *bucket, const char *prefix, cp_s3_uploads_fn fn,
		       void *ctx, cp_error *err)
{
	char *key_marker = NULL, *id_marker = NULL;
	cp_buf body = CP_BUF_INIT;
	char *pfx = cp_s3_uri_encode(prefix ? prefix : "", 0);
	int rc = 0;
	for (;;) {
		s3_req *r = s3_req_new(s, "GET", bucket, NULL);
		if (key_marker) {
			char *k = cp_s3_uri_encode(key_marker, 0);
			char *u = cp_s3_uri_encode(id_marker ? id_marker : "", 0);
			r->query = cp_xasprintf("key-marker=%s&prefix=%s&upload-id-marker=%s&"
						"uploads=",
						k, pfx, u);
			free(k);
			free(u);
		} else {
			r->query = cp_xasprintf("prefix=%s&uploads=", pfx);
		}
		free(key_marker);
		free(id_marker);
		key_marker = id_marker = NULL;
		if ((rc = run_raw(r, &body, err)) != 0)
			break;
		const char *x = body.data ? body.data : "";
		size_t pos = 0, a, e;
		while (!rc && s3_xml_next(x, body.len, &pos, "Upload", &a, &e)) {
			char *k = cp_xml_get(x + a, e - a, NULL, "Key");
			char *id = cp_xml_get(x + a, e - a, NULL, "UploadId");
			char *in = cp_xml_get(x + a, e - a, NULL, "Initiated");
			if (k && id) {
				cp_s3_upload u = {k, id, s3_parse_iso8601(in)};
				rc = fn(ctx, &u);
			}
			free(k);
			free(id);
			free(in);
		}
		char *trunc = cp_xml_get(x, body.len, NULL, "IsTruncated");
		int more = trunc && strcmp(trunc, "true") == 0;
		free(trunc);
		if (rc || !more)
			break;
		key_marker = cp_xml_get(x, body.len, NULL, "NextKeyMarker");
		id_marker = cp_xml_get(x, body.len, NULL, "NextUploadIdMarker");
		if (!key_marker)
			break;
	}
	free(pfx);
	cp_buf_free(&body);
	return rc;
}

int cp_s3_delete_one(cp_s3 *s, const char *bucket, const char *key, cp_s3_done_fn done, void *ctx,
		     cp_s3_result *res)
{
	return s3_run(s3_req_new(s, "DELETE", bucket, key), done, ctx, res);
}

/* A store without DeleteObjects answers 501 NotImplemented (or 405): the
 * batch is then done one DeleteObject at a time. */
static int multi_delete(s3_req *r, cp_buf *body, int *unsupported, cp_error *err)
{
	raw_ctx rc = {body, NULL, NULL};
	cp_s3_result res;
	r->op = &rc;
	r->finish = finish_raw;
	int rv = s3_run(r, NULL, NULL, &res);
	*unsupported =
	    rv && (res.status == 501 || res.status == 405 || !strcmp(res.code, "NotImplemented") ||
		   !strcmp(res.code, "MethodNotAllowed"));
	if (rv && err && !*unsupported)
		*err = res.err, err->set = 1;
	cp_s3_result_free(&res);
	return rv;
}

struct one_by_one {
	pthread_mutex_t lock;
	cp_s3_header *failed; /* key, why */
	size_t nfailed;
};

static void one_done(void *ctx, const cp_s3_result *res)
{
	struct one_by_one *o = ctx;
	if (res->ok || res->status == 404) /* some stores say 404 for a key that is gone */
		return;
	pthread_mutex_lock(&o->lock);
	o->failed = cp_xrealloc(o->failed, (o->nfailed + 1) * sizeof *o->failed);
	o->failed[o->nfailed++] =
	    (cp_s3_header){cp_xstrdup(res->err.path), cp_xstrdup(res->code[0] ? res->code : "")};
	pthread_mutex_unlock(&o->lock);
}

static void delete_one_by_one(cp_s3 *s, const char *bucket, const char *const *keys, size_t n,
			      cp_s3_delete_fail_fn on_fail, void *ctx)
{
	struct one_by_one o = {.lock = PTHREAD_MUTEX_INITIALIZER};
	for (size_t i = 0; i < n; i++) {
		cp_s3_wait_below(s, 256);
		cp_s3_delete_one(s, bucket, keys[i], one_done, &o, NULL);
	}
	cp_s3_wait_idle(s);
	/* a failure's err.path is "bucket/key": give on_fail the key */
	size_t bl = strlen(bucket);
	for (size_t i = 0; i < o.nfailed; i++) {
		const char *k = o.failed[i].name;
		if (!strncmp(k, bucket, bl) && k[bl] == '/')
			k += bl + 1;
		if (on_fail)
			on_fail(ctx, k, o.failed[i].value, "DeleteObject failed");
	}
	cp_s3_headers_free(o.failed, o.nfailed);
	pthread_mutex_destroy(&o.lock);
}

int cp_s3_delete(cp_s3 *s, const char *bucket, const char *const *keys, size_t n,
		 cp_s3_delete_fail_fn on_fail, void *ctx, cp_error *err)
{
	cp_buf body = CP_BUF_INIT;
	int single = 0;
	for (size_t at = 0, m; at < n; at += m) {
		m = n - at < 1000 ? n - at : 1000;
		if (single) {
			delete_one_by_one(s, bucket, keys + at, m, on_fail, ctx);
			continue;
		}
		cp_buf xml = CP_BUF_INIT;
		cp_buf_puts(&xml, "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
				  "<Quiet>true</Quiet>");
		for (size_t i = 0; i < m; i++) {
			cp_buf_puts(&xml, "<Object><Key>");
			cp_xml_escape(&xml, keys[at + i]);
			cp_buf_puts(&xml, "</Key></Object>");
		}
		cp_buf_puts(&xml, "</Delete>");
		s3_req *r = s3_req_new(s, "POST", bucket, NULL);
		r->query = cp_xstrdup("delete=");
		r->expect_root =
		    "DeleteResult"; /* a cut answer is retried (deletes repeat safely) */
		cp_s3_body b = {0};
		b.data = xml.data;
		b.len = xml.len;
		apply_body(r, &b, err);
		cp_buf_free(&xml);
		s3_req_add_header(r, "content-type", "application/xml");
		if (multi_delete(r, &body, &single, err) != 0) {
			if (single) { /* this batch again, one key at a time */
				cp_log(CP_LOG_INFO,
				       "s3: %s has no DeleteObjects: deleting one key "
				       "at a time",
				       bucket);
				delete_one_by_one(s, bucket, keys + at, m, on_fail, ctx);
				continue;
			}
			cp_buf_free(&body);
			return CP_ERR_BUILD;
		}
		const char *x = body.data ? body.data : "";
		/* an answer that is not a DeleteResult (a proxy's HTML page) says
		 * nothing about what was deleted */
		if (!s3_xml_is_doc(x, body.len, "DeleteResult")) { /* whole, not cut short */
			cp_buf_free(&body);
			return cp_error_set(err, bucket, 0, 0,
					    "DeleteObjects answered without a DeleteResult: what "
					    "was deleted is not known");
		}
		size_t pos = 0, a, e;
		while (s3_xml_next(x, body.len, &pos, "Error", &a, &e)) {
			char *k = cp_xml_get(x + a, e - a, NULL, "Key");
			char *c = cp_xml_get(x + a, e - a, NULL, "Code");
			char *msg = cp_xml_get(x + a, e - a, NULL, "Message");
			if (on_fail && k)
				on_fail(ctx, k, c ? c : "", msg ? msg : "");
			free(k);
			free(c);
			free(msg);
		}
	}
	cp_buf_free(&body);
	return 0;
}

size_t cp_s3_generation_text(char out[80])
{
	char hex[33];
	cp_random_hex(16, hex);
	return (size_t)snprintf(out, 80, "%s %lld\n", hex, (long long)time(NULL));
}
