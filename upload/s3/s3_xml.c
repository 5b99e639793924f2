/*
 * s3_xml.c - just enough XML for S3's responses.
 *
 * S3 answers with small, flat, machine-written documents: a ListObjectsV2
 * page is a run of <Contents> elements with a handful of leaf children, an
 * error is <Error><Code>..</Code><Message>..</Message></Error>.  A general
 * XML parser would be a dependency and thousands of lines for that; instead
 * this file finds elements by name with a linear scan and decodes the five
 * predefined entities and numeric character references in leaf text (keys
 * may hold '&', '<' and any Unicode).  It does not handle CDATA, comments
 * inside elements or namespaced prefixes, none of which S3 sends.  Every
 * read is bounded by the buffer length, so a malformed or truncated body
 * yields "not found", never a read past the end.
 */
#include "upload/s3/s3_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Finds "<tag>" or "<tag attr..>" (not "<tagX>") at or after from. */
static const char *find_open(const char *xml, size_t len, size_t from, const char *tag,
			     const char **content)
{
	size_t tl = strlen(tag);
	for (size_t i = from; i + tl + 2 <= len; i++) {
		if (xml[i] != '<' || memcmp(xml + i + 1, tag, tl) != 0)
			continue;
		char c = xml[i + 1 + tl];
		if (c != '>' && c != ' ' && c != '/' && c != '\t' && c != '\n' && c != '\r')
			continue;
		const char *gt = memchr(xml + i, '>', len - i);
		if (!gt)
			return NULL;
		*content = gt + 1; /* for <tag/>, the caller sees gt[-1] == '/' */
		return xml + i;
	}
	return NULL;
}

int s3_xml_next(const char *xml, size_t len, size_t *pos, const char *tag, size_t *start,
		size_t *end)
{
	const char *content;
	const char *open = find_open(xml, len, *pos, tag, &content);
	if (!open)
		return 0;
	const char *gt = content - 1;
	if (gt[-1] == '/') {
		*start = *end = (size_t)(content - xml);
		*pos = *end;
		return 1;
	}
	char close[128];
	snprintf(close, sizeof(close), "</%s>", tag);
	size_t cl = strlen(close);
	size_t from = (size_t)(content - xml);
	for (size_t i = from; i + cl <= len; i++) {
		if (xml[i] == '<' && memcmp(xml + i, close, cl) == 0) {
			*start = from;
			*end = i;
			*pos = i + cl;
			return 1;
		}
	}
	return 0;
}

static void put_utf8(cp_buf *b, unsigned long cp)
{
	if (cp == 0) {
		/* A NUL would cut the C string: "a&#0;b" would read as the key
		 * "a".  The overlong form is no UTF-8, so the name is refused. */
		cp_buf_putc(b, (char)0xc0);
		cp_buf_putc(b, (char)0x80);
	} else if (cp < 0x80) {
		cp_buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		cp_buf_putc(b, (char)(0xc0 | (cp >> 6)));
		cp_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		cp_buf_putc(b, (char)(0xe0 | (cp >> 12)));
		cp_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		cp_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x110000) {
		cp_buf_putc(b, (char)(0xf0 | (cp >> 18)));
		cp_buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		cp_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		cp_buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

char *s3_xml_decode(const char *s, size_t n)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	cp_buf b = CP_BUF_INIT;
	cp_buf_reserve(&b, n);
	b.data[0] = 0; /* cp_buf_reserve alone does not terminate the buffer */
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '&') {
			cp_buf_putc(&b, s[i]);
			continue;
		}
		size_t rest = n - i - 1;
		const char *p = s + i + 1;
		int done = 0;
		for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]) && !done; k++) {
			size_t l = strlen(ents[k].name);
			if (rest >= l && memcmp(p, ents[k].name, l) == 0) {
				cp_buf_putc(&b, ents[k].c);
				i += l;
				done = 1;
			}
		}
		if (!done && rest >= 3 && p[0] == '#') {
			const char *semi = memchr(p, ';', rest);
			if (semi && semi - p <= 10) {
				int hex = p[1] == 'x' || p[1] == 'X';
				char num[12] = {0};
				memcpy(num, p + 1 + hex, (size_t)(semi - p - 1 - hex));
				char *endp;
				unsigned long cp = strtoul(num, &endp, hex ? 16 : 10);
				if (*num && !*endp) {
					put_utf8(&b, cp);
					i += (size_t)(semi - p) + 1;
					done = 1;
				}
			}
		}
		if (!done)
			cp_buf_putc(&b, '&');
	}
	return cp_buf_take(&b);
}

char *cp_xml_get(const char *xml, size_t len, size_t *pos, const char *tag)
{
	size_t a, e, p = pos ? *pos : 0;
	if (!s3_xml_next(xml, len, &p, tag, &a, &e))
		return NULL;
	if (pos)
		*pos = p;
	return s3_xml_decode(xml + a, e - a);
}

void cp_xml_escape(cp_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			cp_buf_puts(b, "&amp;");
			break;
		case '<':
			cp_buf_puts(b, "&lt;");
			break;
		case '>':
			cp_buf_puts(b, "&gt;");
			break;
		case '"':
			cp_buf_puts(b, "&quot;");
			break;
		case '\'':
			cp_buf_puts(b, "&apos;");
			break;
		case '\r': /* would be normalised to \n by the server's parser */
			cp_buf_puts(b, "&#13;");
			break;
		default:
			cp_buf_putc(b, *s);
		}
	}
}

/* ETag text without surrounding quotes (entities already decoded). */
static void unquote(char *s)
{
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = 0;
	}
}

/* S3 documents nest 4 deep at most. */
#define XML_MAX_DEPTH 32

/* 1 when the bytes are UTF-8 (an XML document that is not is no document),
 * declare no DOCTYPE or ENTITY (S3 sends none; this reader expands no entity,
 * so a key would come out as the literal "&name;") and nest at most
 * XML_MAX_DEPTH elements deep.  One pass, no recursion. */
static int xml_sane(const char *xml, size_t len)
{
	const unsigned char *s = (const unsigned char *)xml;
	for (size_t i = 0; i < len;) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = s[i] >= 0xc2 && s[i] <= 0xdf	  ? 2
			   : s[i] >= 0xe0 && s[i] <= 0xef ? 3
			   : s[i] >= 0xf0 && s[i] <= 0xf4 ? 4
							  : 0;
		if (!n || i + n > len)
			return 0;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		if ((s[i] == 0xe0 && s[i + 1] < 0xa0) || (s[i] == 0xed && s[i + 1] > 0x9f) ||
		    (s[i] == 0xf0 && s[i + 1] < 0x90) || (s[i] == 0xf4 && s[i + 1] > 0x8f))
			return 0;
		i += n;
	}
	size_t depth = 0;
	for (const char *p = memchr(xml, '<', len); p;
	     p = memchr(p, '<', len - (size_t)(p - xml))) {
		size_t rest = len - (size_t)(p - xml);
		if (rest > 1 && p[1] == '!') {
			if ((rest >= 9 && !memcmp(p, "<!DOCTYPE", 9)) ||
			    (rest >= 8 && !memcmp(p, "<!ENTITY", 8)))
				return 0;
		} else if (rest > 1 && p[1] == '/') {
			if (depth)
				depth--;
		} else if (rest > 1 && p[1] != '?') {
			const char *gt = memchr(p, '>', rest);
			if (gt && gt[-1] != '/' && ++depth > XML_MAX_DEPTH)
				return 0;
		}
		p++;
	}
	return 1;
}

int s3_xml_is_doc(const char *xml, size_t len, const char *root)
{
	size_t pos = 0, a, e;
	return s3_xml_next(xml, len, &pos, root, &a, &e) && xml_sane(xml, len);
}

/* The longest key S3 stores, in bytes of UTF-8. */
#define S3_KEY_MAX 1024

/* An incomplete listing taken as complete is how a sync deletes what it
 * should have kept, so a page is believed only when it says, in full, what
 * it holds and whether more follows. */
int s3_xml_list_page(const char *xml, size_t len, cp_s3_list_fn fn, void *ctx, char **next_token,
		     cp_error *err)
{
	size_t pos = 0, a, e, nkeys = 0;
	int rc = 0;
	*next_token = NULL;
	if (!s3_xml_is_doc(xml, len, "ListBucketResult"))
		return cp_error_set(err, "", 0, 0,
				    "listing page is not a whole ListBucketResult document");
	char *trunc = cp_xml_get(xml, len, NULL, "IsTruncated");
	int more = trunc && !strcmp(trunc, "true");
	int known = trunc && (more || !strcmp(trunc, "false"));
	free(trunc);
	if (!known)
		return cp_error_set(err, "", 0, 0,
				    "listing page does not say whether it is the last "
				    "(no IsTruncated)");
	char *token = more ? cp_xml_get(xml, len, NULL, "NextContinuationToken") : NULL;
	if (more && (!token || !token[0])) {
		free(token);
		return cp_error_set(err, "", 0, 0,
				    "listing page is truncated but gives no "
				    "NextContinuationToken");
	}
	while (!rc && s3_xml_next(xml, len, &pos, "Contents", &a, &e)) {
		const char *c = xml + a;
		size_t cl = e - a;
		char *key = cp_xml_get(c, cl, NULL, "Key");
		char *size = cp_xml_get(c, cl, NULL, "Size");
		char *etag = cp_xml_get(c, cl, NULL, "ETag");
		char *lm = cp_xml_get(c, cl, NULL, "LastModified");
		nkeys++;
		if (!key || !size)
			rc = cp_error_set(err, "", 0, 0, "listing entry without %s",
					  key ? "Size" : "Key");
		else if (strlen(key) > S3_KEY_MAX)
			rc = cp_error_set(err, "", 0, 0,
					  "listing entry with a Key of %zu bytes (S3 keys are at "
					  "most %d)",
					  strlen(key), S3_KEY_MAX);
		if (!rc) {
			if (etag)
				unquote(etag);
			cp_s3_object o = {key, strtoull(size, NULL, 10), etag ? etag : "",
					  lm ? s3_parse_iso8601(lm) : 0};
			rc = fn(ctx, &o);
		}
		free(key);
		free(size);
		free(etag);
		free(lm);
	}
	/* KeyCount (optional) counts Contents and CommonPrefixes. */
	char *kc = rc ? NULL : cp_xml_get(xml, len, NULL, "KeyCount");
	if (kc) {
		size_t prefixes = 0;
		for (pos = 0; s3_xml_next(xml, len, &pos, "CommonPrefixes", &a, &e);)
			prefixes++;
		if (strtoull(kc, NULL, 10) != nkeys + prefixes)
			rc = cp_error_set(err, "", 0, 0,
					  "listing page says KeyCount %s but holds %zu keys", kc,
					  nkeys + prefixes);
		free(kc);
	}
	if (rc)
		free(token);
	else
		*next_token = token;
	return rc;
}

/* A server's text as it may be printed: a control character or a byte
 * that is not ASCII becomes '?', a text longer than out is cut with "...". */
static void shown(char *out, size_t outsz, const char *s)
{
	size_t n = 0;
	for (; s && *s && n + 1 < outsz; s++, n++)
		out[n] = (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ? '?' : *s;
	if (outsz)
		out[n] = 0;
	if (s && *s && outsz > 4)
		memcpy(out + outsz - 4, "...", 4);
}

int cp_xml_error(const char *xml, size_t len, char *code, size_t codesz, char *msg, size_t msgsz)
{
	size_t pos = 0, a, e;
	if (!s3_xml_next(xml, len, &pos, "Error", &a, &e) || !xml_sane(xml, len))
		return 0;
	char *c = cp_xml_get(xml + a, e - a, NULL, "Code");
	char *m = cp_xml_get(xml + a, e - a, NULL, "Message");
	shown(code, codesz, c);
	shown(msg, msgsz, m);
	free(c);
	free(m);
	return 1;
}

time_t s3_parse_iso8601(const char *s)
{
	struct tm tm = {0};
	if (!s)
		return 0;
	/* extended "2013-05-24T00:00:00.000Z" or basic "20130524T000000Z" */
	if (sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6 &&
	    sscanf(s, "%4d%2d%2dT%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

time_t s3_parse_http_date(const char *s)
{
	time_t t = s ? curl_getdate(s, NULL) : -1;
	return t > 0 ? t : 0;
}
