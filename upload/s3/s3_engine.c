/*
 * s3_engine.c - the network thread: curl multi, signing, retries.
 *
 * Design (after Redis's ae.c: one loop, no locks on the hot path).  One
 * engine thread owns a curl multi handle and every easy handle; nothing else
 * touches curl.  Submitters put requests on a mutex-protected FIFO and poke
 * the loop with curl_multi_wakeup().  Each turn the loop moves requests into
 * flight while fewer than `concurrency` are running (waiting retries whose
 * deadline passed first, then the FIFO), lets curl work, and finishes the
 * transfers that ended.  curl keeps idle connections in the multi handle's
 * cache, so consecutive requests to one host reuse a warm keep-alive (and
 * TLS) connection.
 *
 * Hashing.  A file body needs its SHA-256 (x-amz-content-sha256) and MD5
 * (Content-MD5) before the request can be signed, which means reading the
 * file once before sending it.  That read happens on two prep threads, not
 * on the engine thread (a 64 MiB part would stall every other transfer for a
 * fraction of a second) and not on the caller's thread (an async submit must
 * return at once).  Both digests come from one pass and stay in the request,
 * so a retry sends the same hashes without reading twice more.
 *
 * Throttling.  How many requests are in flight is a window, not a constant:
 * `concurrency` is its ceiling.  A throttling answer (503 SlowDown, 429)
 * halves it, at most once per round (only an answer to a request sent after
 * the last cut counts, so one burst of SlowDowns is one cut, not ten); each
 * success grows it by 1/window, about one request more per window's worth of
 * successes (additive increase, multiplicative decrease, as TCP does).  A
 * store that throttles at 20% of requests then sees fewer requests at once,
 * rather than the same rate of retries on top of the same load, and the
 * window climbs back to the ceiling once it stops.
 *
 * Retries.  A retry is the same request with a deadline: it goes to the
 * engine's private `delayed` list and is started again once the deadline
 * passes; the loop sleeps in curl_multi_poll() no longer than the nearest
 * deadline.  The backoff is "full jitter" (a uniform draw in [0, min(cap,
 * base * 2^attempt)]), which spreads a burst of throttled requests instead
 * of sending them back in lock-step.  Each attempt is signed afresh.
 *
 * Secrets.  The Authorization header and the session token exist only in
 * the curl header list of a running transfer; log lines are built from the
 * method, bucket, key, status, sizes and time, never from headers.
 */
#include "upload/s3/s3_int.h"

#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "upload/s3/sigv4.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define NPREP		2
#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS	20000

struct cp_s3 {
	cp_s3_config cfg;
	int concurrency, retries;
	long stall_s; /* a transfer under 1 byte/s this long is given up (and retried) */
	CURLM *multi;
	pthread_t thread;
	pthread_t prep[NPREP];
	pthread_mutex_t lock;
	pthread_cond_t idle_cond;
	size_t waiters;	 /* threads in cp_s3_wait_below */
	size_t wait_max; /* the largest n they wait to go below */
	pthread_cond_t prep_cond;
	s3_req *q_head, *q_tail; /* ready to send */
	s3_req *p_head, *p_tail; /* waiting to be hashed */
	s3_req *delayed;	 /* engine only: retries waiting for their deadline */
	int running;		 /* engine only */
	double window;		 /* engine only: requests allowed in flight (see Throttling) */
	uint64_t last_cut_ms;	 /* engine only: when the window was last halved */
	int stop;
	size_t ops;
	cp_s3_stats stats;
	unsigned seed;	  /* engine only: jitter */
	char key_date[9]; /* engine only: the signing key and the day it is for */
	unsigned char key[32];
	CURL *idle[64]; /* engine only: easy handles kept for reuse */
	int nidle;
};

static uint64_t now_ms(void)
{
	return (uint64_t)(cp_clock() * 1000);
}

const cp_s3_config *s3_config(cp_s3 *s)
{
	return &s->cfg;
}

/* ------------------------------------------------------------------ queues */

static void push(s3_req **head, s3_req **tail, s3_req *r)
{
	r->next = NULL;
	if (*tail)
		(*tail)->next = r;
	else
		*head = r;
	*tail = r;
}

static s3_req *pop(s3_req **head, s3_req **tail)
{
	s3_req *r = *head;
	if (r) {
		*head = r->next;
		if (!*head)
			*tail = NULL;
		r->next = NULL;
	}
	return r;
}

static void hash_body(s3_req *r);

/* Bodies up to this size are hashed on the submitting thread: handing a
 * small file to a prep thread costs two wake-ups, more than its hashing. */
#define S3_INLINE_HASH_MAX (256 * 1024)

void s3_submit(s3_req *r)
{
	cp_s3 *s = r->s;
	if (r->body_kind == S3_BODY_FILE && !r->sha256[0] && r->len <= S3_INLINE_HASH_MAX)
		hash_body(r);
	pthread_mutex_lock(&s->lock);
	if (r->body_kind == S3_BODY_FILE && !r->sha256[0] && !r->prep_failed) {
		push(&s->p_head, &s->p_tail, r);
		pthread_cond_signal(&s->prep_cond);
	} else {
		push(&s->q_head, &s->q_tail, r);
	}
	pthread_mutex_unlock(&s->lock);
	curl_multi_wakeup(s->multi);
}

void s3_op_begin(cp_s3 *s)
{
	pthread_mutex_lock(&s->lock);
	s->ops++;
	pthread_mutex_unlock(&s->lock);
}

void s3_op_end(cp_s3 *s)
{
	pthread_mutex_lock(&s->lock);
	s->ops--;
	/* wake waiters only when one of them can go on: a waiter for "fewer
	 * than n" is not woken by every completion while ops stays >= n */
	if (s->waiters && s->ops < s->wait_max)
		pthread_cond_broadcast(&s->idle_cond);
	pthread_mutex_unlock(&s->lock);
}

void cp_s3_wait_below(cp_s3 *s, size_t n)
{
	if (n < 1)
		n = 1;
	pthread_mutex_lock(&s->lock);
	while (s->ops >= n) {
		s->waiters++;
		if (n > s->wait_max)
			s->wait_max = n;
		pthread_cond_wait(&s->idle_cond, &s->lock);
		if (--s->waiters == 0)
			s->wait_max = 0;
	}
	pthread_mutex_unlock(&s->lock);
}

void cp_s3_wait_idle(cp_s3 *s)
{
	cp_s3_wait_below(s, 1);
}

void cp_s3_get_stats(cp_s3 *s, cp_s3_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------ hashing (prep threads) */

typedef struct hash_ctx {
	EVP_MD_CTX *md5, *sha;
} hash_ctx;

static int hash_chunk(void *ctx, const unsigned char *p, size_t n)
{
	hash_ctx *h = ctx;
	if (h->md5)
		EVP_DigestUpdate(h->md5, p, n);
	EVP_DigestUpdate(h->sha, p, n);
	return 0;
}

static void hash_body(s3_req *r)
{
	/* a caller that already knows the MD5 (the planner hashed the file)
	 * saves one digest: only SHA-256 is computed then */
	hash_ctx h = {r->have_md5 ? NULL : EVP_MD_CTX_new(), EVP_MD_CTX_new()};
	unsigned char md5[16], sha[32];
	if (h.md5)
		EVP_DigestInit_ex(h.md5, EVP_md5(), NULL);
	EVP_DigestInit_ex(h.sha, EVP_sha256(), NULL);
	cp_error err = {0};
	if (cp_stream_file(r->file, r->off, r->len, hash_chunk, &h, &err) != 0) {
		r->prep_failed = 1;
		r->res.err = err;
		if (!r->res.err.msg[0])
			cp_error_set(&r->res.err, r->file, 0, 0, "cannot read");
	} else {
		EVP_DigestFinal_ex(h.sha, sha, NULL);
		if (h.md5) {
			EVP_DigestFinal_ex(h.md5, md5, NULL);
			memcpy(r->md5, md5, 16);
		}
		r->have_md5 = 1;
		cp_hex(sha, 32, r->sha256);
	}
	if (h.md5)
		EVP_MD_CTX_free(h.md5);
	EVP_MD_CTX_free(h.sha);
}

static void *prep_main(void *arg)
{
	cp_s3 *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		s3_req *r = pop(&s->p_head, &s->p_tail);
		if (!r) {
			if (s->stop)
				break;
			pthread_cond_wait(&s->prep_cond, &s->lock);
			continue;
		}
		pthread_mutex_unlock(&s->lock);
		hash_body(r);
		pthread_mutex_lock(&s->lock);
		push(&s->q_head, &s->q_tail, r);
		curl_multi_wakeup(s->multi);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ------------------------------------------------------------------ curl callbacks */

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	s3_req *r = ud;
	size_t len = size * n;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (after 100, redirect) */
		cp_s3_result_free(&r->res);
		r->res.etag[0] = 0;
		r->headers_ended = 0;
		return len;
	}
	if (len <= 2 && (len == 0 || p[0] == '\r' || p[0] == '\n')) {
		r->headers_ended = 1;
		return len;
	}
	const char *colon = memchr(p, ':', len);
	if (!colon)
		return len;
	size_t nl = (size_t)(colon - p);
	const char *v = colon + 1, *end = p + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	char *name = cp_xstrndup(p, nl);
	for (char *q = name; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q + 32);
	char *val = cp_xstrndup(v, (size_t)(end - v));
	if (strcmp(name, "etag") == 0) {
		const char *e = val;
		size_t el = strlen(e);
		if (el >= 2 && e[0] == '"' && e[el - 1] == '"')
			e++, el -= 2;
		if (el < sizeof(r->res.etag)) {
			memcpy(r->res.etag, e, el);
			r->res.etag[el] = 0;
		}
	} else if (strcmp(name, "last-modified") == 0) {
		r->res.mtime = s3_parse_http_date(val);
	} else if (strcmp(name, "content-length") == 0 && !r->to_fd) {
		r->res.size = strtoull(val, NULL, 10);
	}
	if (r->want_headers) {
		r->res.headers =
		    cp_xrealloc(r->res.headers, (r->res.nheaders + 1) * sizeof(*r->res.headers));
		r->res.headers[r->res.nheaders].name = name;
		r->res.headers[r->res.nheaders].value = val;
		r->res.nheaders++;
	} else {
		free(name);
		free(val);
	}
	return len;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	s3_req *r = ud;
	size_t len = size * n;
	long status = 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (r->to_fd && status >= 200 && status < 300) {
		size_t done = 0;
		while (done < len) {
			ssize_t w = pwrite(r->fd, p + done, len - done,
					   r->fd_start + (off_t)(r->nbody + done));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				snprintf(r->curl_msg, sizeof(r->curl_msg), "write: %s",
					 strerror(errno));
				return 0;
			}
			done += (size_t)w;
		}
		if (r->md5_ctx)
			EVP_DigestUpdate(r->md5_ctx, p, len);
		r->nbody += len;
		return len;
	}
	if (r->resp.len + len > S3_RESP_MAX)
		return 0; /* an S3 reply this large is not one we asked for */
	cp_buf_append(&r->resp, p, len);
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
	s3_req *r = ud;
	size_t want = size * n;
	uint64_t left = r->len - r->sent;
	if (want > left)
		want = (size_t)left;
	if (!want)
		return 0;
	if (r->body_kind == S3_BODY_MEM) {
		memcpy(buf, r->body_data + r->sent, want);
	} else {
		ssize_t got;
		do
			got = pread(r->file_fd, buf, want, (off_t)(r->off + r->sent));
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			snprintf(r->curl_msg, sizeof(r->curl_msg), "%s: %s", r->file,
				 got < 0 ? strerror(errno) : "file shrank while uploading");
			return CURL_READFUNC_ABORT;
		}
		want = (size_t)got;
	}
	r->sent += want;
	return want;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
	s3_req *r = ud;
	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->len)
		return CURL_SEEKFUNC_CANTSEEK;
	r->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* ------------------------------------------------------------------ starting a transfer */

static void add_signed(cp_sigv4_header *sh, size_t *n, struct curl_slist **sl, const char *name,
		       const char *value)
{
	sh[*n].name = name;
	sh[*n].value = value;
	(*n)++;
	char *line = cp_xasprintf("%s: %s", name, value);
	*sl = curl_slist_append(*sl, line);
	free(line);
}

/* The header list of one attempt: S3's, the caller's, and the signature
 * over them (for this second: it is rebuilt on every attempt). */
static struct curl_slist *signed_headers(cp_s3 *s, s3_req *r, const char *host, const char *path)
{
	char amz_date[17], md5b64[32];
	const char *payload;
	cp_sigv4_amz_date(time(NULL), amz_date);
	if (r->body_kind == S3_BODY_NONE || r->len == 0)
		payload = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	else
		payload = r->sha256;
	size_t n = 0;
	cp_sigv4_header *sh = cp_xcalloc(r->nhdrs + 6, sizeof(*sh));
	struct curl_slist *sl = NULL;
	add_signed(sh, &n, &sl, "host", host);
	add_signed(sh, &n, &sl, "x-amz-date", amz_date);
	add_signed(sh, &n, &sl, "x-amz-content-sha256", payload);
	if (s->cfg.session_token)
		add_signed(sh, &n, &sl, "x-amz-security-token", s->cfg.session_token);
	if (r->send_md5) {
		cp_base64(r->md5, 16, md5b64);
		add_signed(sh, &n, &sl, "content-md5", md5b64);
	}
	for (size_t i = 0; i < r->nhdrs; i++)
		add_signed(sh, &n, &sl, r->hdrs[i].name, r->hdrs[i].value);
	cp_sigv4_input in = {r->method,	       path,	 r->query,	sh,   n,
			     payload,	       amz_date, s->cfg.region, "s3", s->cfg.access_key,
			     s->cfg.secret_key};
	if (memcmp(s->key_date, amz_date, 8) != 0) {
		cp_sigv4_signing_key(&in, s->key);
		memcpy(s->key_date, amz_date, 8);
	}
	char *auth = cp_sigv4_authorization_key(&in, s->key);
	char *line = cp_xasprintf("Authorization: %s", auth);
	sl = curl_slist_append(sl, line);
	OPENSSL_cleanse(line, strlen(line));
	OPENSSL_cleanse(auth, strlen(auth));
	free(line);
	free(auth);
	sl = curl_slist_append(sl, "Expect:");
	sl = curl_slist_append(sl, "Accept:");
	free(sh);
	return sl;
}

/* Builds headers, signs and configures the easy handle. */
static void prepare(cp_s3 *s, s3_req *r)
{
	char *host, *path;
	char *url = s3_req_url(&s->cfg, r, &host, &path);
	struct curl_slist *sl = r->slist = signed_headers(s, r, host, path);
	CURL *e = r->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, sl);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	r->curl_errbuf[0] = 0;
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->cfg.ca_bundle)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->cfg.ca_bundle);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 15L);
	/* a stalled transfer (under 1 byte/s for stall_s, 60 s unless
	 * CDNPIPE_STALL_TIMEOUT says) is a timeout, then a retry */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, s->stall_s);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* larger buffers: fewer callbacks and syscalls per MiB (16 x 512 KiB at most) */
	curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
	if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (r->body_kind != S3_BODY_NONE || strcmp(r->method, "PUT") == 0 ||
		   strcmp(r->method, "POST") == 0) {
		/* UPLOAD sends exactly Content-Length bytes through on_read, with no
		 * default Content-Type; CUSTOMREQUEST turns the PUT into POST where
		 * needed. */
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, r);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->len);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	}
	free(url);
	free(host);
	free(path);
}

static int start(cp_s3 *s, s3_req *r)
{
	r->attempts++;
	r->sent = 0;
	r->nbody = 0;
	r->curl_err = 0;
	r->curl_msg[0] = 0;
	r->headers_ended = 0;
	r->res.status = 0;
	r->res.code[0] = 0;
	r->res.etag[0] = 0;
	cp_buf_clear(&r->resp);
	cp_s3_result_free(&r->res);
	if (r->to_fd && r->attempts > 1 && ftruncate(r->fd, r->fd_start) != 0) {
		cp_error_set(&r->res.err, NULL, 0, 0, "cannot truncate download: %s",
			     strerror(errno));
		return -1;
	}
	if (r->md5_stream) {
		if (!r->md5_ctx)
			r->md5_ctx = EVP_MD_CTX_new();
		EVP_DigestInit_ex(r->md5_ctx, EVP_md5(), NULL);
	}
	if (r->body_kind == S3_BODY_FILE && r->file_fd < 0) {
		r->file_fd = open(r->file, O_RDONLY | O_CLOEXEC);
		if (r->file_fd < 0) {
			cp_error_set(&r->res.err, r->file, 0, 0, "cannot open: %s",
				     strerror(errno));
			return -1;
		}
	}
	/* a reset handle keeps its DNS and TLS session caches warm */
	if (s->nidle)
		r->easy = s->idle[--s->nidle];
	else
		r->easy = curl_easy_init();
	prepare(s, r);
	r->t_start = now_ms();
	curl_multi_add_handle(s->multi, r->easy);
	s->running++;
	return 0;
}

/* ------------------------------------------------------------------ ending a transfer */

static void count(cp_s3 *s, s3_req *r, uint64_t up, uint64_t down, long connects)
{
	pthread_mutex_lock(&s->lock);
	s->stats.requests++;
	if (strcmp(r->method, "PUT") == 0)
		s->stats.puts++;
	else if (strcmp(r->method, "GET") == 0)
		(r->key ? s->stats.gets++ : s->stats.lists++);
	else if (strcmp(r->method, "HEAD") == 0)
		s->stats.heads++;
	else if (strcmp(r->method, "DELETE") == 0)
		s->stats.deletes++;
	else if (strcmp(r->method, "POST") == 0)
		s->stats.posts++;
	if (r->error_in_200 && strcmp(r->method, "PUT") == 0)
		s->stats.copies++;
	s->stats.connects += (uint64_t)connects;
	s->stats.bytes_sent += up;
	s->stats.bytes_received += down;
	pthread_mutex_unlock(&s->lock);
}

static int slots(const cp_s3 *s)
{
	return (int)s->window;
}

/* The window after one answer (see Throttling in the head comment). */
static void adapt(cp_s3 *s, const s3_req *r)
{
	int throttled = r->res.status == 503 || r->res.status == 429 ||
			!strcmp(r->res.code, "SlowDown") ||
			!strcmp(r->res.code, "RequestLimitExceeded");
	if (throttled && r->t_start >= s->last_cut_ms) {
		s->window = s->window / 2 < 1 ? 1 : s->window / 2;
		s->last_cut_ms = now_ms();
		pthread_mutex_lock(&s->lock);
		s->stats.throttled++;
		if (!s->stats.window_min || (uint64_t)s->window < s->stats.window_min)
			s->stats.window_min = (uint64_t)s->window;
		pthread_mutex_unlock(&s->lock);
		cp_log(CP_LOG_INFO, "s3: throttled (%s): at most %d requests in flight now",
		       r->res.code[0] ? r->res.code : "HTTP", slots(s));
	} else if (!throttled && r->res.status >= 200 && r->res.status < 300 &&
		   s->window < s->concurrency) {
		s->window += 1 / s->window;
		if (s->window > s->concurrency)
			s->window = s->concurrency;
	}
}

static void end_transfer(cp_s3 *s, s3_req *r, CURLcode cc)
{
	long status = 0, connects = 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &connects);
	curl_multi_remove_handle(s->multi, r->easy);
	if (s->nidle < (int)(sizeof(s->idle) / sizeof(s->idle[0]))) {
		curl_easy_reset(r->easy);
		s->idle[s->nidle++] = r->easy;
	} else {
		curl_easy_cleanup(r->easy);
	}
	r->easy = NULL;
	curl_slist_free_all(r->slist);
	r->slist = NULL;
	s->running--;
	if (cc == CURLE_OK && !r->headers_ended) {
		/* curl takes an answer cut inside its headers for a whole one */
		cc = CURLE_RECV_ERROR;
		snprintf(r->curl_msg, sizeof(r->curl_msg),
			 "connection closed inside the response headers");
	}
	r->res.status = cc == CURLE_OK ? (int)status : 0;
	r->curl_err = cc;
	/* curl's detail ("Recv failure: Connection reset by peer", "transfer
	 * closed with 10 bytes remaining to read") names the fault; its code's
	 * text ("Failure when receiving data from the peer") does not */
	if (cc != CURLE_OK && !r->curl_msg[0])
		snprintf(r->curl_msg, sizeof(r->curl_msg), "%s",
			 r->curl_errbuf[0] ? r->curl_errbuf : curl_easy_strerror(cc));
	char msg[512] = "";
	const char *body = r->resp.data ? r->resp.data : "";
	/* An <Error> in a 200 is told below, as for any error_in_200 request. */
	if (r->expect_root && r->res.status == 200 &&
	    !s3_xml_is_doc(body, r->resp.len, r->expect_root) &&
	    !s3_xml_is_doc(body, r->resp.len, "Error")) {
		r->res.status = 502; /* a proxy's HTML page or a cut body: retried */
		snprintf(r->res.code, sizeof(r->res.code), "InvalidResponse");
		snprintf(msg, sizeof(msg), "a 200 whose body is not a %s document", r->expect_root);
	}
	if (r->res.status >= 300 || (r->error_in_200 && r->res.status == 200)) {
		if (cp_xml_error(r->resp.data ? r->resp.data : "", r->resp.len, r->res.code,
				 sizeof(r->res.code), msg, sizeof(msg)) &&
		    r->res.status < 300)
			r->res.status = 500; /* an error inside a 200: treat as a server error */
	}
	uint64_t down = r->to_fd ? r->nbody : r->resp.len;
	count(s, r, r->sent, down, connects);
	cp_log(CP_LOG_INFO, "s3: %s %s/%s%s%s -> %d%s%s %llu B up %llu B down %llu ms%s%s",
	       r->method, r->bucket, r->key ? r->key : "", r->query ? "?" : "",
	       r->query ? r->query : "", r->res.status, r->res.code[0] ? " " : "", r->res.code,
	       (unsigned long long)r->sent, (unsigned long long)down,
	       (unsigned long long)(now_ms() - r->t_start), cc ? " " : "", cc ? r->curl_msg : "");
	adapt(s, r);
	if (s3_should_retry(r) && r->attempts <= (unsigned)s->retries) {
		uint64_t cap = BACKOFF_BASE_MS << (r->attempts < 16 ? r->attempts : 16);
		if (cap > BACKOFF_CAP_MS)
			cap = BACKOFF_CAP_MS;
		r->not_before = now_ms() + (uint64_t)rand_r(&s->seed) % (cap + 1);
		r->next = s->delayed;
		s->delayed = r;
		pthread_mutex_lock(&s->lock);
		s->stats.retries++;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (r->file_fd >= 0) {
		close(r->file_fd);
		r->file_fd = -1;
	}
	r->res.attempts = r->attempts;
	r->res.ok = cc == CURLE_OK && r->res.status >= 200 && r->res.status < 300;
	if (r->to_fd && r->res.ok) {
		/* pwrite left the offset alone: leave it after the body, as write would */
		r->res.size = r->nbody;
		lseek(r->fd, r->fd_start + (off_t)r->nbody, SEEK_SET);
	}
	if (r->md5_ctx) {
		EVP_DigestFinal_ex(r->md5_ctx, r->res_md5, NULL);
		EVP_MD_CTX_free(r->md5_ctx);
		r->md5_ctx = NULL;
	}
	if (!r->res.ok) {
		if (msg[0] && !r->res.err.msg[0])
			snprintf(r->res.err.msg, sizeof(r->res.err.msg), "%s", msg);
		s3_explain(r, &s->cfg);
	}
	r->finish(r);
}

/* A request that could not even start: finish it as failed. */
static void fail_now(s3_req *r)
{
	r->res.ok = 0;
	r->res.attempts = r->attempts;
	r->res.err.set = 1;
	r->finish(r);
}

/* ------------------------------------------------------------------ the loop */

static void *engine_main(void *arg)
{
	cp_s3 *s = arg;
	/* A peer that resets a connection mid-write must give EPIPE, not kill
	 * the process: with CURLOPT_NOSIGNAL curl leaves SIGPIPE to us, and a
	 * synchronous signal is delivered to this thread only. */
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	for (;;) {
		uint64_t now = now_ms();
		/* deadlines that passed go first: they have waited longest */
		for (s3_req **pp = &s->delayed; *pp && s->running < slots(s);) {
			s3_req *r = *pp;
			if (r->not_before <= now) {
				*pp = r->next;
				if (start(s, r) != 0)
					fail_now(r);
			} else {
				pp = &r->next;
			}
		}
		pthread_mutex_lock(&s->lock);
		int quit =
		    s->stop && !s->q_head && !s->p_head && !s->delayed && !s->running && !s->ops;
		pthread_mutex_unlock(&s->lock);
		if (quit)
			break;
		while (s->running < slots(s)) {
			pthread_mutex_lock(&s->lock);
			s3_req *r = pop(&s->q_head, &s->q_tail);
			pthread_mutex_unlock(&s->lock);
			if (!r)
				break;
			if (r->prep_failed || start(s, r) != 0)
				fail_now(r);
		}
		int still = 0;
		curl_multi_perform(s->multi, &still);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(s->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			s3_req *r = NULL;
			CURLcode cc = m->data.result;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			end_transfer(s, r, cc);
		}
		/* Sleep until curl has work, a submit wakes us, or the nearest
		 * retry deadline; with every slot busy a deadline cannot start
		 * anything, so only a finishing transfer (which wakes the poll)
		 * matters then. */
		int timeout = 1000;
		now = now_ms();
		for (s3_req *r = s->running < slots(s) ? s->delayed : NULL; r; r = r->next) {
			int64_t d = (int64_t)r->not_before - (int64_t)now;
			if (d < timeout)
				timeout = d < 0 ? 0 : (int)d;
		}
		pthread_mutex_lock(&s->lock);
		if (s->q_head && s->running < slots(s))
			timeout = 0;
		pthread_mutex_unlock(&s->lock);
		curl_multi_poll(s->multi, NULL, 0, timeout, NULL);
	}
	return NULL;
}

/* ------------------------------------------------------------------ client */

static char *dup_or_null(const char *s)
{
	return s ? cp_xstrdup(s) : NULL;
}

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

cp_s3 *cp_s3_new(const cp_s3_config *cfg, int concurrency, int retries, cp_error *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, global_init);
	if (!cfg->access_key || !cfg->secret_key || !cfg->endpoint || !cfg->region) {
		cp_error_set(err, NULL, 0, 0, "S3 configuration is incomplete");
		return NULL;
	}
	cp_s3 *s = cp_xcalloc(1, sizeof(*s));
	s->cfg.access_key = cp_xstrdup(cfg->access_key);
	s->cfg.secret_key = cp_xstrdup(cfg->secret_key);
	s->cfg.session_token = dup_or_null(cfg->session_token);
	s->cfg.region = cp_xstrdup(cfg->region);
	s->cfg.endpoint = cp_xstrdup(cfg->endpoint);
	s->cfg.path_style = cfg->path_style;
	s->cfg.ca_bundle = dup_or_null(cfg->ca_bundle);
	s->cfg.profile = dup_or_null(cfg->profile);
	s->concurrency = concurrency > 0 ? concurrency : 16;
	s->window = s->concurrency;
	s->retries = retries >= 0 ? retries : 5;
	const char *stall = getenv("CDNPIPE_STALL_TIMEOUT");
	long st = stall && *stall ? strtol(stall, NULL, 10) : 0;
	s->stall_s = st >= 1 && st <= 3600 ? st : 60;
	s->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	s->multi = curl_multi_init();
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->concurrency);
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->concurrency + 4);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle_cond, NULL);
	pthread_cond_init(&s->prep_cond, NULL);
	if (pthread_create(&s->thread, NULL, engine_main, s) != 0) {
		cp_error_set(err, NULL, 0, 0, "cannot start the S3 thread");
		curl_multi_cleanup(s->multi);
		free(s);
		return NULL;
	}
	for (int i = 0; i < NPREP; i++)
		pthread_create(&s->prep[i], NULL, prep_main, s);
	return s;
}

void cp_s3_free(cp_s3 *s)
{
	if (!s)
		return;
	cp_s3_wait_idle(s);
	pthread_mutex_lock(&s->lock);
	if (s->stats.throttled)
		cp_log(CP_LOG_INFO,
		       "s3: throttled %llu times; requests in flight went down to %llu of %d",
		       (unsigned long long)s->stats.throttled,
		       (unsigned long long)s->stats.window_min, s->concurrency);
	s->stop = 1;
	pthread_cond_broadcast(&s->prep_cond);
	pthread_mutex_unlock(&s->lock);
	curl_multi_wakeup(s->multi);
	pthread_join(s->thread, NULL);
	for (int i = 0; i < NPREP; i++)
		pthread_join(s->prep[i], NULL);
	while (s->nidle)
		curl_easy_cleanup(s->idle[--s->nidle]);
	curl_multi_cleanup(s->multi);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->idle_cond);
	pthread_cond_destroy(&s->prep_cond);
	OPENSSL_cleanse(s->cfg.secret_key, strlen(s->cfg.secret_key));
	OPENSSL_cleanse(s->key, sizeof(s->key));
	cp_s3_config_free(&s->cfg);
	free(s);
}
