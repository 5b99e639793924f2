/*
 * sync_mp.c - multipart arithmetic, ETag forms and sync locations.
 *
 * S3 allows at most 10,000 parts of 5 MiB to 5 GiB each.  Our part size
 * starts at what the user asked (default 8 MiB, what awscli uses, so an
 * object uploaded by either tool gets the same multipart ETag) and doubles
 * until the file fits in 10,000 parts: a 1 TiB file gets 128 MiB parts.
 *
 * Comparing a local file with a multipart ETag ("md5-of-part-md5s-N") needs
 * the part size that object was uploaded with, which S3 does not tell.  The
 * "-N" narrows it: only part sizes p with ceil(size/p) == N qualify.  We try
 * the sizes common tools use (awscli 8 MiB, rclone 5 MiB, s3cmd 15 MiB,
 * mc 16 MiB, s5cmd 50 MiB and powers of two) that give N parts, then size/N
 * rounded up to a MiB.  Each candidate costs one read of the file, so at most
 * a few are tried; when none matches the key is copied (the safe answer).
 */
#include "upload/s3/s3.h"
#include "upload/sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1ull << 20)

uint64_t cp_mp_part_size(uint64_t size, uint64_t want)
{
	return cp_s3_part_size(size, want ? (want + MiB - 1) / MiB * MiB : 0);
}

unsigned cp_mp_part_count(uint64_t size, uint64_t part_size)
{
	if (!size)
		return 1;
	return (unsigned)((size + part_size - 1) / part_size);
}

static int ishex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int cp_etag_kind(const char *etag, unsigned *nparts)
{
	if (!etag)
		return 0;
	size_t n = strlen(etag);
	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
		etag++;
		n -= 2;
	}
	if (n < 32)
		return 0;
	for (int i = 0; i < 32; i++)
		if (!ishex(etag[i]))
			return 0;
	if (n == 32)
		return 1;
	if (etag[32] != '-' || n == 33 || n > 40)
		return 0;
	unsigned v = 0;
	for (size_t i = 33; i < n; i++) {
		if (etag[i] < '0' || etag[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(etag[i] - '0');
	}
	if (!v || v > CP_S3_MAX_PARTS)
		return 0;
	if (nparts)
		*nparts = v;
	return 2;
}

size_t cp_mp_part_candidates(uint64_t size, unsigned n, uint64_t *out, size_t max)
{
	static const uint64_t common[] = {8, 5, 16, 15, 50, 10, 32, 64, 100, 128, 256, 512, 1024};
	uint64_t cand[40];
	size_t nc = 0;
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
		if (!p || cp_mp_part_count(size, p) != n)
			continue;
		int dup = 0;
		for (size_t k = 0; k < w; k++)
			dup |= out[k] == p;
		if (!dup)
			out[w++] = p;
	}
	return w;
}

struct mp_ctx {
	uint64_t part_size, in_part;
	cp_md5_ctx part, all;
	unsigned nparts;
};

static int mp_chunk(void *vctx, const unsigned char *p, size_t n)
{
	struct mp_ctx *c = vctx;
	while (n) {
		size_t take = n;
		if (take > c->part_size - c->in_part)
			take = (size_t)(c->part_size - c->in_part);
		cp_md5_update(&c->part, p, take);
		c->in_part += take;
		p += take;
		n -= take;
		if (c->in_part == c->part_size) {
			unsigned char d[16];
			cp_md5_final(&c->part, d);
			cp_md5_update(&c->all, d, 16);
			c->nparts++;
			c->in_part = 0;
			cp_md5_init(&c->part);
		}
	}
	return 0;
}

int cp_mp_etag_file(const char *path, uint64_t size, uint64_t part_size, char out[48],
		    cp_error *err)
{
	struct mp_ctx c = {.part_size = part_size};
	cp_md5_init(&c.part);
	cp_md5_init(&c.all);
	int rc = cp_stream_file(path, 0, size, mp_chunk, &c, err);
	unsigned char d[16];
	cp_md5_final(&c.part, d);
	if (c.in_part || !c.nparts) {
		cp_md5_update(&c.all, d, 16);
		c.nparts++;
	}
	cp_md5_final(&c.all, d);
	char hex[33];
	cp_hex(d, 16, hex);
	snprintf(out, 48, "%s-%u", hex, c.nparts);
	return rc;
}

/* ---- locations ---------------------------------------------------------- */

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
