/*
 * css_min_window.c - the CSS minifier's token window.
 *
 * Tokens are lexed on demand into a window rather than all at once: the
 * array of every token was most of the minifier's memory (12 bytes per
 * token, about 3 tokens per 10 input bytes).  The walk needs to look ahead
 * only within one top-level construct (a rule, an at-rule with its block),
 * so before each one the rule loop calls css_window_fill, which drops the
 * tokens already walked and lexes until the whole construct is in the
 * window.  Memory is then bounded by the largest top-level construct (an
 * @media block, usually), not by the file.  t[n] is always an EOF token;
 * until the input is exhausted it carries CSS_WINDOW_END, and the fill makes
 * sure the walk never reaches it.
 *
 * The price is one extra css_find_stop pass over each top-level construct
 * (to find its end), which the small, cache-resident window pays back.
 */
#include "minify/css/css_min.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CSS_LEX_BATCH 256 /* tokens lexed per refill, at least */

/* The character that closes a block this token opens (the spec's "consume a
 * simple block": only the mirror token closes it), or 0. */
static inline char closer_of(cp_css_type ty)
{
	switch (ty) {
	case CP_CSS_FUNCTION:
	case CP_CSS_LPAREN:
		return ')';
	case CP_CSS_LBRACKET:
		return ']';
	case CP_CSS_LBRACE:
		return '}';
	default:
		return 0;
	}
}

static inline int is_closer(cp_css_type ty)
{
	return ty == CP_CSS_RPAREN || ty == CP_CSS_RBRACKET || ty == CP_CSS_RBRACE;
}

/* First token from i that has a type in stops at nesting depth 0.  Blocks
 * nest as the spec's "consume a simple block" does: only the mirror token
 * closes one, anything else inside is a plain token. */
size_t css_find_stop(cssmin *m, size_t i, unsigned stops)
{
	char stack[256];
	size_t depth = 0, over = 0; /* over: nesting beyond the stack, counted loosely */
	for (;; i++) {
		cp_css_type ty = m->t[i].type;
		if (ty == CP_CSS_EOF)
			return i;
		if (depth == 0 && (stops & STOP(ty)))
			return i;
		if (is_closer(ty)) {
			if (over)
				over--;
			else if (depth && stack[depth - 1] == m->s[m->t[i].start])
				depth--;
			continue;
		}
		char close = closer_of(ty);
		if (!close)
			continue;
		if (depth < sizeof stack)
			stack[depth++] = close;
		else
			over++;
	}
}

void css_window_init(cssmin *m)
{
	cp_css_lex_init(&m->lex, m->s, m->len);
	m->cap = CSS_LEX_BATCH + 1;
	m->t = cp_xmalloc(m->cap * sizeof *m->t);
	memset(m->t, 0, sizeof *m->t);
	m->t[0].flags = CSS_WINDOW_END; /* nothing lexed yet */
	m->n = 0;
}

/* Lexes at least want more tokens (fewer at the end of the input). */
static void lex_more(cssmin *m, size_t want)
{
	if (!(m->t[m->n].flags & CSS_WINDOW_END))
		return; /* the input is exhausted */
	size_t target = m->n + want;
	cp_css_tok t;
	unsigned before = m->lex_before;
	while (m->n < target) {
		if (m->n + 1 >= m->cap) {
			m->cap *= 2;
			m->t = cp_xrealloc(m->t, m->cap * sizeof *m->t);
		}
		cp_css_next(&m->lex, &t);
		if (t.type == CP_CSS_WS) {
			before |= CSS_WS_BEFORE;
			continue;
		}
		if (t.type == CP_CSS_COMMENT && (t.end - t.start < 3 || m->s[t.start + 2] != '!')) {
			before |= CSS_COMMENT_BEFORE;
			continue;
		}
		css_tok *c = &m->t[m->n];
		c->start = (uint32_t)t.start;
		c->end = (uint32_t)t.end;
		c->numlen =
		    t.num_end
			? (uint16_t)(t.num_end - t.start < 0xffff ? t.num_end - t.start : 0xffff)
			: 0;
		c->type = (uint8_t)t.type;
		c->flags = (uint8_t)(t.flags | before);
		before = 0;
		if (t.type == CP_CSS_EOF)
			break;
		m->n++;
	}
	m->lex_before = before;
	if (m->n == target) {
		/* the window's end, not the input's: an EOF the walk must not see */
		css_tok *c = &m->t[m->n];
		memset(c, 0, sizeof *c);
		c->start = c->end = (uint32_t)m->lex.pos;
		c->flags = CSS_WINDOW_END;
	}
}

/* Makes the top-level construct starting at token i whole in the window
 * (through its ';' or its block's '}', plus the token after it), dropping
 * the tokens before i.  Returns i's new index.  The construct's end is
 * found as at_rule / qualified_rule / skip_block find it; a look that hits
 * the window's end lexes more (twice as much each time) and looks again. */
/* 1 when tokens [i, e) nest deeper than WINDOW_DEPTH, counted as
 * css_find_stop counts (only the mirror token closes).  Below that depth
 * every scan the walk makes inside the construct agrees with the scan that
 * found its end; past it, css_find_stop's bounded stack and the walk's
 * CSS_MAX_DEPTH fallback could see a different end, so the window then
 * takes the rest of the input, as lexing everything at once did. */
#define WINDOW_DEPTH 128
static int too_deep(cssmin *m, size_t i, size_t e)
{
	char stack[WINDOW_DEPTH];
	size_t depth = 0;
	for (; i < e; i++) {
		cp_css_type ty = m->t[i].type;
		if (is_closer(ty)) {
			if (depth && stack[depth - 1] == m->s[m->t[i].start])
				depth--;
			continue;
		}
		char close = closer_of(ty);
		if (!close)
			continue;
		if (depth == WINDOW_DEPTH)
			return 1;
		stack[depth++] = close;
	}
	return 0;
}

size_t css_window_fill(cssmin *m, size_t i)
{
	if (i > 0 && i >= m->n - i && (m->t[m->n].flags & CSS_WINDOW_END)) {
		/* at least half walked: moving the rest costs less than walking
		 * it did, so each token is moved O(1) times */
		memmove(m->t, m->t + i, (m->n + 1 - i) * sizeof *m->t);
		m->n -= i;
		i = 0;
	}
	for (size_t want = CSS_LEX_BATCH;; want *= 2) {
		size_t e = i;
		if (m->t[e].type != CP_CSS_EOF) {
			int at = m->t[i].type == CP_CSS_AT_KEYWORD;
			e = at ? css_find_stop(m, i + 1,
					       STOP(CP_CSS_SEMICOLON) | STOP(CP_CSS_LBRACE))
			       : css_find_stop(m, i, STOP(CP_CSS_LBRACE));
			if (m->t[e].type == CP_CSS_LBRACE)
				e = css_find_stop(m, e + 1, STOP(CP_CSS_RBRACE));
			if (m->t[e].type != CP_CSS_EOF)
				e++;
		}
		if (!(m->t[m->n].flags & CSS_WINDOW_END))
			return i; /* all of the input is in */
		if (e < m->n) {
			if (!too_deep(m, i, e))
				return i;
			want = SIZE_MAX / 2 / sizeof *m->t - m->n; /* all of it */
		}
		lex_more(m, want);
	}
}
