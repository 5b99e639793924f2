/*
 * path.c - logical path helpers; see path.h.
 */
#include "lib/path.h"
#include "lib/buf.h"
#include "lib/err.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *cp_path_join(const char *dir, const char *rel)
{
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (!dl)
		return cp_xstrdup(rel);
	if (!*rel)
		return cp_xstrndup(dir, dl);
	if (dl == 1 && dir[0] == '/')
		return cp_xasprintf("/%s", rel);
	return cp_xasprintf("%.*s/%s", (int)dl, dir, rel);
}

int cp_path_normalize(char *p)
{
	int absolute = p[0] == '/';
	size_t n = strlen(p);
	char *tmp = cp_xmalloc(n + 2);
	size_t o = 0;
	const char *s = p;
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 1 && s[0] == '.') {
			/* skip */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (o == 0) {
				free(tmp);
				return -1;
			}
			while (o > 0 && tmp[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o)
				tmp[o++] = '/';
			memcpy(tmp + o, s, len);
			o += len;
		}
		s += len;
	}
	tmp[o] = 0;
	if (absolute) {
		p[0] = '/';
		memcpy(p + 1, tmp, o + 1);
	} else {
		memcpy(p, tmp, o + 1);
	}
	free(tmp);
	return 0;
}

size_t cp_path_dirlen(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? (size_t)(s - p) + 1 : 0;
}

const char *cp_path_base(const char *p)
{
	return p + cp_path_dirlen(p);
}

size_t cp_path_extpos(const char *p)
{
	const char *base = cp_path_base(p);
	size_t n = strlen(p);
	const char *dot = strrchr(base, '.');
	if (!dot)
		return n;
	/* os.path.splitext: a dot that only starts the name (".htaccess") is not an extension */
	const char *q = base;
	while (*q == '.')
		q++;
	if (dot < q)
		return n;
	return (size_t)(dot - p);
}

void cp_path_ext(const char *p, char *out, size_t outsz)
{
	size_t pos = cp_path_extpos(p);
	size_t i = 0;
	if (p[pos] == '.')
		pos++;
	for (; p[pos] && i + 1 < outsz; pos++)
		out[i++] = (char)tolower((unsigned char)p[pos]);
	out[i] = 0;
}

int cp_path_is_safe_rel(const char *rel)
{
	size_t len = strlen(rel);
	/* "a/" names a folder, not a file: writing it would fail half-way. */
	if (!len || rel[0] == '/' || rel[len - 1] == '/')
		return 0;
	for (const char *s = rel; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n + (e ? 1 : 0);
	}
	return 1;
}

/* Length of the UTF-8 sequence at s (shortest form, no surrogate, at most
 * U+10FFFF), 0 when there is none. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xc2 && s[0] <= 0xdf	  ? 2
		   : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		   : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
						  : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0; /* overlong, a surrogate, past U+10FFFF */
	return n;
}

int cp_name_is_clean(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	while (*s) {
		size_t n = utf8_len(s);
		if (!n || *s < 0x20 || *s == 0x7f)
			return 0;
		s += n;
	}
	return 1;
}

char *cp_name_show(const char *name)
{
	cp_buf b = CP_BUF_INIT;
	const unsigned char *s = (const unsigned char *)name;
	while (*s && b.len < 200) {
		size_t n = utf8_len(s);
		if (*s == '\n')
			cp_buf_puts(&b, "\\n");
		else if (*s == '\t')
			cp_buf_puts(&b, "\\t");
		else if (!n || *s < 0x20 || *s == 0x7f)
			cp_buf_printf(&b, "\\x%02x", *s);
		else
			cp_buf_append(&b, (const char *)s, n);
		s += n ? n : 1;
	}
	if (*s)
		cp_buf_printf(&b, "... (%zu bytes)", strlen(name));
	return cp_buf_take(&b);
}

int cp_path_is_within(const char *path, const char *dir)
{
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (strncmp(path, dir, dl) != 0)
		return 0;
	return path[dl] == 0 || path[dl] == '/' || (dl == 1 && dir[0] == '/');
}

int cp_path_no_link_below(const char *real_root, const char *rel)
{
	/* The root itself first: still its own real path (not swapped for a
	 * link, nor moved, since it was resolved). */
	char now[PATH_MAX];
	if (!*rel || !realpath(real_root, now) || strcmp(now, real_root))
		return 0;
	char *p = cp_path_join(real_root, rel);
	size_t base = strlen(real_root);
	int ok = 1;
	for (char *s = p + base + 1; ok && (s = strchr(s, '/')); s++) {
		*s = 0;
		struct stat lst;
		if (lstat(p, &lst) != 0)
			ok = errno == ENOENT ? 2 : 0; /* 2: the rest is made by mkdir */
		else if (!S_ISDIR(lst.st_mode))
			ok = 0; /* a link, or a file in the way */
		*s = '/';
		if (ok == 2)
			break;
	}
	free(p);
	return ok != 0;
}

char *cp_path_absolute(const char *p)
{
	char *abs;
	if (p[0] == '/') {
		abs = cp_xstrdup(p);
	} else {
		char cwd[4096];
		if (!getcwd(cwd, sizeof cwd))
			return cp_xstrdup(p);
		abs = cp_path_join(cwd, p);
	}
	cp_path_normalize(abs);
	return abs;
}

int cp_file_url(const char *url, const char **path, cp_error *err)
{
	*path = NULL;
	if (strncmp(url, "file://", 7))
		return 0;
	const char *p = url + 7;
	if (!strncmp(p, "localhost/", 10))
		p += 9;
	if (*p != '/') {
		cp_error_set(err, url, 0, 0,
			     "a file:// URL needs an absolute path: file:///path/to/folder");
		return CP_ERR_USAGE;
	}
	*path = p;
	return 0;
}

char *cp_path_real_maybe(const char *path)
{
	char *abs = cp_path_absolute(path);
	char real[PATH_MAX];
	size_t n = strlen(abs);
	for (;;) {
		char save = abs[n];
		abs[n] = 0;
		int ok = realpath(n ? abs : "/", real) != NULL;
		abs[n] = save;
		if (ok) {
			char *r = cp_path_join(real, abs[n] == '/' ? abs + n + 1 : abs + n);
			free(abs);
			return r;
		}
		while (n > 0 && abs[n - 1] != '/')
			n--;
		if (n == 0) {
			return abs;
		}
		n--;
	}
}
