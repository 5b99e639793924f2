/*
 * s3_url.c - where a request goes: URI encoding, copy sources, and the URL
 * of a request in path or virtual-host style.
 *
 * Virtual-host style puts the bucket in the host name
 * (bucket.s3.region.amazonaws.com/key), path style in the path
 * (127.0.0.1:4569/bucket/key).  The key is URI-encoded once with '/' kept,
 * and the same string is both sent and signed, so SigV4's "path as sent"
 * rule holds by construction.  Pure functions of the configuration: the
 * engine (which sends) and the operations (which build requests) both call
 * down here, never the other way.
 */
#include "upload/s3/s3_int.h"

#include <stdlib.h>
#include <string.h>

char *cp_uri_encode_keeping(const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	cp_buf b = CP_BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || strchr(keep, c)) {
			cp_buf_putc(&b, (char)c);
		} else {
			cp_buf_putc(&b, '%');
			cp_buf_putc(&b, hex[c >> 4]);
			cp_buf_putc(&b, hex[c & 15]);
		}
	}
	return cp_buf_take(&b);
}

char *cp_s3_uri_encode(const char *s, int keep_slash)
{
	return cp_uri_encode_keeping(s, keep_slash ? "/" : "");
}

char *cp_key_url_keeping(const char *base, const char *key, const char *keep)
{
	char *enc = cp_uri_encode_keeping(key, keep);
	size_t bl = strlen(base);
	char *u = cp_xasprintf("%s%s%s", base, bl && base[bl - 1] != '/' ? "/" : "", enc);
	free(enc);
	return u;
}

char *cp_s3_key_url(const char *base, const char *key)
{
	return cp_key_url_keeping(base, key, "/");
}

char *cp_s3_copy_source(const char *bucket, const char *key)
{
	char *k = cp_s3_uri_encode(key, 1);
	char *v = cp_xasprintf("%s/%s", bucket, k);
	free(k);
	return v;
}

char *s3_req_url(const cp_s3_config *cfg, const s3_req *r, char **host, char **path)
{
	const char *ep = cfg->endpoint;
	const char *sep = strstr(ep, "://");
	const char *hp = sep ? sep + 3 : ep;
	size_t scheme_len = sep ? (size_t)(sep - ep) : 5;
	const char *scheme = sep ? ep : "https";
	size_t hl = strcspn(hp, "/");
	char *key = r->key ? cp_s3_uri_encode(r->key, 1) : NULL;
	/* Like the AWS CLI, fall back to path style for buckets that cannot be
	 * a host name label: a dot breaks the *.s3 wildcard certificate over
	 * https, upper case and '_' are not valid in DNS names. */
	int path_style = cfg->path_style;
	for (const char *b = r->bucket; !path_style && *b; b++)
		if ((*b == '.' && scheme_len == 5 && strncmp(scheme, "https", 5) == 0) ||
		    (*b >= 'A' && *b <= 'Z') || *b == '_')
			path_style = 1;
	if (path_style) {
		*host = cp_xstrndup(hp, hl);
		*path =
		    key ? cp_xasprintf("/%s/%s", r->bucket, key) : cp_xasprintf("/%s", r->bucket);
	} else {
		*host = cp_xasprintf("%s.%.*s", r->bucket, (int)hl, hp);
		*path = cp_xasprintf("/%s", key ? key : "");
	}
	free(key);
	return cp_xasprintf("%.*s://%s%s%s%s", (int)scheme_len, scheme, *host, *path,
			    r->query ? "?" : "", r->query ? r->query : "");
}
