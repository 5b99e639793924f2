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
 * The listing is a stream (sync_run.c): a generation key below the prefix
 * is known once the merge has read it, so before each window's changes the
 * keys not yet replaced are, and after the last change all are.  A deploy
 * target's files that sort before its generation key (names beginning with
 * one of " !\"#$%&'()*+,-", below '.') and change in an earlier window are
 * covered by the replacement after the last change only: a crash between
 * the two leaves that target's state trusted.  The window holds thousands of
 * keys, so this needs a target whose key sorts thousands of keys after
 * such names; listing the whole destination first would cost the memory the
 * stream saves.
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

void sync_generation_seen(sync_ctx *c, const char *rel)
{
	if (c->dst.loc.is_s3 && is_generation(rel))
		add(c, cp_xasprintf("%s%s", c->dst.loc.prefix, rel));
}

/* The keys above the prefix, asked for once. */
static void find(sync_ctx *c)
{
	sync_side *d = &c->dst;
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

int sync_generations_bump(sync_ctx *c, int all, cp_error *err)
{
	if (!c->dst.loc.is_s3)
		return 0;
	if (!c->generations_found)
		find(c);
	int rc = 0;
	for (size_t i = all ? 0 : c->nbumped; i < c->ngenerations; i++) {
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
	if (!rc)
		c->nbumped = c->ngenerations;
	return rc ? CP_ERR_BUILD : 0;
}
