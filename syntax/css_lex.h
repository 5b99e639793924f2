/*
 * css_lex.h - the project's one CSS tokenizer (CSS Syntax Level 3, section 4).
 *
 * Both the minifier (minify/) and the reference scanner (fingerprint/) are
 * built on it, so they can never disagree about where a string, a comment or
 * a url() starts and ends.
 *
 * It works on bytes, not code points: CSS in the wild is UTF-8 or Latin-1 (with
 * @charset), and everything the tokenizer must recognise is ASCII.  Every byte
 * >= 0x80 is treated as a name code point, which is what the spec says of every
 * non-ASCII code point, so a multi-byte UTF-8 sequence and a Latin-1 letter are
 * both simply part of an identifier.  The input preprocessing step (CR, FF and
 * CRLF to LF, NUL to U+FFFD) is not performed on a copy; the tokenizer treats
 * those bytes the way the preprocessed stream would (CR/FF are newlines, CRLF
 * is one newline inside an escape, NUL is a name code point).
 *
 * A leading UTF-8 byte order mark is skipped, as the spec's decode step
 * strips it: the first token starts at 3.  (A stylesheet with a BOM is UTF-8
 * whatever its @charset says; a UTF-16 BOM is not handled - such a file is
 * not tokenized as the browser would.)
 *
 * Tokens are spans [start, end) of the input, never copies: the minifier
 * copies most tokens through untouched, so a token costs nothing to emit.
 * Comments come back as tokens (the spec drops them silently) because the
 * minifier keeps `/-*! ... *-/` and the scanner needs `/-*# sourceMappingURL`.
 * Values are decoded on demand (cp_css_decode_*), only for the few tokens that
 * need it.
 *
 * Line and column numbers are not tracked while tokenizing (it would tax
 * every byte for the rare error message); cp_css_lines computes them with a
 * cursor that moves forward with memchr, so asking for positions in order
 * costs one pass over the text in total.
 */
#ifndef CP_CSS_LEX_H
#define CP_CSS_LEX_H

#include "lib/buf.h"

#include <stddef.h>

typedef enum cp_css_type {
	CP_CSS_EOF = 0,
	CP_CSS_WS,
	CP_CSS_COMMENT, /* flag CP_CSS_UNTERMINATED when EOF came before the star-slash */
	CP_CSS_IDENT,
	CP_CSS_FUNCTION, /* "name(": span includes the '(' */
	CP_CSS_AT_KEYWORD,
	CP_CSS_HASH,	   /* flag CP_CSS_HASH_ID when the name would start an identifier */
	CP_CSS_STRING,	   /* span includes the quotes (the closing one may be missing at EOF) */
	CP_CSS_BAD_STRING, /* a raw newline ended it; the newline is not part of it */
	CP_CSS_URL,	   /* unquoted url( ... ): span from "url(" through ')' */
	CP_CSS_BAD_URL,
	CP_CSS_DELIM,  /* one byte */
	CP_CSS_NUMBER, /* numeric tokens: num_end marks the end of the number text */
	CP_CSS_PERCENTAGE,
	CP_CSS_DIMENSION,
	CP_CSS_CDO, /* <!-- */
	CP_CSS_CDC, /* --> */
	CP_CSS_COLON,
	CP_CSS_SEMICOLON,
	CP_CSS_COMMA,
	CP_CSS_LBRACKET,
	CP_CSS_RBRACKET,
	CP_CSS_LPAREN,
	CP_CSS_RPAREN,
	CP_CSS_LBRACE,
	CP_CSS_RBRACE,
} cp_css_type;

enum cp_css_flags {
	CP_CSS_UNTERMINATED = 1 << 0, /* string, url or comment cut off by EOF */
	CP_CSS_ESCAPED = 1 << 1,      /* the token's name or value contains a backslash escape */
	CP_CSS_HASH_ID = 1 << 2,      /* hash token of type "id" */
	CP_CSS_INTEGER = 1 << 3,      /* numeric token of type "integer" */
};

typedef struct cp_css_tok {
	cp_css_type type;
	unsigned flags;
	size_t start, end; /* byte span in the input */
	size_t num_end;	   /* numeric tokens: end of the number (the unit starts here) */
} cp_css_tok;

typedef struct cp_css_lex {
	const char *s;
	size_t len;
	size_t pos;
} cp_css_lex;

void cp_css_lex_init(cp_css_lex *l, const char *s, size_t len);
/* Reads the next token into t and returns its type (CP_CSS_EOF at the end,
 * with an empty span at len). */
cp_css_type cp_css_next(cp_css_lex *l, cp_css_tok *t);

/* Line/column cursor: 1-based line, 1-based byte column.  Lines end at LF,
 * CR, CRLF or FF, as in CSS.  Queries in increasing position order are cheap;
 * a query behind the cursor restarts from the beginning. */
typedef struct cp_css_lines {
	const char *s;
	size_t len;
	size_t pos;	   /* cursor */
	size_t line_start; /* offset of the cursor's line */
	unsigned line;
} cp_css_lines;

void cp_css_lines_init(cp_css_lines *c, const char *s, size_t len);
void cp_css_linecol(cp_css_lines *c, size_t pos, unsigned *line, unsigned *col);

/* Decoders: append the token's value, escapes resolved (a hex escape becomes
 * its UTF-8 encoding; 0, surrogates and values past U+10FFFF become U+FFFD;
 * an escaped newline in a string disappears). */
/* A string token's value, without quotes. */
void cp_css_decode_string(const char *s, const cp_css_tok *t, cp_buf *out);
/* A url token's value: what lies between "url(" and ")", whitespace trimmed. */
void cp_css_decode_url(const char *s, const cp_css_tok *t, cp_buf *out);
/* Any run of bytes holding names and escapes (an ident, a function name
 * without '(', a hash without '#', an at-keyword without '@'). */
void cp_css_decode_name(const char *s, size_t start, size_t end, cp_buf *out);

/* Character tests on bytes, for code built on the tokenizer. */
int cp_css_is_name_byte(unsigned char c);
/* 1 when s[0..n) is one identifier token as written (no escapes needed). */
int cp_css_is_plain_ident(const char *s, size_t n);
/* 1 when the three bytes at p (fewer near end) would start an identifier. */
int cp_css_starts_ident(const char *p, const char *end);

#endif
