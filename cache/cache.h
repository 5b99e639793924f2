/*
 * cache.h - the public header of cache/: a content-addressed store on disk
 * for work a build has already done (minified outputs, source maps,
 * compressed siblings), shared by every DIST and every concurrent build.
 *
 * A key is the SHA-256 of everything that decides the value: what kind of
 * work, the cdnpipe that does it (the SHA-256 of its executable), every
 * option that changes the bytes, and the input bytes (cp_cache_key_*).  A value is bytes.  Entries
 * are files
 * `<dir>/<2 hex>/<62 hex>`, written under a temporary name and renamed, so a
 * reader sees a whole entry or none, and two builds that write one key at
 * once both write the same bytes.  Each entry carries its own length and the
 * SHA-256 of its payload; an entry that does not match (a truncated write
 * from a full disk, a flipped bit) is a miss, is counted as corrupt and is
 * removed, never used.
 *
 * Size: a hit refreshes the entry's mtime; cp_cache_close evicts the least
 * recently used entries until the blocks they take are under max_bytes (90% of it, so
 * that not every build pays for a walk of the folder: the walk runs only
 * when this process wrote something).  Eviction racing a reader is
 * harmless: an open file stays readable, and a vanished entry is a miss.
 */
#ifndef CP_CACHE_H
#define CP_CACHE_H

#include "lib/cp.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cp_cache cp_cache;

typedef struct cp_cache_stats {
	uint64_t hits, misses, corrupt, writes, write_errors, evicted;
	uint64_t linked; /* file values hard-linked into place (no bytes written) */
} cp_cache_stats;

/* The default folder: cp_xdg_cache_dir("build"), so
 * $XDG_CACHE_HOME/cdnpipe/build or ~/.cache/cdnpipe/build.  Newly
 * allocated. */
char *cp_cache_default_dir(void);

/* Opens the store in dir (created as needed).  max_bytes 0: 1 GiB.
 * CP_ERR_BUILD (err says why) when the folder cannot be made. */
int cp_cache_open(const char *dir, uint64_t max_bytes, cp_cache **out, cp_error *err);
/* Evicts as described above, then frees; *final (may be NULL) gets the
 * counters, evictions included.  c NULL is allowed. */
void cp_cache_close(cp_cache *c, cp_cache_stats *final);
/* Counters since open (thread-safe reads; exact after the work is done). */
cp_cache_stats cp_cache_get_stats(const cp_cache *c);

/* Building a key: start with the work's name ("minify-js"), add every
 * part, finish.  Parts are length-prefixed, so ("ab","c") != ("a","bc"). */
typedef struct cp_cache_key {
	unsigned char d[32];
} cp_cache_key;
typedef struct cp_cache_keyer {
	void *evp;
} cp_cache_keyer;
void cp_cache_key_begin(cp_cache_keyer *k, const char *work);
void cp_cache_key_add(cp_cache_keyer *k, const void *data, size_t len);
void cp_cache_key_str(cp_cache_keyer *k, const char *s); /* NULL and "" differ */
void cp_cache_key_int(cp_cache_keyer *k, int64_t v);
/* Adds a file's bytes, streamed; CP_ERR_BUILD when it cannot be read. */
int cp_cache_key_file(cp_cache_keyer *k, const char *path, cp_error *err);
void cp_cache_key_end(cp_cache_keyer *k, cp_cache_key *out);
/* The same key with a suffix: one key per part of a value ("text", "map"). */
cp_cache_key cp_cache_key_part(const cp_cache_key *k, const char *part);

/* 1 and the payload appended to out on a hit; 0 on a miss (a corrupt entry
 * is a miss).  Safe from any thread. */
int cp_cache_get(cp_cache *c, const cp_cache_key *k, cp_buf *out);
/* File values (put with cp_cache_put_file): 1 and the value at path on a
 * hit - a hard link to the cache's blob where path's file system allows it,
 * else a copy; either through a temporary name, then renamed - 0 on a miss
 * or when path cannot be written. */
int cp_cache_get_file(cp_cache *c, const cp_cache_key *k, const char *path);
/* Stores a value; failures (a full disk) are counted, never fatal: a
 * build without its cache is only slower.  Safe from any thread. */
void cp_cache_put(cp_cache *c, const cp_cache_key *k, const void *data, size_t len);
/* Stores path's bytes as a file value: a blob named by its SHA-256 (a hard
 * link to path where the file systems allow it). */
void cp_cache_put_file(cp_cache *c, const cp_cache_key *k, const char *path);

#endif
