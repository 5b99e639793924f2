/*
 * css_min.h - internals of the CSS minifier, shared by css_min.c (the
 * structure: rules, blocks, at-rules, selectors), css_min_out.c (writing:
 * separators, strings, source map segments) and css_min_values.c
 * (declaration values: numbers, colours, urls).
 *
 * The input is tokenized into a window of tokens (syntax/css_lex.h) holding at
 * least the whole top-level construct being walked, so the structure pass
 * can look ahead to the end of a declaration or a prelude before deciding
 * how to write it, while memory stays bounded by the largest construct.  Output is written straight
 * into the caller's buffer; the only backtracking is truncation of a rule whose block turned out
 * empty.  Separators are decided when the next token is written: each write says whether whitespace
 * (or a comment) stood before the token in the input, and the writer keeps the type and last byte
 * of what it wrote last, so it can tell whether two tokens would merge.
 */
#ifndef CP_MINIFY_CSS_MIN_H
#define CP_MINIFY_CSS_MIN_H

#include "minify/minify.h"
#include "syntax/syntax.h"

#include <stdint.h>

/* Blocks nested deeper than this are copied as written (the walk recurses). */
#define CSS_MAX_DEPTH 256

/* Where a token is written: decides which whitespace may go. */
enum css_ctx {
	CTX_SEL,    /* selector: whitespace is the descendant combinator */
	CTX_SEL_IN, /* inside [] of a selector: only separation */
	CTX_VALUE,  /* declaration value */
	CTX_PRELUDE /* at-rule prelude (media queries, @supports, @import tail) */
};

/* What stood between the previous token and this one in the input. */
enum { SEP_NONE = 0, SEP_WS = 1, SEP_COMMENT = 2 };

/* A token as the minifier keeps it: cp_css_tok in 12 bytes instead of 40,
 * and whitespace and (non-legal) comments not kept at all but folded into
 * the next token's flags.  The array is the minifier's main memory cost, and
 * touching less of it is most of its speed.  Offsets are 32-bit: a larger
 * input is copied as is. */
typedef struct css_tok {
	uint32_t start, end;
	uint8_t type;	 /* cp_css_type */
	uint8_t flags;	 /* cp_css_flags | CSS_WS_BEFORE | CSS_COMMENT_BEFORE */
	uint16_t numlen; /* numeric tokens: length of the number (0xffff: too long) */
} css_tok;

#define CSS_WINDOW_END	   0x20 /* EOF token ending the window, not the input */
#define CSS_WS_BEFORE	   0x40 /* whitespace stood before this token */
#define CSS_COMMENT_BEFORE 0x80 /* a dropped comment stood before this token */
#define CSS_NUM_END(t)	   ((size_t)(t)->start + (t)->numlen)

/* SEP_* for what stood before t in the input. */
static inline int css_sep_of(const struct css_tok *t)
{
	return ((t->flags & CSS_WS_BEFORE) ? 1 : 0) | ((t->flags & CSS_COMMENT_BEFORE) ? 2 : 0);
}

typedef struct css_seg {
	size_t out; /* offset in the output (relative to its start) */
	size_t src; /* offset in the input */
} css_seg;

/* A style rule as written: [start, sel_end) selector, [sel_end, end) block. */
struct css_rule {
	size_t start, sel_end, end; /* end 0: none */
	int depth;
	int style;     /* a style rule (not a keyframe) */
	int mergeable; /* its selectors may join a list (css_min.c's mergeable) */
};

typedef struct cssmin {
	const char *s;
	size_t len;
	css_tok *t; /* the token window (css_min_window.c); t[n] is EOF */
	size_t n, cap;
	cp_css_lex lex;	     /* where the window's lexing stands */
	unsigned lex_before; /* CSS_*_BEFORE owed to the next token lexed */
	cp_buf *out;
	size_t base; /* out->len at start */
	const cp_minify_opts *o;
	int depth;	 /* block nesting, bounded by CSS_MAX_DEPTH */
	int in_property; /* walking an @property block (see declaration) */
	/* the last three style rules, for merging (css_min_merge.c) */
	struct css_rule pprev, prev, q;
	cp_buf legal; /* legal comments moved to the end (CP_LEGAL_EOF) */
	/* last token written: type and last byte (CP_CSS_EOF: nothing yet
	 * in this context) */
	cp_css_type last;
	char last_ch;
	/* the first empty top-level rule removed, written back before a later
	 * @import or @namespace (restored: it was) */
	cp_buf held;
	int restored;
	/* source map segments, kept apart until the end so a truncated rule
	 * takes its segments with it */
	int want_map;
	css_seg *seg;
	size_t nseg, capseg;
} cssmin;

#define STOP(t) (1u << (t))

/* The token window (css_min_window.c). */
void css_window_init(cssmin *m);
/* Makes the top-level construct at token i whole in the window; returns
 * i's new index (tokens before it may be dropped). */
size_t css_window_fill(cssmin *m, size_t i);
/* First token from i that has a type in stops (STOP(type) bits) at nesting
 * depth 0, or the EOF token. */
size_t css_find_stop(cssmin *m, size_t i, unsigned stops);

/* Writing (css_min.c). */
void css_sep(cssmin *m, enum css_ctx ctx, int sep, cp_css_type type, char first);
void css_put(cssmin *m, cp_css_type type, const char *p, size_t n);
/* css_sep + css_put of a token as written in the input. */
void css_put_tok(cssmin *m, enum css_ctx ctx, int sep, const css_tok *t);
/* Writes a string token, requoted with the better quote when that is safe. */
void css_put_string(cssmin *m, enum css_ctx ctx, int sep, const css_tok *t);
/* Closes a string, url() or comment that EOF cut off (the spec does too). */
void css_close_cut(cssmin *m, const css_tok *t);
/* Copies tokens [i, j) as written. */
void css_put_raw(cssmin *m, size_t i, size_t j);
/* Records a source map segment: the output's current end <- input offset src. */
void css_mark_segment(cssmin *m, size_t src);
/* Drops everything written since out offset mark (an empty rule), with its segments. */
void css_truncate(cssmin *m, size_t mark);

/* The rule just written (m->q, written from out offset before on) joins
 * the rule before it where that is safe (css_min_merge.c). */
void css_merge_rule(cssmin *m, size_t before);

/* Values (css_min_values.c). */
enum value_mode {
	VAL_NORMAL = 0,
	VAL_NO_NUMBERS = 1 << 0,   /* unicode-range: U+0025-00FF is not arithmetic */
	VAL_NO_ZERO_UNIT = 1 << 1, /* flex: "0" would be a flex factor, not a basis */
	VAL_COLOR_NAMES = 1 << 2,  /* the property takes colours: names may become hex */
	VAL_FONT_WEIGHT = 1 << 3,
};
/* Writes the tokens [i, j) of a value (no leading/trailing whitespace);
 * sep is what stood before its first token. */
void css_value(cssmin *m, size_t i, size_t j, unsigned mode, enum css_ctx ctx, int sep);
/* Mode for a property name (lower-cased, without vendor hack prefix). */
unsigned css_value_mode(const char *name, size_t n);
/* Number text minified ("0.50" -> ".5"); writes into buf (>= n + 2 bytes).
 * Returns the new length. */
size_t css_min_number(const char *p, size_t n, char *buf);
/* Advances past whitespace and comments from i; *sep gets what was seen. */
static inline size_t css_skip_ws(cssmin *m, size_t i, size_t j, int *sep)
{
	for (; i < j; i++) {
		*sep |= css_sep_of(&m->t[i]);
		if (m->t[i].type == CP_CSS_WS)
			*sep |= SEP_WS;
		else if (m->t[i].type == CP_CSS_COMMENT)
			*sep |= SEP_COMMENT;
		else
			break;
	}
	return i;
}

#endif
