/*
 * digest.h - MD5, SHA-2 and encodings over OpenSSL's libcrypto.
 *
 * MD5 names fingerprinted files (Django's scheme) and is S3's ETag and
 * Content-MD5; SHA-256 is SigV4's payload hash; SHA-256/384/512 are
 * Subresource Integrity values and framework manifests' digests.  Files are hashed by
 * streaming, never by loading them whole.
 */
#ifndef CP_DIGEST_H
#define CP_DIGEST_H

#include "lib/err.h"

#include <stddef.h>
#include <stdint.h>

void cp_md5(const void *data, size_t len, unsigned char out[16]);
void cp_sha256(const void *data, size_t len, unsigned char out[32]);
/* Streams [offset, offset+length) of a file (length UINT64_MAX: to the end). */
int cp_md5_file(const char *path, uint64_t offset, uint64_t length, unsigned char out[16],
		cp_error *err);
int cp_sha256_file(const char *path, uint64_t offset, uint64_t length, unsigned char out[32],
		   cp_error *err);
/* Several digests of a file in one read (bits of CP_DIGEST_*), and its
 * size: what integrity values and manifests need of each output file. */
enum { CP_DIGEST_MD5 = 1, CP_DIGEST_SHA256 = 2, CP_DIGEST_SHA384 = 4, CP_DIGEST_SHA512 = 8 };
typedef struct cp_digests {
	unsigned char md5[16], sha256[32], sha384[48], sha512[64];
	uint64_t size;
} cp_digests;
int cp_digests_file(const char *path, unsigned which, cp_digests *out, cp_error *err);
/* Lower-case hex; out must hold 2*n+1 bytes. */
void cp_hex(const unsigned char *in, size_t n, char *out);
/* Value of one hex digit (either case), or -1. */
int cp_hex_value(int c);
/* The inverse of cp_hex: 2*n hex digits into n bytes; 0, or -1 on a non-hex digit. */
int cp_unhex(const char *hex, unsigned char *out, size_t n);
/* n random bytes from the system's generator (OpenSSL's), as 2*n lower-case
 * hex digits in out (2*n+1 bytes): names that must not repeat. */
void cp_random_hex(size_t n, char *out);
/* Standard base64 with padding; out must hold 4*((n+2)/3)+1 bytes. */
void cp_base64(const unsigned char *in, size_t n, char *out);

/* Incremental MD5 for callers that see a body in pieces. */
typedef struct cp_md5_ctx {
	void *evp;
} cp_md5_ctx;
void cp_md5_init(cp_md5_ctx *c);
void cp_md5_update(cp_md5_ctx *c, const void *data, size_t len);
void cp_md5_final(cp_md5_ctx *c, unsigned char out[16]);

#endif
