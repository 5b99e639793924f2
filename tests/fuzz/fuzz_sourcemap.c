/*
 * fuzz_sourcemap.c - input source maps (cp_srcmap_in_parse and its VLQ
 * decoder), the maps a build reads beside its inputs to compose with its
 * own; a tool upstream or a hand edit can leave anything in them.
 *
 * Asserted on every map that parses:
 *  - each generated line's segments are sorted by column, every source
 *    index is a gap or less than 2^32-1, and cp_srcmap_in_find returns, for
 *    any (line, column), a segment of that line at or before the column;
 *  - round trip: the decoded segments written again (cp_srcmap_add_full,
 *    cp_srcmap_json_composed, which also carries sources, sourceRoot,
 *    sourcesContent and names) parse to the same segments, when the map
 *    holds no gap (one-field segment), which the writer cannot express;
 *  - the composed map is JSON that cp_srcmap_in_parse accepts.
 * cp_srcmap_shift, which re-encodes a generated map, runs on the input too.
 */
#include "sourcemap/sourcemap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int gap_at(const cp_srcmap_in *in, size_t line, unsigned col)
{
	for (size_t i = in->lines[line]; i < in->lines[line + 1]; i++)
		if (in->segs[i].gen_col == col && in->segs[i].src_idx == CP_SRCMAP_GAP)
			return 1;
	return 0;
}

static void check_find(const cp_srcmap_in *in)
{
	for (size_t l = 0; l < in->nlines; l++) {
		for (size_t i = in->lines[l]; i < in->lines[l + 1]; i++) {
			const cp_srcmap_seg *s = &in->segs[i];
			if (i > in->lines[l] && s[-1].gen_col > s->gen_col)
				abort();
			const cp_srcmap_seg *f = cp_srcmap_in_find(in, (unsigned)l, s->gen_col);
			if (!f && s->src_idx != CP_SRCMAP_GAP && !gap_at(in, l, s->gen_col))
				abort(); /* only a gap at the same column hides it */
			if (f && (f < in->segs + in->lines[l] || f >= in->segs + in->lines[l + 1] ||
				  f->gen_col > s->gen_col))
				abort();
		}
	}
	(void)cp_srcmap_in_find(in, (unsigned)in->nlines, 0);
	(void)cp_srcmap_in_find(in, 0, 0xFFFFFFFFu);
}

static int has_gap(const cp_srcmap_in *in)
{
	for (size_t i = 0; i < in->nsegs; i++)
		if (in->segs[i].src_idx == CP_SRCMAP_GAP)
			return 1;
	return 0;
}

static void round_trip(const cp_srcmap_in *in)
{
	cp_srcmap m;
	cp_srcmap_init(&m);
	for (size_t l = 0; l < in->nlines; l++)
		for (size_t i = in->lines[l]; i < in->lines[l + 1]; i++) {
			const cp_srcmap_seg *s = &in->segs[i];
			cp_srcmap_add_full(&m, (unsigned)l, s->gen_col, s->src_idx, s->src_line,
					   s->src_col, s->name);
		}
	cp_buf out = CP_BUF_INIT;
	cp_srcmap_json_composed(&m, "out.js", in, &out);
	cp_srcmap_in back;
	char why[128];
	if (cp_srcmap_in_parse(&back, out.data, out.len, why, sizeof why))
		abort();
	/* trailing lines without segments are not written */
	size_t used = in->nlines;
	while (used && in->lines[used - 1] == in->lines[used])
		used--;
	if (back.nsegs != in->nsegs || back.nlines < used)
		abort();
	for (size_t l = 0; l < used; l++)
		if (back.lines[l + 1] != in->lines[l + 1])
			abort();
	for (size_t i = 0; i < in->nsegs; i++) {
		const cp_srcmap_seg *a = &in->segs[i], *b = &back.segs[i];
		if (a->gen_col != b->gen_col || a->src_idx != b->src_idx ||
		    a->src_line != b->src_line || a->src_col != b->src_col || a->name != b->name)
			abort();
	}
	cp_srcmap_in_free(&back);
	cp_buf_free(&out);
	cp_srcmap_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	cp_srcmap_in in;
	char why[128];
	if (!cp_srcmap_in_parse(&in, s, size, why, sizeof why)) {
		check_find(&in);
		if (!has_gap(&in))
			round_trip(&in);
		cp_srcmap m;
		cp_srcmap_init(&m);
		cp_srcmap_add(&m, 0, 0, 0, 0);
		cp_buf out = CP_BUF_INIT;
		cp_srcmap_json_composed(&m, NULL, &in, &out);
		cp_srcmap_in back;
		if (cp_srcmap_in_parse(&back, out.data, out.len, why, sizeof why))
			abort();
		cp_srcmap_in_free(&back);
		cp_buf_free(&out);
		cp_srcmap_free(&m);
	}
	cp_srcmap_in_free(&in);
	cp_buf map = CP_BUF_INIT;
	cp_buf_append(&map, s, size);
	cp_map_edit e[2] = {{0, 2, 5, 7}, {1, 0, 1, -1}};
	(void)cp_srcmap_shift(&map, e, 2);
	cp_buf_free(&map);
	return 0;
}
