/*
 * pool.h - parallel for-loops over an index range.
 *
 * Every parallel step of cdnpipe is "do f(i) for i in [0, n)" where the items
 * are independent (minify each file, hash each asset of one graph level,
 * compress each output).  So the pool is a parallel-for, not a task queue:
 * workers take the next index from an atomic counter, which balances uneven
 * items (one big bundle among small icons) without any scheduler.  Results
 * land in per-index slots, so output never depends on which thread ran what.
 * Threads are started per call; a build makes a handful of calls, and the
 * ~50 microseconds a start costs are nothing beside the work.
 */
#ifndef CP_POOL_H
#define CP_POOL_H

#include <stddef.h>

typedef void (*cp_for_fn)(void *ctx, size_t i);

/* Runs fn(ctx, i) for every i in [0, n) on up to jobs threads (jobs <= 1:
 * inline on the caller's thread).  Returns when all are done. */
void cp_parallel_for(int jobs, size_t n, cp_for_fn fn, void *ctx);
/* Number of online CPUs (at least 1). */
int cp_cpu_count(void);

#endif
