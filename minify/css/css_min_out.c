/*
 * css_min_out.c - how the CSS minifier writes: separators between tokens,
 * requoted strings, constructs closed at EOF, and the source map's segments.
 *
 * The one hard question of a minifier's output is when two tokens need
 * something between them.  It is answered in two parts: would the tokenizer
 * run them together (would_merge, from the spec's serialization table,
 * sharpened by the next token's first byte so that `U+0025-00FF` is not
 * spaced out), and, where the input had whitespace, does the grammar of the
 * place give it a meaning (ws_droppable: the descendant combinator in a
 * selector, `and (` in a media query, `+`/`-` in calc())?  Whitespace that
 * only separated a comment's neighbours becomes an empty comment where the
 * neighbours would otherwise merge, so the token stream stays the same.
 */
#include "minify/css/css_min.h"

#include <string.h>

/* Would the tokenizer, reading the last token's text followed by the next
 * token's, run the two together (or change what the second one is)?  Only
 * the next token's type and first byte are needed; where that is not enough
 * to tell, the answer is yes, which costs one space. */
static int would_merge(cp_css_type a, char ac, cp_css_type b, char bc)
{
	unsigned char c = (unsigned char)bc;
	/* a '\\' delim is a backslash the tokenizer found no escape in (a
	 * newline follows, and stays: see css_put): it continues nothing */
	int name = cp_css_is_name_byte(c) || (c == '\\' && b != CP_CSS_DELIM);
	int digit = c >= '0' && c <= '9';
	int start = name && !digit && c != '-';
	int numeric = b == CP_CSS_NUMBER || b == CP_CSS_PERCENTAGE || b == CP_CSS_DIMENSION;
	switch (a) {
	case CP_CSS_IDENT:
		return name || c == '(';
	case CP_CSS_AT_KEYWORD:
	case CP_CSS_HASH:
	case CP_CSS_DIMENSION:
		return name;
	case CP_CSS_NUMBER:
		/* "1" + "-2" stays two numbers; "1" + "-x" becomes a dimension */
		return start || digit || c == '.' || c == '%' || (c == '-' && !numeric);
	case CP_CSS_DELIM:
		switch (ac) {
		case '#':
			return name;
		case '-':
			return name || c == '.';
		case '@':
			return start || c == '-';
		case '.':
		case '+':
			return digit || c == '.';
		case '/':
			return c == '*';
		case '<':
			return c == '!';
		}
		return 0;
	default:
		return 0;
	}
}

static int is_delim(cp_css_type t, char c, const char *set)
{
	return t == CP_CSS_DELIM && c && strchr(set, c);
}

/* May whitespace between the last token and the next one go? */
static int ws_droppable(const cssmin *m, enum css_ctx ctx, cp_css_type b, char bc)
{
	cp_css_type a = m->last;
	char ac = m->last_ch;
	switch (ctx) {
	case CTX_SEL_IN:
		return 1;
	case CTX_SEL:
		return a == CP_CSS_COMMA || a == CP_CSS_LPAREN || a == CP_CSS_FUNCTION ||
		       is_delim(a, ac, ">+~") || b == CP_CSS_COMMA || b == CP_CSS_RPAREN ||
		       b == CP_CSS_LBRACE || is_delim(b, bc, ">+~");
	case CTX_VALUE:
		return a == CP_CSS_COMMA || a == CP_CSS_FUNCTION || a == CP_CSS_LPAREN ||
		       a == CP_CSS_LBRACKET || a == CP_CSS_COLON || is_delim(a, ac, "/!*") ||
		       b == CP_CSS_COMMA || b == CP_CSS_RPAREN || b == CP_CSS_RBRACKET ||
		       b == CP_CSS_SEMICOLON || b == CP_CSS_LBRACE || b == CP_CSS_COLON ||
		       is_delim(b, bc, "/!*");
	case CTX_PRELUDE:
		if (a == CP_CSS_AT_KEYWORD)
			return b == CP_CSS_LBRACE || b == CP_CSS_SEMICOLON;
		if (a == CP_CSS_COLON && b == CP_CSS_RPAREN)
			return 0; /* @supports (--x: ): an empty value, see custom_value */
		return a == CP_CSS_COMMA || a == CP_CSS_FUNCTION || a == CP_CSS_LPAREN ||
		       a == CP_CSS_COLON || is_delim(a, ac, "/") || b == CP_CSS_COMMA ||
		       b == CP_CSS_RPAREN || b == CP_CSS_COLON || b == CP_CSS_LBRACE ||
		       b == CP_CSS_SEMICOLON || is_delim(b, bc, "/");
	}
	return 0;
}

void css_sep(cssmin *m, enum css_ctx ctx, int sep, cp_css_type type, char first)
{
	if (m->last == CP_CSS_EOF)
		return;
	if (would_merge(m->last, m->last_ch, type, first)) {
		if (sep == SEP_COMMENT)
			cp_buf_append(m->out, "/**/", 4);
		else
			cp_buf_putc(m->out, ' ');
		return;
	}
	if ((sep & SEP_WS) && !ws_droppable(m, ctx, type, first))
		cp_buf_putc(m->out, ' ');
}

void css_put(cssmin *m, cp_css_type type, const char *p, size_t n)
{
	cp_buf_append(m->out, p, n);
	m->last = type;
	m->last_ch = n ? p[n - 1] : 0;
	if (type == CP_CSS_BAD_STRING || (type == CP_CSS_DELIM && m->last_ch == '\\')) {
		/* the newline that ended it in the input must end it here too
		 * (a CR when it ends in an escaped CR, which an LF would join) */
		cp_buf_putc(m->out, m->last_ch == '\r' ? '\r' : '\n');
		m->last = CP_CSS_EOF;
	}
}

/* Closes a string, url or comment that EOF cut off (the spec closes it too). */
void css_close_cut(cssmin *m, const css_tok *t)
{
	if (!(t->flags & CP_CSS_UNTERMINATED))
		return;
	if (t->type == CP_CSS_COMMENT) {
		cp_buf_append(m->out, "*/", 2);
	} else if (t->type == CP_CSS_URL || t->type == CP_CSS_BAD_URL) {
		cp_buf_putc(m->out, ')');
		m->last_ch = ')';
	} else if (t->type == CP_CSS_STRING) {
		size_t bs = 0; /* a backslash at EOF escapes nothing; closing after it would */
		for (size_t k = t->end; k > t->start + 1 && m->s[k - 1] == '\\'; k--)
			bs++;
		if (!(bs & 1)) {
			cp_buf_putc(m->out, m->s[t->start]);
			m->last_ch = m->s[t->start];
		}
	}
}

void css_put_tok(cssmin *m, enum css_ctx ctx, int sep, const css_tok *t)
{
	css_sep(m, ctx, sep, t->type, m->s[t->start]);
	css_put(m, t->type, m->s + t->start, t->end - t->start);
	css_close_cut(m, t);
}

void css_put_string(cssmin *m, enum css_ctx ctx, int sep, const css_tok *t)
{
	const char *p = m->s + t->start;
	size_t n = t->end - t->start;
	/* content: without the quotes (EOF may have eaten the closing one) */
	size_t cn = (t->flags & CP_CSS_UNTERMINATED) ? n - 1 : n - 2;
	if (t->type == CP_CSS_STRING && !(t->flags & CP_CSS_ESCAPED) && p[0] == '\'' &&
	    !memchr(p + 1, '"', cn)) {
		/* no escapes and no double quote inside: "..." reads the same,
		 * and one quote style throughout compresses better */
		css_sep(m, ctx, sep, t->type, '"');
		cp_buf_putc(m->out, '"');
		cp_buf_append(m->out, p + 1, cn);
		cp_buf_putc(m->out, '"');
		m->last = CP_CSS_STRING;
		m->last_ch = '"';
		return;
	}
	css_put_tok(m, ctx, sep, t);
}

/* Copies tokens [i, j) as written. */
void css_put_raw(cssmin *m, size_t i, size_t j)
{
	if (i >= j)
		return;
	const css_tok *a = &m->t[i], *b = &m->t[j - 1];
	css_sep(m, CTX_VALUE, SEP_NONE, a->type, m->s[a->start]);
	css_put(m, b->type, m->s + a->start, b->end - a->start);
	css_close_cut(m, b);
}

void css_mark_segment(cssmin *m, size_t src)
{
	if (!m->want_map)
		return;
	if (m->nseg == m->capseg) {
		m->capseg = m->capseg ? m->capseg * 2 : 256;
		m->seg = cp_xrealloc(m->seg, m->capseg * sizeof *m->seg);
	}
	m->seg[m->nseg].out = m->out->len - m->base;
	m->seg[m->nseg].src = src;
	m->nseg++;
}

/* Drops everything written since out offset mark (an empty rule). */
void css_truncate(cssmin *m, size_t mark)
{
	m->out->len = mark;
	m->out->data[mark] = 0;
	while (m->nseg && m->seg[m->nseg - 1].out + m->base >= mark)
		m->nseg--;
}
