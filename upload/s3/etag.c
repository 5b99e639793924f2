/*
 * etag.c - deciding whether a remote object already holds a local file.
 *
 * S3's ETag is the hex MD5 of the body for a single PUT, and for a multipart
 * upload the MD5 of the concatenated binary part MD5s followed by "-N" (N
 * parts).  To compare a multipart ETag with a local file we must hash the
 * file in the same parts, which needs the part size the uploader used; the
 * ETag only tells N.  We try the sizes that produce exactly N parts among
 * the ones clients really use (ours, then 5/8/15/16/50/64/100/128/256/512
 * MiB: rclone, AWS CLI/boto3, s3cmd, s5cmd...), plus ceil(size/N) rounded
 * to whole MiB, each with one streamed pass over the file.  ETags that are
 * not MD5s at all (SSE-KMS, SSE-C) never match; callers then fall back to
 * x-amz-meta-md5 or size+mtime.  s3rver gives a plain MD5 even for
 * multipart objects, so a plain ETag is always compared with the whole-file
 * MD5.
 */
#include "upload/s3/s3.h"

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

uint64_t cp_s3_part_size(uint64_t size, uint64_t wanted)
{
	uint64_t ps = wanted ? wanted : (8ull << 20);
	if (ps < CP_S3_MIN_PART)
		ps = CP_S3_MIN_PART;
	while (ps < CP_S3_MAX_PART && (size + ps - 1) / ps > CP_S3_MAX_PARTS)
		ps *= 2;
	if (ps > CP_S3_MAX_PART)
		ps = CP_S3_MAX_PART;
	return ps;
}

/* Copies the ETag without quotes into out (at most 79 bytes). */
static void unquote(const char *etag, char out[80])
{
	size_t n = strlen(etag);
	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
		etag++, n -= 2;
	if (n > 79)
		n = 79;
	memcpy(out, etag, n);
	out[n] = 0;
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int cp_s3_etag_parts(const char *etag)
{
	char e[80];
	unquote(etag, e);
	const char *dash = strchr(e, '-');
	if (!dash || dash - e != 32 || !is_hex(e, 32))
		return 0;
	char *end;
	long n = strtol(dash + 1, &end, 10);
	return *end || n < 1 || n > CP_S3_MAX_PARTS ? 0 : (int)n;
}

typedef struct part_hash {
	cp_md5_ctx whole; /* MD5 of the part MD5s */
	cp_md5_ctx part;
	uint64_t part_size, in_part;
	int nparts;
} part_hash;

static void close_part(part_hash *h)
{
	unsigned char d[16];
	cp_md5_final(&h->part, d);
	cp_md5_update(&h->whole, d, 16);
	h->nparts++;
	h->in_part = 0;
	cp_md5_init(&h->part);
}

static int feed(void *ctx, const unsigned char *p, size_t n)
{
	part_hash *h = ctx;
	while (n) {
		uint64_t room = h->part_size - h->in_part;
		size_t take = n < room ? n : (size_t)room;
		cp_md5_update(&h->part, p, take);
		h->in_part += take;
		p += take;
		n -= take;
		if (h->in_part == h->part_size)
			close_part(h);
	}
	return 0;
}

int cp_multipart_etag(const char *path, uint64_t size, uint64_t part_size, char *out, cp_error *err)
{
	part_hash h = {0};
	h.part_size = part_size ? part_size : cp_s3_part_size(size, 0);
	cp_md5_init(&h.whole);
	cp_md5_init(&h.part);
	int rc = cp_stream_file(path, 0, UINT64_MAX, feed, &h, err);
	if (h.in_part || h.nparts == 0)
		close_part(&h); /* the last, short part (or the only part of an empty file) */
	unsigned char d[16], spare[16];
	cp_md5_final(&h.part, spare); /* releases the unused context */
	cp_md5_final(&h.whole, d);
	if (rc != 0)
		return rc;
	cp_hex(d, 16, out);
	sprintf(out + 32, "-%d", h.nparts);
	return 0;
}

int cp_s3_etag_matches(const char *etag, const char *path, uint64_t size, const char *md5_hex,
		       cp_error *err)
{
	char e[80];
	unquote(etag, e);
	int n = cp_s3_etag_parts(e);
	if (n == 0) {
		if (strlen(e) != 32 || !is_hex(e, 32))
			return 0; /* not an MD5 (SSE-KMS, SSE-C, other stores) */
		char hex[33];
		if (!md5_hex) {
			unsigned char d[16];
			if (cp_md5_file(path, 0, UINT64_MAX, d, err) != 0)
				return -1;
			cp_hex(d, 16, hex);
			md5_hex = hex;
		}
		return strcasecmp(md5_hex, e) == 0;
	}
	uint64_t mib = 1ull << 20;
	uint64_t cand[16];
	int nc = 0;
	cand[nc++] = cp_s3_part_size(size, 0);
	static const unsigned common[] = {5, 8, 15, 16, 50, 64, 100, 128, 256, 512};
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		cand[nc++] = common[i] * mib;
	cand[nc++] = ((size + (uint64_t)n - 1) / (uint64_t)n + mib - 1) / mib * mib;
	for (int i = 0; i < nc; i++) {
		uint64_t ps = cand[i];
		int dup = 0;
		for (int j = 0; j < i; j++)
			dup |= cand[j] == ps;
		uint64_t parts = size ? (size + ps - 1) / ps : 1;
		if (dup || parts != (uint64_t)n)
			continue;
		char mine[48];
		if (cp_multipart_etag(path, size, ps, mine, err) != 0)
			return -1;
		if (strcasecmp(mine, e) == 0)
			return 1;
	}
	return 0;
}
