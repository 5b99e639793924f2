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
 * Journals.  A multipart upload in flight is recorded in its own small file,
 * keyed by the destination: a header (upload id, part size, and the source
 * file's size/mtime/inode when it started) then one appended line per
 * finished part with its ETag.  Appending a short line with O_APPEND is one
 * write(2), crash-safe up to a torn last line (ignored on load), and costs
 * nothing next to the part itself; folding it into the state file would mean
 * rewriting O(files) bytes per part.  Because the parts and their ETags are
 * all in the journal, resuming needs no ListParts (which s3rver lacks).
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

#define STATE_MAGIC   "cdnpipe-sync-state 1\n"
#define JOURNAL_MAGIC "cdnpipe-journal 1\n"

/* ---- paths -------------------------------------------------------------- */

char *cp_sync_cache_dir(void)
{
	const char *x = getenv("XDG_CACHE_HOME");
	if (x && *x == '/')
		return cp_path_join(x, "cdnpipe");
	const char *home = getenv("HOME");
	if (!home || !*home)
		home = "/tmp";
	char *c = cp_path_join(home, ".cache");
	char *r = cp_path_join(c, "cdnpipe");
	free(c);
	return r;
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
	return cp_xasprintf("%s/sync-%s.state", cache_dir, h);
}

char *cp_journal_path(const char *cache_dir, const char *dest)
{
	char h[25];
	short_hash(dest, h);
	return cp_xasprintf("%s/journal/%s.jnl", cache_dir, h);
}

/* ---- escaping ----------------------------------------------------------- */

static void put_escaped(cp_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '%' || *s == '\n' || *s == '\r')
			cp_buf_printf(b, "%%%02X", (unsigned char)*s);
		else
			cp_buf_putc(b, *s);
	}
}

static char *unescape(const char *s, size_t n)
{
	char *o = cp_xmalloc(n + 1), *w = o;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && cp_hex_value(s[i + 1]) >= 0 &&
		    cp_hex_value(s[i + 2]) >= 0) {
			*w++ = (char)(cp_hex_value(s[i + 1]) * 16 + cp_hex_value(s[i + 2]));
			i += 2;
			continue;
		}
		*w++ = s[i];
	}
	*w = 0;
	return o;
}

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

/* Parses one line; returns 0 when well-formed. */
static int parse_line(const char *p, const char *end, cp_state_ent *e)
{
	char *q;
	errno = 0;
	e->size = strtoull(p, &q, 10);
	if (*q != ' ')
		return -1;
	e->mtime_ns = strtoll(q + 1, &q, 10);
	if (*q != ' ')
		return -1;
	e->ino = strtoull(q + 1, &q, 10);
	if (*q != ' ' || end - q < 34 || cp_unhex(q + 1, e->md5, 16) || q[33] != ' ')
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
	e->rel = unescape(sp + 1, (size_t)(end - sp - 1));
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
		put_escaped(&b, e->rel);
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

/* ---- journals ------------------------------------------------------------ */

static int part_cmp(const void *a, const void *b)
{
	const cp_journal_part *x = a, *y = b;
	return x->num < y->num ? -1 : x->num > y->num;
}

static void journal_push(cp_journal *j, unsigned num, const char *etag)
{
	if (j->nparts == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 64;
		j->parts = cp_xrealloc(j->parts, j->cap * sizeof *j->parts);
	}
	cp_journal_part *p = &j->parts[j->nparts++];
	p->num = num;
	snprintf(p->etag, sizeof p->etag, "%s", etag);
}

static void journal_init(cp_journal *j)
{
	memset(j, 0, sizeof *j);
	j->fd = -1;
	pthread_mutex_init(&j->lock, NULL);
}

int cp_journal_load(cp_journal *j, const char *file)
{
	journal_init(j);
	j->file = cp_xstrdup(file);
	cp_buf b = CP_BUF_INIT;
	cp_error err = {0};
	if (cp_read_file(file, &b, &err) || b.len < strlen(JOURNAL_MAGIC) ||
	    memcmp(b.data, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC))) {
		cp_buf_free(&b);
		return -1;
	}
	int have_meta = 0;
	const char *p = b.data + strlen(JOURNAL_MAGIC), *end = b.data + b.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		size_t n = (size_t)(nl - p);
		char *line = cp_xstrndup(p, n);
		unsigned num;
		char etag[80];
		if (!strncmp(line, "dest ", 5)) {
			free(j->dest);
			j->dest = unescape(line + 5, n - 5);
		} else if (!strncmp(line, "upload ", 7)) {
			free(j->upload_id);
			j->upload_id = unescape(line + 7, n - 7);
		} else if (sscanf(line, "meta %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNu64,
				  &j->part_size, &j->size, &j->mtime_ns, &j->ino) == 4) {
			have_meta = 1;
		} else if (sscanf(line, "part %u %71s", &num, etag) == 2 && num >= 1 &&
			   num <= CP_S3_MAX_PARTS) {
			journal_push(j, num, etag);
		}
		free(line);
		p = nl + 1;
	}
	cp_buf_free(&b);
	if (!j->dest || !j->upload_id || !have_meta || !j->part_size)
		return -1;
	/* A part retried after a crash may appear twice: the last one wins. */
	qsort(j->parts, j->nparts, sizeof *j->parts, part_cmp);
	size_t w = 0;
	for (size_t i = 0; i < j->nparts; i++) {
		if (w && j->parts[w - 1].num == j->parts[i].num)
			w--;
		j->parts[w++] = j->parts[i];
	}
	j->nparts = w;
	return 0;
}

int cp_journal_create(cp_journal *j, const char *file, const char *dest, const char *upload_id,
		      uint64_t part_size, uint64_t size, int64_t mtime_ns, uint64_t ino,
		      cp_error *err)
{
	journal_init(j);
	j->file = cp_xstrdup(file);
	j->dest = cp_xstrdup(dest);
	j->upload_id = cp_xstrdup(upload_id);
	j->part_size = part_size;
	j->size = size;
	j->mtime_ns = mtime_ns;
	j->ino = ino;
	cp_buf b = CP_BUF_INIT;
	cp_buf_puts(&b, JOURNAL_MAGIC "dest ");
	put_escaped(&b, dest);
	cp_buf_puts(&b, "\nupload ");
	put_escaped(&b, upload_id);
	cp_buf_printf(&b, "\nmeta %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRIu64 "\n", part_size,
		      size, mtime_ns, ino);
	int rc = cp_mkdirs_for(file, err);
	if (!rc)
		rc = cp_write_atomic(file, b.data, b.len, err);
	cp_buf_free(&b);
	return rc;
}

int cp_journal_add(cp_journal *j, unsigned num, const char *etag)
{
	char line[128];
	int n = snprintf(line, sizeof line, "part %u %s\n", num, etag);
	int rc = 0;
	pthread_mutex_lock(&j->lock);
	if (j->fd < 0)
		j->fd = open(j->file, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (j->fd < 0 || write(j->fd, line, (size_t)n) != n)
		rc = -1;
	journal_push(j, num, etag);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

const char *cp_journal_part_etag(const cp_journal *j, unsigned num)
{
	/* Parts are sorted after load; ones added in this run are appended, so
	 * search backwards for the latest record. */
	for (size_t i = j->nparts; i-- > 0;)
		if (j->parts[i].num == num)
			return j->parts[i].etag;
	return NULL;
}

void cp_journal_remove(cp_journal *j)
{
	if (j->file)
		unlink(j->file);
}

void cp_journal_free(cp_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->file);
	free(j->dest);
	free(j->upload_id);
	free(j->parts);
	pthread_mutex_destroy(&j->lock);
	memset(j, 0, sizeof *j);
	j->fd = -1;
}

int cp_journal_list(const char *cache_dir, char ***files, size_t *n)
{
	*files = NULL;
	*n = 0;
	char *dir = cp_path_join(cache_dir, "journal");
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".jnl"))
			continue;
		*files = cp_xrealloc(*files, (*n + 1) * sizeof **files);
		(*files)[(*n)++] = cp_path_join(dir, de->d_name);
	}
	closedir(d);
	free(dir);
	return 0;
}
