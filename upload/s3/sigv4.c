/*
 * sigv4.c - AWS Signature Version 4 (S3 flavour) on libcrypto.
 *
 * Canonical request = method, path, sorted query, canonical headers, the
 * signed-header list and the payload hash, one per line.  The string to sign
 * wraps its SHA-256 with the time and the credential scope; the signing key
 * is a chain of four HMACs from "AWS4"+secret over date, region, service and
 * "aws4_request".  S3 differs from the generic algorithm in two ways that
 * matter here: the path is signed exactly as sent (encoded once, never
 * normalised), and the payload hash is the x-amz-content-sha256 value.
 *
 * The query is sorted as given, without decoding and re-encoding: the engine
 * always builds queries already in canonical encoding, so sorting the
 * "name=value" pairs by name then value (byte order) is the whole job.
 * Header values are trimmed and inner runs of spaces collapsed, as botocore
 * does.  Everything is a few hundred bytes, so clarity wins over speed.
 */
#include "upload/s3/sigv4.h"

#include "lib/buf.h"
#include "lib/digest.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct hdr {
	char *name;
	const char *value;
} hdr;

static int cmp_hdr(const void *a, const void *b)
{
	return strcmp(((const hdr *)a)->name, ((const hdr *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lower-cased, sorted copies of the header names (values borrowed). */
static hdr *sorted_headers(const cp_sigv4_input *in)
{
	hdr *h = cp_xcalloc(in->nheaders ? in->nheaders : 1, sizeof(*h));
	for (size_t i = 0; i < in->nheaders; i++) {
		h[i].name = cp_xstrdup(in->headers[i].name);
		for (char *p = h[i].name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		h[i].value = in->headers[i].value ? in->headers[i].value : "";
	}
	qsort(h, in->nheaders, sizeof(*h), cmp_hdr);
	return h;
}

static void free_headers(hdr *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(h[i].name);
	free(h);
}

/* Value with leading/trailing white space removed and inner runs collapsed. */
static void put_trimmed(cp_buf *b, const char *v)
{
	int space = 0, started = 0;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
			space = started;
			continue;
		}
		if (space)
			cp_buf_putc(b, ' ');
		space = 0;
		started = 1;
		cp_buf_putc(b, *v);
	}
}

static void put_signed_headers(cp_buf *b, const hdr *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(h[i].name, h[i - 1].name) == 0)
			continue;
		if (i)
			cp_buf_putc(b, ';');
		cp_buf_puts(b, h[i].name);
	}
}

static void put_query(cp_buf *b, const char *q)
{
	if (!q || !*q)
		return;
	char *dup = cp_xstrdup(q);
	size_t n = 1;
	for (char *p = dup; *p; p++)
		n += *p == '&';
	char **v = cp_xcalloc(n, sizeof(*v));
	size_t k = 0;
	for (char *save = NULL, *t = strtok_r(dup, "&", &save); t; t = strtok_r(NULL, "&", &save))
		v[k++] = t;
	/* Sorting "name=value" strings orders by name first only if '=' sorts
	 * before every name byte; it does not ('-' and '.' are lower), so
	 * compare the split pairs. */
	char **pairs = cp_xcalloc(k ? k : 1, sizeof(*pairs));
	for (size_t i = 0; i < k; i++) {
		char *eq = strchr(v[i], '=');
		/* name \x01 value: \x01 sorts below any byte of a name */
		pairs[i] = eq ? cp_xasprintf("%.*s\x01%s", (int)(eq - v[i]), v[i], eq + 1)
			      : cp_xasprintf("%s\x01", v[i]);
	}
	qsort(pairs, k, sizeof(*pairs), cmp_str);
	for (size_t i = 0; i < k; i++) {
		if (i)
			cp_buf_putc(b, '&');
		char *sep = strchr(pairs[i], '\x01');
		*sep = '=';
		cp_buf_puts(b, pairs[i]);
		free(pairs[i]);
	}
	free(pairs);
	free(v);
	free(dup);
}

char *cp_sigv4_canonical_request(const cp_sigv4_input *in)
{
	cp_buf b = CP_BUF_INIT;
	hdr *h = sorted_headers(in);
	cp_buf_printf(&b, "%s\n%s\n", in->method, in->path && *in->path ? in->path : "/");
	put_query(&b, in->query);
	cp_buf_putc(&b, '\n');
	for (size_t i = 0; i < in->nheaders; i++) {
		if (i && strcmp(h[i].name, h[i - 1].name) == 0) {
			/* repeated header: values joined with ',' */
			cp_buf_putc(&b, ',');
		} else {
			if (i)
				cp_buf_putc(&b, '\n');
			cp_buf_printf(&b, "%s:", h[i].name);
		}
		put_trimmed(&b, h[i].value);
	}
	cp_buf_puts(&b, "\n\n");
	put_signed_headers(&b, h, in->nheaders);
	cp_buf_printf(&b, "\n%s", in->payload_hash);
	free_headers(h, in->nheaders);
	return cp_buf_take(&b);
}

static const char *service(const cp_sigv4_input *in)
{
	return in->service ? in->service : "s3";
}

char *cp_sigv4_string_to_sign(const cp_sigv4_input *in, const char *canonical_request)
{
	unsigned char d[32];
	char hex[65];
	cp_sha256(canonical_request, strlen(canonical_request), d);
	cp_hex(d, 32, hex);
	return cp_xasprintf("AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", in->amz_date,
			    in->amz_date, in->region, service(in), hex);
}

static void hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &len);
}

void cp_sigv4_signing_key(const cp_sigv4_input *in, unsigned char key[32])
{
	char date[9];
	char *secret = cp_xasprintf("AWS4%s", in->secret_key);
	memcpy(date, in->amz_date, 8);
	date[8] = 0;
	hmac(secret, strlen(secret), date, key);
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
	hmac(key, 32, in->region, key);
	hmac(key, 32, service(in), key);
	hmac(key, 32, "aws4_request", key);
}

static void sign_with(const unsigned char key[32], const char *string_to_sign, char out[65])
{
	unsigned char d[32];
	hmac(key, 32, string_to_sign, d);
	cp_hex(d, 32, out);
	OPENSSL_cleanse(d, sizeof(d));
}

void cp_sigv4_signature(const cp_sigv4_input *in, const char *string_to_sign, char out[65])
{
	unsigned char k[32];
	cp_sigv4_signing_key(in, k);
	sign_with(k, string_to_sign, out);
	OPENSSL_cleanse(k, sizeof(k));
}

char *cp_sigv4_authorization_key(const cp_sigv4_input *in, const unsigned char key[32])
{
	char *cr = cp_sigv4_canonical_request(in);
	char *sts = cp_sigv4_string_to_sign(in, cr);
	char sig[65];
	sign_with(key, sts, sig);
	cp_buf b = CP_BUF_INIT;
	cp_buf_printf(&b, "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=",
		      in->access_key, in->amz_date, in->region, service(in));
	hdr *h = sorted_headers(in);
	put_signed_headers(&b, h, in->nheaders);
	free_headers(h, in->nheaders);
	cp_buf_printf(&b, ", Signature=%s", sig);
	free(cr);
	free(sts);
	return cp_buf_take(&b);
}

char *cp_sigv4_authorization(const cp_sigv4_input *in)
{
	unsigned char k[32];
	cp_sigv4_signing_key(in, k);
	char *auth = cp_sigv4_authorization_key(in, k);
	OPENSSL_cleanse(k, sizeof(k));
	return auth;
}

void cp_sigv4_amz_date(time_t t, char out[17])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}
