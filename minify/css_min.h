/*
 * css_min.h - internals of the CSS minifier, shared by css_min.c (the
 * structure: rules, blocks, at-rules, selectors, output and source map) and
 * css_min_values.c (declaration values: numbers, colours, urls, strings).
 *
 * The input is tokenized once into an array (lib/css_lex.h) so the structure
 * pass can look ahead to the end of a declaration or a prelude before
 * deciding how to write it.  Output is written straight into the caller's
 * buffer; the only backtracking is truncation of a rule whose block turned
 * out empty.  Separators are decided when the next token is written: each
 * write says whether whitespace (or a comment) stood before the token in
 * the input, and the writer keeps the type and last byte of what it wrote
 * last, so it can tell whether two tokens would merge.
 */
#ifndef CP_MINIFY_CSS_MIN_H
#define CP_MINIFY_CSS_MIN_H

#include "minify.h"

/* Where a token is written: decides which whitespace may go. */
enum css_ctx {
	CTX_SEL,    /* selector: whitespace is the descendant combinator */
	CTX_SEL_IN, /* inside [] of a selector: only separation */
	CTX_VALUE,  /* declaration value */
	CTX_PRELUDE /* at-rule prelude (media queries, @supports, @import tail) */
};

/* What stood between the previous token and this one in the input. */
enum { SEP_NONE = 0, SEP_WS = 1, SEP_COMMENT = 2 };

typedef struct css_seg {
	size_t out; /* offset in the output (relative to its start) */
	size_t src; /* offset in the input */
} css_seg;

typedef struct cssmin {
	const char *s;
	size_t len;
	cp_css_tok *t; /* tokens; t[n] is EOF */
	size_t n;
	cp_buf *out;
	size_t base; /* out->len at start */
	const cp_minify_opts *o;
	cp_buf legal; /* legal comments moved to the end (CP_LEGAL_EOF) */
	/* last token written: type and last byte (CP_CSS_EOF: nothing yet
	 * in this context) */
	cp_css_type last;
	char last_ch;
	int force_nl; /* a bad string or a lone backslash was written: a newline must follow */
	/* source map segments, kept apart until the end so a truncated rule
	 * takes its segments with it */
	int want_map;
	css_seg *seg;
	size_t nseg, capseg;
} cssmin;

/* Writing (css_min.c). */
void css_sep(cssmin *m, enum css_ctx ctx, int sep, cp_css_type type, char first);
void css_put(cssmin *m, cp_css_type type, const char *p, size_t n);
/* css_sep + css_put of a token as written in the input. */
void css_put_tok(cssmin *m, enum css_ctx ctx, int sep, const cp_css_tok *t);
/* Writes a string token, requoted with the better quote when that is safe. */
void css_put_string(cssmin *m, enum css_ctx ctx, int sep, const cp_css_tok *t);

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
size_t css_skip_ws(cssmin *m, size_t i, size_t j, int *sep);

#endif
