/*
 * sync_shard.c - which shard a run is: "--shard I/N" as given, or "auto"
 * from the environment of the engine running it (a Kubernetes Indexed Job's
 * JOB_COMPLETION_INDEX, a GitHub Actions matrix through CDNPIPE_SHARD_INDEX
 * and CDNPIPE_SHARDS).  Which keys a shard owns is cp_sync_in_shard's
 * (sync_plan.c): a hash of the key, so shards stay disjoint and complete
 * whatever order the listings come in.
 */
#include "upload/sync/sync_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cp_sync_parse_shard(const char *s, unsigned *i, unsigned *n)
{
	char *end;
	errno = 0;
	unsigned long a = strtoul(s, &end, 10);
	if (end == s || *end != '/')
		return -1;
	const char *t = end + 1;
	unsigned long b = strtoul(t, &end, 10);
	if (end == t || *end || errno || b < 1 || b > 1000000 || a < 1 || a > b)
		return -1;
	*i = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

/* A plain decimal number (digits only, no sign or space) up to max. */
static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

#define SHARDS_MAX 1000000ul

int cp_sync_shard_resolve(const char *spec, const cp_sync_shard_env *env, unsigned *i, unsigned *n,
			  char *from, size_t fromsz, cp_error *err)
{
	if (strncmp(spec, "auto", 4) || (spec[4] && spec[4] != '/')) {
		if (cp_sync_parse_shard(spec, i, n)) {
			cp_error_set(err, "", 0, 0,
				     "--shard wants I/N with 1 <= I <= N, auto or auto/N, not '%s'",
				     spec);
			return CP_ERR_USAGE;
		}
		snprintf(from, fromsz, "from --shard %s", spec);
		return 0;
	}
	/* The count: N of auto/N, else CDNPIPE_SHARDS; both must agree. */
	unsigned long count = 0, envcount = 0;
	if (spec[4] == '/' && (parse_count(spec + 5, SHARDS_MAX, &count) || !count)) {
		cp_error_set(err, "", 0, 0, "--shard auto/N wants N in 1..%lu, not '%s'",
			     SHARDS_MAX, spec + 5);
		return CP_ERR_USAGE;
	}
	if (env->shards && (parse_count(env->shards, SHARDS_MAX, &envcount) || !envcount)) {
		cp_error_set(err, "", 0, 0,
			     "--shard %s: CDNPIPE_SHARDS is '%s', not a shard count in 1..%lu",
			     spec, env->shards, SHARDS_MAX);
		return CP_ERR_USAGE;
	}
	if (count && env->shards && count != envcount) {
		cp_error_set(err, "", 0, 0,
			     "--shard %s and CDNPIPE_SHARDS=%s disagree on the number of shards",
			     spec, env->shards);
		return CP_ERR_USAGE;
	}
	char count_from[64];
	snprintf(count_from, sizeof count_from, "%s%s", count ? "--shard " : "",
		 count ? spec : "CDNPIPE_SHARDS");
	if (!count)
		count = envcount;
	if (!count) {
		cp_error_set(err, "", 0, 0,
			     "--shard auto: no shard count: give --shard auto/N or set "
			     "CDNPIPE_SHARDS (GitHub Actions: from ${{ strategy.job-total }})");
		return CP_ERR_USAGE;
	}
	/* The index, 0-based: JOB_COMPLETION_INDEX, else CDNPIPE_SHARD_INDEX. */
	static const char *const names[] = {"JOB_COMPLETION_INDEX", "CDNPIPE_SHARD_INDEX"};
	const char *vals[] = {env->job_completion_index, env->shard_index};
	unsigned long index = 0;
	int which = -1;
	for (int k = 0; k < 2; k++) {
		if (!vals[k])
			continue;
		unsigned long v;
		if (parse_count(vals[k], SHARDS_MAX, &v)) {
			cp_error_set(err, "", 0, 0,
				     "--shard %s: %s is '%s', not a shard index (0-based: 0, 1, "
				     "2...)",
				     spec, names[k], vals[k]);
			return CP_ERR_USAGE;
		}
		if (which >= 0 && v != index) {
			cp_error_set(err, "", 0, 0, "--shard %s: %s=%s and %s=%s disagree", spec,
				     names[which], vals[which], names[k], vals[k]);
			return CP_ERR_USAGE;
		}
		if (which < 0) {
			which = k;
			index = v;
		}
	}
	if (which < 0) {
		cp_error_set(err, "", 0, 0,
			     "--shard %s: no shard index: neither JOB_COMPLETION_INDEX (set by "
			     "a Kubernetes Indexed Job) nor CDNPIPE_SHARD_INDEX (0-based; GitHub "
			     "Actions: from ${{ strategy.job-index }}) is set",
			     spec);
		return CP_ERR_USAGE;
	}
	if (index >= count) {
		cp_error_set(err, "", 0, 0,
			     "--shard %s: %s=%s is not below the %lu shards (from %s); the index "
			     "is 0-based, 0..%lu",
			     spec, names[which], vals[which], count, count_from, count - 1);
		return CP_ERR_USAGE;
	}
	*i = (unsigned)index + 1;
	*n = (unsigned)count;
	snprintf(from, fromsz, "%s=%s (0-based), %lu shards from %s", names[which], vals[which],
		 count, count_from);
	return 0;
}
