/*
 * header_rules.c - [headers "GLOB"] sections into cp_header_rule; see
 * header_rules.h.  The rules live for the whole process (one command per
 * process), so nothing is freed.
 */
#include "cmd/header_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static cp_header_rule *rules;
static size_t nrules;

/* The rule of the section being read: a new one when the glob changes
 * (a section named twice is two rules, in file order). */
static cp_header_rule *rule_for(const char *glob)
{
	if (nrules && !strcmp(rules[nrules - 1].glob, glob))
		return &rules[nrules - 1];
	rules = cp_xrealloc(rules, (nrules + 1) * sizeof *rules);
	cp_header_rule *r = &rules[nrules++];
	memset(r, 0, sizeof *r);
	r->glob = cp_xstrdup(glob);
	r->precompressed = 1;
	return r;
}

/* A header value must be one line of printable ASCII: S3 signs headers as
 * bytes and stores metadata as US-ASCII, so anything else fails every
 * request (or comes back changed, and is then copied on every run). */
static int value_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p > 0x7e)
			return 0;
	return *v != 0 && strlen(v) < CP_HEADER_MAX;
}

/* S3's limit on user metadata: names and values together. */
#define META_MAX 2048

int cp_header_rules_key(const char *glob, const char *key, const char *value, const char *where)
{
	if (!*glob) {
		fprintf(stderr, "cdnpipe: %s: [headers \"\"] wants a glob\n", where);
		return 2;
	}
	if (!value_ok(value)) {
		fprintf(stderr,
			"cdnpipe: %s: '%s' wants a value of printable ASCII on one line, under %d "
			"characters\n",
			where, key, CP_HEADER_MAX);
		return 2;
	}
	cp_header_rule *r = rule_for(glob);
	const char **slot = !strcasecmp(key, "cache-control")	      ? &r->cache_control
			    : !strcasecmp(key, "content-type")	      ? &r->content_type
			    : !strcasecmp(key, "content-disposition") ? &r->content_disposition
								      : NULL;
	if (slot) {
		if (*slot) {
			fprintf(stderr, "cdnpipe: %s: '%s' is set twice in [headers \"%s\"]\n",
				where, key, glob);
			return 2;
		}
		*slot = cp_xstrdup(value);
		return 0;
	}
	if (!strcasecmp(key, "precompressed")) {
		int t =
		    !strcasecmp(value, "true") || !strcmp(value, "1") || !strcasecmp(value, "yes");
		int f =
		    !strcasecmp(value, "false") || !strcmp(value, "0") || !strcasecmp(value, "no");
		if (!t && !f) {
			fprintf(stderr, "cdnpipe: %s: precompressed wants true or false\n", where);
			return 2;
		}
		r->precompressed = t;
		return 0;
	}
	size_t ml = strlen("x-amz-meta-");
	int is_meta = !strncasecmp(key, "x-amz-meta-", ml);
	const char *name = is_meta ? key + ml : "";
	if (is_meta && !strcasecmp(name, CP_META_MANAGED)) {
		fprintf(stderr, "cdnpipe: %s: x-amz-meta-%s is cdnpipe's own\n", where, name);
		return 2;
	}
	if (is_meta && *name &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
		strlen(name)) {
		size_t total = strlen(name) + strlen(value);
		for (size_t i = 0; i < r->nmeta; i++) {
			if (!strcasecmp(r->meta[i].name, name)) {
				fprintf(stderr,
					"cdnpipe: %s: '%s' is set twice in [headers \"%s\"]\n",
					where, key, glob);
				return 2;
			}
			total += strlen(r->meta[i].name) + strlen(r->meta[i].value);
		}
		if (total > META_MAX) {
			fprintf(
			    stderr,
			    "cdnpipe: %s: the x-amz-meta-* of [headers \"%s\"] pass S3's limit of "
			    "%d bytes\n",
			    where, glob, META_MAX);
			return 2;
		}
		cp_s3_header *m = cp_xrealloc((cp_s3_header *)r->meta, (r->nmeta + 1) * sizeof *m);
		m[r->nmeta] = (cp_s3_header){cp_xstrdup(name), cp_xstrdup(value)};
		for (char *c = m[r->nmeta].name; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		r->meta = m;
		r->nmeta++;
		return 0;
	}
	fprintf(stderr,
		"cdnpipe: %s: unknown key '%s' in [headers \"%s\"] (cache-control, content-type, "
		"content-disposition, x-amz-meta-NAME, precompressed)\n",
		where, key, glob);
	return 2;
}

/* A rule that sets x-amz-meta-* or Content-Disposition also sets
 * x-amz-meta-cdnpipe-managed, naming them: a later copy then knows which of
 * an object's metadata cdnpipe put there (and may drop, once no rule sets
 * it) and which another tool did (and must keep). */
static void add_managed(cp_header_rule *r)
{
	if (!r->nmeta && !r->content_disposition)
		return;
	cp_buf b = CP_BUF_INIT;
	for (size_t i = 0; i < r->nmeta; i++)
		cp_buf_printf(&b, "%s%s", i ? "," : "", r->meta[i].name);
	if (r->content_disposition)
		cp_buf_printf(&b, "%scontent-disposition", r->nmeta ? "," : "");
	cp_s3_header *m = cp_xrealloc((cp_s3_header *)r->meta, (r->nmeta + 1) * sizeof *m);
	m[r->nmeta] = (cp_s3_header){cp_xstrdup(CP_META_MANAGED), cp_buf_take(&b)};
	r->meta = m;
	r->nmeta++;
}

const cp_header_rule *cp_header_rules(size_t *n)
{
	static size_t done;
	for (; done < nrules; done++)
		add_managed(&rules[done]);
	*n = nrules;
	return rules;
}
