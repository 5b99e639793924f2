/*
 * sync_generation.c - a sync into a deploy target makes its upload states
 * stale, as every other command that changes a target does.
 *
 * `upload --trust-state` believes a saved state only while the target's
 * generation key (CP_STATE_GENERATION under the target's prefix) is
 * unchanged, and upload, prune and rollback replace it around their changes
 * (upload/publish/state.c).  A sync whose destination is a bucket prefix can
 * change a deploy target's objects too: one at that very prefix, one below
 * it (a sync of the whole bucket), or one above it (a sync into
 * static/img/).  So before its first change and after its last, a sync
 * replaces every generation key its changes fall under: those its listing
 * of the destination shows (at or below the prefix, no request) and those
 * at each prefix above it (a HEAD each: as many as the prefix has folders).
 *
 * Trade-off: a few requests per sync that changes anything, against a deploy
 * that would otherwise skip files a sync replaced, for as long as nobody
 * lists.  A key that cannot be replaced fails the sync before it changes
 * anything (its first round) - the state would be wrong otherwise.
 */
#include "upload/sync/sync_run.h"

#include <stdlib.h>
#include <string.h>

static int is_generation(const char *rel)
{
	size_t n = strlen(rel), g = strlen(CP_STATE_GENERATION);
	return n >= g && !strcmp(rel + n - g, CP_STATE_GENERATION) &&
	       (n == g || rel[n - g - 1] == '/');
}

static void add(sync_ctx *c, char *key)
{
	c->generations =
	    cp_xrealloc(c->generations, (c->ngenerations + 1) * sizeof *c->generations);
	c->generations[c->ngenerations++] = key;
}

static void find(sync_ctx *c)
{
	sync_side *d = &c->dst;
	for (size_t i = 0; i < d->list.n; i++)
		if (is_generation(d->list.v[i].rel))
			add(c, cp_xasprintf("%s%s", d->loc.prefix, d->list.v[i].rel));
	/* above: "a/b/" asks for "a/.cdnpipe/generation" and ".cdnpipe/generation" */
	const char *p = d->loc.prefix;
	for (size_t k = strlen(p); k > 0;) {
		while (k > 0 && p[k - 1] == '/')
			k--;
		while (k > 0 && p[k - 1] != '/')
			k--;
		char *key = cp_xasprintf("%.*s%s", (int)k, p, CP_STATE_GENERATION);
		cp_s3_result r = {0};
		if (cp_s3_head(d->s3, d->loc.bucket, key, NULL, NULL, &r) == 0)
			add(c, key);
		else
			free(key);
		cp_s3_result_free(&r);
	}
	c->generations_found = 1;
}

int sync_generations_bump(sync_ctx *c, cp_error *err)
{
	if (!c->dst.loc.is_s3)
		return 0;
	if (!c->generations_found)
		find(c);
	int rc = 0;
	for (size_t i = 0; i < c->ngenerations; i++) {
		char text[80];
		size_t n = cp_s3_generation_text(text);
		cp_s3_body b = {.data = text, .len = n};
		cp_s3_put_headers h = {.content_type = "text/plain", .cache_control = "no-cache"};
		cp_s3_result r = {0};
		if (cp_s3_put(c->dst.s3, c->dst.loc.bucket, c->generations[i], &b, &h, NULL, NULL,
			      &r) &&
		    !rc)
			rc = cp_error_set(err, c->generations[i], 0, 0,
					  "cannot replace the deploy target's generation key, "
					  "which tells `upload --trust-state` that the target "
					  "changed: %s",
					  r.err.msg);
		cp_s3_result_free(&r);
	}
	return rc ? CP_ERR_BUILD : 0;
}
