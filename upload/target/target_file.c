/*
 * target_file.c - file:///path: a local folder laid out exactly as the
 * bucket would be (key "css/app.css" is the file <root>/css/app.css).
 *
 * It is what `make demo` publishes to and what a test can inspect with ls,
 * so it must behave like the bucket where a user can tell: a key appears
 * whole or not at all (every put is a copy to a temporary name in the same
 * folder and a rename), and the manifest appears last (the publisher's
 * ordering, not ours).  A folder has no headers, so put keeps the bytes and
 * drops Content-Type & co.
 *
 * ETags: a listing would have to read every file to give one, and the
 * planner needs them only for keys whose size matches and whose name is
 * not a fingerprint, so the listing leaves them empty and etag() computes
 * the MD5 of just those files on demand.
 *
 * Leftover temporary files of a crashed run ("x.tmp.<pid>.<n>") are not
 * keys: the listing hides them, so they are never mistaken for content.
 */
#include "upload/target/target_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_target {
	struct cp_target base;
	char *root;
};

static struct file_target *ft(const cp_target *t)
{
	return (struct file_target *)t;
}

static char *key_path(struct file_target *f, const char *key, cp_error *err)
{
	if (!cp_path_is_safe_rel(key)) {
		cp_error_set(err, key, 0, 0, "key cannot be stored in a folder");
		return NULL;
	}
	return cp_path_join(f->root, key);
}

static int file_list(cp_target *t, const char *prefix, cp_remote_list *out, cp_error *err)
{
	struct file_target *f = ft(t);
	char *dir = *prefix ? cp_path_join(f->root, prefix) : cp_xstrdup(f->root);
	struct stat st;
	if (stat(dir, &st) != 0 && errno == ENOENT) {
		free(dir); /* nothing published yet */
		return 0;
	}
	cp_walk_opts wo = {.dotfiles = 1, .tmp = CP_WALK_TMP_SKIP};
	cp_walk_list l = {0};
	int rc = cp_walk(dir, &wo, &l, err);
	for (size_t i = 0; !rc && i < l.n; i++) {
		char *key = *prefix ? cp_path_join(prefix, l.v[i].rel) : cp_xstrdup(l.v[i].rel);
		cp_remote_list_add(out, key, l.v[i].size, NULL);
		out->v[out->n - 1].mtime = l.v[i].mtime_ns / 1000000000;
		free(key);
	}
	cp_walk_list_free(&l);
	free(dir);
	return rc;
}

static int file_etag(cp_target *t, const char *key, char out[CP_ETAG_MAX], cp_error *err)
{
	char *path = key_path(ft(t), key, err);
	if (!path)
		return CP_ERR_BUILD;
	unsigned char md5[16];
	int rc = cp_md5_file(path, 0, UINT64_MAX, md5, err);
	if (!rc)
		cp_hex(md5, 16, out);
	free(path);
	return rc;
}

static int file_fetch(cp_target *t, const char *key, const char *local, int *exists, cp_error *err)
{
	char *path = key_path(ft(t), key, err);
	if (!path)
		return CP_ERR_BUILD;
	struct stat st;
	*exists = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	int rc = *exists ? cp_copy_atomic(path, local, err) : 0;
	free(path);
	return rc;
}

static int file_head(cp_target *t, const char *key, cp_object_info *out, int *exists, cp_error *err)
{
	char *path = key_path(ft(t), key, err);
	if (!path)
		return CP_ERR_BUILD;
	struct stat st;
	*exists = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	int rc = 0;
	if (*exists) {
		out->size = (uint64_t)st.st_size;
		unsigned char md5[16];
		rc = cp_md5_file(path, 0, UINT64_MAX, md5, err);
		if (!rc)
			cp_hex(md5, 16, out->etag);
	}
	free(path);
	return rc;
}

static int file_del(cp_target *t, const char *const *keys, size_t n, cp_diags *diags, cp_error *err)
{
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		cp_error e = {0};
		char *path = key_path(ft(t), keys[i], &e);
		if (path && unlink(path) != 0 && errno != ENOENT)
			cp_error_set(&e, keys[i], 0, 0, "cannot delete: %s", strerror(errno));
		if (e.set) {
			failed++;
			if (diags)
				cp_diags_add(diags, CP_DIAG_ERROR, keys[i], 0, 0, "%s", e.msg);
		}
		free(path);
	}
	if (failed)
		return cp_error_set(err, "", 0, 0, "%zu of %zu deletions failed", failed, n);
	return 0;
}

static int file_put(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
		    const unsigned char *md5, cp_error *err)
{
	(void)h;
	(void)md5;
	char *path = key_path(ft(t), key, err);
	if (!path)
		return CP_ERR_BUILD;
	int rc = cp_copy_atomic(local, path, err);
	cp_log(CP_LOG_INFO, "file: put %s%s", key, rc ? " failed" : "");
	free(path);
	return rc;
}

static uint64_t file_part_size(const cp_target *t, uint64_t size)
{
	(void)t;
	(void)size;
	return 0;
}

static void file_close(cp_target *t)
{
	free(ft(t)->root);
	free(t);
}

static char *file_identity(const cp_target *t)
{
	return cp_xasprintf("file %s/", ft(t)->root);
}

static const struct cp_target_ops file_ops = {
    .scheme = "file",
    .list = file_list,
    .etag = file_etag,
    .put = file_put,
    .identity = file_identity,
    .fetch = file_fetch,
    .del = file_del,
    .head = file_head,
    .part_size = file_part_size,
    .close = file_close,
};

int cp_target_file_open(const char *path, cp_target **out, cp_error *err)
{
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode))
		return cp_error_set(err, path, 0, 0, "file:// target is not a folder");
	struct file_target *f = cp_xcalloc(1, sizeof *f);
	f->base.ops = &file_ops;
	f->root = cp_path_absolute(path);
	*out = &f->base;
	return 0;
}
