/*
 * upload.c - publishing a DIST as one library call (cp_upload); see
 * publish.h.
 *
 * The job is four steps that each need the one before: scan DIST, open the
 * target and list it once, plan, publish.  Listing once (not a HEAD per
 * key) is what makes a re-run of an unchanged site a single request; the
 * plan then decides from that listing alone.  A dry run stops after the
 * plan, so what it prints is exactly what a real run would send.
 */
#include "upload/publish/publish.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cp_upload_report_init(cp_upload_report *r)
{
	memset(r, 0, sizeof *r);
	cp_diags_init(&r->diags);
}

void cp_upload_report_free(cp_upload_report *r)
{
	cp_plan_free(&r->plan);
	cp_diags_free(&r->diags);
	cp_purge_report_free(&r->purge);
}

/* A file:// target inside DIST would be published into itself on the next
 * run (its files listed as part of DIST).  The same folder is harmless. */
static int check_folder_target(const char *dist, const char *target, cp_error *err)
{
	const char *path;
	int rc = cp_file_url(target, &path, err);
	if (rc || !path)
		return rc;
	char *d = cp_path_absolute(dist), *t = cp_path_absolute(path);
	if (strcmp(d, t) && cp_path_is_within(t, d)) {
		cp_error_set(err, NULL, 0, 0, "the target folder %s is inside DIST %s", t, d);
		rc = CP_ERR_USAGE;
	}
	free(d);
	free(t);
	return rc;
}

/* A deploy that failed never made its release live: its history keys go
 * again, so that releases, rollback and prune see only releases that were
 * live (a deploy that is killed leaves them; prune keeps such a release
 * only while it is newer than the live one). */
static void drop_release(cp_target *t, const cp_plan *plan, cp_diags *d)
{
	const char **keys = cp_xcalloc(plan->n + 1, sizeof *keys);
	size_t n = 0;
	for (size_t i = 0; i < plan->n; i++)
		if (plan->v[i].history && plan->v[i].status == CP_ITEM_DONE)
			keys[n++] = plan->v[i].key;
	cp_error ignore = {0};
	if (n)
		cp_upload_state_forget(t);
	cp_target_delete(t, keys, n, d, &ignore);
	free(keys);
}

static int listed(const cp_remote_list *rl, const char *key)
{
	for (size_t i = 0; i < rl->n; i++)
		if (!strcmp(rl->v[i].key, key))
			return 1;
	return 0;
}

/* Every key the current rules cover has their headers now: say so with an
 * empty marker named by the rules' fingerprint.  Best effort: a marker
 * that cannot be written only costs the next run its HEADs. */
static int mark_rules(cp_target *t, const char *mark)
{
	cp_put_headers h = {.content_type = "text/plain", .cache_control = "no-cache"};
	cp_error e = {0};
	return cp_target_put_bytes(t, mark, "", 0, &h, &e) == 0;
}

/* 1 when rl holds a headers marker other than keep. */
static int other_marks(const cp_remote_list *rl, const char *keep)
{
	size_t ml = strlen(CP_HEADERS_MARK);
	for (size_t i = 0; i < rl->n; i++)
		if (!strncmp(rl->v[i].key, CP_HEADERS_MARK, ml) &&
		    (!keep || !*keep || strcmp(rl->v[i].key, keep)))
			return 1;
	return 0;
}

/* Before anything is sent, every marker but keep (NULL: all) goes: this
 * run may give covered keys other headers (other rules, no rules, other
 * defaults), and a marker left behind would let a later run with its rules
 * skip the check.  They leave rl too, which becomes the upload state. */
static void drop_marks(cp_target *t, cp_remote_list *rl, const char *keep, cp_diags *d)
{
	size_t ml = strlen(CP_HEADERS_MARK), n = 0;
	const char **old = cp_xcalloc(rl->n + 1, sizeof *old);
	cp_remote_list rest = {0};
	for (size_t i = 0; i < rl->n; i++) {
		const cp_remote_obj *o = &rl->v[i];
		if (!strncmp(o->key, CP_HEADERS_MARK, ml) && (!keep || strcmp(o->key, keep))) {
			old[n++] = o->key;
			continue;
		}
		cp_remote_list_add(&rest, o->key, o->size, o->etag);
		rest.v[rest.n - 1].mtime = o->mtime;
	}
	cp_error ignore = {0};
	if (n)
		cp_target_delete(t, old, n, d, &ignore);
	free(old);
	cp_remote_list_free(rl);
	*rl = rest;
}

/* After the publish: the CDN drops what changed.  The files are live by
 * now whatever the purge does, so a failure says so. */
static int purge_changed(const cp_purge_opts *po, cp_upload_report *r)
{
	const char **keys;
	size_t n = cp_plan_purge_keys(&r->plan, 1, &keys);
	int rc = cp_purge(po, keys, n, &r->purge);
	free(keys);
	if (rc)
		rc = cp_error_set(&r->err, NULL, 0, 0,
				  "the files are live, but the CDN may serve the old unhashed keys "
				  "until their max-age: %s",
				  r->purge.err.msg);
	return rc;
}

/* One upload's working state, between its steps. */
struct job {
	cp_target *t;
	cp_remote_list rl;			/* the listing (or the trusted state) */
	char mark[sizeof CP_HEADERS_MARK + 64]; /* the headers marker of these settings */
	int checked;				/* every covered key's headers compared */
	char gen[CP_ETAG_MAX];			/* the target's generation */
	cp_state_run run;			/* when this run changes the target */
};

/* After the plan, before the first change: the headers check, the target's
 * generation (a new one when this run changes anything), stale markers. */
static int prepare(const cp_upload_opts *o, cp_upload_report *r, struct job *j)
{
	int headers = strcmp(cp_target_scheme(j->t), "file");
	if (headers && o->plan.nrules) {
		char hex[65];
		cp_header_rules_digest(&o->plan, hex);
		snprintf(j->mark, sizeof j->mark, "%s%s", CP_HEADERS_MARK, hex);
		if (!listed(&j->rl, j->mark))
			j->checked =
			    cp_plan_check_headers(j->t, &r->plan, o->concurrency, &r->diags);
	}
	for (size_t i = 0; i < j->rl.n; i++)
		if (!strcmp(j->rl.v[i].key, CP_STATE_GENERATION))
			snprintf(j->gen, sizeof j->gen, "%s", j->rl.v[i].etag);
	if (o->dry_run)
		return 0;
	if (r->plan.n_upload || other_marks(&j->rl, j->mark)) {
		if (cp_upload_state_begin(j->t, &j->run, &r->err))
			return CP_ERR_BUILD;
		memcpy(j->gen, j->run.gen, sizeof j->gen);
	}
	if (headers)
		drop_marks(j->t, &j->rl, j->mark[0] ? j->mark : NULL, &r->diags);
	return 0;
}

/* The release's history, the publish, and what follows it: on failure the
 * release goes and what arrived is purged; on success the marker, the
 * upload state and the purge. */
static int publish_job(const cp_upload_opts *o, cp_upload_report *r, struct job *j)
{
	const char *td = getenv("TMPDIR");
	char *tmp = cp_xasprintf("%s/cdnpipe-release.XXXXXX", td && *td ? td : "/tmp"),
	     *record = NULL;
	int rc = mkdtemp(tmp) ? 0
			      : cp_error_set(&r->err, NULL, 0, 0,
					     "cannot make a temporary folder: %s", strerror(errno));
	/* the release's history copies go up before its manifests go live */
	if (!rc)
		rc = cp_release_plan(&r->plan, tmp, &record, r->release, &r->err);
	if (!rc) {
		cp_publish_opts po = {.concurrency = o->concurrency,
				      .progress = o->progress,
				      .progress_ctx = o->progress_ctx};
		r->published = 1;
		rc = cp_publish(j->t, &r->plan, &po, &r->result, &r->err);
		if (j->run.busy[0]) { /* after the last change, failed or not */
			cp_upload_state_end(j->t, &j->run);
			memcpy(j->gen, j->run.gen, sizeof j->gen);
		}
		if (rc) {
			drop_release(j->t, &r->plan, &r->diags);
			r->release[0] = 0;
			/* unhashed keys are live the moment they arrive, manifest or
			 * not: what did arrive is purged all the same */
			const char **keys;
			size_t n = cp_plan_purge_keys(&r->plan, 1, &keys);
			cp_purge(&o->purge, keys, n, &r->purge);
			free(keys);
		} else {
			if (j->checked && mark_rules(j->t, j->mark))
				cp_remote_list_add(&j->rl, j->mark, 0,
						   "d41d8cd98f00b204e9800998ecf8427e");
			cp_upload_state_save(j->t, &j->rl, &r->plan, j->gen);
			rc = purge_changed(&o->purge, r);
		}
	}
	cp_upload_state_end(j->t, &j->run); /* when the publish was never reached */
	if (record)
		unlink(record);
	rmdir(tmp); /* empty once the record is gone */
	free(record);
	free(tmp);
	return rc;
}

int cp_upload(const char *dist, const char *target, const cp_upload_opts *o, cp_upload_report *r)
{
	double t0 = cp_clock();
	int rc = check_folder_target(dist, target, &r->err);
	if (rc)
		return rc;
	cp_dist_file *files = NULL;
	size_t nfiles = 0;
	struct job j = {0};
	rc = cp_dist_scan(dist, &files, &nfiles, &r->diags, &r->err);
	for (size_t i = 0; !rc && i < nfiles; i++)
		if (!strncmp(files[i].rel, ".cdnpipe/", 9))
			rc = cp_error_set(
			    &r->err, files[i].path, 0, 0,
			    "is under .cdnpipe/, which at the target is cdnpipe's release "
			    "history: not uploaded");
	if (o->scanned)
		o->scanned(o->progress_ctx, &r->diags);
	if (!rc)
		rc = cp_target_open(target, &o->s3, &j.t, &r->err);
	if (!rc && o->trust_state && cp_upload_state_load(j.t, &j.rl, &r->state_time))
		r->trusted_state = 1;
	else if (!rc)
		rc = cp_target_list(j.t, "", &j.rl, &r->err);
	if (!rc)
		rc = cp_plan_build(files, nfiles, &j.rl, j.t, &o->plan, &r->plan, &r->err);
	if (!rc)
		rc = prepare(o, r, &j);
	if (!rc && !o->dry_run)
		rc = publish_job(o, r, &j);
	cp_remote_list_free(&j.rl);
	cp_target_close(j.t);
	cp_dist_free(files, nfiles);
	r->seconds = cp_clock() - t0;
	return rc;
}
