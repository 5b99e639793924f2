/*
 * manifests.c - the build's last step: every manifest asked for, written
 * once every asset is in DIST; see pipeline.h.
 *
 * Digests are taken from the fingerprinted files in DIST, not from memory:
 * the integrity a browser checks is of the bytes the CDN serves, and a file
 * an earlier build left (reused by name) is hashed as it is.  One read per
 * file gives every digest any dialect wants (SHA-2 for SRI and Sprockets,
 * MD5 and SHA-512 for Phoenix), in parallel over the files.  Every
 * manifest is written under a temporary name before any is renamed into
 * place, staticfiles.json last, so a failure leaves the old ones and a
 * Django site switches only when everything else is written.
 */
#include "pipeline/pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t cp_manifests_paths(unsigned dialects, const char *out[8])
{
	size_t n = 0;
	for (unsigned bit = CP_MF_PROPSHAFT; bit <= CP_MF_SYMFONY; bit <<= 1)
		if (dialects & bit)
			out[n++] = cp_manifest_file_name((enum cp_manifest_dialect)bit);
	if (dialects & CP_MF_DJANGO)
		out[n++] = CP_DJANGO_MANIFEST;
	out[n] = NULL;
	return n;
}

struct hash_job {
	const cp_assets *t;
	const cp_manifests_opts *o;
	unsigned which;
	cp_manifest_file *files;
	cp_error *errs;
};

static void hash_one(void *ctx, size_t i)
{
	struct hash_job *j = ctx;
	const cp_asset *a = &j->t->v[i];
	cp_manifest_file *f = &j->files[i];
	f->logical = a->logical;
	f->hashed = a->hashed;
	f->mtime = a->mtime_ns / 1000000000;
	for (size_t k = 0; k < j->o->nentries; k++)
		f->entry |= cp_glob_match(j->o->entries[k], a->logical);
	if (!j->which)
		return;
	char *path = cp_path_join(j->o->dist, a->hashed);
	cp_digests d;
	if (!cp_digests_file(path, j->which, &d, &j->errs[i])) {
		f->size = d.size;
		cp_hex(d.md5, 16, f->md5);
		cp_hex(d.sha256, 32, f->sha256);
		cp_base64(d.sha512, 64, f->sha512_b64);
		cp_sri_format(&j->o->sri, &d, f->integrity);
	}
	free(path);
}

/* Phoenix keeps the digests of earlier builds whose files are still there. */
static int still_there(void *ctx, const char *hashed)
{
	if (!cp_path_is_safe_rel(hashed))
		return 0;
	char *p = cp_path_join(ctx, hashed);
	struct stat st;
	int ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return ok;
}

/* Renders one manifest into a temporary file beside its place (*tmp); the
 * caller renames every manifest into place only once all are written. */
static int write_tmp(enum cp_manifest_dialect d, const cp_manifest_file *files, size_t n,
		     const cp_manifests_opts *o, char **tmp, cp_error *err)
{
	char *path = cp_path_join(o->dist, cp_manifest_file_name(d));
	cp_manifest_opts mo = {.django_version = o->django_version,
			       .prefix = o->prefix,
			       .still_there = still_there,
			       .ctx = (void *)o->dist};
	cp_buf prev = CP_BUF_INIT, out = CP_BUF_INIT;
	cp_error ignore = {0};
	if (d == CP_MF_PHOENIX && !cp_read_file(path, &prev, &ignore)) {
		mo.previous = prev.data;
		mo.previous_len = prev.len;
	}
	cp_manifest_render(d, files, n, &mo, &out);
	*tmp = cp_tmp_name(path);
	int rc = cp_mkdirs_for(path, err);
	if (!rc)
		rc = cp_write_atomic(*tmp, out.data, out.len, err);
	cp_buf_free(&prev);
	cp_buf_free(&out);
	free(path);
	return rc;
}

static int publish_one(enum cp_manifest_dialect d, const char *tmp, const cp_manifests_opts *o,
		       struct cp_build_report *r)
{
	const char *rel = cp_manifest_file_name(d);
	char *path = cp_path_join(o->dist, rel);
	int rc = 0;
	if (rename(tmp, path) != 0)
		rc = cp_error_set(&r->err, path, 0, 0, "cannot rename into place: %s",
				  strerror(errno));
	if (!rc) {
		r->manifests =
		    cp_xrealloc(r->manifests, (r->nmanifests + 1) * sizeof *r->manifests);
		r->manifests[r->nmanifests++] = cp_xstrdup(rel);
		if (!r->manifest || d == CP_MF_DJANGO) {
			free(r->manifest);
			r->manifest = cp_xstrdup(path);
		}
	}
	free(path);
	return rc;
}

int cp_write_manifests(const cp_assets *t, const cp_manifests_opts *o, struct cp_build_report *r)
{
	unsigned which = 0;
	if (o->dialects & ~(unsigned)(CP_MF_DJANGO | CP_MF_MIX | CP_MF_SYMFONY) ||
	    o->want_integrity)
		which = cp_sri_digests(&o->sri);
	if (o->dialects & CP_MF_SPROCKETS)
		which |= CP_DIGEST_SHA256;
	if (o->dialects & CP_MF_PHOENIX)
		which |= CP_DIGEST_MD5 | CP_DIGEST_SHA512;
	cp_manifest_file *files = cp_xcalloc(t->n + 1, sizeof *files);
	cp_error *errs = cp_xcalloc(t->n + 1, sizeof *errs);
	struct hash_job j = {t, o, which, files, errs};
	cp_parallel_for(o->jobs, t->n, hash_one, &j);
	int rc = 0;
	for (size_t i = 0; i < t->n && !rc; i++)
		if (errs[i].set) {
			r->err = errs[i];
			rc = CP_ERR_BUILD;
		}
	if (!rc) {
		r->outputs = cp_xcalloc(t->n + 1, sizeof *r->outputs);
		r->noutputs = t->n;
		for (size_t i = 0; i < t->n; i++)
			r->outputs[i] = (cp_build_output){
			    cp_xstrdup(files[i].logical), cp_xstrdup(files[i].hashed),
			    files[i].integrity[0] ? cp_xstrdup(files[i].integrity) : NULL};
	}
	/* Every manifest is written under a temporary name first, so a failure
	 * (a full disk) changes none of them; then they are renamed into place,
	 * the others first and staticfiles.json last. */
	enum cp_manifest_dialect order[8];
	char *tmp[8] = {0};
	size_t n = 0;
	for (unsigned bit = CP_MF_PROPSHAFT; bit <= CP_MF_SYMFONY; bit <<= 1)
		if (o->dialects & bit)
			order[n++] = (enum cp_manifest_dialect)bit;
	if (o->dialects & CP_MF_DJANGO)
		order[n++] = CP_MF_DJANGO;
	for (size_t i = 0; !rc && i < n; i++)
		rc = write_tmp(order[i], files, t->n, o, &tmp[i], &r->err);
	if (!rc && o->staged)
		rc = cp_emit_commit(o->staged, &r->err);
	if (o->staged)
		cp_emit_discard(o->staged); /* after a failure: nothing staged stays */
	for (size_t i = 0; !rc && i < n; i++)
		rc = publish_one(order[i], tmp[i], o, r);
	for (size_t i = 0; i < n; i++) {
		if (rc && tmp[i])
			unlink(tmp[i]); /* not renamed: nothing half-written stays */
		free(tmp[i]);
	}
	free(files);
	free(errs);
	return rc;
}
