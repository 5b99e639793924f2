/*
 * pool.c - parallel-for over an atomic index; see pool.h.
 */
#include "lib/pool.h"
#include "lib/buf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct pf {
	atomic_size_t next;
	size_t n;
	cp_for_fn fn;
	void *ctx;
};

static void *worker(void *arg)
{
	struct pf *pf = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&pf->next, 1);
		if (i >= pf->n)
			break;
		pf->fn(pf->ctx, i);
	}
	return NULL;
}

void cp_parallel_for(int jobs, size_t n, cp_for_fn fn, void *ctx)
{
	struct pf pf = {.n = n, .fn = fn, .ctx = ctx};
	atomic_init(&pf.next, 0);
	if (jobs > (int)n)
		jobs = (int)n;
	if (jobs <= 1) {
		worker(&pf);
		return;
	}
	pthread_t *t = cp_xcalloc((size_t)jobs, sizeof *t);
	int started = 0;
	for (int k = 1; k < jobs; k++)
		if (pthread_create(&t[k], NULL, worker, &pf) == 0)
			t[started++ + 1] = t[k];
	worker(&pf);
	for (int k = 1; k <= started; k++)
		pthread_join(t[k], NULL);
	free(t);
}

int cp_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}
