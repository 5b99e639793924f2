/*
 * strmap.c - the one string-keyed hash table; see strmap.h.
 */
#include "lib/strmap.h"
#include "lib/buf.h"

#include <stdlib.h>
#include <string.h>

uint64_t cp_str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	/* FNV's low bits mix poorly for short keys: finish with a murmur mixer. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static void map_grow(cp_strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	const char **nk = cp_xcalloc(ncap, sizeof *nk);
	size_t *nv = cp_xcalloc(ncap, sizeof *nv);
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = cp_str_hash(m->keys[i]) & (ncap - 1);
		while (nk[j])
			j = (j + 1) & (ncap - 1);
		nk[j] = m->keys[i];
		nv[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = nk;
	m->vals = nv;
	m->cap = ncap;
}

void cp_strmap_put(cp_strmap *m, const char *key, size_t val)
{
	if ((m->n + 1) * 4 >= m->cap * 3)
		map_grow(m);
	size_t j = cp_str_hash(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key)) {
			m->vals[j] = val;
			return;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = key;
	m->vals[j] = val;
	m->n++;
}

int cp_strmap_get(const cp_strmap *m, const char *key, size_t *val)
{
	if (!m->cap)
		return 0;
	size_t j = cp_str_hash(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key)) {
			if (val)
				*val = m->vals[j];
			return 1;
		}
		j = (j + 1) & (m->cap - 1);
	}
	return 0;
}

void cp_strmap_free(cp_strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}
