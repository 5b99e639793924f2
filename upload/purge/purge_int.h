/*
 * purge_int.h - what the providers of upload/purge/ share: the vtable each
 * implements, and purge.c's helpers for sending a request with retries and
 * turning a provider's answer into one message.
 */
#ifndef CP_UPLOAD_PURGE_INT_H
#define CP_UPLOAD_PURGE_INT_H

#include "lib/buf.h"
#include "upload/purge/purge.h"

typedef struct purge_backend {
	const char *name;
	/* options and token present; 0 or CP_ERR_USAGE */
	int (*check)(const cp_purge_opts *o, cp_error *err);
	/* purges n > 0 keys; 0 or CP_ERR_BUILD */
	int (*run)(const cp_purge_opts *o, const char *const *keys, size_t n, cp_purge_report *r,
		   cp_error *err);
} purge_backend;

extern const purge_backend cp_purge_cloudfront, cp_purge_cloudflare, cp_purge_fastly,
    cp_purge_bunny;

/* A token-authenticated API: its base (api_env, else api_default) and the
 * credential header line, auth_prefix + the token in token_env. */
typedef struct purge_api {
	char *base, *auth;
} purge_api;
int purge_api_open(purge_api *a, const char *provider, const char *token_env,
		   const char *auth_prefix, const char *api_env, const char *api_default,
		   cp_error *err);
void purge_api_close(purge_api *a);

/* The API base: the environment variable when set (trailing '/' dropped),
 * else the provider's public one.  Newly allocated. */
char *purge_api_base(const char *env, const char *fallback);
/* The environment variable's value, or a CP_ERR_USAGE naming it. */
int purge_need_env(const char *env, const char *provider, const char **out, cp_error *err);
int purge_need_opt(const char *value, const char *flag, const char *provider, cp_error *err);

/* Sleeps before attempt `attempt` (1, 2, ...) when status says the request
 * may succeed later (no answer, 429, 5xx, or `busy`): Retry-After when the
 * answer gave one (at most 60 s), else 1, 2, 4 ... seconds (at most 30).
 * Returns 1 when the caller should send again, 0 when it should give up. */
int purge_retry(const cp_purge_opts *o, int attempt, long status, long retry_after, int busy);

/* Makes a provider's words safe to print: cut before an AWS signature
 * error's canonical request, every known secret (the providers' tokens and
 * AWS keys of the environment, and secrets, NULL-terminated, may be NULL)
 * starred out, control characters made spaces. */
void purge_scrub(char *s, const char *const *secrets);

/* One request with retries (purge_retry); r->requests counts each send.
 * The body is kept in resp (cleared before each attempt).  Returns the last
 * status (0: no answer). */
long purge_send(const cp_purge_opts *o, const char *method, const char *url,
		const char *const *headers, const char *body, cp_buf *resp, cp_purge_report *r);

/* err = "<provider>: HTTP <status>: <what the answer says>" (CP_ERR_BUILD),
 * scrubbed (purge_scrub, with secrets, may be NULL) before it is cut. */
int purge_fail(cp_error *err, const char *provider, const char *what, long status,
	       const cp_buf *resp, const char *const *secrets);

/* The URLs a key may be requested by under base (1 to 3 distinct ones;
 * see purge_http.c).  Newly allocated. */
size_t purge_urls(const char *base, const char *key, char *out[3]);

/* One POST per URL, every spelling of every key (purge_urls):
 * request_url(ctx, url) is the API address that purges url (newly
 * allocated).  Stops at the first failure. */
int purge_per_url(const cp_purge_opts *o, const char *provider, const char *const *keys, size_t n,
		  const char *const *headers, char *(*request_url)(void *ctx, const char *url),
		  void *ctx, cp_purge_report *r, cp_error *err);

/* Records one purged name in r. */
void purge_note(cp_purge_report *r, const char *name);

#endif
