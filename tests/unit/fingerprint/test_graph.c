/*
 * test_graph.c - processing order: components, cycles and levels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint/fingerprint_int.h"

/* n assets named a0, a1...; edges as "from>to" pairs. */
static void make(cp_assets *t, size_t n, const int (*edges)[2], size_t nedges)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < n; i++) {
		cp_asset *a = cp_assets_add(t);
		a->logical = cp_xasprintf("a%04zu", i);
		a->kind = CP_ASSET_CSS;
	}
	for (size_t e = 0; e < nedges; e++) {
		cp_ref r = {.url = cp_xstrdup("x"), .target = edges[e][1]};
		cp_refs_push(&t->v[edges[e][0]].refs, &r);
	}
}

static unsigned level_of(const cp_graph *g, size_t v)
{
	return g->level[g->comp_of[v]];
}

static void test_chain_levels(void **s)
{
	(void)s;
	/* 0 -> 1 -> 2, 3 -> 2, 4 alone; external refs (-1) do not count */
	const int e[][2] = {{0, 1}, {1, 2}, {3, 2}, {4, -1}};
	cp_assets t;
	make(&t, 5, e, 4);
	cp_graph g;
	cp_graph_build(&t, &g);
	assert_int_equal(g.ncomp, 5);
	assert_int_equal(level_of(&g, 2), 0);
	assert_int_equal(level_of(&g, 4), 0);
	assert_int_equal(level_of(&g, 1), 1);
	assert_int_equal(level_of(&g, 3), 1);
	assert_int_equal(level_of(&g, 0), 2);
	assert_int_equal(g.nlevels, 3);
	/* every dependency sits in a lower level than its user */
	for (size_t v = 0; v < t.n; v++)
		for (size_t k = 0; k < t.v[v].refs.n; k++)
			if (t.v[v].refs.v[k].target >= 0)
				assert_true(level_of(&g, (size_t)t.v[v].refs.v[k].target) <
					    level_of(&g, v));
	/* level 0 lists components by first member: 2 then 4 */
	assert_int_equal(g.level_start[1] - g.level_start[0], 2);
	assert_int_equal(g.members[g.comp_start[g.order[0]]], 2);
	assert_int_equal(g.members[g.comp_start[g.order[1]]], 4);
	for (size_t c = 0; c < g.ncomp; c++)
		assert_false(g.cyclic[c]);
	cp_graph_free(&g);
	cp_assets_free(&t);
}

static void test_cycles(void **s)
{
	(void)s;
	/* 1 <-> 2 (cycle), 0 -> 1, 2 -> 3, 4 -> 4 (self), 5 -> 4 */
	const int e[][2] = {{1, 2}, {2, 1}, {0, 1}, {2, 3}, {4, 4}, {5, 4}};
	cp_assets t;
	make(&t, 6, e, 6);
	cp_graph g;
	cp_graph_build(&t, &g);
	assert_int_equal(g.ncomp, 5);
	assert_int_equal(g.comp_of[1], g.comp_of[2]);
	long c12 = g.comp_of[1];
	assert_true(g.cyclic[c12]);
	assert_int_equal(g.comp_start[c12 + 1] - g.comp_start[c12], 2);
	/* members sorted by index (= path order) */
	assert_int_equal(g.members[g.comp_start[c12]], 1);
	assert_int_equal(g.members[g.comp_start[c12] + 1], 2);
	assert_true(g.cyclic[g.comp_of[4]]);
	assert_false(g.cyclic[g.comp_of[0]]);
	assert_false(g.cyclic[g.comp_of[3]]);
	assert_int_equal(level_of(&g, 3), 0);
	assert_int_equal(level_of(&g, 1), 1);
	assert_int_equal(level_of(&g, 0), 2);
	assert_int_equal(level_of(&g, 4), 0);
	assert_int_equal(level_of(&g, 5), 1);
	cp_graph_free(&g);
	cp_assets_free(&t);
}

static void test_long_chain_no_recursion(void **s)
{
	(void)s;
	/* 200000 imports in a row: an recursive Tarjan would overflow the stack */
	size_t n = 200000;
	int(*e)[2] = calloc(n, sizeof *e);
	for (size_t i = 0; i + 1 < n; i++)
		e[i][0] = (int)i, e[i][1] = (int)i + 1;
	e[n - 1][0] = (int)(n - 1), e[n - 1][1] = 0; /* and one big cycle */
	cp_assets t;
	make(&t, n, (const int(*)[2])e, n);
	cp_graph g;
	cp_graph_build(&t, &g);
	assert_int_equal(g.ncomp, 1);
	assert_true(g.cyclic[0]);
	cp_graph_free(&g);
	/* without the closing edge: n levels */
	t.v[n - 1].refs.n = 0;
	cp_graph_build(&t, &g);
	assert_int_equal(g.ncomp, n);
	assert_int_equal(g.nlevels, n);
	assert_int_equal(level_of(&g, 0), n - 1);
	cp_graph_free(&g);
	t.v[n - 1].refs.n = 1;
	cp_assets_free(&t);
	free(e);
}

static void test_empty(void **s)
{
	(void)s;
	cp_assets t = {0};
	cp_graph g;
	cp_graph_build(&t, &g);
	assert_int_equal(g.ncomp, 0);
	assert_int_equal(g.nlevels, 0);
	cp_graph_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_levels),
	    cmocka_unit_test(test_cycles),
	    cmocka_unit_test(test_long_chain_no_recursion),
	    cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
