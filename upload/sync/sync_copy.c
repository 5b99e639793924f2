/*
 * sync_copy.c - moving one key's bytes, in each direction.
 *
 *   local -> S3   PutObject streamed from the file, or at or above the
 *                 multipart threshold a multipart upload whose parts go in
 *                 parallel, each streamed from its range of the file.  Every
 *                 upload carries x-amz-meta-md5 and x-amz-meta-mtime, the
 *                 fallbacks the planner uses where an ETag says nothing
 *                 (SSE-KMS, SSE-C, unguessable part sizes).  A multipart
 *                 upload is journalled (sync_state.c) as it goes, so a killed
 *                 run resumes it: same upload id, finished parts not resent.
 *   S3 -> local   GetObject into a temporary file beside the destination,
 *                 checked (length; MD5 against x-amz-meta-md5 or a plain-MD5
 *                 ETag), its mtime set from x-amz-meta-mtime (else
 *                 Last-Modified), and only then renamed into place; its MD5
 *                 recorded so the next run compares without reading it.
 *   S3 -> S3      one endpoint: CopyObject, or above 5 GiB (CopyObject's
 *                 limit) a multipart upload of UploadPartCopy ranges; no
 *                 byte passes through this machine.  Across endpoints (two
 *                 accounts or providers, where the destination cannot read
 *                 the source) bytes stream through a temporary file: memory
 *                 stays bounded whatever the object size, at the cost of
 *                 disk space for one object per worker.
 */
#include "upload/sync/sync_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *sync_journal_dest(const sync_side *s, const char *key)
{
	return cp_xasprintf("%s|%s|%s", s->cfg.endpoint, s->loc.bucket, key);
}

void sync_meta_from_result(const cp_s3_result *r, cp_sync_meta *m)
{
	memset(m, 0, sizeof *m);
	m->mtime_ns = -1;
	const char *v = cp_s3_result_header(r, "x-amz-meta-md5");
	if (v && cp_etag_form(v, NULL) == CP_ETAG_MD5)
		snprintf(m->md5, sizeof m->md5, "%s", v);
	v = cp_s3_result_header(r, "x-amz-meta-mtime");
	if (v)
		cp_sync_parse_mtime(v, &m->mtime_ns);
	v = cp_s3_result_header(r, "x-amz-server-side-encryption");
	m->etag_opaque =
	    (v && strcmp(v, "AES256")) ||
	    cp_s3_result_header(r, "x-amz-server-side-encryption-customer-algorithm") != NULL;
}

/* The MD5 an object vouches for: x-amz-meta-md5, else its ETag when that
 * is the MD5 of the bytes (single-part, not SSE-KMS or SSE-C); NULL if
 * none.  What downloads are verified against and copies carry along. */
static const char *vouched_md5(const cp_s3_result *r, const cp_sync_meta *m)
{
	if (m->md5[0])
		return m->md5;
	if (!m->etag_opaque && cp_etag_form(r->etag, NULL) == CP_ETAG_MD5)
		return r->etag;
	return NULL;
}

/* 0 when the bytes' MD5 is what the object vouches for (or it vouches for
 * nothing). */
static int check_md5(const cp_s3_result *r, const cp_sync_meta *m, const unsigned char md5[16],
		     const char *rel, cp_error *err)
{
	const char *want = vouched_md5(r, m);
	char hex[33];
	cp_hex(md5, 16, hex);
	if (want && strncasecmp(want, hex, 32))
		return cp_error_set(err, rel, 0, 0,
				    "downloaded bytes do not match the object's MD5");
	return 0;
}

/* 0 when the bytes fetched into tmp are the object the listing showed: its
 * size, and the length the answer announced.  A proxy's HTML page in a 200
 * has a length of its own and vouches for no MD5; only the size tells it. */
static int check_size(const char *tmp, const cp_s3_result *r, const cp_sync_obj *s, struct stat *sb,
		      cp_error *err)
{
	const char *cl = cp_s3_result_header(r, "content-length");
	if (stat(tmp, sb) || (uint64_t)sb->st_size != s->size ||
	    (cl && strtoull(cl, NULL, 10) != s->size))
		return cp_error_set(err, s->rel, 0, 0,
				    "download incomplete, or not the object listed (%llu bytes "
				    "listed)",
				    (unsigned long long)s->size);
	return 0;
}

static int fail_from(cp_error *err, const cp_s3_result *r, const char *key)
{
	if (r->err.set)
		return cp_error_set(err, key, 0, 0, "%s", r->err.msg);
	return cp_error_set(err, key, 0, 0, "HTTP %d %s", r->status, r->code);
}

/* ---- local -> S3 ------------------------------------------------------------ */

struct up_hooks {
	sync_ctx *c;
	char *jfile, *dest;
	cp_journal j;
	int have_journal;
	const cp_sync_obj *obj;
};

static void on_create(void *ctx, const char *upload_id, uint64_t part_size)
{
	struct up_hooks *h = ctx;
	if (h->have_journal && !strcmp(h->j.upload_id, upload_id))
		return;
	if (h->have_journal)
		cp_journal_free(&h->j);
	cp_error err = {0};
	h->have_journal = !cp_journal_create(&h->j, h->jfile, h->dest, upload_id, part_size,
					     h->obj->size, h->obj->mtime_ns, h->obj->ino, &err);
}

static void on_part(void *ctx, const cp_s3_part *part)
{
	struct up_hooks *h = ctx;
	if (h->have_journal)
		cp_journal_add(&h->j, (unsigned)part->number, part->etag);
}

/* Loads a journal for this destination: resumable when the file is the one
 * it was started for; else the old upload is aborted. */
static void journal_prepare(sync_ctx *c, struct up_hooks *h, cp_s3_file_opts *fo,
			    cp_s3_part **parts, const char *key)
{
	if (cp_journal_load(&h->j, h->jfile)) {
		cp_journal_free(&h->j);
		return;
	}
	const cp_sync_obj *o = h->obj;
	if (strcmp(h->j.dest, h->dest) || h->j.size != o->size || h->j.mtime_ns != o->mtime_ns ||
	    h->j.ino != o->ino) {
		cp_s3_result r = {0};
		cp_s3_mpu_abort(c->dst.s3, c->dst.loc.bucket, key, h->j.upload_id, NULL, NULL, &r);
		cp_s3_result_free(&r);
		cp_journal_remove(&h->j);
		cp_journal_free(&h->j);
		return;
	}
	h->have_journal = 1;
	*parts = cp_xcalloc(h->j.nparts + 1, sizeof **parts);
	for (size_t i = 0; i < h->j.nparts; i++) {
		(*parts)[i].number = (int)h->j.parts[i].num;
		snprintf((*parts)[i].etag, sizeof(*parts)[i].etag, "%s", h->j.parts[i].etag);
	}
	fo->resume_upload_id = h->j.upload_id;
	fo->done_parts = *parts;
	fo->ndone_parts = h->j.nparts;
	fo->part_size = h->j.part_size;
	pthread_mutex_lock(&c->lock);
	c->resumed_parts += h->j.nparts;
	pthread_mutex_unlock(&c->lock);
}

static int upload_item(sync_ctx *c, cp_sync_item *it, cp_error *err)
{
	const cp_sync_opts *o = c->o;
	cp_sync_obj obj = c->src.list.v[it->src];
	/* The file may have changed since it was listed: describe what is sent. */
	struct stat sb;
	if (stat(obj.path, &sb))
		return cp_error_set(err, obj.rel, 0, 0, "cannot read: %s", strerror(errno));
	int64_t mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	int changed = (uint64_t)sb.st_size != obj.size || mt != obj.mtime_ns ||
		      (uint64_t)sb.st_ino != obj.ino;
	obj.size = (uint64_t)sb.st_size;
	obj.mtime_ns = mt;
	obj.ino = (uint64_t)sb.st_ino;
	unsigned char md5[16];
	if (it->have_md5 && !changed)
		memcpy(md5, it->md5, 16);
	else if (cp_sync_local_md5(&c->state, &obj, o->plan.checksum && !it->have_md5, md5,
				   &c->hashed, err))
		return CP_ERR_BUILD;
	char hex[33], mtime[32];
	cp_hex(md5, 16, hex);
	cp_sync_format_mtime(obj.mtime_ns, mtime);
	cp_s3_header meta[2] = {{"md5", hex}, {"mtime", mtime}};
	cp_s3_put_headers h = {.content_type = cp_mime_type(obj.rel),
			       .cache_control = o->cache_control,
			       .acl = o->acl,
			       .meta = meta,
			       .nmeta = 2};
	char *key = cp_xasprintf("%s%s", c->dst.loc.prefix, obj.rel);
	cp_s3_result r = {0};
	int rc;
	uint64_t threshold = o->multipart_threshold ? o->multipart_threshold : 64ull << 20;
	if (obj.size < threshold) {
		cp_s3_body b = {.file = obj.path, .offset = 0, .length = obj.size, .md5 = md5};
		rc = cp_s3_put(c->dst.s3, c->dst.loc.bucket, key, &b, &h, NULL, NULL, &r);
	} else {
		struct up_hooks hk = {.c = c, .obj = &obj};
		hk.dest = sync_journal_dest(&c->dst, key);
		hk.jfile = cp_journal_path(c->cache_dir, hk.dest);
		cp_s3_file_opts fo = {.threshold = threshold,
				      .part_size = cp_sync_part_size(obj.size, o->part_size),
				      .keep_on_failure = 1,
				      .on_create = on_create,
				      .on_part = on_part,
				      .hook_ctx = &hk};
		cp_s3_part *parts = NULL;
		journal_prepare(c, &hk, &fo, &parts, key);
		rc = cp_s3_put_file(c->dst.s3, c->dst.loc.bucket, key, obj.path, &h, &fo, NULL,
				    NULL, &r);
		if (!rc)
			cp_journal_remove(&hk.j);
		if (hk.have_journal)
			cp_journal_free(&hk.j);
		free(parts);
		free(hk.dest);
		free(hk.jfile);
	}
	if (rc)
		rc = fail_from(err, &r, obj.rel);
	cp_s3_result_free(&r);
	free(key);
	return rc;
}

/* ---- S3 -> local ------------------------------------------------------------ */

/* GET into a temporary file beside the destination; checked against the
 * length and the MD5 the object vouches for (x-amz-meta-md5, else a
 * plain-MD5 ETag); mtime set; only then renamed into place.  The MD5 goes
 * to the state file, so the next run compares without reading the file. */
static int fetch_verified(sync_ctx *c, const cp_sync_obj *s, const char *key, const char *path,
			  cp_error *err)
{
	char *tmp = cp_tmp_name(path);
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		int rc =
		    cp_error_set(err, s->rel, 0, 0, "cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	/* Room for the whole object first: a file that cannot fit is named at
	 * once, before its bytes are fetched (file systems without fallocate
	 * are simply not asked again). */
	if (s->size && fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)s->size) != 0 &&
	    (errno == ENOSPC || errno == EDQUOT)) {
		int rc =
		    cp_error_set(err, s->rel, 0, 0, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return rc;
	}
	cp_s3_result r = {0};
	unsigned char md5[16];
	struct stat sb;
	cp_sync_meta m;
	int rc;
	for (int tries = 0;; tries++) {
		rc = cp_s3_get_fd(c->src.s3, c->src.loc.bucket, key, fd, 0, 0, NULL, NULL, &r);
		if (rc) {
			rc = fail_from(err, &r, s->rel);
			break;
		}
		rc = check_size(tmp, &r, s, &sb, err);
		if (!rc)
			rc = cp_md5_file(tmp, 0, UINT64_MAX, md5, err);
		sync_meta_from_result(&r, &m);
		if (!rc)
			rc = check_md5(&r, &m, md5, s->rel, err);
		/* A 200 whose bytes are not the object listed (a body cut short
		 * under a Content-Length that says so) is fetched again, as a
		 * failed request is retried; an object really changed since the
		 * listing fails the same way each time. */
		if (!rc || tries >= c->o->retries || ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))
			break;
		cp_s3_result_free(&r);
		memset(&r, 0, sizeof(r));
		memset(err, 0, sizeof(*err));
	}
	if (close(fd) && !rc)
		rc = cp_error_set(err, s->rel, 0, 0, "cannot write: %s", strerror(errno));
	if (!rc) {
		int64_t ns = m.mtime_ns >= 0 ? m.mtime_ns : (int64_t)r.mtime * 1000000000;
		struct timespec ts[2] = {{ns / 1000000000, ns % 1000000000},
					 {ns / 1000000000, ns % 1000000000}};
		if ((ns > 0 && utimensat(AT_FDCWD, tmp, ts, 0)) || rename(tmp, path) ||
		    stat(path, &sb))
			rc = cp_error_set(err, s->rel, 0, 0, "cannot put in place: %s",
					  strerror(errno));
	}
	if (rc) {
		unlink(tmp);
	} else if (c->have_state) {
		pthread_mutex_lock(&c->state.lock);
		cp_sync_state_set(&c->state, s->rel, (uint64_t)sb.st_size,
				  (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
				  (uint64_t)sb.st_ino, md5);
		pthread_mutex_unlock(&c->state.lock);
	}
	cp_s3_result_free(&r);
	free(tmp);
	return rc;
}

static int download_item(sync_ctx *c, cp_sync_item *it, cp_error *err)
{
	const cp_sync_obj *s = &c->src.list.v[it->src];
	if (!cp_path_is_safe_rel(s->rel))
		return cp_error_set(err, s->rel, 0, 0, "key cannot be a file name in a folder");
	char *path = cp_path_join(c->dst.real, s->rel);
	char *key = cp_xasprintf("%s%s", c->src.loc.prefix, s->rel);
	/* Checked before making folders and again after: a link in the
	 * destination never carries a write outside it, nor to another path. */
	int rc = 0;
	if (!cp_path_no_link_below(c->dst.real, s->rel) || cp_mkdirs_for(path, err) ||
	    !cp_path_no_link_below(c->dst.real, s->rel))
		rc = cp_error_set(err, s->rel, 0, 0, /* unless cp_mkdirs_for said why */
				  "a symlink or a file stands where a folder should be in the "
				  "destination (or it was moved since the listing): not written");
	if (!rc)
		rc = fetch_verified(c, s, key, path, err);
	free(key);
	free(path);
	return rc;
}

/* ---- S3 -> S3 ---------------------------------------------------------------- */

/* Headers for a copy that cannot simply COPY the metadata: taken from the
 * source's HEAD, with --cache-control / --acl applied. */
struct copy_headers {
	cp_s3_put_headers h;
	cp_s3_header meta[2];
	char md5[33], mtime[32];
	char *ctype, *cenc, *cc;
};

static void headers_from(sync_ctx *c, const cp_s3_result *r, const char *rel,
			 struct copy_headers *ch)
{
	memset(ch, 0, sizeof *ch);
	const char *v = cp_s3_result_header(r, "content-type");
	ch->ctype = cp_xstrdup(v ? v : cp_mime_type(rel));
	v = cp_s3_result_header(r, "content-encoding");
	ch->cenc = v ? cp_xstrdup(v) : NULL;
	v = cp_s3_result_header(r, "cache-control");
	ch->cc = c->o->cache_control ? cp_xstrdup(c->o->cache_control) : v ? cp_xstrdup(v) : NULL;
	cp_sync_meta m;
	sync_meta_from_result(r, &m);
	size_t nm = 0;
	const char *md5 = vouched_md5(r, &m); /* never a KMS ETag: it is no MD5 */
	if (md5) {
		snprintf(ch->md5, sizeof ch->md5, "%.32s", md5);
		ch->meta[nm++] = (cp_s3_header){"md5", ch->md5};
	}
	cp_sync_format_mtime(m.mtime_ns >= 0 ? m.mtime_ns : (int64_t)r->mtime * 1000000000,
			     ch->mtime);
	ch->meta[nm++] = (cp_s3_header){"mtime", ch->mtime};
	ch->h = (cp_s3_put_headers){.content_type = ch->ctype,
				    .cache_control = ch->cc,
				    .content_encoding = ch->cenc,
				    .acl = c->o->acl,
				    .meta = ch->meta,
				    .nmeta = nm};
}

static void headers_free(struct copy_headers *ch)
{
	free(ch->ctype);
	free(ch->cenc);
	free(ch->cc);
}

struct part_copy {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t pending;
	int failed;
	cp_error err;
	cp_s3_part *parts;
};

static void part_done(void *ctx, const cp_s3_result *r)
{
	struct part_copy *pc = ((void **)ctx)[0];
	cp_s3_part *p = ((void **)ctx)[1];
	pthread_mutex_lock(&pc->lock);
	if (r->ok)
		snprintf(p->etag, sizeof p->etag, "%s", r->etag);
	else if (!pc->failed++)
		pc->err = r->err;
	pc->pending--;
	pthread_cond_broadcast(&pc->cond);
	pthread_mutex_unlock(&pc->lock);
}

/* Above CopyObject's 5 GiB: create, UploadPartCopy ranges in parallel
 * (at most 2 x concurrency queued), complete; abort on any failure.  Parts
 * default to 512 MiB: each is a server-side copy, so big parts cost nothing
 * here and keep the request count low. */
int sync_copy_big(cp_s3 *s3, const char *sb, const char *skey, const char *db, const char *dkey,
		  uint64_t size, uint64_t part_size, int concurrency, const cp_s3_put_headers *h,
		  cp_error *err)
{
	cp_s3_result r = {0};
	if (cp_s3_mpu_create(s3, db, dkey, h, NULL, NULL, &r)) {
		int rc = fail_from(err, &r, dkey);
		cp_s3_result_free(&r);
		return rc;
	}
	char *uid = cp_xstrdup(r.upload_id);
	cp_s3_result_free(&r);
	uint64_t ps = cp_sync_part_size(size, part_size ? part_size : 512ull << 20);
	unsigned n = cp_s3_part_count(size, ps);
	struct part_copy pc = {.parts = cp_xcalloc(n, sizeof(cp_s3_part))};
	void **ctxs = cp_xcalloc(2 * (size_t)n, sizeof *ctxs);
	pthread_mutex_init(&pc.lock, NULL);
	pthread_cond_init(&pc.cond, NULL);
	for (unsigned i = 0; i < n; i++) {
		pthread_mutex_lock(&pc.lock);
		int failed = pc.failed;
		if (!failed)
			pc.pending++;
		pthread_mutex_unlock(&pc.lock);
		if (failed)
			break;
		uint64_t off = (uint64_t)i * ps, len = size - off < ps ? size - off : ps;
		pc.parts[i].number = (int)i + 1;
		ctxs[2 * i] = &pc;
		ctxs[2 * i + 1] = &pc.parts[i];
		cp_s3_wait_below(s3, (size_t)(concurrency > 0 ? concurrency : 16) * 2);
		cp_s3_mpu_part_copy(s3, sb, skey, off, len, db, dkey, uid, (int)i + 1, part_done,
				    &ctxs[2 * i], NULL);
	}
	pthread_mutex_lock(&pc.lock);
	while (pc.pending)
		pthread_cond_wait(&pc.cond, &pc.lock);
	pthread_mutex_unlock(&pc.lock);
	int rc = 0;
	if (!pc.failed) {
		rc = cp_s3_mpu_complete(s3, db, dkey, uid, pc.parts, n, NULL, NULL, &r);
		if (rc)
			fail_from(err, &r, dkey);
		cp_s3_result_free(&r);
	} else {
		rc = cp_error_set(err, dkey, 0, 0, "%s", pc.err.msg);
	}
	if (rc) {
		cp_s3_mpu_abort(s3, db, dkey, uid, NULL, NULL, &r);
		cp_s3_result_free(&r);
	}
	pthread_mutex_destroy(&pc.lock);
	pthread_cond_destroy(&pc.cond);
	free(pc.parts);
	free(ctxs);
	free(uid);
	return rc;
}

static int s3copy_item(sync_ctx *c, cp_sync_item *it, cp_error *err)
{
	const cp_sync_obj *s = &c->src.list.v[it->src];
	char *skey = cp_xasprintf("%s%s", c->src.loc.prefix, s->rel);
	char *dkey = cp_xasprintf("%s%s", c->dst.loc.prefix, s->rel);
	int plain = s->size <= CP_COPY_MAX_SINGLE && !c->o->cache_control && !c->o->acl;
	cp_s3_result r = {0};
	int rc;
	if (plain) {
		/* Metadata (Content-Type, x-amz-meta-*) travels with the copy. */
		rc = cp_s3_copy(c->dst.s3, c->src.loc.bucket, skey, c->dst.loc.bucket, dkey, NULL,
				NULL, NULL, &r);
		if (rc)
			rc = fail_from(err, &r, s->rel);
		cp_s3_result_free(&r);
	} else {
		rc = cp_s3_head(c->src.s3, c->src.loc.bucket, skey, NULL, NULL, &r);
		if (rc) {
			rc = fail_from(err, &r, s->rel);
		} else {
			struct copy_headers ch;
			headers_from(c, &r, s->rel, &ch);
			cp_s3_result r2 = {0};
			if (s->size <= CP_COPY_MAX_SINGLE) {
				rc = cp_s3_copy(c->dst.s3, c->src.loc.bucket, skey,
						c->dst.loc.bucket, dkey, &ch.h, NULL, NULL, &r2);
				if (rc)
					rc = fail_from(err, &r2, s->rel);
			} else {
				rc = sync_copy_big(c->dst.s3, c->src.loc.bucket, skey,
						   c->dst.loc.bucket, dkey, s->size,
						   c->o->part_size, c->o->concurrency, &ch.h, err);
			}
			cp_s3_result_free(&r2);
			headers_free(&ch);
		}
		cp_s3_result_free(&r);
	}
	free(skey);
	free(dkey);
	return rc;
}

/* Across endpoints: GET into a temporary file, PUT from it. */
static int cross_item(sync_ctx *c, cp_sync_item *it, cp_error *err)
{
	const cp_sync_obj *s = &c->src.list.v[it->src];
	char *skey = cp_xasprintf("%s%s", c->src.loc.prefix, s->rel);
	char *dkey = cp_xasprintf("%s%s", c->dst.loc.prefix, s->rel);
	char *tmp = cp_xasprintf("%s/cdnpipe-sync.XXXXXX", c->tmp_dir);
	int fd = mkstemp(tmp);
	int rc;
	if (fd < 0) {
		rc = cp_error_set(err, tmp, 0, 0, "cannot create: %s", strerror(errno));
		goto out;
	}
	cp_s3_result r = {0};
	rc = cp_s3_get_fd(c->src.s3, c->src.loc.bucket, skey, fd, 0, 0, NULL, NULL, &r);
	close(fd);
	if (rc) {
		rc = fail_from(err, &r, s->rel);
	} else {
		unsigned char md5[16];
		char hex[33];
		struct stat sb;
		rc = check_size(tmp, &r, s, &sb, err);
		if (!rc)
			rc = cp_md5_file(tmp, 0, UINT64_MAX, md5, err);
		cp_hex(md5, 16, hex);
		cp_sync_meta m;
		sync_meta_from_result(&r, &m);
		if (!rc)
			rc = check_md5(&r, &m, md5, s->rel, err);
		if (!rc) {
			struct copy_headers ch;
			headers_from(c, &r, s->rel, &ch);
			snprintf(ch.md5, sizeof ch.md5, "%s", hex);
			if (ch.h.nmeta == 1) { /* no md5 from the source: ours */
				ch.meta[1] = ch.meta[0];
				ch.meta[0] = (cp_s3_header){"md5", ch.md5};
				ch.h.nmeta = 2;
			}
			cp_s3_file_opts fo = {.threshold = c->o->multipart_threshold,
					      .part_size =
						  cp_sync_part_size(s->size, c->o->part_size),
					      .md5 = md5};
			cp_s3_result r2 = {0};
			rc = cp_s3_put_file(c->dst.s3, c->dst.loc.bucket, dkey, tmp, &ch.h, &fo,
					    NULL, NULL, &r2);
			if (rc)
				rc = fail_from(err, &r2, s->rel);
			cp_s3_result_free(&r2);
			headers_free(&ch);
		}
	}
	cp_s3_result_free(&r);
	unlink(tmp);
out:
	free(tmp);
	free(skey);
	free(dkey);
	return rc;
}

int sync_copy_item(sync_ctx *c, size_t i, cp_error *err)
{
	cp_sync_item *it = &c->plan.items[i];
	if (c->src.loc.is_s3 && c->dst.loc.is_s3)
		return c->same_endpoint ? s3copy_item(c, it, err) : cross_item(c, it, err);
	if (c->src.loc.is_s3)
		return download_item(c, it, err);
	return upload_item(c, it, err);
}
