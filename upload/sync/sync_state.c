/*
 * sync_state.c - what sync remembers between runs: the local state file and
 * the multipart journals.
 *
 * State file.  A no-change sync of 100,000 files must cost the listing plus a
 * stat per file, so a file's MD5 is kept with the (size, mtime in ns, inode)
 * it was computed for; when all three still match, the MD5 is trusted.  The
 * file lives in the XDG cache folder ($XDG_CACHE_HOME or ~/.cache, then
 * cdnpipe/), one per absolute root, named by a hash of the root so two trees
 * never share entries.  It is a cache: a missing, foreign or corrupt file
 * reads as empty and the next run simply hashes again.
 *
 * Format: a text header line, then one line per file
 *     size mtime_ns ino md5hex mp_part mpetag|- rel
 * with the relative path last and %-escaped only for '%', CR and LF, so any
 * other byte (spaces, UTF-8) is stored as is.  A line format loads at a few
 * hundred MB/s with strtoull, is diffable when debugging, and 100,000
 * entries are about 10 MB.  It is rewritten whole, atomically (lib/fsutil.h),
 * only when something changed, and only with the entries of files still on
 * disk (looked up or merely listed: a --shard or --exclude run keeps the
 * others' entries), so deleted files drop out.
 *
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

#define STATE_MAGIC "cdnpipe-sync-state 1\n"

/* ---- state file ----------------------------------------------------------- */

static cp_state_ent *state_push(cp_sync_state *s)
{
	if (s->n == s->cap) {
		/* The map borrows rel pointers, which survive a realloc of v. */
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = cp_xrealloc(s->v, s->cap * sizeof *s->v);
	}
	cp_state_ent *e = &s->v[s->n++];
	memset(e, 0, sizeof *e);
	return e;
}

/* A number starts here: strtoull alone would skip white space, a line
 * break included, and read the next line's fields as this one's. */
static int number_at(const char *s, int sign)
{
	if (sign && *s == '-')
		s++;
	return *s >= '0' && *s <= '9';
}

/* Parses one line; returns 0 when well-formed. */
static int parse_line(const char *p, const char *end, cp_state_ent *e)
{
	char *q;
	/* a NUL would cut the path short: the entry would name another file */
	if (memchr(p, 0, (size_t)(end - p)))
		return -1;
	errno = 0;
	if (!number_at(p, 0))
		return -1;
	e->size = strtoull(p, &q, 10);
	if (*q != ' ' || !number_at(q + 1, 1))
		return -1;
	e->mtime_ns = strtoll(q + 1, &q, 10);
	if (*q != ' ' || !number_at(q + 1, 0))
		return -1;
	e->ino = strtoull(q + 1, &q, 10);
	if (*q != ' ' || end - q < 34 || cp_unhex(q + 1, e->md5, 16) || q[33] != ' ' ||
	    !number_at(q + 34, 0))
		return -1;
	e->mp_part = strtoull(q + 34, &q, 10);
	if (*q != ' ')
		return -1;
	const char *t = q + 1, *sp = memchr(t, ' ', (size_t)(end - t));
	if (!sp || (size_t)(sp - t) >= sizeof e->mpetag || errno)
		return -1;
	if (!(sp - t == 1 && *t == '-'))
		memcpy(e->mpetag, t, (size_t)(sp - t));
	if (sp + 1 >= end)
		return -1;
	e->rel = cp_sync_unescape(sp + 1, (size_t)(end - sp - 1));
	return 0;
}

void cp_sync_state_load(cp_sync_state *s, const char *file)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	s->file = cp_xstrdup(file);
	cp_buf b = CP_BUF_INIT;
	cp_error err = {0};
	if (cp_read_file(file, &b, &err) || b.len < strlen(STATE_MAGIC) ||
	    memcmp(b.data, STATE_MAGIC, strlen(STATE_MAGIC))) {
		cp_buf_free(&b);
		return;
	}
	const char *p = b.data + strlen(STATE_MAGIC), *end = b.data + b.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break; /* torn last line */
		cp_state_ent tmp;
		memset(&tmp, 0, sizeof tmp);
		if (!parse_line(p, nl, &tmp)) {
			cp_state_ent *e = state_push(s);
			*e = tmp;
		} else {
			free(tmp.rel);
		}
		p = nl + 1;
	}
	cp_buf_free(&b);
	for (size_t i = 0; i < s->n; i++)
		cp_strmap_put(&s->map, s->v[i].rel, i);
}

int cp_sync_state_save(cp_sync_state *s, cp_error *err)
{
	cp_buf b = CP_BUF_INIT;
	cp_buf_reserve(&b, 64 + s->n * 100);
	cp_buf_puts(&b, STATE_MAGIC);
	char hex[33];
	for (size_t i = 0; i < s->n; i++) {
		const cp_state_ent *e = &s->v[i];
		if (!e->used)
			continue;
		cp_hex(e->md5, 16, hex);
		cp_buf_printf(&b, "%" PRIu64 " %" PRId64 " %" PRIu64 " %s %" PRIu64 " %s ", e->size,
			      e->mtime_ns, e->ino, hex, e->mp_part, e->mpetag[0] ? e->mpetag : "-");
		cp_sync_escape(&b, e->rel);
		cp_buf_putc(&b, '\n');
	}
	int rc = cp_mkdirs_for(s->file, err);
	if (!rc)
		rc = cp_write_atomic(s->file, b.data, b.len, err);
	cp_buf_free(&b);
	if (!rc)
		s->dirty = 0;
	return rc;
}

void cp_sync_state_free(cp_sync_state *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].rel);
	free(s->v);
	free(s->file);
	cp_strmap_free(&s->map);
	pthread_mutex_destroy(&s->lock);
	memset(s, 0, sizeof *s);
}

void cp_sync_state_keep(cp_sync_state *s, const char *rel)
{
	size_t i;
	if (cp_strmap_get(&s->map, rel, &i))
		s->v[i].used = 1;
}

int cp_sync_state_changed(const cp_sync_state *s)
{
	if (s->dirty)
		return 1;
	for (size_t i = 0; i < s->n; i++)
		if (!s->v[i].used)
			return 1;
	return 0;
}

cp_state_ent *cp_sync_state_lookup(cp_sync_state *s, const char *rel, uint64_t size,
				   int64_t mtime_ns, uint64_t ino)
{
	size_t i;
	if (!cp_strmap_get(&s->map, rel, &i))
		return NULL;
	cp_state_ent *e = &s->v[i];
	if (e->size != size || e->mtime_ns != mtime_ns || e->ino != ino)
		return NULL;
	e->used = 1;
	return e;
}

cp_state_ent *cp_sync_state_set(cp_sync_state *s, const char *rel, uint64_t size, int64_t mtime_ns,
				uint64_t ino, const unsigned char md5[16])
{
	size_t i;
	cp_state_ent *e;
	if (cp_strmap_get(&s->map, rel, &i)) {
		e = &s->v[i];
	} else {
		/* Growing v moves entries but not the rel strings the map points to. */
		e = state_push(s);
		e->rel = cp_xstrdup(rel);
		cp_strmap_put(&s->map, e->rel, s->n - 1);
	}
	if (e->size != size || e->mtime_ns != mtime_ns || e->ino != ino ||
	    memcmp(e->md5, md5, 16)) {
		e->mpetag[0] = 0;
		e->mp_part = 0;
	}
	e->size = size;
	e->mtime_ns = mtime_ns;
	e->ino = ino;
	memcpy(e->md5, md5, 16);
	e->used = 1;
	s->dirty = 1;
	return e;
}
