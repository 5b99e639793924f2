/*
 * digest.c - hashing over libcrypto's EVP interface; see digest.h.
 */
#include "lib/digest.h"
#include "lib/fsutil.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>
#include <time.h>
#include <openssl/rand.h>

void cp_md5(const void *data, size_t len, unsigned char out[16])
{
	EVP_Digest(data, len, out, NULL, EVP_md5(), NULL);
}

void cp_sha256(const void *data, size_t len, unsigned char out[32])
{
	EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
}

static int digest_chunk(void *ctx, const unsigned char *p, size_t n)
{
	return EVP_DigestUpdate(ctx, p, n) == 1 ? 0 : -1;
}

static int digest_file(const EVP_MD *md, const char *path, uint64_t offset, uint64_t length,
		       unsigned char *out, cp_error *err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, md, NULL);
	int rc = cp_stream_file(path, offset, length, digest_chunk, c, err);
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	return rc;
}

int cp_md5_file(const char *path, uint64_t offset, uint64_t length, unsigned char out[16],
		cp_error *err)
{
	return digest_file(EVP_md5(), path, offset, length, out, err);
}

struct multi {
	EVP_MD_CTX *c[4];
	uint64_t size;
};

static int multi_chunk(void *ctx, const unsigned char *p, size_t n)
{
	struct multi *m = ctx;
	m->size += n;
	for (int i = 0; i < 4; i++)
		if (m->c[i] && EVP_DigestUpdate(m->c[i], p, n) != 1)
			return -1;
	return 0;
}

int cp_digests_file(const char *path, unsigned which, cp_digests *out, cp_error *err)
{
	const EVP_MD *md[4] = {EVP_md5(), EVP_sha256(), EVP_sha384(), EVP_sha512()};
	unsigned char *dst[4] = {out->md5, out->sha256, out->sha384, out->sha512};
	struct multi m = {{0}, 0};
	for (int i = 0; i < 4; i++)
		if (which & (1u << i)) {
			m.c[i] = EVP_MD_CTX_new();
			EVP_DigestInit_ex(m.c[i], md[i], NULL);
		}
	int rc = cp_stream_file(path, 0, UINT64_MAX, multi_chunk, &m, err);
	for (int i = 0; i < 4; i++)
		if (m.c[i]) {
			EVP_DigestFinal_ex(m.c[i], dst[i], NULL);
			EVP_MD_CTX_free(m.c[i]);
		}
	out->size = m.size;
	return rc;
}

int cp_sha256_file(const char *path, uint64_t offset, uint64_t length, unsigned char out[32],
		   cp_error *err)
{
	return digest_file(EVP_sha256(), path, offset, length, out, err);
}

void cp_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = 0;
}

int cp_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cp_unhex(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = cp_hex_value(hex[2 * i]), lo = hi < 0 ? -1 : cp_hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	return 0;
}

void cp_base64(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

void cp_md5_init(cp_md5_ctx *c)
{
	c->evp = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c->evp, EVP_md5(), NULL);
}

void cp_md5_update(cp_md5_ctx *c, const void *data, size_t len)
{
	EVP_DigestUpdate(c->evp, data, len);
}

void cp_md5_final(cp_md5_ctx *c, unsigned char out[16])
{
	EVP_DigestFinal_ex(c->evp, out, NULL);
	EVP_MD_CTX_free(c->evp);
	c->evp = NULL;
}

void cp_random_hex(size_t n, char *out)
{
	unsigned char b[32];
	if (n > sizeof b)
		n = sizeof b;
	if (RAND_bytes(b, (int)n) != 1) {
		/* no entropy source: the time and the pid still keep names apart */
		struct timespec ts;
		char seed[64];
		clock_gettime(CLOCK_REALTIME, &ts);
		int len = snprintf(seed, sizeof seed, "%lld.%ld.%d", (long long)ts.tv_sec,
				   ts.tv_nsec, (int)getpid());
		cp_sha256(seed, (size_t)len, b);
	}
	cp_hex(b, n, out);
}
