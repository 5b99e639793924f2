/*
 * headers.c - per-pattern headers ([headers "GLOB"] in cdnpipe.ini): which
 * rule covers a key, and whether the target already serves a skipped key
 * with the rule's headers.
 *
 * A listing says nothing about headers, so a change of headers alone (a new
 * Cache-Control for *.html) would never reach the bucket if the plan only
 * compared bytes.  The check is one HEAD per key that a rule covers and the
 * plan skips - typically a handful of HTML pages, a service worker, fonts -
 * never one per key of the site: keys no rule covers keep cdnpipe's
 * defaults, which do not change between runs of one configuration.  (A rule
 * that is removed is not noticed: its keys keep the headers it gave them
 * until their bytes change.)  Where the headers differ, the item is sent as
 * "headers only", which S3 does as a copy of the object onto itself with its
 * metadata replaced: no bytes cross the network.  CopyObject stops at
 * 5 GiB, so a bigger object is sent again instead.
 */
#include "upload/publish/publish.h"

#include "lib/cp.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COPY_MAX (5ull << 30)

const cp_header_rule *cp_header_rule_for(const cp_header_rule *rules, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (cp_glob_match(rules[i].glob, key))
			return &rules[i];
	return NULL;
}

struct check {
	cp_target *t;
	cp_plan *plan;
	size_t *idx;
	pthread_mutex_t lock;
	cp_error err;
};

static int same(const char *have, const char *want)
{
	return !strcasecmp(have, want ? want : "");
}

static void check_one(void *ctx, size_t k)
{
	struct check *c = ctx;
	cp_plan_item *it = &c->plan->v[c->idx[k]];
	cp_object_info info = {0};
	int exists = 0;
	cp_error e = {0};
	if (cp_target_head(c->t, it->key, &info, &exists, &e)) {
		pthread_mutex_lock(&c->lock);
		if (!c->err.set)
			c->err = e;
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (!exists || !info.headers)
		return; /* gone since the listing: the next run sends it; a folder */
	char *meta = cp_meta_canon(it->meta, it->nmeta);
	int ok = same(info.content_type, it->content_type) &&
		 same(info.cache_control, it->cache_control) &&
		 same(info.content_encoding, it->content_encoding) &&
		 same(info.content_disposition, it->content_disposition) &&
		 !strcmp(info.meta, meta);
	free(meta);
	if (ok)
		return;
	it->action = CP_PLAN_UPLOAD;
	it->reason = CP_WHY_HEADERS;
	it->headers_only = it->size < COPY_MAX;
}

int cp_plan_check_headers(cp_target *t, cp_plan *plan, int jobs, cp_error *err)
{
	if (!strcmp(cp_target_scheme(t), "file"))
		return 0; /* a folder keeps no headers */
	struct check c = {.t = t, .plan = plan};
	c.idx = cp_xmalloc((plan->n + 1) * sizeof *c.idx);
	size_t n = 0;
	for (size_t i = 0; i < plan->n; i++) {
		const cp_plan_item *it = &plan->v[i];
		if (it->rule && it->action == CP_PLAN_SKIP && it->reason != CP_WHY_ENCODING &&
		    !it->history)
			c.idx[n++] = i;
	}
	pthread_mutex_init(&c.lock, NULL);
	if (n)
		cp_parallel_for(jobs > 0 ? jobs : 16, n, check_one, &c);
	pthread_mutex_destroy(&c.lock);
	for (size_t k = 0; k < n; k++) {
		const cp_plan_item *it = &plan->v[c.idx[k]];
		if (it->action == CP_PLAN_UPLOAD) {
			plan->n_skip--;
			plan->n_upload++;
			plan->bytes_upload += it->headers_only ? 0 : it->size;
		}
	}
	free(c.idx);
	if (c.err.set) {
		*err = c.err;
		return CP_ERR_BUILD;
	}
	return 0;
}
