/*
 * publish.h - the public header of upload/publish/: what is sent where.
 *
 *   plan     pure data: DIST + ONE flat listing of the target -> the list of
 *            keys to send or skip, with headers and a reason for each.  No
 *            network; the unit tests build plans from fabricated listings.
 *   publish  runs a plan: every asset first (bounded concurrency), then the
 *            manifest(s) only when no asset failed.  Never deletes.
 *
 *   upload   the whole job as one call (cp_upload): scan DIST, list the
 *            target once, plan, and publish unless it is a dry run.
 *
 * Stages never print: progress is a callback, failures are recorded on the
 * plan items (each failed key keeps its own message), and cmd/ reports.
 */
#ifndef CP_UPLOAD_PUBLISH_H
#define CP_UPLOAD_PUBLISH_H

#include "manifest/manifest.h"
#include "upload/purge/purge.h"
#include "upload/target/target.h"

/* ---- plan ---- */

enum cp_encoding_mode {
	CP_ENC_SIBLINGS = 0, /* x.css.gz / x.css.br as their own keys */
	CP_ENC_GZIP,	     /* x.css.gz's bytes under x.css, Content-Encoding: gzip */
	CP_ENC_NONE,	     /* plain files only */
};
/* Parses "siblings" / "gzip" / "none"; -1 when unknown. */
int cp_encoding_parse(const char *s);

enum cp_plan_action { CP_PLAN_UPLOAD, CP_PLAN_SKIP };

/* Why an item is sent or skipped; cp_plan_reason_str() spells it for people. */
enum cp_plan_reason {
	CP_WHY_NEW,	      /* not in the listing */
	CP_WHY_SIZE,	      /* listed with another size */
	CP_WHY_ETAG,	      /* listed with the same size but another ETag */
	CP_WHY_HASHED_EXISTS, /* fingerprinted, listed with the same size */
	CP_WHY_SAME_ETAG,     /* listed with the local MD5 (or multipart ETag) */
	CP_WHY_ENCODING,      /* a sibling the --encoding mode does not send */
	CP_WHY_LISTED_TWICE,  /* the listing named the key twice, with different sizes or ETags */
	CP_WHY_HEADERS,	      /* the same bytes, other headers: new headers only */
};
const char *cp_plan_reason_str(enum cp_plan_reason r);

enum cp_item_status { CP_ITEM_PENDING, CP_ITEM_DONE, CP_ITEM_FAILED };

typedef struct cp_plan_item {
	char *key;   /* relative to the target prefix */
	char *local; /* file whose bytes are sent */
	uint64_t size;
	enum cp_plan_action action;
	enum cp_plan_reason reason;
	int manifest; /* phase 3: sent only after every other item succeeded */
	int history;  /* a release's history: phase 1, before the assets */
	int fingerprinted;
	const char *content_type; /* static strings or owned by the plan */
	const char *cache_control;
	const char *content_encoding;
	const char *content_disposition; /* from a [headers] rule, or NULL */
	const cp_s3_header *meta;	 /* x-amz-meta-*, from a [headers] rule */
	size_t nmeta;
	const struct cp_header_rule *rule; /* the rule that matched, or NULL */
	int headers_only;		   /* CP_WHY_HEADERS: a metadata copy, no bytes */
	/* a copy's metadata: the rule's and what the object carries beyond it
	 * (owned; meta then points here) */
	cp_s3_header *own_meta;
	char *own_disposition;
	int have_md5;
	unsigned char md5[16];
	/* set by publish */
	enum cp_item_status status;
	char *error; /* why it failed (NULL otherwise) */
} cp_plan_item;

/* One [headers "GLOB"] section of cdnpipe.ini: headers for the keys the
 * glob matches (lib/glob.h: no '/' matches the last segment at any depth).
 * The first rule that matches a key wins, as hugo deploy's matchers do; a
 * .gz/.br sibling follows its plain file's rule.  Manifests and history
 * keep cdnpipe's own headers.  NULL fields keep the default. */
typedef struct cp_header_rule {
	const char *glob;
	const char *cache_control;
	const char *content_type;
	const char *content_disposition;
	const cp_s3_header *meta; /* x-amz-meta-<name>: value */
	size_t nmeta;
	int precompressed; /* 1: as built (default); 0: only the plain bytes are sent */
} cp_header_rule;

/* The x-amz-meta-* name a rule's uploads carry to list what else of the
 * object's metadata the rule set (cmd adds it to each rule that sets any). */
#define CP_META_MANAGED "cdnpipe-managed"

/* The first rule whose glob matches key (the plain file's), or NULL. */
const cp_header_rule *cp_header_rule_for(const cp_header_rule *rules, size_t n, const char *key);

typedef struct cp_plan_opts {
	enum cp_encoding_mode encoding;
	const cp_header_rule *rules; /* [headers "GLOB"] sections, in file order */
	size_t nrules;
	const char *cache_control_unhashed; /* NULL: "public, max-age=300" */
	const char *acl;		    /* NULL: none */
	int jobs;			    /* threads for local hashing (0: cores) */
} cp_plan_opts;

typedef struct cp_plan {
	cp_plan_item *v;
	size_t n, cap;
	const char *acl;
	char *cache_control_unhashed; /* owned copy */
	/* The same with ", no-transform", for --encoding=gzip objects: R2 and GCS
	 * otherwise decompress gzip-encoded objects for some clients. */
	char *cache_control_unhashed_gz;
	/* totals over UPLOAD items */
	size_t n_upload, n_skip;
	uint64_t bytes_upload;
} cp_plan;

#define CP_CACHE_IMMUTABLE    "public, max-age=31536000, immutable"
#define CP_CACHE_IMMUTABLE_GZ CP_CACHE_IMMUTABLE ", no-transform"
#define CP_CACHE_UNHASHED     "public, max-age=300"
#define CP_CACHE_MANIFEST     "no-cache"

/* One file of DIST as the planner sees it (rel is the key below the prefix). */
typedef struct cp_dist_file {
	char *rel;
	char *path;
	uint64_t size;
} cp_dist_file;

/* Lists DIST (every file, dotfiles included, sorted by rel). */
int cp_dist_scan(const char *dist, cp_dist_file **out, size_t *n, cp_diags *diags, cp_error *err);
void cp_dist_free(cp_dist_file *v, size_t n);

/* Builds the plan from DIST's files and one listing of the target.  t is
 * used only to compute ETags a listing left empty and the part size (it may
 * be NULL in tests: ETags are then only ever compared when listed, and
 * multipart with the default 8 MiB part size).  The manifest (staticfiles.json
 * in DIST) names the fingerprinted files; a malformed one is an error.
 * Items come out sorted by key, manifests last. */
int cp_plan_build(const cp_dist_file *files, size_t nfiles, const cp_remote_list *remote,
		  cp_target *t, const cp_plan_opts *o, cp_plan *plan, cp_error *err);
/* A listing has no headers: for each item the plan skips and a rule
 * covers, one HEAD (in parallel) tells whether the target's headers are the
 * rule's; where they are not, the item becomes an upload of the headers
 * alone (CP_WHY_HEADERS; a metadata copy on S3 that keeps the object's
 * other x-amz-meta-* and Content-Disposition, the bytes again past 5 GiB).
 * Only what cdnpipe sets is compared: Content-Type, Cache-Control,
 * Content-Encoding, and the Content-Disposition and x-amz-meta-* names the
 * rule sets.  A HEAD that fails (a role without s3:GetObject) is a warning
 * in diags and leaves the item as planned; returns 1 when every covered key
 * was checked, 0 when some were not.  Folders keep no headers: 1. */
int cp_plan_check_headers(cp_target *t, cp_plan *plan, int jobs, cp_diags *diags);

/* The rules' fingerprint (with the defaults a covered key may get: the
 * encoding mode, the unhashed Cache-Control, the ACL): the key
 * CP_HEADERS_MARK<hex> at the target says that an upload with exactly these
 * settings applied them to every key they cover, so the next upload with
 * the same ones needs no HEAD at all.  Every upload removes the markers of
 * other settings before it sends anything. */
#define CP_HEADERS_MARK ".cdnpipe/headers/"
struct cp_plan_opts;
void cp_header_rules_digest(const struct cp_plan_opts *o, char hex[65]);
void cp_plan_free(cp_plan *p);
/* "css/app.3f2a1b9c8d7e.css" -> "css/app.css" (1); 0 for a name that is
 * not shaped like a fingerprinted one. */
int cp_unfingerprinted(const char *rel, char *out, size_t outsz);
/* Adds an upload of local (size bytes) under key with these headers (static
 * strings); the item is sent in phase 1 when history is set. */
cp_plan_item *cp_plan_add(cp_plan *p, const char *key, const char *local, uint64_t size,
			  const char *content_type, const char *cache_control, int history);
/* What a CDN purge after this plan names: the unhashed keys it uploads
 * (manifests included; new keys too, CDNs cache 404s) and keys whose headers
 * alone change, never other fingerprinted ones or history.  done_only: only those that arrived.
 * Pointers into the plan, in its order; *out is freed by the caller. */
size_t cp_plan_purge_keys(const cp_plan *p, int done_only, const char ***out);

/* ---- publish ---- */

typedef struct cp_publish_progress {
	size_t files_done, files_total;
	uint64_t bytes_done, bytes_total;
	size_t failed;
} cp_publish_progress;

/* Called from the thread that completes an item (serialised by publish). */
typedef void (*cp_progress_fn)(void *ctx, const cp_publish_progress *p);

typedef struct cp_publish_opts {
	int concurrency; /* puts in flight (default 16) */
	cp_progress_fn progress;
	void *progress_ctx;
} cp_publish_opts;

typedef struct cp_publish_result {
	size_t uploaded, failed;
	uint64_t bytes;
	int manifest_sent; /* 0 when the last phase was held back by a failure */
} cp_publish_result;

/* Runs the UPLOAD items: assets, then manifests if every asset succeeded.
 * Returns 0, or CP_ERR_BUILD when anything failed (each failed item holds
 * its message; err gets a summary). */
int cp_publish(cp_target *t, cp_plan *plan, const cp_publish_opts *o, cp_publish_result *res,
	       cp_error *err);

/* ---- upload: the job ---- */

typedef struct cp_upload_opts {
	cp_s3_settings s3;	 /* for s3:// targets */
	cp_plan_opts plan;	 /* headers and encoding */
	int concurrency;	 /* puts in flight */
	int dry_run;		 /* plan only: nothing is written to the target */
	cp_progress_fn progress; /* may be NULL */
	void *progress_ctx;
	/* May be NULL.  Called once DIST is scanned, with what the scan skipped
	 * (dangling links), so it can be shown before the upload starts. */
	void (*scanned)(void *ctx, cp_diags *d);
	cp_purge_opts purge; /* after a successful publish (provider 0: none) */
	/* plan from the state the last successful upload left (state.c) instead
	 * of listing the target, when there is one: for a bucket only this
	 * upload writes to */
	int trust_state;
} cp_upload_opts;

typedef struct cp_upload_report {
	cp_plan plan;		  /* every key: send or skip, and how it went */
	cp_publish_result result; /* meaningful when published */
	int published;		  /* 1 once cp_publish ran (not for a dry run) */
	double seconds;
	cp_diags diags;	       /* what DIST's scan skipped (dangling links) */
	cp_error err;	       /* why the job failed */
	char release[64];      /* the release this run made live ("" when none) */
	int trusted_state;     /* planned from the upload state, not a listing */
	int64_t state_time;    /* when that state was written (Unix seconds) */
	cp_purge_report purge; /* the CDN purge after the publish */
} cp_upload_report;

void cp_upload_report_init(cp_upload_report *r);
void cp_upload_report_free(cp_upload_report *r);

/* Publishes the folder dist to target ("s3://bucket/prefix" or
 * "file:///path"): scans DIST, lists the target once, plans, and (unless
 * dry_run) publishes, assets first and the manifest last.  A folder target
 * inside DIST is refused (CP_ERR_USAGE): the next run would publish it into
 * itself.  Returns 0, CP_ERR_USAGE or CP_ERR_BUILD; r says what happened. */
int cp_upload(const char *dist, const char *target, const cp_upload_opts *o, cp_upload_report *r);

/* ---- the upload state of a target (state.c) ---- */

/* A command that changes a target (an upload that sends anything, prune,
 * rollback) is a run: begin before its first change, end after its last.
 * Begin puts the run's busy marker (CP_STATE_BUSY<time>-<random>) and a new
 * generation, so every upload state that saw the old one is disbelieved; end
 * puts a new generation again (what another run listed meanwhile is
 * disbelieved too) and removes the marker.  run->gen is the generation's
 * ETag after each step ("" when unknown). */
#define CP_STATE_BUSY ".cdnpipe/busy/"
typedef struct cp_state_run {
	char busy[sizeof CP_STATE_BUSY + 64];
	char gen[CP_ETAG_MAX];
} cp_state_run;
int cp_upload_state_begin(cp_target *t, cp_state_run *run, cp_error *err);
void cp_upload_state_end(cp_target *t, cp_state_run *run);
/* Loads the state of t into out: 1, or 0 when there is none (or it is not
 * t's, not whole, or t's generation is not the one it saw: one HEAD);
 * *when gets the time it was written. */
int cp_upload_state_load(cp_target *t, cp_remote_list *out, int64_t *when);
/* After a successful upload: what listed said, with what plan sent, and the
 * generation the target has now. */
void cp_upload_state_save(cp_target *t, const cp_remote_list *listed, const cp_plan *plan,
			  const char *generation);
/* Anything that deletes at t makes its state wrong: forgets it. */
void cp_upload_state_forget(const cp_target *t);

/* ---- releases: the deploy history at the target (releases.c) ---- */

#define CP_HISTORY_PREFIX ".cdnpipe/releases/"

/* When the plan makes any manifest live, adds phase-1 uploads of every
 * manifest under CP_HISTORY_PREFIX<UTC time>-<hash>/ and a release.json
 * (written in tmpdir; *record is its path, for the caller to remove; name
 * gets the release's name, "" when there is none).  The record lists the
 * keys a purge of this release names (cp_plan_purge_keys), so `cdnpipe
 * purge --release` can repeat a purge that failed. */
int cp_release_plan(cp_plan *plan, const char *tmpdir, char **record, char name[64], cp_error *err);

typedef struct cp_release {
	char *name;	  /* "20261203T192700.123Z-3f2a1b9c8d7e" */
	char **manifests; /* the manifests it holds, relative to the prefix */
	size_t nmanifests;
	int live;     /* its manifests are the live ones */
	int complete; /* its record is there (else a deploy killed while recording it) */
} cp_release;

typedef struct cp_releases {
	cp_release *v; /* newest first */
	size_t n;
} cp_releases;

int cp_releases_list(const char *target, const cp_s3_settings *s3, cp_releases *out, cp_error *err);
void cp_releases_free(cp_releases *r);

typedef struct cp_rollback_report {
	char *release;	/* the release made live */
	char **missing; /* files it names that the target lacks (then nothing changed) */
	size_t nmissing;
	size_t restored; /* manifests put back */
	cp_purge_report purge;
} cp_rollback_report;

/* Makes a release live again: to (a unique prefix of its name; NULL: the one
 * before the live one).  Refuses, changing nothing, when a file its
 * manifests name is gone.  Then purges the manifests it put back (purge may
 * be NULL); a purge that fails returns CP_ERR_BUILD with r->purge.failed. */
int cp_rollback(const char *target, const cp_s3_settings *s3, const char *to,
		const cp_purge_opts *purge, cp_rollback_report *r, cp_error *err);

/* `cdnpipe purge`: purges again what release (a unique prefix of its name)
 * recorded, and the keys given.  0, CP_ERR_USAGE (nothing to purge) or
 * CP_ERR_BUILD. */
int cp_purge_release(const char *target, const cp_s3_settings *s3, const char *release,
		     const char *const *keys, size_t nkeys, const cp_purge_opts *purge,
		     cp_purge_report *r, cp_error *err);
void cp_rollback_report_free(cp_rollback_report *r);

/* Retention: deletes fingerprinted objects (and their .gz/.br siblings)
 * that neither the live manifests nor the newest `keep` releases name and
 * that are older than min_age seconds; never unhashed keys, history keys or
 * keys outside the prefix.  Refuses (nothing deleted) past max_delete
 * without force, and when no live manifest is found. */
typedef struct cp_prune_opts {
	long keep;	 /* releases kept (the live one always) */
	int64_t min_age; /* seconds */
	long max_delete; /* 0: no limit */
	int force, dry_run;
	cp_diags *diags; /* per-key delete failures; may be NULL */
} cp_prune_opts;

typedef struct cp_prune_report {
	char **keys; /* what is (or, for a dry run, would be) deleted, in listing order */
	size_t n, deleted;
	uint64_t bytes;
} cp_prune_report;

int cp_prune(const char *target, const cp_s3_settings *s3, const cp_prune_opts *o,
	     cp_prune_report *r, cp_error *err);
void cp_prune_report_free(cp_prune_report *r);

/* Verify: every file the live manifests name is at the target with the
 * bytes its fingerprint says (and the size, where the manifest records it)
 * and the headers upload sets (siblings too; rules: the [headers] rules the
 * upload was given, may be NULL);
 * with base_url, also served through that URL (the CDN).  Every problem is
 * a line in r; returns CP_ERR_BUILD when there is any. */
typedef struct cp_verify_report {
	char **problems;
	size_t n;
	size_t checked; /* objects looked at */
} cp_verify_report;

int cp_verify(const char *target, const cp_s3_settings *s3, const char *base_url,
	      const cp_header_rule *rules, size_t nrules, cp_verify_report *r, cp_error *err);
void cp_verify_report_free(cp_verify_report *r);

/* ---- url: what templates and scripts link to ---- */

typedef struct cp_url_opts {
	const char *manifest; /* a manifest file (any dialect), or NULL */
	const char *dist;     /* else a DIST folder (NULL: the current one) */
	const char *target;   /* else a published target: s3://bucket/prefix, file:///path */
	cp_s3_settings s3;
	const char *base_url; /* put before each fingerprinted path; default "/static/" */
	int integrity;	      /* also give each file's SRI value */
	cp_sri sri;	      /* the algorithms when it must be computed */
} cp_url_opts;

typedef struct cp_url_result {
	const char *name; /* as asked */
	int found;
	char *hashed;	 /* the fingerprinted path */
	char *url;	 /* base URL + the percent-encoded path */
	char *integrity; /* when asked: the manifest's, or computed from the file */
	char *suggest;	 /* not found: the closest known name, or NULL */
	char *error;	 /* found but unusable (an unsafe path, integrity not computable) */
} cp_url_result;

typedef struct cp_url_report {
	cp_url_result *v; /* one per name, in order */
	size_t n, missing, failed;
	char *manifest;	     /* where the manifest was read */
	const char *dialect; /* which dialect it is */
	cp_error err;
} cp_url_report;

/* Looks names up in the manifest.  Returns 0; CP_ERR_BUILD when the
 * manifest is missing or unreadable (err names where it looked), or when a
 * name is not in it (r says which, with a suggestion). */
int cp_url_lookup(const cp_url_opts *o, const char *const *names, size_t n, cp_url_report *r);
void cp_url_report_free(cp_url_report *r);

#endif
