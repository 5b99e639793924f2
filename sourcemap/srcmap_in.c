/*
 * srcmap_in.c - reading an input Source Map v3 and composing it with ours;
 * see sourcemap.h.
 *
 * The input map is decoded once into a flat array of segments (20 bytes
 * each) with a per-line index, so each lookup is a binary search on one
 * line.  Segments without a source (one-field segments) are kept as gaps: a
 * token that falls in one maps to nothing, as the input map says.  The
 * composed map takes the input's sources, sourcesContent and names as they
 * are; sourceRoot is folded into each source so the output map stands alone.
 */
#include "sourcemap/sourcemap.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int seg_cmp(const void *a, const void *b)
{
	const cp_srcmap_seg *x = a, *y = b;
	return x->gen_col < y->gen_col ? -1 : x->gen_col > y->gen_col;
}

static int decode(cp_srcmap_in *in, const char *p, const char *end, char *why, size_t whysz)
{
	size_t cap = 64, lcap = 64;
	in->segs = cp_xmalloc(cap * sizeof *in->segs);
	in->lines = cp_xmalloc(lcap * sizeof *in->lines);
	in->lines[0] = 0;
	long col = 0, src = 0, sline = 0, scol = 0, name = 0;
	int sorted = 1;
	while (p <= end) {
		if (p == end || *p == ';') {
			if (!sorted)
				qsort(in->segs + in->lines[in->nlines],
				      in->nsegs - in->lines[in->nlines], sizeof *in->segs, seg_cmp);
			sorted = 1;
			if (in->nlines + 2 > lcap)
				in->lines = cp_xrealloc(in->lines, (lcap *= 2) * sizeof *in->lines);
			in->lines[++in->nlines] = in->nsegs;
			col = 0;
			if (p == end)
				break;
			p++;
			continue;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		long f[5] = {0};
		int nf = 0;
		while (p < end && *p != ',' && *p != ';') {
			if (nf == 5 || cp_vlq_decode(&p, end, &f[nf]))
				goto bad;
			nf++;
		}
		col += f[0];
		if (nf != 1 && nf < 4)
			goto bad;
		if (nf >= 4)
			src += f[1], sline += f[2], scol += f[3];
		if (nf == 5)
			name += f[4];
		/* each field is kept in 32 bits; checked at every step, the sums
		 * also never overflow a long (a VLQ is at most 2^60) */
		if (col < 0 || src < 0 || sline < 0 || scol < 0 || name < 0 || col > UINT_MAX ||
		    src >= CP_SRCMAP_GAP || sline > UINT_MAX || scol > UINT_MAX || name > UINT_MAX)
			goto bad;
		if (in->nsegs == cap)
			in->segs = cp_xrealloc(in->segs, (cap *= 2) * sizeof *in->segs);
		cp_srcmap_seg *s = &in->segs[in->nsegs++];
		if (nf == 1) /* no source: a gap, kept so that what falls in it maps to nothing */
			*s = (cp_srcmap_seg){(unsigned)col, CP_SRCMAP_GAP, 0, 0, -1};
		else
			*s = (cp_srcmap_seg){(unsigned)col, (unsigned)src, (unsigned)sline,
					     (unsigned)scol, nf == 5 ? name : -1};
		if (in->nsegs > in->lines[in->nlines] + 1 && s[-1].gen_col > s->gen_col)
			sorted = 0;
	}
	return 0;
bad:
	snprintf(why, whysz, "malformed \"mappings\" in the input source map");
	return -1;
}

int cp_srcmap_in_parse(cp_srcmap_in *in, const char *text, size_t len, char *why, size_t whysz)
{
	memset(in, 0, sizeof *in);
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	if (!j || !json_is_object(j)) {
		snprintf(why, whysz, "input source map is not JSON: %s",
			 j ? "not an object" : je.text);
		json_decref(j);
		return -1;
	}
	in->json = j;
	if (json_object_get(j, "sections")) {
		snprintf(why, whysz, "indexed source maps (\"sections\") are not supported");
		return -1;
	}
	json_t *v = json_object_get(j, "version");
	if (!json_is_integer(v) || json_integer_value(v) != 3) {
		snprintf(why, whysz, "input source map is not version 3");
		return -1;
	}
	json_t *m = json_object_get(j, "mappings");
	if (!json_is_string(m) || !json_is_array(json_object_get(j, "sources"))) {
		snprintf(why, whysz, "input source map has no \"mappings\" or \"sources\"");
		return -1;
	}
	const char *s = json_string_value(m);
	return decode(in, s, s + json_string_length(m), why, whysz);
}

const cp_srcmap_seg *cp_srcmap_in_find(const cp_srcmap_in *in, unsigned line, unsigned col)
{
	if (line >= in->nlines)
		return NULL;
	size_t lo = in->lines[line], hi = in->lines[line + 1];
	const cp_srcmap_seg *best = NULL;
	while (lo < hi) { /* last segment with gen_col <= col */
		size_t mid = lo + (hi - lo) / 2;
		if (in->segs[mid].gen_col <= col) {
			best = &in->segs[mid];
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return best && best->src_idx == CP_SRCMAP_GAP ? NULL : best;
}

void cp_srcmap_json_composed(const cp_srcmap *m, const char *file, const cp_srcmap_in *in,
			     cp_buf *out)
{
	json_t *j = in->json, *o = json_object();
	json_object_set_new(o, "version", json_integer(3));
	if (file)
		json_object_set_new(o, "file", json_string(file));
	const char *root = json_string_value(json_object_get(j, "sourceRoot"));
	json_t *srcs = json_array(), *in_srcs = json_object_get(j, "sources");
	size_t i;
	json_t *v;
	json_array_foreach(in_srcs, i, v)
	{
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		if (root && *root) {
			size_t rl = strlen(root);
			char *full =
			    cp_xasprintf("%s%s%s", root, root[rl - 1] == '/' ? "" : "/", s);
			json_array_append_new(srcs, json_string(full));
			free(full);
		} else {
			json_array_append_new(srcs, json_string(s));
		}
	}
	json_object_set_new(o, "sources", srcs);
	json_t *content = json_object_get(j, "sourcesContent");
	if (json_is_array(content))
		json_object_set(o, "sourcesContent", content);
	json_t *names = json_object_get(j, "names");
	json_object_set_new(o, "names", json_is_array(names) ? json_incref(names) : json_array());
	cp_srcmap_dump(o, m, out);
}

void cp_srcmap_in_free(cp_srcmap_in *in)
{
	json_decref(in->json);
	free(in->segs);
	free(in->lines);
	memset(in, 0, sizeof *in);
}
