/*
 * graph.c - processing order: strongly connected components of the
 * reference graph, and the topological levels of their condensation.
 *
 * An edge a -> b means "a references b", so b's final name must be known
 * before a can be rewritten.  Tarjan's algorithm (iterative: a chain of
 * thousands of @imports must not overflow the stack) finds the components;
 * a component with more than one member, or one that references itself, is
 * a cycle and gets one combined hash (see fingerprint.c).
 *
 * Levels instead of a plain topological order: level(c) = 0 when c depends
 * on nothing else, else 1 + the highest level among its dependencies.  Every
 * component of one level depends only on lower levels, so a level is a
 * parallel-for; the number of levels is the longest dependency chain, which
 * in real sites is small (images, then CSS that uses them, then CSS that
 * imports that).  Components in a level are sorted by their first member's
 * index; with the table sorted by path, nothing depends on visit order.
 */
#include "fingerprint/fingerprint_int.h"

#include <stdlib.h>
#include <string.h>

struct tarjan {
	const cp_assets *t;
	long *index, *low;
	char *on_stack;
	size_t *stack, sp;
	long next_index;
	cp_graph *g;
	size_t nmembers;
};

struct frame {
	size_t v;
	size_t k; /* next ref to look at */
};

static void close_component(struct tarjan *s, size_t v)
{
	cp_graph *g = s->g;
	size_t c = g->ncomp++;
	g->comp_start[c] = s->nmembers;
	size_t w;
	do {
		w = s->stack[--s->sp];
		s->on_stack[w] = 0;
		g->comp_of[w] = (long)c;
		g->members[s->nmembers++] = w;
	} while (w != v);
	g->comp_start[c + 1] = s->nmembers;
}

static void strongconnect(struct tarjan *s, size_t root, struct frame *fs)
{
	size_t fp = 0;
	fs[fp++] = (struct frame){root, 0};
	s->index[root] = s->low[root] = s->next_index++;
	s->stack[s->sp++] = root;
	s->on_stack[root] = 1;
	while (fp) {
		struct frame *f = &fs[fp - 1];
		const cp_refs *refs = &s->t->v[f->v].refs;
		if (f->k < refs->n) {
			long w = refs->v[f->k++].target;
			if (w < 0)
				continue;
			if (s->index[w] < 0) {
				s->index[w] = s->low[w] = s->next_index++;
				s->stack[s->sp++] = (size_t)w;
				s->on_stack[w] = 1;
				fs[fp++] = (struct frame){(size_t)w, 0};
			} else if (s->on_stack[w] && s->index[w] < s->low[f->v]) {
				s->low[f->v] = s->index[w];
			}
			continue;
		}
		size_t v = f->v;
		if (s->low[v] == s->index[v])
			close_component(s, v);
		fp--;
		if (fp && s->low[v] < s->low[fs[fp - 1].v])
			s->low[fs[fp - 1].v] = s->low[v];
	}
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_order(const void *a, const void *b, void *ctx)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const cp_graph *g = ctx;
	if (g->level[x] != g->level[y])
		return g->level[x] < g->level[y] ? -1 : 1;
	return cmp_size(&g->members[g->comp_start[x]], &g->members[g->comp_start[y]]);
}

/* Tarjan emits components in reverse topological order (a component after
 * everything it reaches), so levels are computed in one pass in that order. */
static void compute_levels(const cp_assets *t, cp_graph *g)
{
	g->nlevels = 0;
	for (size_t c = 0; c < g->ncomp; c++) {
		unsigned lv = 0;
		for (size_t m = g->comp_start[c]; m < g->comp_start[c + 1]; m++) {
			size_t v = g->members[m];
			const cp_refs *refs = &t->v[v].refs;
			for (size_t k = 0; k < refs->n; k++) {
				long w = refs->v[k].target;
				if (w < 0)
					continue;
				size_t d = (size_t)g->comp_of[w];
				if (d == c)
					g->cyclic[c] = 1;
				else if (g->level[d] + 1 > lv)
					lv = g->level[d] + 1;
			}
		}
		g->level[c] = lv;
		if (g->comp_start[c + 1] - g->comp_start[c] > 1)
			g->cyclic[c] = 1;
		if (lv + 1 > g->nlevels)
			g->nlevels = lv + 1;
	}
}

void cp_graph_build(const cp_assets *t, cp_graph *g)
{
	size_t n = t->n;
	memset(g, 0, sizeof *g);
	g->comp_of = cp_xcalloc(n + 1, sizeof *g->comp_of);
	g->comp_start = cp_xcalloc(n + 2, sizeof *g->comp_start);
	g->members = cp_xcalloc(n + 1, sizeof *g->members);
	struct tarjan s = {.t = t, .g = g};
	s.index = cp_xmalloc((n + 1) * sizeof *s.index);
	s.low = cp_xmalloc((n + 1) * sizeof *s.low);
	s.on_stack = cp_xcalloc(n + 1, 1);
	s.stack = cp_xmalloc((n + 1) * sizeof *s.stack);
	struct frame *fs = cp_xmalloc((n + 1) * sizeof *fs);
	for (size_t i = 0; i < n; i++)
		s.index[i] = -1;
	for (size_t i = 0; i < n; i++)
		if (s.index[i] < 0)
			strongconnect(&s, i, fs);
	free(fs);
	free(s.index);
	free(s.low);
	free(s.on_stack);
	free(s.stack);

	for (size_t c = 0; c < g->ncomp; c++)
		qsort(g->members + g->comp_start[c], g->comp_start[c + 1] - g->comp_start[c],
		      sizeof *g->members, cmp_size);
	g->cyclic = cp_xcalloc(g->ncomp + 1, sizeof *g->cyclic);
	g->level = cp_xcalloc(g->ncomp + 1, sizeof *g->level);
	compute_levels(t, g);

	g->order = cp_xmalloc((g->ncomp + 1) * sizeof *g->order);
	for (size_t c = 0; c < g->ncomp; c++)
		g->order[c] = c;
	qsort_r(g->order, g->ncomp, sizeof *g->order, cmp_order, g);
	g->level_start = cp_xcalloc(g->nlevels + 2, sizeof *g->level_start);
	for (size_t i = 0, l = 0; l <= g->nlevels; l++) {
		while (i < g->ncomp && g->level[g->order[i]] < l)
			i++;
		g->level_start[l] = i;
	}
	g->level_start[g->nlevels] = g->ncomp;
}

void cp_graph_free(cp_graph *g)
{
	free(g->comp_of);
	free(g->comp_start);
	free(g->members);
	free(g->cyclic);
	free(g->level);
	free(g->order);
	free(g->level_start);
	memset(g, 0, sizeof *g);
}
