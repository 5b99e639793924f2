/*
 * css_lex.c - CSS Syntax Level 3 tokenizer on bytes; see css_lex.h.
 *
 * The hot loops (names, whitespace, strings, comments) test bytes against
 * one 256-entry class table and use memchr where the spec allows a scan for a
 * single byte (comments), because the minifier built on this must run many
 * times faster than esbuild: the tokenizer is most of its time.  The code
 * follows the spec's algorithm names (consume a token, consume a numeric
 * token, consume an ident-like token, consume a url token, consume the
 * remnants of a bad url, consume an escaped code point) so it can be checked
 * against the spec section by section.
 */
#include "syntax/css_lex.h"

#include <string.h>

enum {
	C_NAMESTART = 1, /* letter, '_', non-ASCII, NUL (U+FFFD after preprocessing) */
	C_NAME = 2,	 /* name-start, digit, '-' */
	C_DIGIT = 4,
	C_HEX = 8,
	C_WS = 16,	/* space, tab, LF, CR, FF */
	C_NEWLINE = 32, /* LF, CR, FF */
	C_NONPRINT = 64,
};

static unsigned char cls[256];
static int cls_ready;

static void init_classes(void)
{
	for (int c = 0; c < 256; c++) {
		unsigned char v = 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80 ||
		    c == 0)
			v |= C_NAMESTART | C_NAME;
		if (c >= '0' && c <= '9')
			v |= C_DIGIT | C_NAME | C_HEX;
		if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			v |= C_HEX;
		if (c == '-')
			v |= C_NAME;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')
			v |= C_WS;
		if (c == '\n' || c == '\r' || c == '\f')
			v |= C_NEWLINE;
		if ((c <= 8) || c == 0x0b || (c >= 0x0e && c <= 0x1f) || c == 0x7f)
			v |= C_NONPRINT;
		cls[c] = v;
	}
	/* NUL is preprocessed to U+FFFD, a name code point, not a non-printable. */
	cls[0] &= (unsigned char)~C_NONPRINT;
	__atomic_store_n(&cls_ready, 1, __ATOMIC_RELEASE);
}

#define CLS(c) (cls[(unsigned char)(c)])

int cp_css_is_name_byte(unsigned char c)
{
	if (!__atomic_load_n(&cls_ready, __ATOMIC_ACQUIRE))
		init_classes();
	return (cls[c] & C_NAME) != 0;
}

void cp_css_lex_init(cp_css_lex *l, const char *s, size_t len)
{
	if (!__atomic_load_n(&cls_ready, __ATOMIC_ACQUIRE))
		init_classes(); /* idempotent: racing threads write the same table */
	l->s = s;
	l->len = len;
	/* A leading UTF-8 BOM belongs to decoding, which strips it before
	 * tokenizing (CSS Syntax 3.2); read as bytes it would be an ident
	 * glued to the first rule, hiding an @import behind it. */
	l->pos = len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3) ? 3 : 0;
}

/* "Two code points are a valid escape": '\' not followed by a newline or EOF. */
static inline int valid_escape(const char *s, size_t len, size_t i)
{
	return i < len && s[i] == '\\' && (i + 1 >= len ? 0 : !(CLS(s[i + 1]) & C_NEWLINE));
}

/* Consume an escaped code point; i is just past the backslash.  Returns the
 * position after it. */
static size_t skip_escape(const char *s, size_t len, size_t i)
{
	if (i >= len)
		return i;
	if (CLS(s[i]) & C_HEX) {
		size_t n = 0;
		while (i < len && n < 6 && (CLS(s[i]) & C_HEX))
			i++, n++;
		if (i < len && (CLS(s[i]) & C_WS)) {
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			i++;
		}
		return i;
	}
	return i + 1;
}

static inline int starts_ident_at(const char *s, size_t len, size_t i)
{
	if (i >= len)
		return 0;
	unsigned char c = (unsigned char)s[i];
	if (c == '-') {
		if (i + 1 >= len)
			return 0;
		unsigned char d = (unsigned char)s[i + 1];
		return (CLS(d) & C_NAMESTART) || d == '-' || valid_escape(s, len, i + 1);
	}
	if (CLS(c) & C_NAMESTART)
		return 1;
	return c == '\\' && valid_escape(s, len, i);
}

int cp_css_starts_ident(const char *p, const char *end)
{
	if (!__atomic_load_n(&cls_ready, __ATOMIC_ACQUIRE))
		init_classes();
	return starts_ident_at(p, (size_t)(end - p), 0);
}

static inline int starts_number_at(const char *s, size_t len, size_t i)
{
	if (i >= len)
		return 0;
	unsigned char c = (unsigned char)s[i];
	if (c == '+' || c == '-') {
		i++;
		c = i < len ? (unsigned char)s[i] : 0;
	}
	if (i < len && (CLS(c) & C_DIGIT))
		return 1;
	return i + 1 < len && c == '.' && (CLS(s[i + 1]) & C_DIGIT);
}

/* Consume a name; *esc is set when an escape was seen. */
static size_t skip_name(const char *s, size_t len, size_t i, unsigned *flags)
{
	for (;;) {
		while (i < len && (CLS(s[i]) & C_NAME))
			i++;
		if (valid_escape(s, len, i)) {
			*flags |= CP_CSS_ESCAPED;
			i = skip_escape(s, len, i + 1);
			continue;
		}
		return i;
	}
}

static void numeric(cp_css_lex *l, cp_css_tok *t)
{
	const char *s = l->s;
	size_t len = l->len, i = l->pos;
	unsigned flags = CP_CSS_INTEGER;
	if (s[i] == '+' || s[i] == '-')
		i++;
	while (i < len && (CLS(s[i]) & C_DIGIT))
		i++;
	if (i + 1 < len && s[i] == '.' && (CLS(s[i + 1]) & C_DIGIT)) {
		flags = 0;
		i += 2;
		while (i < len && (CLS(s[i]) & C_DIGIT))
			i++;
	}
	if (i + 1 < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		if ((s[j] == '+' || s[j] == '-') && j + 1 < len)
			j++;
		if (CLS(s[j]) & C_DIGIT) {
			flags = 0;
			i = j + 1;
			while (i < len && (CLS(s[i]) & C_DIGIT))
				i++;
		}
	}
	t->num_end = i;
	if (starts_ident_at(s, len, i)) {
		t->type = CP_CSS_DIMENSION;
		i = skip_name(s, len, i, &flags);
	} else if (i < len && s[i] == '%') {
		t->type = CP_CSS_PERCENTAGE;
		i++;
	} else {
		t->type = CP_CSS_NUMBER;
	}
	t->flags = flags;
	l->pos = i;
}

/* Consume the remnants of a bad url: up to and including ')' or EOF. */
static size_t bad_url_remnants(const char *s, size_t len, size_t i)
{
	while (i < len) {
		if (s[i] == ')')
			return i + 1;
		if (valid_escape(s, len, i))
			i = skip_escape(s, len, i + 1);
		else
			i++;
	}
	return i;
}

/* Consume a url token; i is just past "url(" and its leading whitespace. */
static void url_token(cp_css_lex *l, cp_css_tok *t, size_t i)
{
	const char *s = l->s;
	size_t len = l->len;
	t->type = CP_CSS_URL;
	for (;;) {
		if (i >= len) {
			t->flags |= CP_CSS_UNTERMINATED;
			break;
		}
		unsigned char c = (unsigned char)s[i];
		if (c == ')') {
			i++;
			break;
		}
		if (CLS(c) & C_WS) {
			while (i < len && (CLS(s[i]) & C_WS))
				i++;
			if (i >= len) {
				t->flags |= CP_CSS_UNTERMINATED;
				break;
			}
			if (s[i] == ')') {
				i++;
				break;
			}
			t->type = CP_CSS_BAD_URL;
			i = bad_url_remnants(s, len, i);
			break;
		}
		if (c == '"' || c == '\'' || c == '(' || (CLS(c) & C_NONPRINT)) {
			t->type = CP_CSS_BAD_URL;
			i = bad_url_remnants(s, len, i);
			break;
		}
		if (c == '\\') {
			if (valid_escape(s, len, i)) {
				t->flags |= CP_CSS_ESCAPED;
				i = skip_escape(s, len, i + 1);
				continue;
			}
			t->type = CP_CSS_BAD_URL;
			i = bad_url_remnants(s, len, i);
			break;
		}
		i++;
	}
	l->pos = i;
}

static void ident_like(cp_css_lex *l, cp_css_tok *t)
{
	const char *s = l->s;
	size_t len = l->len, start = l->pos;
	unsigned flags = 0;
	size_t i = skip_name(s, len, start, &flags);
	t->flags = flags;
	if (i < len && s[i] == '(') {
		i++;
		if (i - start == 4 && (s[start] | 0x20) == 'u' && (s[start + 1] | 0x20) == 'r' &&
		    (s[start + 2] | 0x20) == 'l' && !(flags & CP_CSS_ESCAPED)) {
			size_t j = i;
			while (j < len && (CLS(s[j]) & C_WS))
				j++;
			if (j < len && (s[j] == '"' || s[j] == '\'')) {
				t->type = CP_CSS_FUNCTION;
				l->pos = i;
				return;
			}
			url_token(l, t, j);
			return;
		}
		t->type = CP_CSS_FUNCTION;
	} else {
		t->type = CP_CSS_IDENT;
	}
	l->pos = i;
}

static void string_token(cp_css_lex *l, cp_css_tok *t)
{
	const char *s = l->s;
	size_t len = l->len, i = l->pos;
	char q = s[i++];
	t->type = CP_CSS_STRING;
	for (;;) {
		while (i < len && s[i] != q && s[i] != '\\' && !(CLS(s[i]) & C_NEWLINE))
			i++;
		if (i >= len) {
			t->flags |= CP_CSS_UNTERMINATED;
			break;
		}
		char c = s[i];
		if (c == q) {
			i++;
			break;
		}
		if (c == '\\') {
			t->flags |= CP_CSS_ESCAPED;
			i++;
			if (i >= len)
				continue;
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i += 2;
			else if (CLS(s[i]) & C_NEWLINE)
				i++;
			else
				i = skip_escape(s, len, i);
			continue;
		}
		t->type = CP_CSS_BAD_STRING; /* raw newline: not consumed */
		break;
	}
	l->pos = i;
}

/* "Consume comments": from the slash-star at i to the star-slash, or to EOF
 * (flagged).  memchr finds each '*': comments are long, stars in them rare. */
static void comment_token(cp_css_lex *l, cp_css_tok *t, size_t i)
{
	const char *s = l->s, *p = s + i + 2, *e = s + l->len;
	t->type = CP_CSS_COMMENT;
	for (;;) {
		p = memchr(p, '*', (size_t)(e - p));
		if (!p || p + 1 >= e) {
			t->flags |= CP_CSS_UNTERMINATED;
			l->pos = l->len;
			return;
		}
		if (p[1] == '/') {
			l->pos = (size_t)(p + 2 - s);
			return;
		}
		p++;
	}
}

/* A hash token: '#' at i followed by a name (the caller checked). */
static void hash_token(cp_css_lex *l, cp_css_tok *t, size_t i)
{
	unsigned flags = 0;
	t->type = CP_CSS_HASH;
	if (starts_ident_at(l->s, l->len, i + 1))
		flags |= CP_CSS_HASH_ID;
	l->pos = skip_name(l->s, l->len, i + 1, &flags);
	t->flags = flags;
}

/* "Consume a token" (CSS Syntax 3, 4.3.1).  It stays one switch on the first
 * byte, as the spec writes it: the switch is the dispatch table (the
 * compiler makes it a jump table), each case is either a one-byte token or
 * a call to the named step that consumes the rest (ident_like, numeric,
 * string_token, comment_token, hash_token, url_token via ident_like), and
 * this is the hottest function of the minifier, so splitting the dispatch
 * itself would only add a call per token and move the spec's cases apart. */
cp_css_type cp_css_next(cp_css_lex *l, cp_css_tok *t)
{
	const char *s = l->s;
	size_t len = l->len, i = l->pos;
	t->start = i;
	t->flags = 0;
	t->num_end = 0;
	if (i >= len) {
		t->type = CP_CSS_EOF;
		t->end = len;
		return CP_CSS_EOF;
	}
	unsigned char c = (unsigned char)s[i];
	unsigned char k = CLS(c);
	if (k & C_NAMESTART) {
		ident_like(l, t);
		goto done;
	}
	if (k & C_WS) {
		i++;
		while (i < len && (CLS(s[i]) & C_WS))
			i++;
		t->type = CP_CSS_WS;
		l->pos = i;
		goto done;
	}
	if (k & C_DIGIT) {
		numeric(l, t);
		goto done;
	}
	t->type = CP_CSS_DELIM;
	l->pos = i + 1;
	switch (c) {
	case '"':
	case '\'':
		l->pos = i;
		string_token(l, t);
		break;
	case '/':
		if (i + 1 < len && s[i + 1] == '*')
			comment_token(l, t, i);
		break;
	case '#':
		if (i + 1 < len && ((CLS(s[i + 1]) & C_NAME) || valid_escape(s, len, i + 1)))
			hash_token(l, t, i);
		break;
	case '(':
		t->type = CP_CSS_LPAREN;
		break;
	case ')':
		t->type = CP_CSS_RPAREN;
		break;
	case '[':
		t->type = CP_CSS_LBRACKET;
		break;
	case ']':
		t->type = CP_CSS_RBRACKET;
		break;
	case '{':
		t->type = CP_CSS_LBRACE;
		break;
	case '}':
		t->type = CP_CSS_RBRACE;
		break;
	case ',':
		t->type = CP_CSS_COMMA;
		break;
	case ':':
		t->type = CP_CSS_COLON;
		break;
	case ';':
		t->type = CP_CSS_SEMICOLON;
		break;
	case '+':
	case '.':
		if (starts_number_at(s, len, i)) {
			l->pos = i;
			numeric(l, t);
		}
		break;
	case '-':
		if (starts_number_at(s, len, i)) {
			l->pos = i;
			numeric(l, t);
		} else if (i + 2 < len && s[i + 1] == '-' && s[i + 2] == '>') {
			t->type = CP_CSS_CDC;
			l->pos = i + 3;
		} else if (starts_ident_at(s, len, i)) {
			l->pos = i;
			ident_like(l, t);
		}
		break;
	case '<':
		if (i + 3 < len && s[i + 1] == '!' && s[i + 2] == '-' && s[i + 3] == '-') {
			t->type = CP_CSS_CDO;
			l->pos = i + 4;
		}
		break;
	case '@':
		if (starts_ident_at(s, len, i + 1)) {
			unsigned flags = 0;
			t->type = CP_CSS_AT_KEYWORD;
			l->pos = skip_name(s, len, i + 1, &flags);
			t->flags = flags;
		}
		break;
	case '\\':
		if (valid_escape(s, len, i)) {
			l->pos = i;
			ident_like(l, t);
		}
		break;
	default:
		break;
	}
done:
	t->end = l->pos;
	return t->type;
}

/* ---- line/column ---- */

void cp_css_lines_init(cp_css_lines *c, const char *s, size_t len)
{
	c->s = s;
	c->len = len;
	c->pos = 0;
	c->line_start = 0;
	c->line = 1;
}

void cp_css_linecol(cp_css_lines *c, size_t pos, unsigned *line, unsigned *col)
{
	if (pos > c->len)
		pos = c->len;
	if (pos < c->pos)
		cp_css_lines_init(c, c->s, c->len);
	const char *s = c->s;
	for (size_t i = c->pos; i < pos; i++) {
		char ch = s[i];
		if (ch == '\n' || ch == '\f' ||
		    (ch == '\r' && (i + 1 >= c->len || s[i + 1] != '\n'))) {
			c->line++;
			c->line_start = i + 1;
		}
	}
	c->pos = pos;
	*line = c->line;
	*col = (unsigned)(pos - c->line_start) + 1;
}

/* ---- decoding ---- */

static void put_utf8(cp_buf *out, unsigned long cp)
{
	char b[4];
	size_t n;
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	cp_buf_append(out, b, n);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/* Appends s[i..end) with escapes resolved; in_string drops escaped newlines. */
static void decode_run(const char *s, size_t i, size_t end, int in_string, cp_buf *out)
{
	while (i < end) {
		const char *bs = memchr(s + i, '\\', end - i);
		size_t stop = bs ? (size_t)(bs - s) : end;
		cp_buf_append(out, s + i, stop - i);
		i = stop;
		if (i >= end)
			break;
		i++; /* the backslash */
		if (i >= end)
			break; /* "\" at EOF: nothing (in a string) */
		if (in_string && (CLS(s[i]) & C_NEWLINE)) {
			i += (s[i] == '\r' && i + 1 < end && s[i + 1] == '\n') ? 2 : 1;
			continue;
		}
		if (CLS(s[i]) & C_HEX) {
			unsigned long cp = 0;
			size_t n = 0;
			while (i < end && n < 6 && (CLS(s[i]) & C_HEX))
				cp = cp * 16 + (unsigned long)hexval(s[i++]), n++;
			if (i < end && (CLS(s[i]) & C_WS))
				i += (s[i] == '\r' && i + 1 < end && s[i + 1] == '\n') ? 2 : 1;
			put_utf8(out, cp);
			continue;
		}
		/* any other byte stands for itself (a UTF-8 sequence's following
		 * bytes are copied by the next round) */
		cp_buf_putc(out, s[i++]);
	}
}

void cp_css_decode_string(const char *s, const cp_css_tok *t, cp_buf *out)
{
	size_t a = t->start + 1, b = t->end;
	if (b > a && !(t->flags & CP_CSS_UNTERMINATED) && t->type == CP_CSS_STRING)
		b--;
	if (t->flags & CP_CSS_UNTERMINATED && b > a && s[b - 1] == '\\')
		b--; /* a lone backslash at EOF is dropped */
	cp_buf_reserve(out, b > a ? b - a : 0);
	if (b > a)
		decode_run(s, a, b, 1, out);
	out->data[out->len] = 0; /* even when nothing was appended */
}

void cp_css_decode_url(const char *s, const cp_css_tok *t, cp_buf *out)
{
	size_t a = t->start + 4, b = t->end;
	if (b > a && s[b - 1] == ')' && !(t->flags & CP_CSS_UNTERMINATED)) {
		/* a ')' ends the token unless it is escaped: the last byte of a
		 * terminated url token is always its ')' */
		b--;
	}
	while (a < b && (CLS(s[a]) & C_WS))
		a++;
	while (b > a && (CLS(s[b - 1]) & C_WS) && !(b - 1 > a && s[b - 2] == '\\'))
		b--;
	if (b > a)
		decode_run(s, a, b, 0, out);
	cp_buf_reserve(out, 0);
	out->data[out->len] = 0;
}

void cp_css_decode_name(const char *s, size_t start, size_t end, cp_buf *out)
{
	if (!__atomic_load_n(&cls_ready, __ATOMIC_ACQUIRE))
		init_classes();
	if (end > start)
		decode_run(s, start, end, 0, out);
	cp_buf_reserve(out, 0);
	out->data[out->len] = 0;
}

int cp_css_is_plain_ident(const char *s, size_t n)
{
	if (!__atomic_load_n(&cls_ready, __ATOMIC_ACQUIRE))
		init_classes();
	if (n == 0 || !starts_ident_at(s, n, 0))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(CLS(s[i]) & C_NAME))
			return 0;
	return 1;
}
