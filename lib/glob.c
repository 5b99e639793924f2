/*
 * glob.c - pattern matching for --include/--exclude; see glob.h.
 */
#include "lib/glob.h"
#include "lib/buf.h"

#include <stdlib.h>
#include <string.h>

/* Backtracking matcher; "**" may cross '/', "*" and "?" may not.  Every
 * (pattern, text) position that failed is remembered once a star is met, so
 * a pattern of many stars costs O(pattern * text^2), not exponential time
 * ("*a*a*a*a*b" on a long name of a's). */
typedef struct memo {
	const char *p0, *s0;
	size_t plen, slen;
	unsigned char *failed; /* (plen + 1) * (slen + 1) bits, made at the first star */
} memo;

static int match_at(memo *m, const char *p, const char *s);

static int star_try(memo *m, const char *p, const char *s)
{
	if (!m->failed)
		m->failed = cp_xcalloc(((m->plen + 1) * (m->slen + 1) + 7) / 8, 1);
	size_t i = (size_t)(p - m->p0) * (m->slen + 1) + (size_t)(s - m->s0);
	if (m->failed[i / 8] & (1u << (i % 8)))
		return 0;
	if (match_at(m, p, s))
		return 1;
	m->failed[i / 8] |= (unsigned char)(1u << (i % 8));
	return 0;
}

static int match(const char *p, const char *s)
{
	memo m = {p, s, strlen(p), strlen(s), NULL};
	int r = match_at(&m, p, s);
	free(m.failed);
	return r;
}

static int match_at(memo *m, const char *p, const char *s)
{
	while (*p) {
		if (p[0] == '*' && p[1] == '*') {
			p += 2;
			if (*p == '/')
				p++;
			for (const char *t = s;; t++) {
				if (star_try(m, p, t))
					return 1;
				if (!*t)
					return 0;
			}
		}
		if (*p == '*') {
			p++;
			for (const char *t = s;; t++) {
				if (star_try(m, p, t))
					return 1;
				if (!*t || *t == '/')
					return 0;
			}
		}
		if (!*s)
			return 0;
		if (*p == '?') {
			if (*s == '/')
				return 0;
		} else if (*p == '[') {
			const char *q = p + 1;
			int neg = *q == '!' || *q == '^';
			if (neg)
				q++;
			int hit = 0;
			while (*q && *q != ']') {
				if (q[1] == '-' && q[2] && q[2] != ']') {
					if ((unsigned char)*s >= (unsigned char)q[0] &&
					    (unsigned char)*s <= (unsigned char)q[2])
						hit = 1;
					q += 3;
				} else {
					if (*q == *s)
						hit = 1;
					q++;
				}
			}
			if (!*q || hit == neg)
				return 0;
			p = q;
		} else {
			if (*p == '\\' && p[1])
				p++;
			if (*p != *s)
				return 0;
		}
		p++;
		s++;
	}
	return *s == 0;
}

int cp_glob_match(const char *pattern, const char *path)
{
	if (!strchr(pattern, '/')) {
		const char *base = strrchr(path, '/');
		return match(pattern, base ? base + 1 : path);
	}
	if (pattern[0] == '/')
		pattern++;
	return match(pattern, path);
}

void cp_filter_add(cp_filter *f, int exclude, const char *pattern)
{
	char ***v = exclude ? &f->exclude : &f->include;
	size_t *n = exclude ? &f->nexclude : &f->ninclude;
	*v = cp_xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = cp_xstrdup(pattern);
}

/* An exclude without '/' excludes a folder of that name with everything in
 * it, as rsync and `aws s3 sync --exclude` users expect ("CVS", "node_modules"):
 * every segment of the path is tried, not only the last. */
static int excluded(const char *pattern, const char *path)
{
	if (strchr(pattern, '/'))
		return cp_glob_match(pattern, path);
	char *seg = cp_xstrdup(path);
	int hit = 0;
	for (char *s = seg, *slash; !hit && s; s = slash ? slash + 1 : NULL) {
		slash = strchr(s, '/');
		if (slash)
			*slash = 0;
		hit = match(pattern, s);
	}
	free(seg);
	return hit;
}

int cp_filter_pass(const cp_filter *f, const char *relpath)
{
	for (size_t i = 0; i < f->nexclude; i++)
		if (excluded(f->exclude[i], relpath))
			return 0;
	if (!f->ninclude)
		return 1;
	for (size_t i = 0; i < f->ninclude; i++)
		if (cp_glob_match(f->include[i], relpath))
			return 1;
	return 0;
}

void cp_filter_free(cp_filter *f)
{
	for (size_t i = 0; i < f->ninclude; i++)
		free(f->include[i]);
	for (size_t i = 0; i < f->nexclude; i++)
		free(f->exclude[i]);
	free(f->include);
	free(f->exclude);
	memset(f, 0, sizeof *f);
}
