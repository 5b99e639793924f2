/*
 * verify.c - proof that what the live manifests name is really served
 * (cp_verify); see publish.h.
 *
 * A fingerprinted name carries the first 12 hex digits of the MD5 of its
 * bytes, so the check needs nothing but the target: an object whose ETag is
 * a plain MD5 must begin with its name's fingerprint; other ETags (multipart,
 * SSE-KMS) are checked by fetching the bytes; where the manifest records
 * sizes (Sprockets, Phoenix), the size too.  Headers are those upload sets:
 * the type from the name, immutable caching, and on .gz/.br siblings their
 * Content-Encoding - or what a [headers "GLOB"] rule set instead.  With a base URL each file is
 * also fetched through the CDN (identity encoding) and its bytes hashed; a brotli request is made
 * too, and a brotli answer must decode to the same bytes (an origin that
 * does not negotiate answers with identity, which is not an error).  Every
 * problem is collected; nothing stops at the first.
 */
#include "upload/publish/publish.h"
#include "compress/compress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void cp_verify_report_free(cp_verify_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->problems[i]);
	free(r->problems);
	memset(r, 0, sizeof *r);
}

static void problem(cp_verify_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(cp_verify_report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[2048];
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	r->problems = cp_xrealloc(r->problems, (r->n + 1) * sizeof *r->problems);
	r->problems[r->n++] = cp_xstrdup(buf);
}

/* The fingerprint a name carries ("css/app.3f2a1b9c8d7e.css" -> "3f2a..."). */
static int fingerprint_of(const char *hashed, char out[13])
{
	char plain[4096];
	if (!cp_unfingerprinted(hashed, plain, sizeof plain))
		return 0;
	size_t ext = cp_path_extpos(hashed);
	memcpy(out, hashed + ext - 12, 12);
	out[12] = 0;
	return 1;
}

struct ctx {
	cp_target *t;
	const char *base_url, *tmp;
	const cp_header_rule *rules; /* [headers "GLOB"]: what upload set instead */
	size_t nrules;
	cp_verify_report *r;
	unsigned long n;
	cp_strmap seen; /* files already checked (several manifests name them) */
	char **owned;
	size_t nowned;
};

/* The MD5 of an object's bytes, by fetching it. */
static int fetched_md5(struct ctx *c, const char *key, char hex[33])
{
	char *local = cp_xasprintf("%s/%lu", c->tmp, c->n++);
	int exists = 0;
	cp_error e = {0};
	unsigned char d[16];
	int rc = cp_target_fetch(c->t, key, local, &exists, &e);
	if (!rc && exists && !cp_md5_file(local, 0, UINT64_MAX, d, &e))
		cp_hex(d, 16, hex);
	else
		rc = -1;
	unlink(local);
	free(local);
	return rc;
}

static void check_headers(struct ctx *c, const char *key, const cp_object_info *o,
			  const char *plain, const char *encoding, int hashed)
{
	if (!o->headers)
		return; /* a folder keeps bytes only */
	const cp_header_rule *rule = cp_header_rule_for(c->rules, c->nrules, plain);
	const char *type = rule && rule->content_type ? rule->content_type : cp_mime_type(plain);
	if (strcmp(o->content_type, type))
		problem(c->r, "%s: Content-Type is '%s', not '%s'", key, o->content_type, type);
	if (rule && rule->cache_control) {
		if (strcmp(o->cache_control, rule->cache_control))
			problem(c->r, "%s: Cache-Control is '%s', not '%s' ([headers \"%s\"])", key,
				o->cache_control, rule->cache_control, rule->glob);
	} else if (hashed &&
		   strncmp(o->cache_control, CP_CACHE_IMMUTABLE, strlen(CP_CACHE_IMMUTABLE))) {
		problem(c->r, "%s: Cache-Control is '%s', not '%s'", key, o->cache_control,
			CP_CACHE_IMMUTABLE);
	}
	if (rule && strcmp(o->content_disposition,
			   rule->content_disposition ? rule->content_disposition : ""))
		problem(c->r, "%s: Content-Disposition is '%s', not '%s'", key,
			o->content_disposition,
			rule->content_disposition ? rule->content_disposition : "(none)");
	if (strcmp(o->content_encoding, encoding ? encoding : ""))
		problem(c->r, "%s: Content-Encoding is '%s', not '%s'", key, o->content_encoding,
			encoding ? encoding : "(none)");
}

/* What a fetch through the CDN gives: the MD5 of the bytes as they came,
 * and (for a brotli answer, up to BR_MAX bytes) the bytes to decode. */
#define BR_MAX (64u << 20)

struct body {
	cp_md5_ctx md5;
	cp_buf keep; /* a brotli answer's bytes */
	int keeping, too_big;
	char encoding[32];
};

static int on_body(void *ud, const char *p, size_t n)
{
	struct body *b = ud;
	cp_md5_update(&b->md5, p, n);
	if (b->keeping && !b->too_big) {
		if (b->keep.len + n > BR_MAX)
			b->too_big = 1;
		else
			cp_buf_append(&b->keep, p, n);
	}
	return 0;
}

static void check_cdn(struct ctx *c, const char *hashed, const char *fp)
{
	char *url = cp_s3_key_url(c->base_url, hashed);
	for (int br = 0; br < 2; br++) {
		struct body b = {.keeping = br};
		cp_md5_init(&b.md5);
		cp_http_req rq = {.url = url,
				  .header =
				      br ? "Accept-Encoding: br" : "Accept-Encoding: identity",
				  .timeout = 10,
				  .total_timeout = 300,
				  .follow = 1,
				  .body = on_body,
				  .ctx = &b,
				  .want_header = "Content-Encoding",
				  .header_value = b.encoding,
				  .header_size = sizeof b.encoding};
		long st = cp_http(&rq);
		unsigned char d[16];
		char hex[33];
		cp_md5_final(&b.md5, d);
		cp_hex(d, 16, hex);
		if (st != 200) {
			problem(c->r, "%s: HTTP %ld%s", url, st,
				br ? " (Accept-Encoding: br)" : "");
		} else if (br && !strcasecmp(b.encoding, "br") && !b.too_big) {
			/* the CDN negotiated brotli: it must decode to the file */
			cp_buf plain = CP_BUF_INIT;
			cp_error e = {0};
			if (cp_decompress_buffer(CP_BROTLI, b.keep.data, b.keep.len, &plain, &e))
				problem(c->r, "%s: the brotli answer does not decode", url);
			else {
				cp_md5(plain.data ? plain.data : "", plain.len, d);
				cp_hex(d, 16, hex);
				if (strncmp(hex, fp, 12))
					problem(c->r,
						"%s: the brotli answer is not the file's bytes",
						url);
			}
			cp_buf_free(&plain);
		} else if ((!br || !b.encoding[0]) && strncmp(hex, fp, 12)) {
			problem(c->r, "%s: the bytes served are not the file's (MD5 %s)", url, hex);
		}
		cp_buf_free(&b.keep);
	}
	free(url);
}

static int check_file(struct ctx *c, const cp_strmap *listed, const cp_manifest_ref *ref,
		      cp_error *err)
{
	const char *hashed = ref->hashed;
	char fp[13];
	int has_fp = fingerprint_of(hashed, fp);
	if (cp_strmap_get(&c->seen, hashed, NULL))
		return 0;
	c->owned = cp_xrealloc(c->owned, (c->nowned + 1) * sizeof *c->owned);
	c->owned[c->nowned++] = cp_xstrdup(hashed);
	cp_strmap_put(&c->seen, c->owned[c->nowned - 1], 0);
	if (!cp_strmap_get(listed, hashed, NULL)) {
		problem(c->r, "%s: missing", hashed);
		return 0;
	}
	cp_object_info o;
	int exists = 0;
	int rc = cp_target_head(c->t, hashed, &o, &exists, err);
	if (rc || !exists) {
		if (!rc)
			problem(c->r, "%s: missing", hashed);
		return rc;
	}
	c->r->checked++;
	char md5[33] = "";
	int gz_body = !strcasecmp(o.content_encoding, "gzip"); /* --encoding=gzip */
	if (ref->size >= 0 && !gz_body && o.size != (uint64_t)ref->size)
		problem(c->r, "%s: %llu bytes, the manifest says %lld", hashed,
			(unsigned long long)o.size, (long long)ref->size);
	if (has_fp && !gz_body) {
		if (cp_etag_form(o.etag, NULL) == CP_ETAG_MD5)
			snprintf(md5, sizeof md5, "%.32s", o.etag[0] == '"' ? o.etag + 1 : o.etag);
		else if (fetched_md5(c, hashed, md5))
			problem(c->r, "%s: cannot be read back", hashed);
		if (md5[0] && strncasecmp(md5, fp, 12))
			problem(c->r, "%s: its bytes are not the fingerprinted file's (MD5 %s)",
				hashed, md5);
	}
	check_headers(c, hashed, &o, hashed, gz_body ? "gzip" : NULL, has_fp);
	static const char *const sib[][2] = {{".gz", "gzip"}, {".br", "br"}};
	for (size_t i = 0; i < 2; i++) {
		char *k = cp_xasprintf("%s%s", hashed, sib[i][0]);
		cp_object_info so;
		int sx = 0;
		if (cp_strmap_get(listed, k, NULL) && !cp_target_head(c->t, k, &so, &sx, err) &&
		    sx) {
			c->r->checked++;
			check_headers(c, k, &so, hashed, sib[i][1], has_fp);
		}
		free(k);
	}
	if (c->base_url && has_fp && !gz_body)
		check_cdn(c, hashed, fp);
	return 0;
}

int cp_verify(const char *target, const cp_s3_settings *s3, const char *base_url,
	      const cp_header_rule *rules, size_t nrules, cp_verify_report *r, cp_error *err)
{
	memset(r, 0, sizeof *r);
	struct ctx c = {.base_url = base_url, .r = r, .rules = rules, .nrules = nrules};
	cp_remote_list rl = {0};
	cp_strmap listed = {0};
	const char *t = getenv("TMPDIR");
	char *tmp = cp_xasprintf("%s/cdnpipe-verify.XXXXXX", t && *t ? t : "/tmp");
	int rc = cp_target_open(target, s3, &c.t, err);
	if (!rc)
		rc = cp_target_list(c.t, "", &rl, err);
	if (!rc && !mkdtemp(tmp))
		rc = cp_error_set(err, NULL, 0, 0, "cannot make a temporary folder");
	c.tmp = tmp;
	for (size_t i = 0; !rc && i < rl.n; i++)
		cp_strmap_put(&listed, rl.v[i].key, i);
	/* every live manifest at the top of the prefix, and what it names */
	size_t manifests = 0;
	for (size_t i = 0; !rc && i < rl.n; i++) {
		const char *k = rl.v[i].key;
		if (strchr(k, '/') && strncmp(k, ".vite/", 6))
			continue;
		if (!cp_manifest_is_name(k))
			continue;
		char *local = cp_xasprintf("%s/m", tmp);
		int exists = 0;
		cp_buf b = CP_BUF_INIT;
		cp_manifest_index m;
		rc = cp_target_read(c.t, k, local, &b, &exists, err);
		if (!rc && exists && cp_manifest_sniff(k, b.data ? b.data : "", b.len, &m)) {
			manifests++;
			for (size_t e = 0; !rc && e < m.n; e++)
				if (!cp_path_is_safe_rel(m.v[e].hashed))
					problem(r, "%s: names an unsafe path: %.200s", k,
						m.v[e].hashed);
				else
					rc = check_file(&c, &listed, &m.v[e], err);
			cp_manifest_index_free(&m);
		}
		cp_buf_free(&b);
		free(local);
	}
	if (!rc && !manifests)
		rc = cp_error_set(err, target, 0, 0, "no live manifest to verify");
	rmdir(tmp);
	free(tmp);
	for (size_t i = 0; i < c.nowned; i++)
		free(c.owned[i]);
	free(c.owned);
	cp_strmap_free(&c.seen);
	cp_strmap_free(&listed);
	cp_remote_list_free(&rl);
	cp_target_close(c.t);
	if (!rc && r->n)
		rc = CP_ERR_BUILD;
	return rc;
}
