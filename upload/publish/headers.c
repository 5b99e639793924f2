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
#include <stdio.h>
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

void cp_header_rules_digest(const cp_plan_opts *o, char hex[65])
{
	const cp_header_rule *rules = o->rules;
	size_t n = o->nrules;
	cp_buf b = CP_BUF_INIT;
	/* the defaults a covered key may get from them too */
	cp_buf_printf(&b, "%d%c%s%c%s%c", (int)o->encoding, 0,
		      o->cache_control_unhashed ? o->cache_control_unhashed : "", 0,
		      o->acl ? o->acl : "", 0);
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
	int stopped; /* a HEAD failed: the rest are not sent (a role without
			s3:GetObject would otherwise fail each, and warn each) */
	size_t skipped;
	char first[1200]; /* the first failure, for the one warning */
};

static int same(const char *have, const char *want)
{
	return !strcasecmp(have, want ? want : "");
}

/* 1 when name is in the comma list. */
static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && !strncasecmp(p, name, n))
			return 1;
		p += l + (p[l] == ',');
	}
	return 0;
}

/* An object's metadata, split: what cdnpipe manages - the names the rule
 * sets, the names the object's own cdnpipe-managed value lists (a rule set
 * them once), that value itself - goes to managed (canonical, to compare);
 * the rest, another tool's, to keep (to carry over).  *was gets the
 * object's cdnpipe-managed value (owned, NULL when none). */
static void split_meta(const char *canon, const cp_header_rule *rule, cp_buf *managed,
		       cp_s3_header **keep, size_t *nkeep, char **was)
{
	cp_s3_header *all = NULL;
	size_t n = 0;
	*was = NULL;
	for (const char *line = canon; *line;) {
		const char *nl = strchr(line, '\n'), *colon = strstr(line, ": ");
		if (!nl)
			break;
		if (colon && colon < nl) {
			all = cp_xrealloc(all, (n + 1) * sizeof *all);
			all[n++] = (cp_s3_header){cp_xstrndup(line, (size_t)(colon - line)),
						  cp_xstrndup(colon + 2, (size_t)(nl - colon - 2))};
			if (!strcasecmp(all[n - 1].name, CP_META_MANAGED))
				*was = cp_xstrdup(all[n - 1].value);
		}
		line = nl + 1;
	}
	cp_s3_header *mine = cp_xcalloc(n + 1, sizeof *mine);
	size_t nmine = 0;
	for (size_t i = 0; i < n; i++) {
		int ours = !strcasecmp(all[i].name, CP_META_MANAGED) || in_list(*was, all[i].name);
		for (size_t k = 0; !ours && k < rule->nmeta; k++)
			ours = !strcasecmp(rule->meta[k].name, all[i].name);
		if (ours) {
			mine[nmine++] = all[i];
		} else {
			*keep = cp_xrealloc(*keep, (*nkeep + 1) * sizeof **keep);
			(*keep)[(*nkeep)++] = all[i]; /* taken */
		}
	}
	char *c = cp_meta_canon(mine, nmine);
	cp_buf_puts(managed, c);
	free(c);
	cp_s3_headers_free(mine, nmine);
	free(all); /* its entries were moved to mine and keep */
}

/* The copy's metadata: the rule's, then another tool's; and the object's
 * Content-Disposition when the rule sets none and cdnpipe never did. */
static void carry_over(cp_plan_item *it, cp_s3_header *keep, size_t nkeep,
		       const cp_object_info *info, const char *was)
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
	if (!rule->content_disposition && info->content_disposition[0] &&
	    !in_list(was, "content-disposition")) {
		it->own_disposition = cp_xstrdup(info->content_disposition);
		it->content_disposition = it->own_disposition;
	}
}

/* S3's limit on user metadata, names and values together. */
#define META_MAX 2048

static size_t meta_bytes(const cp_s3_header *m, size_t n)
{
	size_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += strlen(m[i].name) + strlen(m[i].value);
	return t;
}

static void check_one(void *ctx, size_t k)
{
	struct check *c = ctx;
	cp_plan_item *it = &c->plan->v[c->idx[k]];
	cp_object_info info = {0};
	int exists = 0;
	cp_error e = {0};
	if (__atomic_load_n(&c->stopped, __ATOMIC_RELAXED)) {
		__atomic_fetch_add(&c->skipped, 1, __ATOMIC_RELAXED);
		return;
	}
	int failed = cp_target_head(c->t, it->key, &info, &exists, &e);
	if (failed || info.truncated) {
		pthread_mutex_lock(&c->lock);
		c->unchecked = 1;
		if (failed && !c->stopped) {
			c->stopped = 1;
			snprintf(c->first, sizeof c->first, "%s: %s", it->key, e.msg);
		} else if (!failed) {
			cp_diags_add(
			    c->diags, CP_DIAG_WARN, it->key, 0, 0,
			    "its headers cannot be compared with [headers \"%s\"] (a value "
			    "too long): left as they are",
			    it->rule->glob);
		} else {
			c->skipped++;
		}
		pthread_mutex_unlock(&c->lock);
		return;
	}
	if (!exists || !info.headers)
		return; /* gone since the listing: the next run sends it; a folder */
	const cp_header_rule *rule = it->rule;
	cp_buf managed = CP_BUF_INIT;
	cp_s3_header *keep = NULL;
	size_t nkeep = 0;
	char *was;
	split_meta(info.meta, rule, &managed, &keep, &nkeep, &was);
	char *want = cp_meta_canon(rule->meta, rule->nmeta);
	/* a Content-Disposition cdnpipe set once and no rule sets now must go */
	int stale_cd = !rule->content_disposition && info.content_disposition[0] &&
		       in_list(was, "content-disposition");
	int ok = same(info.content_type, it->content_type) &&
		 same(info.cache_control, it->cache_control) &&
		 same(info.content_encoding, it->content_encoding) &&
		 (!rule->content_disposition ||
		  same(info.content_disposition, rule->content_disposition)) &&
		 !stale_cd && !strcmp(managed.data ? managed.data : "", want);
	free(want);
	cp_buf_free(&managed);
	if (!ok && meta_bytes(keep, nkeep) + meta_bytes(rule->meta, rule->nmeta) > META_MAX) {
		pthread_mutex_lock(&c->lock);
		c->unchecked = 1;
		cp_diags_add(c->diags, CP_DIAG_WARN, it->key, 0, 0,
			     "its other x-amz-meta-* and those of [headers \"%s\"] pass S3's 2 KB "
			     "together: its headers are left as they are",
			     rule->glob);
		pthread_mutex_unlock(&c->lock);
		ok = 1;
	}
	if (!ok) {
		it->action = CP_PLAN_UPLOAD;
		it->reason = CP_WHY_HEADERS;
		it->headers_only = it->size < COPY_MAX;
		carry_over(it, keep, nkeep, &info, was);
		free(keep);
	} else {
		cp_s3_headers_free(keep, nkeep);
	}
	free(was);
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
	if (c.stopped)
		cp_diags_add(
		    diags, CP_DIAG_WARN, NULL, 0, 0,
		    "[headers]: a HEAD failed (%s), so %zu keys' headers were not compared "
		    "and are left as they are (a deploy role needs s3:GetObject for this)",
		    c.first, c.skipped + 1);
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
