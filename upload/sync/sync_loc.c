/*
 * sync_loc.c - the two sides of a sync (a local folder or s3://bucket/prefix)
 * and the part size sync uploads and copies with.
 *
 * The part size starts at what the user asked (--part-size, rounded up to a
 * whole MiB; default 8 MiB, what awscli uses, so an object uploaded by either
 * tool gets the same multipart ETag) and then follows the S3 client's rule:
 * doubled until the file fits in 10,000 parts (a 1 TiB file gets 128 MiB
 * parts).  What an ETag says and how it is compared with a file is the S3
 * client's ETag module (upload/s3/etag.c), shared with upload.
 */
#include "upload/s3/s3.h"
#include "upload/sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1ull << 20)

uint64_t cp_sync_part_size(uint64_t size, uint64_t want)
{
	return cp_s3_part_size(size, want ? (want + MiB - 1) / MiB * MiB : 0);
}

int cp_sync_loc_parse(const char *s, cp_sync_loc *l, cp_error *err)
{
	memset(l, 0, sizeof *l);
	if (!strncmp(s, "s3://", 5)) {
		/* the S3 client's rule: bucket name checks, prefix "" or "p/" */
		cp_s3_target t;
		int rc = cp_s3_target_parse(s, &t, err);
		if (rc)
			return rc;
		l->is_s3 = 1;
		l->bucket = t.bucket;
		l->prefix = t.prefix;
		return 0;
	}
	const char *p;
	int rc = cp_file_url(s, &p, err);
	if (rc)
		return rc;
	if (!p && strstr(s, "://"))
		return cp_error_set(err, s, 0, 0,
				    "'%s': a side is a local folder or s3://bucket/prefix", s);
	if (!p)
		p = s; /* a plain path, relative to the working folder */
	if (!*p)
		return cp_error_set(err, s, 0, 0, "empty local path");
	l->root = cp_path_absolute(p);
	return 0;
}

void cp_sync_loc_free(cp_sync_loc *l)
{
	free(l->bucket);
	free(l->prefix);
	free(l->root);
	memset(l, 0, sizeof *l);
}
