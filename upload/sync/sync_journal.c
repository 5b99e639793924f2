/*
 * sync_journal.c - the journals of multipart uploads in flight.
 *
 * A multipart upload in flight is recorded in its own small file,
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

#define JOURNAL_MAGIC "cdnpipe-journal 1\n"

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
			j->dest = cp_sync_unescape(line + 5, n - 5);
		} else if (!strncmp(line, "upload ", 7)) {
			free(j->upload_id);
			j->upload_id = cp_sync_unescape(line + 7, n - 7);
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
	if (j->nparts)
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
	cp_sync_escape(&b, dest);
	cp_buf_puts(&b, "\nupload ");
	cp_sync_escape(&b, upload_id);
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
