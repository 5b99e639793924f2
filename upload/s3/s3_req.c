/*
 * s3_req.c - requests and results as data, and blocking on async calls.
 *
 * A request owns copies of everything it needs (bucket, key, headers, a
 * memory body), so callers may free their arguments as soon as a submit
 * returns; a result owns its strings.  Blocking calls are the async calls
 * plus a waiter (a mutex, a condition and a flag): the completion, on the
 * engine thread, deep-copies the result into the caller's struct and wakes
 * it.  One code path serves both modes, so testing one tests both.
 */
#include "upload/s3/s3_int.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
/* ------------------------------------------------------------------ requests */

s3_req *s3_req_new(cp_s3 *s, const char *method, const char *bucket, const char *key)
{
	s3_req *r = cp_xcalloc(1, sizeof(*r));
	r->s = s;
	r->method = method;
	r->bucket = cp_xstrdup(bucket);
	r->key = key ? cp_xstrdup(key) : NULL;
	r->file_fd = -1;
	r->fd = -1;
	snprintf(r->res.err.path, sizeof(r->res.err.path), "%s%s%s", bucket, key ? "/" : "",
		 key ? key : "");
	return r;
}

void s3_req_add_header(s3_req *r, const char *name, const char *value)
{
	/* curl drops a header with an empty value, so signing one would make
	 * the signature cover what is never sent: "" means no header. */
	if (!value || !*value)
		return;
	r->hdrs = cp_xrealloc(r->hdrs, (r->nhdrs + 1) * sizeof(*r->hdrs));
	r->hdrs[r->nhdrs].name = cp_xstrdup(name);
	r->hdrs[r->nhdrs].value = cp_xstrdup(value);
	r->nhdrs++;
}

void cp_s3_headers_free(cp_s3_header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

void s3_req_free(s3_req *r)
{
	if (!r)
		return;
	free(r->bucket);
	free(r->key);
	free(r->query);
	cp_s3_headers_free(r->hdrs, r->nhdrs);
	free(r->body_data);
	free(r->file);
	cp_buf_free(&r->resp);
	cp_s3_result_free(&r->res);
	if (r->file_fd >= 0)
		close(r->file_fd);
	if (r->md5_ctx)
		EVP_MD_CTX_free(r->md5_ctx);
	free(r);
}

void cp_s3_result_free(cp_s3_result *r)
{
	free(r->upload_id);
	cp_s3_headers_free(r->headers, r->nheaders);
	r->upload_id = NULL;
	r->headers = NULL;
	r->nheaders = 0;
}

const char *cp_s3_result_header(const cp_s3_result *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

void s3_result_copy(cp_s3_result *dst, const cp_s3_result *src)
{
	*dst = *src;
	dst->upload_id = src->upload_id ? cp_xstrdup(src->upload_id) : NULL;
	dst->headers = NULL;
	if (src->nheaders) {
		dst->headers = cp_xcalloc(src->nheaders, sizeof(*dst->headers));
		for (size_t i = 0; i < src->nheaders; i++) {
			dst->headers[i].name = cp_xstrdup(src->headers[i].name);
			dst->headers[i].value = cp_xstrdup(src->headers[i].value);
		}
	}
}

/* ------------------------------------------------------------------ blocking calls */

struct s3_waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	cp_s3_result *out;
};

s3_waiter *s3_waiter_new(cp_s3_result *out)
{
	s3_waiter *w = cp_xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->out = out;
	memset(out, 0, sizeof(*out));
	return w;
}

void s3_waiter_done(void *ctx, const cp_s3_result *res)
{
	s3_waiter *w = ctx;
	s3_result_copy(w->out, res);
	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int s3_waiter_wait(s3_waiter *w)
{
	pthread_mutex_lock(&w->lock);
	while (!w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	int ok = w->out->ok;
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
	return ok ? 0 : CP_ERR_BUILD;
}
