/*
 * sync_cache.c - where sync keeps what it remembers, and how its lines are
 * written.
 *
 * Everything lives in the XDG cache folder ($XDG_CACHE_HOME or ~/.cache,
 * then cdnpipe/, or --state-dir): one state file per absolute local root
 * and one journal per destination of a multipart upload, each named by a
 * SHA-256 prefix of what it is for, so two trees or two destinations never
 * share a file.  Both formats are lines with the free-form field (a path, a
 * key, an upload id) %-escaped only for '%', CR and LF.
 */
#include "upload/s3/s3.h"
#include "upload/sync/sync_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- paths -------------------------------------------------------------- */

char *cp_sync_cache_dir(void)
{
	return cp_xdg_cache_dir(NULL);
}

static void short_hash(const char *s, char out[25])
{
	unsigned char d[32];
	char hex[65];
	cp_sha256(s, strlen(s), d);
	cp_hex(d, 32, hex);
	memcpy(out, hex, 24);
	out[24] = 0;
}

char *cp_sync_state_path(const char *cache_dir, const char *abs_root)
{
	char h[25];
	short_hash(abs_root, h);
	return cp_xasprintf("%s/sync-%s.db", cache_dir, h);
}

char *cp_journal_path(const char *cache_dir, const char *dest)
{
	char h[25];
	short_hash(dest, h);
	return cp_xasprintf("%s/journal/%s.jnl", cache_dir, h);
}

void cp_sync_escape(cp_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '%' || *s == '\n' || *s == '\r')
			cp_buf_printf(b, "%%%02X", (unsigned char)*s);
		else
			cp_buf_putc(b, *s);
	}
}

char *cp_sync_unescape(const char *s, size_t n)
{
	char *o = cp_xmalloc(n + 1), *w = o;
	for (size_t i = 0; i < n; i++) {
		/* "%00" is never written, and would end the string early */
		if (s[i] == '%' && i + 2 < n && cp_hex_value(s[i + 1]) >= 0 &&
		    cp_hex_value(s[i + 2]) >= 0 && (s[i + 1] != '0' || s[i + 2] != '0')) {
			*w++ = (char)(cp_hex_value(s[i + 1]) * 16 + cp_hex_value(s[i + 2]));
			i += 2;
			continue;
		}
		*w++ = s[i];
	}
	*w = 0;
	return o;
}
