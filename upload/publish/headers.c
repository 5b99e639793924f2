/*
 * headers.c - per-pattern headers ([headers "GLOB"] in cdnpipe.ini): which
 * rule covers a key, and whether the target already serves a skipped key
 * with the rule's headers.
 *
 * A listing says nothing about headers, so a change of headers alone (a new
 * Cache-Control for *.html) would never reach the bucket if the plan only
 * compared bytes.  The check is one HEAD per key that a rule covers and the
 * plan skips, in parallel, and only when the rules differ from the ones the
 * last complete upload applied: that upload leaves a marker key named by
 * the rules' fingerprint (CP_HEADERS_MARK), which the one listing shows, so
 * a deploy with unchanged rules sends no HEAD.  (A rule that is removed is
 * not noticed: its keys keep the headers it gave them until their bytes
 * change; an object another tool changed after the marker was written is
 * not noticed either.)
 *
 * Only what cdnpipe sets is compared - Content-Type, Cache-Control,
 * Content-Encoding, and the Content-Disposition and x-amz-meta-* names the
 * rule sets - so metadata another tool put on an object neither triggers a
 * copy nor is lost by one: the copy carries the object's other
 * x-amz-meta-* and its Content-Disposition over.  S3 does the copy as the
 * object onto itself with its metadata replaced: no bytes cross the
 * network.  CopyObject stops at 5 GiB, so a bigger object is sent again.
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

void cp_header_rules_digest(const cp_header_rule *rules, size_t n, char hex[65])
{
	cp_buf b = CP_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const cp_header_rule *r = &rules[i];
		/* NUL-separated, with a marker for unset fields */
		const char *f[] = {r->glob, r->cache_control, r->content_type,
				   r->content_disposition};
		for (size_t k = 0; k < 4; k++) {
			cp_buf_puts(&b, f[k] ? "=" : "-");
			cp_buf_append(&b, f[k] ? f[k] : "", f[k] ? strlen(f[k]) + 1 : 1);
		}
		char *m = cp_meta_canon(r->meta, r->nmeta);
		cp_buf_printf(&b, "%s%c%d;", m, 0, r->precompressed);
		free(m);
	}
	unsigned char d[32];
	cp_sha256(b.data ? b.data : "", b.len, d);
	cp_hex(d, 32, hex);
	cp_buf_free(&b);
}

struct check {
	cp_target *t;
	cp_plan *plan;
	size_t *idx;
	pthread_mutex_t lock;
	cp_diags *diags;
	int unchecked;
};

static int same(const char *have, const char *want)
{
	return !strcasecmp(have, want ? want : "");
}

/* A HEAD's "name: value\n" lines: the ones whose names the rule sets go to
 * managed (canonical, to compare), the others to keep (to carry over). */
static void split_meta(const char *canon, const cp_header_rule *rule, cp_buf *managed,
		       cp_s3_header **keep, size_t *nkeep)
{
	cp_s3_header *mine = cp_xcalloc(rule->nmeta + 1, sizeof *mine);
	size_t nmine = 0;
	for (const char *line = canon; *line;) {
		const char *nl = strchr(line, '\n'), *colon = strstr(line, ": ");
		if (!nl)
			break;
		if (colon && colon < nl) {
			char *name = cp_xstrndup(line, (size_t)(colon - line));
			char *value = cp_xstrndup(colon + 2, (size_t)(nl - colon - 2));
			int managed_name = 0;
			for (size_t i = 0; i < rule->nmeta; i++)
				managed_name |= !strcasecmp(rule->meta[i].name, name);
			if (managed_name) {
				mine[nmine++] = (cp_s3_header){name, value};
			} else {
				*keep = cp_xrealloc(*keep, (*nkeep + 1) * sizeof **keep);
				(*keep)[(*nkeep)++] = (cp_s3_header){name, value};
			}
		}
		line = nl + 1;
	}
	char *c = cp_meta_canon(mine, nmine);
	cp_buf_puts(managed, c);
	free(c);
	for (size_t i = 0; i < nmine; i++) {
		free(mine[i].name);
		free(mine[i].value);
	}
	free(mine);
}

/* The copy's metadata: the rule's, then what the object carries beyond it. */
static void carry_over(cp_plan_item *it, cp_s3_header *keep, size_t nkeep,
		       const cp_object_info *info)
{
	const cp_header_rule *rule = it->rule;
	cp_s3_header *m = cp_xcalloc(rule->nmeta + nkeep + 1, sizeof *m);
	size_t n = 0;
	for (size_t i = 0; i < rule->nmeta; i++)
		m[n++] =
		    (cp_s3_header){cp_xstrdup(rule->meta[i].name), cp_xstrdup(rule->meta[i].value)};
	for (size_t i = 0; i < nkeep; i++)
		m[n++] = keep[i]; /* taken */
	it->own_meta = m;
	it->meta = m;
	it->nmeta = n;
	if (!rule->content_disposition && info->content_disposition[0]) {
		it->own_disposition = cp_xstrdup(info->content_disposition);
		it->content_disposition = it->own_disposition;
	}
}

static void check_one(void *ctx, size_t k)
{
	struct check *c = ctx;
	cp_plan_item *it = &c->plan->v[c->idx[k]];
	cp_object_info info = {0};
	int exists = 0;
	cp_error e = {0};
	if (cp_target_head(c->t, it->key, &info, &exists, &e) || info.truncated) {
		pthread_mutex_lock(&c->lock);
		c->unchecked = 1;
		cp_diags_add(c->diags, CP_DIAG_WARN, it->key, 0, 0,
			     "its headers cannot be compared with [headers \"%s\"] (%s): left as "
			     "they are",
			     it->rule->glob, info.truncated ? "a value too long" : e.msg);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (!exists || !info.headers)
		return; /* gone since the listing: the next run sends it; a folder */
	const cp_header_rule *rule = it->rule;
	cp_buf managed = CP_BUF_INIT;
	cp_s3_header *keep = NULL;
	size_t nkeep = 0;
	split_meta(info.meta, rule, &managed, &keep, &nkeep);
	char *want = cp_meta_canon(rule->meta, rule->nmeta);
	int ok = same(info.content_type, it->content_type) &&
		 same(info.cache_control, it->cache_control) &&
		 same(info.content_encoding, it->content_encoding) &&
		 (!rule->content_disposition ||
		  same(info.content_disposition, rule->content_disposition)) &&
		 !strcmp(managed.data ? managed.data : "", want);
	free(want);
	cp_buf_free(&managed);
	if (!ok) {
		it->action = CP_PLAN_UPLOAD;
		it->reason = CP_WHY_HEADERS;
		it->headers_only = it->size < COPY_MAX;
		carry_over(it, keep, nkeep, &info);
		free(keep);
		return;
	}
	for (size_t i = 0; i < nkeep; i++) {
		free(keep[i].name);
		free(keep[i].value);
	}
	free(keep);
}

int cp_plan_check_headers(cp_target *t, cp_plan *plan, int jobs, cp_diags *diags)
{
	if (!strcmp(cp_target_scheme(t), "file"))
		return 1; /* a folder keeps no headers */
	struct check c = {.t = t, .plan = plan, .diags = diags};
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
	return !c.unchecked;
}
