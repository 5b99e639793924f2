/*
 * css_min_merge.c - joining a style rule with the one written just before
 * it, in the output buffer, after both were minified.
 *
 * Two joins, both only between rules that stand next to each other with
 * nothing between them (no other rule, comment or at-rule), at the same
 * nesting depth, so that no rule could sit between them in the cascade:
 *
 *  - same block:    "A{X}B{X}" -> "A,B{X}", when both selectors are ones
 *    every browser knows (a selector list is dropped whole when one member
 *    is invalid: see css_min.c's mergeable);
 *  - same selector: "A{X}A{Y}" -> "A{X;Y}", for any selector: the
 *    declarations keep their order, the selector its validity, and the
 *    later block still wins where they overlap.  Font Awesome's shims and
 *    normalize-style resets repeat selectors this way.  The joined rule
 *    may then have the same block as the rule before it, and joins it too.
 *
 * Blocks holding nested rules are never joined: a nested rule's & stands
 * for the whole list (whose specificity is its most specific member's), and
 * declarations after a nested rule are a group of their own.  Keyframe
 * blocks are not joined either (a repeated keyframe selector is its own
 * keyframe in older engines).
 *
 * Source map segments follow the bytes they point at: those of the text that
 * goes are dropped, those after it move.
 */
#include "minify/css/css_min.h"

#include <stdlib.h>
#include <string.h>

static const char *out_at(cssmin *m, size_t off)
{
	return m->out->data + off;
}

/* b was written right after a, at the same depth. */
static int adjacent(const struct css_rule *a, const struct css_rule *b)
{
	return a->end && b->end && a->end == b->start && a->depth == b->depth;
}

static int has_nested(cssmin *m, const struct css_rule *r)
{
	return memchr(out_at(m, r->sel_end + 1), '{', r->end - r->sel_end - 1) != NULL;
}

static int same_block(cssmin *m, const struct css_rule *a, const struct css_rule *b)
{
	size_t n = b->end - b->sel_end;
	return a->end - a->sel_end == n && !memcmp(out_at(m, a->sel_end), out_at(m, b->sel_end), n);
}

static int same_selector(cssmin *m, const struct css_rule *a, const struct css_rule *b)
{
	size_t n = b->sel_end - b->start;
	return a->sel_end - a->start == n && !memcmp(out_at(m, a->start), out_at(m, b->start), n);
}

/* Output segments at or after out offset from move by delta; those in
 * [gone, from) are dropped.  Segments are in output order. */
static void move_segments(cssmin *m, size_t gone, size_t from, size_t delta_neg, size_t delta_pos)
{
	size_t w = 0;
	for (size_t k = 0; k < m->nseg; k++) {
		size_t at = m->seg[k].out + m->base;
		if (at >= gone && at < from)
			continue;
		if (at >= from)
			m->seg[k].out = m->seg[k].out - delta_neg + delta_pos;
		m->seg[w++] = m->seg[k];
	}
	m->nseg = w;
}

/* "A{X}B{X}" -> "A,B{X}": b, the last thing written, goes; its selector
 * joins a's list. */
static void join_selectors(cssmin *m, struct css_rule *a, const struct css_rule *b)
{
	size_t sl = b->sel_end - b->start;
	char *sel = cp_xstrndup(out_at(m, b->start), sl);
	char *d = m->out->data;
	memmove(d + a->sel_end + 1 + sl, d + a->sel_end, a->end - a->sel_end);
	d[a->sel_end] = ',';
	memcpy(d + a->sel_end + 1, sel, sl);
	free(sel);
	/* b's segments go with it; a's block's move right by the selector */
	move_segments(m, b->start, SIZE_MAX, 0, 0);
	move_segments(m, SIZE_MAX, a->sel_end, 0, 1 + sl);
	a->sel_end += 1 + sl;
	a->end += 1 + sl;
	m->out->len = a->end;
	d[m->out->len] = 0;
}

/* "A{X}A{Y}" -> "A{X;Y}": b, the last thing written, gives a its block's
 * contents. */
/* 1 when the block text d[start, end) ends with a ';' or is empty, past
 * any comments kept at its end ("x:1;/\*! legal *\/"): Y then follows
 * without another ';', which a second pass would drop (the output would not
 * be idempotent). */
static int ends_closed(const char *d, size_t start, size_t end)
{
	while (end >= start + 4 && d[end - 1] == '/' && d[end - 2] == '*') {
		size_t k = end - 2;
		while (k >= start + 2 && !(d[k - 2] == '/' && d[k - 1] == '*'))
			k--;
		if (k < start + 2)
			return 0;
		end = k - 2;
	}
	return end == start || d[end - 1] == ';';
}

static void join_blocks(cssmin *m, struct css_rule *a, const struct css_rule *b)
{
	char *d = m->out->data;
	size_t from = b->sel_end + 1; /* Y */
	size_t shift = from - a->end;
	if (ends_closed(d, a->sel_end + 1, a->end - 1))
		shift++; /* Y takes the place of a's '}' */
	else
		d[a->end - 1] = ';';
	memmove(d + from - shift, d + from, b->end - from);
	move_segments(m, b->start, from, shift, 0);
	a->end = b->end - shift;
	m->out->len = a->end;
	d[m->out->len] = 0;
}

void css_merge_rule(cssmin *m, size_t before)
{
	struct css_rule *pp = &m->pprev, *p = &m->prev, *q = &m->q;
	if (q->start == before && adjacent(p, q) && p->style && q->style && !has_nested(m, p) &&
	    !has_nested(m, q) && p->end - p->sel_end > 2 && q->end - q->sel_end > 2 &&
	    same_selector(m, p, q)) {
		join_blocks(m, p, q);
		if (adjacent(pp, p) && pp->mergeable && p->mergeable && same_block(m, pp, p)) {
			join_selectors(m, pp, p);
			*p = *pp;
			pp->end = 0;
		}
		return;
	}
	if (q->start == before && adjacent(p, q) && p->mergeable && q->mergeable &&
	    same_block(m, p, q) && !has_nested(m, q)) {
		join_selectors(m, p, q);
		return;
	}
	*pp = *p;
	*p = *q;
}
