/*
 * state.c - what the last successful upload to a target knew was there
 * (issue 14): every key with its size and ETag, kept in cdnpipe's cache
 * folder under targets/<hash of the target's identity>.json.
 *
 * The listing is the truth and every upload still makes one; the state is
 * what `--trust-state` uses instead, for a user who owns the bucket alone:
 * a deploy that changed nothing then sends no request at all, and one that
 * changed a file sends that file.  It is written after each successful
 * upload (the listing, plus what this run sent: sizes, and the MD5 of every
 * single-part object, which is its ETag; a multipart object's ETag is left
 * empty and asked for when it matters), atomically, and carries the
 * identity it describes, so a file copied between machines or a hash
 * collision is not believed.
 *
 * The target keeps a generation key (CP_STATE_GENERATION): every cdnpipe
 * command that changes the target - an upload that sends anything, prune,
 * rollback, a sync into it - replaces it with new random bytes before its
 * first change and again after its last, and the state records the ETag of
 * the generation it saw.  A run also leaves a busy marker while it writes:
 * a listing taken while another run was writing may already be stale when
 * the state is saved (that run's later changes came after it, and its last
 * generation may never come, if it was killed), so no state is saved from a
 * listing that shows another run's marker.  `--trust-state` believes a state only
 * when one HEAD finds that same generation, so a deploy from another
 * machine, through another spelling of the endpoint, or one that failed
 * half-way all make the next run list.  What it cannot know - an object
 * another tool changed or removed - is why it is opt-in.
 */
#include "upload/publish/publish.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static char *state_path(const cp_target *t, char **identity)
{
	*identity = cp_target_identity(t);
	unsigned char d[32];
	char hex[65];
	cp_sha256(*identity, strlen(*identity), d);
	cp_hex(d, 32, hex);
	char *dir = cp_xdg_cache_dir("targets");
	char *p = cp_xasprintf("%s/%.32s.json", dir, hex);
	free(dir);
	return p;
}

static int bump(cp_target *t, char etag[CP_ETAG_MAX], cp_error *err)
{
	unsigned char md5[16];
	char text[80];
	size_t n = cp_s3_generation_text(text);
	cp_put_headers h = {.content_type = "text/plain", .cache_control = "no-cache"};
	int rc = cp_target_put_bytes(t, CP_STATE_GENERATION, text, n, &h, err);
	cp_md5(text, n, md5);
	cp_hex(md5, 16, etag);
	if (rc)
		etag[0] = 0;
	return rc;
}

int cp_upload_state_begin(cp_target *t, cp_state_run *run, cp_error *err)
{
	char hex[17];
	cp_random_hex(8, hex);
	snprintf(run->busy, sizeof run->busy, "%s%lld-%s", CP_STATE_BUSY, (long long)time(NULL),
		 hex);
	cp_put_headers h = {.content_type = "text/plain", .cache_control = "no-cache"};
	int rc = cp_target_put_bytes(t, run->busy, "", 0, &h, err);
	if (rc)
		run->busy[0] = 0;
	return rc ? rc : bump(t, run->gen, err);
}

void cp_upload_state_end(cp_target *t, cp_state_run *run)
{
	if (!run->busy[0])
		return;
	cp_error e = {0};
	if (bump(t, run->gen, &e))
		cp_log(CP_LOG_WARN, "the target's generation %s was not replaced: %s",
		       CP_STATE_GENERATION, e.msg);
	const char *keys[] = {run->busy};
	cp_error e2 = {0};
	cp_target_delete(t, keys, 1, NULL, &e2);
	run->busy[0] = 0;
}

/* A busy marker of another run, younger than a day (an older one is a
 * killed run's, whose changes a later listing sees). */
static int other_run_busy(const cp_remote_list *listed)
{
	size_t n = strlen(CP_STATE_BUSY);
	for (size_t i = 0; i < listed->n; i++)
		if (!strncmp(listed->v[i].key, CP_STATE_BUSY, n) &&
		    time(NULL) - strtoll(listed->v[i].key + n, NULL, 10) < 86400)
			return 1;
	return 0;
}

/* The states' folder, when no other user can plant a state in it. */
static int state_dir_ok(void)
{
	char *dir = cp_xdg_cache_dir("targets");
	cp_error e = {0};
	int ok = cp_private_dir(dir, &e) == 0;
	if (!ok)
		cp_log(CP_LOG_WARN, "no upload state: %s", e.msg);
	free(dir);
	return ok;
}

int cp_upload_state_load(cp_target *t, cp_remote_list *out, int64_t *when)
{
	char *id, *path = state_path(t, &id);
	cp_buf b = CP_BUF_INIT;
	cp_error e = {0};
	json_error_t je;
	json_t *j = !state_dir_ok() || !cp_file_is_mine(path) || cp_read_file(path, &b, &e)
			? NULL
			: json_loadb(b.data, b.len, 0, &je);
	json_t *keys = json_object_get(j, "keys");
	int ok = json_is_string(json_object_get(j, "target")) &&
		 !strcmp(json_string_value(json_object_get(j, "target")), id) &&
		 json_is_array(keys);
	for (size_t i = 0; ok && i < json_array_size(keys); i++) {
		json_t *k = json_array_get(keys, i);
		const char *key = json_string_value(json_array_get(k, 0));
		json_t *size = json_array_get(k, 1);
		const char *etag = json_string_value(json_array_get(k, 2));
		ok = key && json_is_integer(size) && json_integer_value(size) >= 0 && etag &&
		     strlen(etag) < CP_ETAG_MAX;
		if (ok)
			cp_remote_list_add(out, key, (uint64_t)json_integer_value(size), etag);
	}
	if (ok && when)
		*when = json_integer_value(json_object_get(j, "time"));
	if (ok) { /* the target's generation must be the one the state saw */
		const char *gen = json_string_value(json_object_get(j, "generation"));
		cp_object_info info = {0};
		int exists = 0;
		cp_error e2 = {0};
		ok = gen && !cp_target_head(t, CP_STATE_GENERATION, &info, &exists, &e2) &&
		     exists && !strcasecmp(info.etag, gen);
		if (!ok)
			cp_log(CP_LOG_WARN,
			       "the target changed since the upload state was written: "
			       "listing it");
	}
	if (!ok && b.len && !json_is_string(json_object_get(j, "generation")))
		cp_log(CP_LOG_WARN, "upload state %s is not usable: listing the target instead",
		       path);
	if (!ok)
		cp_remote_list_free(out);
	json_decref(j);
	cp_buf_free(&b);
	free(path);
	free(id);
	return ok;
}

/* The ETag an object sent by this run has: its MD5 when it went in one PUT
 * (and its bytes were not replaced by a header copy), "" when unknown. */
static void sent_etag(cp_target *t, const cp_plan_item *it, char out[CP_ETAG_MAX])
{
	unsigned char md5[16];
	cp_error e = {0};
	out[0] = 0;
	if (cp_target_part_size(t, it->size) != 0)
		return;
	if (it->have_md5)
		memcpy(md5, it->md5, 16);
	else if (cp_md5_file(it->local, 0, UINT64_MAX, md5, &e))
		return;
	cp_hex(md5, 16, out);
}

void cp_upload_state_save(cp_target *t, const cp_remote_list *listed, const cp_plan *plan,
			  const char *generation)
{
	if (!generation || !*generation)
		return; /* a target with no generation key: a state could not be checked */
	if (other_run_busy(listed)) {
		cp_log(CP_LOG_INFO, "another cdnpipe run was changing the target while it was "
				    "listed: no upload state saved");
		return;
	}
	cp_strmap sent = {0};
	for (size_t i = 0; i < plan->n; i++)
		if (plan->v[i].action == CP_PLAN_UPLOAD && plan->v[i].status == CP_ITEM_DONE &&
		    !plan->v[i].headers_only)
			cp_strmap_put(&sent, plan->v[i].key, i);
	json_t *keys = json_array();
	for (size_t i = 0; i < listed->n; i++)
		if (!cp_strmap_get(&sent, listed->v[i].key, NULL) &&
		    strcmp(listed->v[i].key, CP_STATE_GENERATION) &&
		    strncmp(listed->v[i].key, CP_STATE_BUSY, strlen(CP_STATE_BUSY)))
			json_array_append_new(keys, json_pack("[s, I, s]", listed->v[i].key,
							      (json_int_t)listed->v[i].size,
							      listed->v[i].etag));
	/* the generation as it is now (this run may have made it), so that the
	 * next run planned from this state starts from it */
	json_array_append_new(
	    keys, json_pack("[s, I, s]", CP_STATE_GENERATION, (json_int_t)0, generation));
	for (size_t i = 0; i < plan->n; i++) {
		const cp_plan_item *it = &plan->v[i];
		if (!cp_strmap_get(&sent, it->key, NULL))
			continue;
		char etag[CP_ETAG_MAX];
		sent_etag(t, it, etag);
		json_array_append_new(keys,
				      json_pack("[s, I, s]", it->key, (json_int_t)it->size, etag));
	}
	char *id, *path = state_path(t, &id);
	json_t *j = json_pack("{s:s, s:I, s:s, s:o}", "target", id, "time", (json_int_t)time(NULL),
			      "generation", generation, "keys", keys);
	char *text = json_dumps(j, JSON_COMPACT);
	cp_error e = {0};
	if (!state_dir_ok())
		; /* said why */
	else if (!text || cp_write_atomic(path, text, strlen(text), &e))
		cp_log(CP_LOG_INFO, "upload state %s not written: %s", path, e.msg);
	free(text);
	json_decref(j);
	free(path);
	free(id);
	cp_strmap_free(&sent);
}

void cp_upload_state_forget(const cp_target *t)
{
	char *id, *path = state_path(t, &id);
	unlink(path);
	free(path);
	free(id);
}
