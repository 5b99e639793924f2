/*
 * etag.c - the one ETag module: what an ETag says, and whether a remote
 * object already holds a local file.  Upload's planner and sync both ask
 * here, so they judge the same object the same way.
 *
 * S3's ETag is the hex MD5 of the body for a single PUT, and for a multipart
 * upload the MD5 of the concatenated binary part MD5s followed by "-N" (N
 * parts).  To compare a multipart ETag with a local file we must hash the
 * file in the same parts, which needs the part size the uploader used; the
 * ETag only tells N, and only part sizes p with ceil(size/p) == N qualify.
 * We try, among those, ours first, then the sizes tools really use (AWS CLI
 * and boto3 8 MiB, rclone 5 MiB, mc 16 MiB, s3cmd 15 MiB, s5cmd 50 MiB,
 * 10/32/64/100/128/256/512 MiB and 1 GiB), then size/N rounded up to a MiB
 * and size/N exactly; each candidate costs one streamed read of the file,
 * and the window of sizes that give exactly N parts keeps the list short.
 * ETags that are not MD5s at all (SSE-KMS, SSE-C, other stores) never
 * match; callers then fall back to x-amz-meta-md5 or size+mtime.  s3rver
 * gives a plain MD5 even for multipart objects, so a plain ETag is always
 * compared with the whole-file MD5.
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

#define MiB (1ull << 20)

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

unsigned cp_s3_part_count(uint64_t size, uint64_t part_size)
{
	if (!size)
		return 1;
	return (unsigned)((size + part_size - 1) / part_size);
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

enum cp_etag_form cp_etag_form(const char *etag, unsigned *nparts)
{
	if (!etag)
		return CP_ETAG_OPAQUE;
	char e[80];
	unquote(etag, e);
	size_t n = strlen(e);
	if (n < 32 || !is_hex(e, 32))
		return CP_ETAG_OPAQUE;
	if (n == 32)
		return CP_ETAG_MD5;
	if (e[32] != '-' || n == 33 || n > 38)
		return CP_ETAG_OPAQUE;
	unsigned v = 0;
	for (size_t i = 33; i < n; i++) {
		if (e[i] < '0' || e[i] > '9')
			return CP_ETAG_OPAQUE;
		v = v * 10 + (unsigned)(e[i] - '0');
	}
	if (!v || v > CP_S3_MAX_PARTS)
		return CP_ETAG_OPAQUE;
	if (nparts)
		*nparts = v;
	return CP_ETAG_MULTIPART;
}

size_t cp_etag_part_candidates(uint64_t size, unsigned n, uint64_t ours, uint64_t *out, size_t max)
{
	static const uint64_t common[] = {8, 5, 16, 15, 50, 10, 32, 64, 100, 128, 256, 512, 1024};
	uint64_t cand[4 + sizeof common / sizeof *common];
	size_t nc = 0;
	if (ours)
		cand[nc++] = ours;
	for (size_t i = 0; i < sizeof common / sizeof *common; i++)
		cand[nc++] = common[i] * MiB;
	if (n) {
		uint64_t exact = (size + n - 1) / n;
		cand[nc++] = (exact + MiB - 1) / MiB * MiB;
		cand[nc++] = exact;
	}
	size_t w = 0;
	for (size_t i = 0; i < nc && w < max; i++) {
		uint64_t p = cand[i];
		if (!p || cp_s3_part_count(size, p) != n)
			continue;
		/* one part: every size >= the file's gives the same ETag */
		int dup = n == 1 && w > 0;
		for (size_t k = 0; k < w; k++)
			dup |= out[k] == p;
		if (!dup)
			out[w++] = p;
	}
	return w;
}

typedef struct part_hash {
	cp_md5_ctx whole; /* MD5 of the part MD5s */
	cp_md5_ctx part;
	uint64_t part_size, in_part;
	uint64_t total; /* bytes read */
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
	h->total += n;
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

int cp_multipart_etag(const char *path, uint64_t size, uint64_t part_size, char out[48],
		      cp_error *err)
{
	part_hash h = {0};
	h.part_size = part_size ? part_size : cp_s3_part_size(size, 0);
	cp_md5_init(&h.whole);
	cp_md5_init(&h.part);
	/* the whole file, not `size` bytes: a file that grew since it was listed
	 * must not match the ETag of its first `size` bytes */
	int rc = cp_stream_file(path, 0, UINT64_MAX, feed, &h, err);
	if (h.in_part || h.nparts == 0)
		close_part(&h); /* the last, short part (or the only part of an empty file) */
	unsigned char d[16], spare[16];
	cp_md5_final(&h.part, spare); /* releases the unused context */
	cp_md5_final(&h.whole, d);
	if (rc != 0)
		return rc;
	if (h.total != size) {
		out[0] = 0; /* it changed since its size was taken: matches nothing */
		return 0;
	}
	cp_hex(d, 16, out);
	sprintf(out + 32, "-%d", h.nparts);
	return 0;
}

int cp_etag_multipart_matches(const char *etag, const char *path, uint64_t size, uint64_t ours,
			      uint64_t *part, size_t *reads, cp_error *err)
{
	unsigned n = 0;
	if (cp_etag_form(etag, &n) != CP_ETAG_MULTIPART)
		return 0;
	char e[80];
	unquote(etag, e);
	uint64_t cand[24];
	size_t nc = cp_etag_part_candidates(size, n, ours, cand, sizeof cand / sizeof *cand);
	for (size_t i = 0; i < nc; i++) {
		char mine[48];
		if (cp_multipart_etag(path, size, cand[i], mine, err) != 0)
			return -1;
		if (reads)
			__atomic_add_fetch(reads, 1, __ATOMIC_RELAXED);
		if (strcasecmp(mine, e) == 0) {
			if (part)
				*part = cand[i];
			return 1;
		}
	}
	return 0;
}

int cp_s3_etag_matches(const char *etag, const char *path, uint64_t size, const char *md5_hex,
		       cp_error *err)
{
	switch (cp_etag_form(etag, NULL)) {
	case CP_ETAG_OPAQUE:
		return 0; /* not an MD5 (SSE-KMS, SSE-C, other stores) */
	case CP_ETAG_MULTIPART:
		return cp_etag_multipart_matches(etag, path, size, cp_s3_part_size(size, 0), NULL,
						 NULL, err);
	case CP_ETAG_MD5:
		break;
	}
	char e[80], hex[33];
	unquote(etag, e);
	if (!md5_hex) {
		unsigned char d[16];
		if (cp_md5_file(path, 0, UINT64_MAX, d, err) != 0)
			return -1;
		cp_hex(d, 16, hex);
		md5_hex = hex;
	}
	return strcasecmp(md5_hex, e) == 0;
}
