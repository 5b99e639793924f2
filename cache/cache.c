/*
 * cache.c - the content-addressed build cache; see cache.h.
 *
 * An entry is one file: "CPCACHE1", the payload length (8 bytes, little
 * endian), the payload's SHA-256, the payload.  The checksum costs a pass
 * over bytes that took a minifier or brotli-11 far longer to make, and it is
 * what lets a truncated or damaged entry be told from a good one without
 * trusting the file system.  Writes go to a unique temporary name beside
 * the entry and are renamed over it: concurrent builds never see half an
 * entry, and when two write one key the last rename wins with the same
 * bytes.  Nothing is fsync'ed: a crash can leave a short entry, which the
 * checksum rejects.
 */
#include "cache/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC  "CPCACHE1"
#define HEADER (8 + 8 + 32)

struct cp_cache {
	char *dir;
	uint64_t max;
	_Atomic uint64_t hits, misses, corrupt, writes, write_errors, evicted, tmp_seq, linked;
};

char *cp_cache_default_dir(void)
{
	return cp_xdg_cache_dir("build");
}

/* The Cache Directory Tagging convention (bford.info/cachedir): backup
 * tools skip the folder. */
#define CACHEDIR_TAG                                                                               \
	"Signature: 8a477f597d28d172789f06886806bc55\n"                                            \
	"# This file is a cache directory tag created by cdnpipe.\n"

int cp_cache_open(const char *dir, uint64_t max_bytes, cp_cache **out, cp_error *err)
{
	*out = NULL;
	/* entries are published as they are: a folder another user can write
	 * to would let them plant the bytes of any key (keys are not secret) */
	if (cp_private_dir(dir, err))
		return CP_ERR_BUILD;
	char *tag = cp_xasprintf("%s/CACHEDIR.TAG", dir);
	cp_error e = {0};
	if (!cp_exists(tag))
		cp_write_atomic(tag, CACHEDIR_TAG, sizeof CACHEDIR_TAG - 1, &e);
	free(tag);
	cp_cache *c = cp_xcalloc(1, sizeof *c);
	c->dir = cp_xstrdup(dir);
	c->max = max_bytes ? max_bytes : 1ull << 30;
	*out = c;
	return 0;
}

cp_cache_stats cp_cache_get_stats(const cp_cache *c)
{
	cp_cache_stats s = {0};
	if (c)
		s = (cp_cache_stats){c->hits,	      c->misses,  c->corrupt, c->writes,
				     c->write_errors, c->evicted, c->linked};
	return s;
}

/* ---- keys ---- */

/* Which cdnpipe made an entry: the SHA-256 of the running executable, so
 * that any change to a minifier or a codec - a new release, a developer's
 * rebuild with the same version string - starts from an empty cache rather
 * than trusting outputs another build of the code made.  Where the binary
 * cannot be read, the version and the compile time stand in. */
static unsigned char build_id[32];
static pthread_once_t build_id_once = PTHREAD_ONCE_INIT;

static void compute_build_id(void)
{
	cp_error e = {0};
	if (cp_sha256_file("/proc/self/exe", 0, UINT64_MAX, build_id, &e) != 0) {
		const char *v = CP_VERSION " " __DATE__ " " __TIME__;
		cp_sha256(v, strlen(v), build_id);
	}
}

void cp_cache_key_begin(cp_cache_keyer *k, const char *work)
{
	pthread_once(&build_id_once, compute_build_id);
	k->evp = EVP_MD_CTX_new();
	EVP_DigestInit_ex(k->evp, EVP_sha256(), NULL);
	cp_cache_key_str(k, "cdnpipe-cache-1");
	cp_cache_key_add(k, build_id, sizeof build_id);
	cp_cache_key_str(k, work);
}

void cp_cache_key_add(cp_cache_keyer *k, const void *data, size_t len)
{
	unsigned char n[8];
	for (int i = 0; i < 8; i++)
		n[i] = (unsigned char)((uint64_t)len >> (8 * i));
	EVP_DigestUpdate(k->evp, n, 8);
	if (len)
		EVP_DigestUpdate(k->evp, data, len);
}

void cp_cache_key_str(cp_cache_keyer *k, const char *s)
{
	unsigned char present = s != NULL;
	EVP_DigestUpdate(k->evp, &present, 1);
	cp_cache_key_add(k, s ? s : "", s ? strlen(s) : 0);
}

void cp_cache_key_int(cp_cache_keyer *k, int64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%lld", (long long)v);
	cp_cache_key_str(k, b);
}

int cp_cache_key_file(cp_cache_keyer *k, const char *path, cp_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return cp_error_set(err, path, 0, 0, "cannot read: %s", strerror(errno));
	}
	cp_cache_key_add(k, "", 0); /* marks a file part; its length follows */
	unsigned char n[8];
	for (int i = 0; i < 8; i++)
		n[i] = (unsigned char)((uint64_t)st.st_size >> (8 * i));
	EVP_DigestUpdate(k->evp, n, 8);
	char buf[1 << 16];
	ssize_t r;
	uint64_t total = 0;
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		EVP_DigestUpdate(k->evp, buf, (size_t)r);
		total += (uint64_t)r;
	}
	close(fd);
	if (r < 0 || total != (uint64_t)st.st_size)
		return cp_error_set(err, path, 0, 0, "changed or failed while it was read");
	return 0;
}

void cp_cache_key_end(cp_cache_keyer *k, cp_cache_key *out)
{
	EVP_DigestFinal_ex(k->evp, out->d, NULL);
	EVP_MD_CTX_free(k->evp);
	k->evp = NULL;
}

cp_cache_key cp_cache_key_part(const cp_cache_key *k, const char *part)
{
	cp_cache_keyer x;
	cp_cache_key out;
	cp_cache_key_begin(&x, "part");
	cp_cache_key_add(&x, k->d, sizeof k->d);
	cp_cache_key_str(&x, part);
	cp_cache_key_end(&x, &out);
	return out;
}

/* ---- entries ---- */

static char *entry_path(const cp_cache *c, const cp_cache_key *k)
{
	char hex[65];
	cp_hex(k->d, 32, hex);
	return cp_xasprintf("%s/%.2s/%s", c->dir, hex, hex + 2);
}

/* Reads and checks an entry: 1 and the payload in out, 0 when absent, -1
 * when it is there but not a whole, matching entry. */
static int read_entry(const char *path, cp_buf *out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	unsigned char h[HEADER];
	/* an entry another user wrote (while the folder let them) is not used */
	int ok = fstat(fd, &st) == 0 && st.st_uid == geteuid() && st.st_size >= HEADER &&
		 read(fd, h, HEADER) == HEADER && !memcmp(h, MAGIC, 8);
	uint64_t len = 0;
	for (int i = 0; ok && i < 8; i++)
		len |= (uint64_t)h[8 + i] << (8 * i);
	ok = ok && len == (uint64_t)st.st_size - HEADER;
	size_t at = out->len;
	if (ok) {
		cp_buf_reserve(out, (size_t)len + 1);
		size_t got = 0;
		ssize_t r = 1;
		while (got < len && (r = read(fd, out->data + at + got, (size_t)len - got)) > 0)
			got += (size_t)r;
		ok = got == len;
	}
	close(fd);
	if (ok) {
		unsigned char d[32];
		cp_sha256(out->data + at, (size_t)len, d);
		ok = !memcmp(d, h + 16, 32);
	}
	if (!ok)
		return -1;
	out->len = at + (size_t)len;
	out->data[out->len] = 0;
	return 1;
}

int cp_cache_get(cp_cache *c, const cp_cache_key *k, cp_buf *out)
{
	if (!c)
		return 0;
	char *path = entry_path(c, k);
	size_t before = out->len;
	int r = read_entry(path, out);
	if (r > 0) {
		atomic_fetch_add(&c->hits, 1);
		utimensat(AT_FDCWD, path, NULL, 0); /* recently used */
	} else {
		out->len = before;
		if (out->data)
			out->data[before] = 0;
		atomic_fetch_add(&c->misses, 1);
		if (r < 0) {
			atomic_fetch_add(&c->corrupt, 1);
			cp_log(CP_LOG_INFO, "cache: %s is damaged: rebuilt and replaced", path);
			unlink(path);
		}
	}
	free(path);
	return r > 0;
}

/* ---- file values: a blob named by its own SHA-256, linked into place ----
 *
 * A compressed sibling is a file in DIST, and the cheapest way to make it is
 * not to write it at all: the value is kept as a blob, blobs/<2>/<62 hex of
 * its SHA-256>, and the entry of its key holds that digest (MAGIC_LINK and
 * the 32 bytes).  A hit checks the blob against its name (a read, as for
 * every entry: a damaged one is never used) and hard-links it to a
 * temporary name beside path, renamed over it; where DIST is on another file
 * system, the bytes are written instead.  DIST's writes are all temporary
 * name and rename, so nothing writes into a linked file; a blob changed
 * behind cdnpipe's back fails its check and is rebuilt. */

#define MAGIC_LINK "CPCACHEL"

static char *blob_path(const cp_cache *c, const unsigned char d[32])
{
	char hex[65];
	cp_hex(d, 32, hex);
	return cp_xasprintf("%s/blobs/%.2s/%s", c->dir, hex, hex + 2);
}

int cp_cache_get_file(cp_cache *c, const cp_cache_key *k, const char *path)
{
	if (!c)
		return 0;
	cp_buf ptr = CP_BUF_INIT, blob = CP_BUF_INIT;
	int hit = cp_cache_get(c, k, &ptr) && ptr.len == 8 + 32 && !memcmp(ptr.data, MAGIC_LINK, 8);
	char *bp = hit ? blob_path(c, (const unsigned char *)ptr.data + 8) : NULL;
	cp_error e = {0};
	if (hit) {
		unsigned char d[32];
		hit = cp_file_is_mine(bp) && cp_read_file(bp, &blob, &e) == 0;
		if (hit)
			cp_sha256(blob.data ? blob.data : "", blob.len, d);
		if (hit && memcmp(d, ptr.data + 8, 32)) {
			atomic_fetch_add(&c->corrupt, 1);
			cp_log(CP_LOG_INFO, "cache: %s is damaged: rebuilt and replaced", bp);
			unlink(bp);
			hit = 0;
		}
	}
	if (hit) {
		/* the blob's times are not touched: they are the linked DIST
		 * files' too (a blob ages from its making; its entry is what a hit
		 * refreshes).  The temporary name is the one DIST scans leave out. */
		char *tmp = cp_tmp_name(path);
		/* rename() of two links to one file does nothing and succeeds (path
		 * was this blob already): tmp goes either way */
		int linked = link(bp, tmp) == 0 && rename(tmp, path) == 0;
		unlink(tmp);
		if (linked)
			atomic_fetch_add(&c->linked, 1);
		else
			hit = cp_write_atomic(path, blob.data ? blob.data : "", blob.len, &e) == 0;
		free(tmp);
	}
	if (!hit && ptr.len) /* the entry was there, its blob not */
		atomic_fetch_sub(&c->hits, 1), atomic_fetch_add(&c->misses, 1);
	free(bp);
	cp_buf_free(&ptr);
	cp_buf_free(&blob);
	return hit;
}

void cp_cache_put(cp_cache *c, const cp_cache_key *k, const void *data, size_t len)
{
	if (!c)
		return;
	char *path = entry_path(c, k);
	char *tmp = cp_xasprintf("%s.tmp.%d.%llu", path, (int)getpid(),
				 (unsigned long long)atomic_fetch_add(&c->tmp_seq, 1));
	unsigned char h[HEADER];
	memcpy(h, MAGIC, 8);
	for (int i = 0; i < 8; i++)
		h[8 + i] = (unsigned char)((uint64_t)len >> (8 * i));
	cp_sha256(data, len, h + 16);
	cp_error e = {0};
	int fd = -1, ok = cp_mkdirs_for(path, &e) == 0;
	if (ok)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ok = fd >= 0 && write(fd, h, HEADER) == HEADER;
	for (size_t done = 0; ok && done < len;) {
		ssize_t w = write(fd, (const char *)data + done, len - done);
		ok = w > 0;
		done += ok ? (size_t)w : 0;
	}
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	if (ok && rename(tmp, path) == 0) {
		atomic_fetch_add(&c->writes, 1);
	} else {
		unlink(tmp);
		atomic_fetch_add(&c->write_errors, 1);
		cp_log(CP_LOG_INFO, "cache: cannot store %s: %s", path, strerror(errno));
	}
	free(tmp);
	free(path);
}

void cp_cache_put_file(cp_cache *c, const cp_cache_key *k, const char *path)
{
	if (!c)
		return;
	cp_buf b = CP_BUF_INIT;
	cp_error e = {0};
	if (cp_read_file(path, &b, &e) != 0) {
		atomic_fetch_add(&c->write_errors, 1);
		cp_buf_free(&b);
		return;
	}
	unsigned char ptr[8 + 32];
	memcpy(ptr, MAGIC_LINK, 8);
	cp_sha256(b.data ? b.data : "", b.len, ptr + 8);
	char *bp = blob_path(c, ptr + 8);
	char *tmp = cp_xasprintf("%s.tmp.%d.%llu", bp, (int)getpid(),
				 (unsigned long long)atomic_fetch_add(&c->tmp_seq, 1));
	/* a blob is immutable, so one that is there is the right one; else a
	 * link to the file just written costs no bytes, and a copy does */
	int ok = access(bp, F_OK) == 0;
	if (!ok && cp_mkdirs_for(bp, &e) == 0)
		ok = (link(path, tmp) == 0 ||
		      cp_write_atomic(tmp, b.data ? b.data : "", b.len, &e) == 0) &&
		     rename(tmp, bp) == 0;
	unlink(tmp); /* left when the rename found the same file there */
	if (!ok)
		atomic_fetch_add(&c->write_errors, 1);
	else
		cp_cache_put(c, k, ptr, sizeof ptr);
	free(tmp);
	free(bp);
	cp_buf_free(&b);
}

/* ---- eviction ----
 *
 * Only names cdnpipe gives are ever looked at: <2 hex>/<62 hex>, or such a
 * name with a temporary suffix.  Folders are opened without following
 * links and files are examined relative to them, so neither a link planted
 * in the cache nor a --cache-dir pointed at a folder of other files makes
 * eviction delete anything but entries.  A blob is as recently used as the
 * newest entry that points at it (its own times are the linked DIST files'
 * and are never touched); a blob no entry points at goes first, and so
 * does an entry whose blob is gone. */

struct entry {
	char *path;
	char name[65]; /* the 64 hex digits: the key's, or the blob's */
	uint64_t size;
	int64_t mtime;
	int blob;	       /* a blob, not an entry */
	unsigned char ref[32]; /* an entry's blob, when it names one */
	int has_ref;
};

static int by_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static DIR *open_dir_at(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0)
		close(fd);
	return d;
}

/* The blob an entry file names (MAGIC_LINK), read relative to its folder. */
static int entry_ref(int at, const char *name, const struct stat *st, unsigned char ref[32])
{
	if (st->st_size != HEADER + 8 + 32)
		return 0;
	int fd = openat(at, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	unsigned char b[HEADER + 8 + 32];
	int ok = fd >= 0 && read(fd, b, sizeof b) == (ssize_t)sizeof b &&
		 !memcmp(b + HEADER, MAGIC_LINK, 8);
	if (fd >= 0)
		close(fd);
	if (ok)
		memcpy(ref, b + HEADER + 8, 32);
	return ok;
}

struct gathered {
	struct entry *v;
	size_t n, cap;
	uint64_t total;
};

static void gather(const char *base, int blobs, struct gathered *g)
{
	time_t now = time(NULL);
	DIR *top = open_dir_at(AT_FDCWD, base);
	struct dirent *d;
	while (top && (d = readdir(top))) {
		if (strlen(d->d_name) != 2 || !is_hex(d->d_name, 2))
			continue;
		DIR *s = open_dir_at(dirfd(top), d->d_name);
		struct dirent *f;
		while (s && (f = readdir(s))) {
			size_t len = strlen(f->d_name);
			int tmp = len > 62 && !strncmp(f->d_name + 62, ".tmp.", 5);
			struct stat st;
			if (len < 62 || (len > 62 && !tmp) || !is_hex(f->d_name, 62) ||
			    fstatat(dirfd(s), f->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			if (tmp) { /* an hour old: a killed build's */
				if (now - st.st_mtime > 3600)
					unlinkat(dirfd(s), f->d_name, 0);
				continue;
			}
			if (g->n == g->cap) {
				g->cap = g->cap ? 2 * g->cap : 1024;
				g->v = cp_xrealloc(g->v, g->cap * sizeof *g->v);
			}
			struct entry *e = &g->v[g->n++];
			*e = (struct entry){
			    .path = cp_xasprintf("%s/%s/%s", base, d->d_name, f->d_name),
			    /* what it takes on disk: a 64-byte entry is a block */
			    .size = (uint64_t)st.st_blocks * 512,
			    .mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
			    .blob = blobs};
			memcpy(e->name, d->d_name, 2);
			memcpy(e->name + 2, f->d_name, 62);
			e->name[64] = 0;
			if (!blobs)
				e->has_ref = entry_ref(dirfd(s), f->d_name, &st, e->ref);
			g->total += e->size;
		}
		if (s)
			closedir(s);
	}
	if (top)
		closedir(top);
}

/* Each blob's age becomes its newest entry's; the unreferenced blob, and
 * the entry whose blob is gone, the oldest of all. */
static void age_blobs(struct gathered *g)
{
	cp_strmap blobs = {0};
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].blob) {
			cp_strmap_put(&blobs, g->v[i].name, i);
			g->v[i].mtime = INT64_MIN;
		}
	for (size_t i = 0; i < g->n; i++) {
		struct entry *e = &g->v[i];
		if (e->blob || !e->has_ref)
			continue;
		char hex[65];
		size_t at;
		cp_hex(e->ref, 32, hex);
		if (!cp_strmap_get(&blobs, hex, &at))
			e->mtime = INT64_MIN;
		else if (g->v[at].mtime < e->mtime)
			g->v[at].mtime = e->mtime;
	}
	cp_strmap_free(&blobs);
}

static void evict(cp_cache *c)
{
	struct gathered g = {0};
	char *blobs = cp_xasprintf("%s/blobs", c->dir);
	gather(c->dir, 0, &g);
	gather(blobs, 1, &g);
	free(blobs);
	if (g.total > c->max) {
		age_blobs(&g);
		qsort(g.v, g.n, sizeof *g.v, by_age);
		uint64_t goal = c->max / 10 * 9;
		for (size_t i = 0; i < g.n && g.total > goal; i++)
			if (unlink(g.v[i].path) == 0) {
				g.total -= g.v[i].size;
				atomic_fetch_add(&c->evicted, 1);
			}
	}
	for (size_t i = 0; i < g.n; i++)
		free(g.v[i].path);
	free(g.v);
}

void cp_cache_close(cp_cache *c, cp_cache_stats *final)
{
	if (!c)
		return;
	if (c->writes)
		evict(c);
	if (final)
		*final = cp_cache_get_stats(c);
	free(c->dir);
	free(c);
}
