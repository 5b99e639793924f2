/*
 * fingerprint.c - cp_fingerprint: resolve, order, rewrite, hash, name.
 *
 * Work goes level by level through the condensation of the reference graph
 * (graph.c): when a level starts, every asset it references is named, so its
 * components are rewritten and hashed in parallel (lib/pool.h) with no lock:
 * each component writes only its own assets and reads only lower levels.
 * Binary assets are hashed by streaming the file; text assets by hashing
 * their final bytes (`out` when a reference was rewritten or dropped, else
 * `text` itself, never copied).  The result does not depend on --jobs.
 *
 * A cycle (a component with several members, or one that references itself)
 * cannot be named from its final bytes, since they contain the names.  Its
 * members share one combined hash H, defined as
 *     H = MD5( for each member m, in logical-path order:
 *                m.logical "\0" decimal(len(P_m)) "\0" P_m )
 * where P_m is m's text with every reference outside the cycle rewritten to
 * its final name and every reference into the cycle left exactly as the
 * author wrote it.  Every member is named name.<first 12 hex of H>.ext, then
 * rewritten once more with the references into the cycle pointing at those
 * names.  H changes whenever any member, or anything the cycle references,
 * changes; the path and length framing keep two different splits of the same
 * bytes apart.  For cycle members `md5` is still the MD5 of the final bytes
 * (what S3 reports as ETag); only the name comes from H.  Django cannot
 * process cycles at all (it gives up after five passes), so there is nothing
 * to be compatible with here.  (A generated source map referenced from a
 * cycle member is not yet named when P_m is computed; that reference is left
 * as written in P_m too.)
 *
 * Generated source maps (CP_ASSET_GENERATED, --source-map) are the one
 * exception to "dependencies first": a map's bytes depend on its producer's
 * rewrites (columns move) and the producer names the map.  So the level loop
 * skips them, and the producer, just before its own splice, shifts the map
 * by the edits it is about to make (sourcemap/shift.c), hashes and names it.
 */
#include "fingerprint/fingerprint_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fp_run {
	cp_assets *t;
	const cp_fingerprint_opts *o;
	cp_diags *d;
	cp_graph *g;
	const size_t *comps; /* this level's components */
};

static int needs_rewrite(const cp_asset *a)
{
	for (size_t k = 0; k < a->refs.n; k++)
		if (a->refs.v[k].target != CP_TARGET_KEEP)
			return 1;
	return 0;
}

static int compact_for(const struct fp_run *r, const cp_asset *a)
{
	return r->o->compact_urls && a->kind == CP_ASSET_CSS && (a->flags & CP_ASSET_MINIFIED);
}

/* The generated source map of a (see CP_ASSET_GENERATED), or -1. */
static long generated_map(const struct fp_run *r, const cp_asset *a)
{
	for (size_t k = 0; k < a->refs.n; k++) {
		long m = a->refs.v[k].target;
		if (a->refs.v[k].kind != CP_REF_SOURCEMAP || m < 0)
			continue;
		const cp_asset *map = &r->t->v[m];
		size_t n = strlen(a->logical);
		if ((map->flags & CP_ASSET_GENERATED) && !map->hashed &&
		    !strncmp(map->logical, a->logical, n) && !strcmp(map->logical + n, ".map"))
			return m;
	}
	return -1;
}

/* Shifts, hashes and names a's generated map m by the edits that rewriting
 * a's other references will make. */
static void finish_generated_map(struct fp_run *r, cp_asset *a, long m)
{
	cp_asset *map = &r->t->v[m];
	cp_map_edit *e = cp_xcalloc(a->refs.n + 1, sizeof *e);
	size_t ne = 0, at = 0;
	unsigned line = 0, col = 0;
	cp_buf tmp = CP_BUF_INIT;
	for (size_t k = 0; k < a->refs.n; k++) {
		const cp_ref *ref = &a->refs.v[k];
		long tg = ref->target;
		if (tg == m || tg == CP_TARGET_KEEP || ref->start < at || ref->end > a->text.len ||
		    (tg >= 0 && !r->t->v[tg].hashed))
			continue;
		for (; at < ref->start; at++, col++)
			if (a->text.data[at] == '\n')
				line++, col = (unsigned)-1;
		unsigned scol = col;
		int same_line = !memchr(a->text.data + ref->start, '\n', ref->end - ref->start);
		if (!same_line)
			continue; /* a rewrite never spans lines in minified CSS */
		cp_buf_clear(&tmp);
		if (tg >= 0)
			cp_fp_replacement(ref, r->t->v[tg].hashed, a->kind, compact_for(r, a),
					  &tmp);
		e[ne++] = (cp_map_edit){line, scol, scol + (unsigned)(ref->end - ref->start),
					(long)tmp.len - (long)(ref->end - ref->start)};
	}
	cp_buf_free(&tmp);
	if (cp_srcmap_shift(&map->text, e, ne))
		cp_diags_add(r->d, CP_DIAG_WARN, map->logical, 0, 0,
			     "cannot read the generated source map: columns not adjusted");
	free(e);
	cp_md5(map->text.data ? map->text.data : "", map->text.len, map->md5);
	map->hashed = cp_hashed_name(map->logical, map->md5);
}

static void finish_text(struct fp_run *r, cp_asset *a)
{
	long m = generated_map(r, a);
	if (m >= 0)
		finish_generated_map(r, a, m);
	cp_buf_clear(&a->out);
	if (needs_rewrite(a)) {
		cp_fp_splice(r->t, a, r->g, -1, compact_for(r, a), &a->out);
		a->flags |= CP_ASSET_REWRITTEN;
		cp_md5(a->out.data, a->out.len, a->md5);
	} else {
		a->flags &= ~(unsigned)CP_ASSET_REWRITTEN;
		cp_md5(a->text.data ? a->text.data : "", a->text.len, a->md5);
	}
}

static void do_single(struct fp_run *r, size_t v)
{
	cp_asset *a = &r->t->v[v];
	if (a->flags & CP_ASSET_GENERATED)
		return; /* named by its producer, a level above */
	if (a->kind == CP_ASSET_OTHER && (a->flags & CP_ASSET_MD5_KNOWN)) {
		/* an unchanged file: its MD5 is known without reading it */
	} else if (a->kind == CP_ASSET_OTHER) {
		cp_error e = {0};
		if (cp_md5_file(a->source, 0, UINT64_MAX, a->md5, &e)) {
			cp_diags_add(r->d, CP_DIAG_ERROR, e.path, 0, 0, "%s", e.msg);
			return;
		}
	} else {
		finish_text(r, a);
	}
	a->hashed = cp_hashed_name(a->logical, a->md5);
}

static void do_cycle(struct fp_run *r, size_t c)
{
	cp_graph *g = r->g;
	cp_md5_ctx h;
	cp_md5_init(&h);
	cp_buf p = CP_BUF_INIT;
	for (size_t m = g->comp_start[c]; m < g->comp_start[c + 1]; m++) {
		cp_asset *a = &r->t->v[g->members[m]];
		cp_buf_clear(&p);
		cp_fp_splice(r->t, a, g, (long)c, compact_for(r, a), &p);
		char len[32];
		int n = snprintf(len, sizeof len, "%zu", p.len);
		cp_md5_update(&h, a->logical, strlen(a->logical) + 1);
		cp_md5_update(&h, len, (size_t)n + 1);
		cp_md5_update(&h, p.data ? p.data : "", p.len);
	}
	cp_buf_free(&p);
	unsigned char hash[16];
	cp_md5_final(&h, hash);
	for (size_t m = g->comp_start[c]; m < g->comp_start[c + 1]; m++) {
		cp_asset *a = &r->t->v[g->members[m]];
		a->hashed = cp_hashed_name(a->logical, hash);
	}
	for (size_t m = g->comp_start[c]; m < g->comp_start[c + 1]; m++)
		finish_text(r, &r->t->v[g->members[m]]);
}

static void do_component(void *ctx, size_t i)
{
	struct fp_run *r = ctx;
	size_t c = r->comps[i];
	if (r->g->cyclic[c])
		do_cycle(r, c);
	else
		do_single(r, r->g->members[r->g->comp_start[c]]);
}

static void defaults(cp_fingerprint_opts *o)
{
	if (!o->static_url || !*o->static_url)
		o->static_url = "/static/";
	if (o->jobs < 1)
		o->jobs = 1;
}

int cp_fingerprint_check(cp_assets *t, const cp_fingerprint_opts *o, cp_diags *d)
{
	cp_fingerprint_opts opts = *o;
	defaults(&opts);
	return cp_fp_resolve(t, &opts, d);
}

/* After cp_fingerprint_check: warnings were given on the authors' text, so
 * only an error that minification somehow introduced is passed on. */
static int resolve_again(cp_assets *t, const cp_fingerprint_opts *o, cp_diags *d)
{
	cp_diags scratch;
	cp_diags_init(&scratch);
	int rc = cp_fp_resolve(t, o, &scratch);
	for (size_t i = 0; i < scratch.n; i++)
		if (scratch.v[i].level == CP_DIAG_ERROR)
			cp_diags_add(d, CP_DIAG_ERROR, scratch.v[i].path, scratch.v[i].line,
				     scratch.v[i].col, "%s (after minification)", scratch.v[i].msg);
	cp_diags_free(&scratch);
	return rc;
}

int cp_fingerprint(cp_assets *t, const cp_fingerprint_opts *o, cp_diags *d)
{
	cp_fingerprint_opts opts = *o;
	defaults(&opts);
	if (opts.checked ? resolve_again(t, &opts, d) : cp_fp_resolve(t, &opts, d))
		return CP_ERR_BUILD;
	cp_graph g;
	cp_graph_build(t, &g);
	for (size_t i = 0; i < t->n; i++)
		t->v[i].scc = g.comp_of[i];
	struct fp_run r = {.t = t, .o = &opts, .d = d, .g = &g};
	size_t errors = d->nerrors;
	for (unsigned l = 0; l < g.nlevels && d->nerrors == errors; l++) {
		r.comps = g.order + g.level_start[l];
		cp_parallel_for(opts.jobs, g.level_start[l + 1] - g.level_start[l], do_component,
				&r);
	}
	cp_graph_free(&g);
	for (size_t i = 0; i < t->n; i++) /* a generated map its producer did not name */
		if (!t->v[i].hashed && d->nerrors == errors) {
			cp_asset *a = &t->v[i];
			cp_md5(a->text.data ? a->text.data : "", a->text.len, a->md5);
			a->hashed = cp_hashed_name(a->logical, a->md5);
		}
	if (d->nerrors > errors) {
		for (size_t i = 0; i < t->n; i++) {
			free(t->v[i].hashed);
			t->v[i].hashed = NULL;
		}
		return CP_ERR_BUILD;
	}
	return 0;
}
