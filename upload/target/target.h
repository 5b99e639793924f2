/*
 * target.h - the public header of upload/target/: one small interface over
 * "a place that holds keys": a local folder (file:///path, laid out exactly
 * as the bucket would be) or an S3 bucket prefix (s3://bucket/prefix).
 *
 * Operations are synchronous and safe to call from many threads at once; the
 * S3 implementation multiplexes them onto the client's single network thread,
 * so N callers means N requests in flight (the publisher uses its internal
 * asynchronous put instead, see target_impl.h, to spare a thread per request).
 */
#ifndef CP_UPLOAD_TARGET_H
#define CP_UPLOAD_TARGET_H

#include "lib/cp.h"
#include "upload/s3/s3.h"

#include <stdint.h>

#define CP_ETAG_MAX 80
/* The longest header value cdnpipe sets or compares, with its NUL. */
#define CP_HEADER_MAX 1024

/* One object of a listing.  key is relative to the target's prefix. */
typedef struct cp_remote_obj {
	char *key;
	uint64_t size;
	/* ETag without quotes: 32 hex (single PUT, or s3rver's multipart), or
	 * "<hex>-N" for an AWS multipart object.  "" when the target computes
	 * it lazily (file://): ask cp_target_etag() when it is needed. */
	char etag[CP_ETAG_MAX];
	int64_t mtime; /* last modified, Unix seconds (0: not known) */
} cp_remote_obj;

typedef struct cp_remote_list {
	cp_remote_obj *v;
	size_t n, cap;
} cp_remote_list;

void cp_remote_list_add(cp_remote_list *l, const char *key, uint64_t size, const char *etag);
void cp_remote_list_free(cp_remote_list *l);

/* Headers of a PUT (NULL: not sent).  A folder target keeps the bytes only. */
typedef struct cp_put_headers {
	const char *content_type;
	const char *cache_control;
	const char *content_encoding;
	const char *acl; /* canned ACL ("public-read"), only when asked */
	const char *content_disposition;
	const cp_s3_header *meta; /* x-amz-meta-<name>: value (name without the prefix) */
	size_t nmeta;
} cp_put_headers;

/* How to reach S3: everything the S3 client needs from the command line.
 * NULL / 0 fields fall back to the AWS environment and config files. */
typedef struct cp_s3_settings {
	const char *endpoint;
	const char *region;
	const char *profile;
	enum cp_s3_addressing addressing; /* --path-style / --virtual-host; 0: automatic */
	int concurrency;
	int retries;
	uint64_t multipart_threshold;
	uint64_t part_size; /* 0: the client's default */
} cp_s3_settings;

typedef struct cp_target cp_target;

/* Opens "file:///abs/path" or "s3://bucket[/prefix]".  For s3:// the
 * settings apply; for file:// they are ignored. */
int cp_target_open(const char *url, const cp_s3_settings *s3, cp_target **out, cp_error *err);
void cp_target_close(cp_target *t);
/* "file" or "s3". */
const char *cp_target_scheme(const cp_target *t);
/* What names this target wherever it is reached from: "s3 <endpoint>
 * <bucket>/<prefix>" (the resolved endpoint) or "file <absolute path>/".
 * Newly allocated. */
char *cp_target_identity(const cp_target *t);
/* Part size the target uses for multipart uploads of a file of this size
 * (0: never multipart), so a plan can compute the same multipart ETag. */
uint64_t cp_target_part_size(const cp_target *t, uint64_t size);

/* Every object below prefix (relative to the target's own prefix), flat,
 * in no particular order.  Appends to out. */
int cp_target_list(cp_target *t, const char *prefix, cp_remote_list *out, cp_error *err);
/* The ETag of a listed key, computing it if the listing left it empty. */
int cp_target_etag(cp_target *t, const char *key, char out[CP_ETAG_MAX], cp_error *err);
/* Reads a small object (a manifest) into out, through the scratch file
 * (removed again).  *exists = 0 when there is none. */
int cp_target_read(cp_target *t, const char *key, const char *scratch, cp_buf *out, int *exists,
		   cp_error *err);
/* Copies the object under key to the local path (written under a temporary
 * name and renamed).  *exists = 0, and nothing written, when there is none. */
int cp_target_fetch(cp_target *t, const char *key, const char *local, int *exists, cp_error *err);
/* What HEAD says of an object.  A folder target keeps no headers: they are
 * "" there, and etag is the file's MD5. */
typedef struct cp_object_info {
	uint64_t size;
	char etag[CP_ETAG_MAX];
	/* CP_HEADER_MAX: longer values are cut (and `truncated` set) */
	char content_type[CP_HEADER_MAX], cache_control[CP_HEADER_MAX], content_encoding[64];
	char content_disposition[CP_HEADER_MAX];
	/* every x-amz-meta-* as "name: value\n" lines, names lower-cased, sorted
	 * (cp_meta_canon spells a wanted set the same way); S3 caps user
	 * metadata at 2 KB, so this holds any S3 object's */
	char meta[4096];
	int truncated; /* a value did not fit: the fields cannot be compared */
	int headers;   /* 1 when the target keeps headers (S3) */
} cp_object_info;
/* The canonical "name: value\n" lines of a metadata set, as cp_object_info
 * holds them.  Newly allocated. */
char *cp_meta_canon(const cp_s3_header *meta, size_t n);
int cp_target_head(cp_target *t, const char *key, cp_object_info *out, int *exists, cp_error *err);
/* Deletes keys (absent ones are not an error); each failure goes to diags
 * (may be NULL) and the call fails.  S3 deletes in batches of 1000. */
int cp_target_delete(cp_target *t, const char *const *keys, size_t n, cp_diags *diags,
		     cp_error *err);
/* Gives an existing object new headers without sending its bytes again
 * (S3: a copy onto itself with the metadata replaced).  A folder keeps no
 * headers: nothing to do.  Objects past 5 GiB cannot be copied in one
 * request: CP_ERR_BUILD, the caller sends them again instead. */
int cp_target_set_headers(cp_target *t, const char *key, const cp_put_headers *h, cp_error *err);
/* Sends len bytes from memory under key (through a temporary file: the
 * puts take files), for cdnpipe's own small keys. */
int cp_target_put_bytes(cp_target *t, const char *key, const void *data, size_t len,
			const cp_put_headers *h, cp_error *err);
/* Sends the local file under key.  md5 (may be NULL) is the file's MD5 when
 * the caller already knows it, saving a read. */
int cp_target_put(cp_target *t, const char *key, const char *local, const cp_put_headers *h,
		  const unsigned char *md5, cp_error *err);

#endif
