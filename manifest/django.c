/*
 * django.c - staticfiles.json, byte for byte as Django writes it.
 *
 * Django writes the manifest with json.dumps(payload): ", " and ": "
 * separators and ensure_ascii escapes (\uXXXX, surrogate pairs above the BMP).
 * Version 1.1 adds "hash": the first 12 hex digits of the MD5 of
 * json.dumps(sorted(paths.items())), which Django serves as
 * ManifestStaticFilesStorage.manifest_hash for cache busting.  Matching the
 * spelling exactly matters for that hash and lets a diff against Django's own
 * output be empty.  Entries are written sorted by name (UTF-8 byte order is
 * code point order, which is how Python sorts str).
 */
#include "manifest/manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cp_manifest_add(cp_manifest *m, const char *name, const char *hashed)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->v = cp_xrealloc(m->v, m->cap * sizeof *m->v);
	}
	m->v[m->n++] = (cp_manifest_entry){cp_xstrdup(name), cp_xstrdup(hashed)};
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const cp_manifest_entry *)a)->name, ((const cp_manifest_entry *)b)->name);
}

void cp_manifest_sort(cp_manifest *m)
{
	if (m->n > 1)
		qsort(m->v, m->n, sizeof *m->v, entry_cmp);
}

/* Decodes one UTF-8 sequence; invalid bytes come back as themselves (one byte). */
static unsigned long utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long c = s[0];
	int n = c < 0x80	     ? 0
		: (c & 0xe0) == 0xc0 ? 1
		: (c & 0xf0) == 0xe0 ? 2
		: (c & 0xf8) == 0xf0 ? 3
				     : -1;
	if (n <= 0) {
		*p = s + 1;
		return c;
	}
	c &= 0x3f >> n;
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + 1;
			return s[0];
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*p = s + n + 1;
	return c;
}

void cp_json_py_string(cp_buf *out, const char *str)
{
	cp_buf_putc(out, '"');
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		unsigned char ch = *s;
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			const unsigned char *run = s;
			while (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
				s++;
			cp_buf_append(out, run, (size_t)(s - run));
			continue;
		}
		const char *esc = ch == '"'    ? "\\\""
				  : ch == '\\' ? "\\\\"
				  : ch == '\n' ? "\\n"
				  : ch == '\r' ? "\\r"
				  : ch == '\t' ? "\\t"
				  : ch == '\b' ? "\\b"
				  : ch == '\f' ? "\\f"
					       : NULL;
		if (esc) {
			cp_buf_puts(out, esc);
			s++;
			continue;
		}
		unsigned long c = utf8_next(&s);
		if (c >= 0x10000) {
			c -= 0x10000;
			cp_buf_printf(out, "\\u%04lx\\u%04lx", 0xd800 + (c >> 10),
				      0xdc00 + (c & 0x3ff));
		} else {
			cp_buf_printf(out, "\\u%04lx", c);
		}
	}
	cp_buf_putc(out, '"');
}

void cp_manifest_django_hash(const cp_manifest *m, char out[13])
{
	cp_buf b = CP_BUF_INIT;
	cp_buf_putc(&b, '[');
	for (size_t i = 0; i < m->n; i++) {
		cp_buf_puts(&b, i ? ", [" : "[");
		cp_json_py_string(&b, m->v[i].name);
		cp_buf_puts(&b, ", ");
		cp_json_py_string(&b, m->v[i].hashed);
		cp_buf_putc(&b, ']');
	}
	cp_buf_putc(&b, ']');
	unsigned char md5[16];
	char hex[33];
	cp_md5(b.data, b.len, md5);
	cp_hex(md5, 16, hex);
	memcpy(out, hex, 12);
	out[12] = 0;
	cp_buf_free(&b);
}

void cp_manifest_django_render(cp_manifest *m, const char *version, cp_buf *out)
{
	cp_manifest_sort(m);
	snprintf(m->version, sizeof m->version, "%s", version);
	cp_buf_puts(out, "{\"paths\": {");
	for (size_t i = 0; i < m->n; i++) {
		if (i)
			cp_buf_puts(out, ", ");
		cp_json_py_string(out, m->v[i].name);
		cp_buf_puts(out, ": ");
		cp_json_py_string(out, m->v[i].hashed);
	}
	cp_buf_puts(out, "}, \"version\": ");
	cp_json_py_string(out, version);
	if (strcmp(version, "1.0") != 0) {
		cp_manifest_django_hash(m, m->hash);
		cp_buf_puts(out, ", \"hash\": ");
		cp_json_py_string(out, m->hash);
	}
	cp_buf_putc(out, '}');
}

int cp_manifest_django_parse(const char *json, size_t len, cp_manifest *m, cp_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	if (!root)
		return cp_error_set(err, CP_DJANGO_MANIFEST, (unsigned)je.line, (unsigned)je.column,
				    "not valid JSON: %s", je.text);
	json_t *paths = json_object_get(root, "paths");
	json_t *version = json_object_get(root, "version");
	if (!json_is_object(paths) || !json_is_string(version)) {
		json_decref(root);
		return cp_error_set(err, CP_DJANGO_MANIFEST, 0, 0,
				    "not a Django manifest (no \"paths\" or \"version\")");
	}
	snprintf(m->version, sizeof m->version, "%s", json_string_value(version));
	json_t *hash = json_object_get(root, "hash");
	if (json_is_string(hash))
		snprintf(m->hash, sizeof m->hash, "%s", json_string_value(hash));
	const char *k;
	json_t *v;
	json_object_foreach(paths, k, v)
	{
		if (json_is_string(v))
			cp_manifest_add(m, k, json_string_value(v));
	}
	json_decref(root);
	cp_manifest_sort(m);
	return 0;
}

const char *cp_manifest_lookup(const cp_manifest *m, const char *name)
{
	cp_manifest_entry key = {(char *)name, NULL};
	const cp_manifest_entry *e = bsearch(&key, m->v, m->n, sizeof *m->v, entry_cmp);
	return e ? e->hashed : NULL;
}

void cp_manifest_free(cp_manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].hashed);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}
