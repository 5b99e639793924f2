/*
 * strmap.h - string key -> index, the one hash table of the project.
 *
 * Open addressing with linear probing over a power-of-two table, grown at
 * 3/4 load; FNV-1a finished with a murmur mixer (FNV's low bits mix poorly
 * for short keys, and the table index is the low bits).  Keys are borrowed:
 * the caller keeps the strings alive as long as the map, which is what the
 * listings want (their strings already live in the list being indexed).
 * No delete: every user builds a map once and reads it.
 */
#ifndef CP_STRMAP_H
#define CP_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct cp_strmap {
	const char **keys; /* borrowed: the caller keeps the strings alive */
	size_t *vals;
	size_t cap, n;
} cp_strmap;

/* The hash the map uses; also what sync's --shard assigns keys by, so it
 * must never change (shards of one job run by different builds must agree). */
uint64_t cp_str_hash(const char *s);
/* Adds key, or gives a key already there the new value (the last put wins). */
void cp_strmap_put(cp_strmap *m, const char *key, size_t val);
/* 1 (and *val, when val is not NULL) when found. */
int cp_strmap_get(const cp_strmap *m, const char *key, size_t *val);
void cp_strmap_free(cp_strmap *m);

#endif
