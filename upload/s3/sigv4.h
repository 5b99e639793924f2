/*
 * sigv4.h - AWS Signature Version 4 for S3, on libcrypto.
 *
 * The signer is a pure function of its input: the request as it will be
 * sent (method, the path exactly as it appears on the wire, the query, the
 * headers to sign), the payload hash, the time and the credentials.  It
 * follows S3's variant of SigV4: the path is used as given (it is already
 * URI-encoded once by the caller, and is neither encoded a second time nor
 * normalised: "a//b/../c" stays as it is), and the payload hash is sent as
 * x-amz-content-sha256.  Keeping signing separate from the HTTP engine lets
 * the unit tests check it against AWS's published examples byte for byte.
 */
#ifndef CP_UPLOAD_SIGV4_H
#define CP_UPLOAD_SIGV4_H

#include <stddef.h>
#include <time.h>

typedef struct cp_sigv4_header {
	const char *name; /* any case; lower-cased for signing */
	const char *value;
} cp_sigv4_header;

typedef struct cp_sigv4_input {
	const char *method;
	const char *path;  /* URI-encoded path as sent, starting with '/' */
	const char *query; /* query as sent, without '?': "a=1&b=x%20y" ("" or NULL: none) */
	const cp_sigv4_header *headers; /* every header to sign (host included) */
	size_t nheaders;
	const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
	const char *amz_date;	  /* "20130524T000000Z" */
	const char *region;
	const char *service; /* NULL: "s3" */
	const char *access_key;
	const char *secret_key;
} cp_sigv4_input;

/* The steps, exposed for tests.  Newly allocated strings. */
char *cp_sigv4_canonical_request(const cp_sigv4_input *in);
char *cp_sigv4_string_to_sign(const cp_sigv4_input *in, const char *canonical_request);
/* Hex signature into out (65 bytes). */
void cp_sigv4_signature(const cp_sigv4_input *in, const char *string_to_sign, char out[65]);
/* The whole Authorization header value.  Newly allocated. */
char *cp_sigv4_authorization(const cp_sigv4_input *in);
/* The signing key (four chained HMACs) only changes with the date, region
 * and service: a signer that sends many requests derives it once a day.
 * key: from cp_sigv4_signing_key for in's date (first 8 characters of
 * amz_date), region and service. */
void cp_sigv4_signing_key(const cp_sigv4_input *in, unsigned char key[32]);
char *cp_sigv4_authorization_key(const cp_sigv4_input *in, const unsigned char key[32]);
/* "YYYYMMDDTHHMMSSZ" for t (UTC). */
void cp_sigv4_amz_date(time_t t, char out[17]);

#endif
