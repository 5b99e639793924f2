/*
 * target.c - opening a target from its URL, and the dispatch every caller
 * goes through; see target.h.
 *
 * The interface is deliberately small and synchronous: the planner needs a
 * listing and, for file://, an occasional ETag; the publisher needs put.
 * (Sync talks to the S3 client directly.)  Synchronous calls that are
 * safe from many threads keep the executor a plain worker pool, and the S3
 * implementation still gets N requests in flight, because its calls only
 * enqueue work for the client's network thread and wait.
 */
#include "upload/target/target_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cp_target_open(const char *url, const cp_s3_settings *s3, cp_target **out, cp_error *err)
{
	*out = NULL;
	const char *path;
	int rc = cp_file_url(url, &path, err);
	if (rc)
		return rc;
	if (path)
		return cp_target_file_open(path, out, err);
	if (!strncmp(url, "s3://", 5))
		return cp_target_s3_open(url, s3, out, err);
	cp_error_set(err, url, 0, 0,
		     "unknown target (expected s3://bucket/prefix or file:///path)");
	return CP_ERR_USAGE;
}

void cp_target_close(cp_target *t)
{
	if (t)
		t->ops->close(t);
}

const char *cp_target_scheme(const cp_target *t)
{
	return t->ops->scheme;
}

uint64_t cp_target_part_size(const cp_target *t, uint64_t size)
{
	return t->ops->part_size(t, size);
}

int cp_target_list(cp_target *t, const char *prefix, cp_remote_list *out, cp_error *err)
{
	return t->ops->list(t, prefix ? prefix : "", out, err);
}

int cp_target_etag(cp_target *t, const char *key, char out[CP_ETAG_MAX], cp_error *err)
{
	return t->ops->etag(t, key, out, err);
}

int cp_target_fetch(cp_target *t, const char *key, const char *local, int *exists, cp_error *err)
{
	return t->ops->fetch(t, key, local, exists, err);
}

int cp_target_head(cp_target *t, const char *key, cp_object_info *out, int *exists, cp_error *err)
{
	memset(out, 0, sizeof *out);
	return t->ops->head(t, key, out, exists, err);
}

int cp_target_delete(cp_target *t, const char *const *keys, size_t n, cp_diags *diags,
		     cp_error *err)
{
	return n ? t->ops->del(t, keys, n, diags, err) : 0;
}

int cp_target_read(cp_target *t, const char *key, const char *scratch, cp_buf *out, int *exists,
		   cp_error *err)
{
	int rc = cp_target_fetch(t, key, scratch, exists, err);
	if (!rc && *exists)
		rc = cp_read_file(scratch, out, err);
	unlink(scratch);
	return rc;
}

char *cp_target_identity(const cp_target *t)
{
	return t->ops->identity(t);
}

int cp_target_set_headers(cp_target *t, const char *key, const cp_put_headers *h, cp_error *err)
{
	return t->ops->set_headers ? t->ops->set_headers(t, key, h, err) : 0;
}

int cp_target_put(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
		  const unsigned char *md5, cp_error *err)
{
	static const cp_put_headers none = {0};
	return t->ops->put(t, key, local, h ? h : &none, md5, err);
}

int cp_target_put_bytes(cp_target *t, const char *key, const void *data, size_t len,
			const cp_put_headers *h, cp_error *err)
{
	const char *td = getenv("TMPDIR");
	char *path = cp_xasprintf("%s/cdnpipe-put.XXXXXX", td && *td ? td : "/tmp");
	int fd = mkstemp(path), rc;
	if (fd < 0 || cp_write_all(fd, data, len) != 0) {
		rc = cp_error_set(err, path, 0, 0, "cannot write a temporary file: %s",
				  strerror(errno));
	} else {
		unsigned char md5[16];
		cp_md5(data, len, md5);
		rc = cp_target_put(t, key, path, h, md5, err);
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	free(path);
	return rc;
}
