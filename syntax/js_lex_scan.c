/*
 * js_lex_scan.c - the JS lexer's scanners: comments, identifiers (with
 * unicode escapes and non-ASCII letters), numbers, strings, templates and
 * regular expression literals; see js_lex.h.
 *
 * Each scanner starts at l->pos, sets t->type and t->end, moves l->pos past
 * the token and counts the line terminators it crosses (templates, block
 * comments, line continuations), so token lines and columns stay exact.
 * Loops run on the byte class table; only bytes >= 0x80 outside strings,
 * comments and templates are decoded.
 */
#include "syntax/js_lex_int.h"

#include <string.h>

/* ---- comments ---------------------------------------------------------- */

void cp_js__line_comment(cp_js_lexer *l, cp_js_token *t, enum cp_js_tok type)
{
	size_t i = l->pos;
	while (i < l->len && !lt_len(l, i))
		i++;
	t->type = type;
	t->end = l->pos = i;
}

int cp_js__block_comment(cp_js_lexer *l, cp_js_token *t)
{
	size_t i = l->pos + 2;
	const char *s = l->src;
	for (;;) {
		const char *q = memchr(s + i, '*', l->len - i);
		size_t stop = q ? (size_t)(q - s) : l->len;
		/* line terminators before the '*' */
		for (size_t j = i; j < stop; j++) {
			unsigned char c = s[j];
			if (c == '\n' || c == '\r' || c == 0xE2) {
				size_t k = lt_len(l, j);
				if (k) {
					newline(l, j + k);
					j += k - 1;
				}
			}
		}
		if (!q)
			return cp_js__fail(l, l->pos, "unterminated comment");
		i = stop + 1;
		if (i < l->len && s[i] == '/') {
			t->type = CP_JS_COMMENT;
			t->end = l->pos = i + 1;
			return 0;
		}
	}
}

/* ---- names ------------------------------------------------------------- */

static int hexval(int c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* \uXXXX or \u{X...} at i (pointing at the backslash); returns bytes, 0 if bad. */
static size_t uescape(const cp_js_lexer *l, size_t i, long *cp)
{
	const unsigned char *s = (const unsigned char *)l->src;
	if (i + 1 >= l->len || s[i + 1] != 'u')
		return 0;
	size_t j = i + 2;
	long v = 0;
	if (j < l->len && s[j] == '{') {
		j++;
		size_t d = 0;
		while (j < l->len && (cp_js_cls[s[j]] & C_HEX)) {
			v = v * 16 + hexval(s[j]);
			if (v > 0x10FFFF)
				return 0;
			j++, d++;
		}
		if (!d || j >= l->len || s[j] != '}')
			return 0;
		*cp = v;
		return j + 1 - i;
	}
	for (int k = 0; k < 4; k++, j++) {
		if (j >= l->len || !(cp_js_cls[s[j]] & C_HEX))
			return 0;
		v = v * 16 + hexval(s[j]);
	}
	*cp = v;
	return j - i;
}

/* Length of an identifier character at i (0 if none); start: IdentifierStart. */
size_t cp_js__id_char(cp_js_lexer *l, size_t i, int start, int *esc)
{
	const unsigned char *s = (const unsigned char *)l->src;
	unsigned char c = s[i];
	if (c < 0x80) {
		if (cp_js_cls[c] & (start ? C_IDS : C_IDP))
			return 1;
		if (c != '\\')
			return 0;
		long cp;
		size_t n = uescape(l, i, &cp);
		if (!n)
			return 0;
		if (cp < 0x80 && !(cp_js_cls[cp] & (start ? C_IDS : C_IDP)))
			return 0;
		*esc = 1;
		return n;
	}
	size_t n;
	long cp = cp_js__utf8(s + i, l->len - i, &n);
	if (cp < 0 || cp_js__is_uspace(cp) || cp == 0x2028 || cp == 0x2029)
		return 0;
	return n;
}

size_t cp_js__scan_name(cp_js_lexer *l, size_t i, int *esc)
{
	const unsigned char *s = (const unsigned char *)l->src;
	for (;;) {
		while (i < l->len && (cp_js_cls[s[i]] & C_IDP))
			i++;
		if (i >= l->len || (s[i] != '\\' && s[i] < 0x80))
			return i;
		size_t n = cp_js__id_char(l, i, 0, esc);
		if (!n)
			return i;
		i += n;
	}
}

/* ---- literals ---------------------------------------------------------- */

static size_t digits(const cp_js_lexer *l, size_t i, int hex_ok, int sep)
{
	const unsigned char *s = (const unsigned char *)l->src;
	while (i < l->len && ((cp_js_cls[s[i]] & (hex_ok ? C_HEX : C_DIG)) || (sep && s[i] == '_')))
		i++;
	return i;
}

int cp_js__number(cp_js_lexer *l, cp_js_token *t)
{
	const unsigned char *s = (const unsigned char *)l->src;
	size_t i = l->pos, n = l->len;
	char c1 = i + 1 < n ? s[i + 1] | 0x20 : 0;
	if (s[i] == '0' && (c1 == 'x' || c1 == 'o' || c1 == 'b')) {
		size_t j = digits(l, i + 2, c1 == 'x', 1);
		if (j == i + 2)
			return cp_js__fail(l, j, "missing digits in numeric literal");
		i = j;
		if (i < n && s[i] == 'n')
			i++;
	} else if (s[i] == '0' && i + 1 < n && (cp_js_cls[s[i + 1]] & C_DIG)) {
		size_t j = i + 1;
		int octal = 1;
		while (j < n && (cp_js_cls[s[j]] & C_DIG))
			octal &= s[j++] < '8';
		i = j;
		if (!octal) { /* NonOctalDecimalIntegerLiteral: may have a fraction and exponent */
			if (i < n && s[i] == '.')
				i = digits(l, i + 1, 0, 1);
			goto exponent;
		}
	} else {
		int frac = 0;
		i = digits(l, i, 0, 1);
		if (i < n && s[i] == '.') {
			frac = 1;
			i = digits(l, i + 1, 0, 1);
		}
		if (!frac && i < n && s[i] == 'n') {
			i++;
			goto done;
		}
	exponent:
		if (i < n && (s[i] | 0x20) == 'e') {
			size_t j = i + 1;
			if (j < n && (s[j] == '+' || s[j] == '-'))
				j++;
			size_t k = digits(l, j, 0, 1);
			if (k == j)
				return cp_js__fail(l, i, "missing exponent in numeric literal");
			i = k;
		}
	}
done:
	if (i < n) {
		int esc = 0;
		if ((cp_js_cls[s[i]] & C_IDP) || s[i] == '\\' ||
		    (s[i] >= 0x80 && cp_js__id_char(l, i, 1, &esc)))
			return cp_js__fail(l, i,
					   "identifier starts immediately after numeric literal");
	}
	t->type = CP_JS_NUMBER;
	t->end = l->pos = i;
	return 0;
}

int cp_js__string(cp_js_lexer *l, cp_js_token *t)
{
	const unsigned char *s = (const unsigned char *)l->src;
	unsigned char q = s[l->pos];
	size_t i = l->pos + 1, n = l->len;
	for (;;) {
		while (i < n && s[i] != q && s[i] != '\\' && s[i] != '\n' && s[i] != '\r' &&
		       s[i] != 0xE2)
			i++;
		if (i >= n || s[i] == '\n' || s[i] == '\r')
			return cp_js__fail(l, l->pos, "unterminated string");
		if (s[i] == q)
			break;
		if (s[i] == 0xE2) { /* U+2028/2029 are allowed in strings; count the line */
			size_t k = lt_len(l, i);
			if (k)
				newline(l, i + k), i += k;
			else
				i++;
			continue;
		}
		/* backslash */
		i++;
		if (i >= n)
			return cp_js__fail(l, l->pos, "unterminated string");
		size_t k = lt_len(l, i);
		if (k) { /* line continuation */
			newline(l, i + k);
			i += k;
		} else if (s[i] == 'x') {
			if (i + 2 >= n || !(cp_js_cls[s[i + 1]] & C_HEX) ||
			    !(cp_js_cls[s[i + 2]] & C_HEX))
				return cp_js__fail(l, i - 1, "bad \\x escape in string");
			i += 3;
		} else if (s[i] == 'u') {
			long cp;
			size_t e = uescape(l, i - 1, &cp);
			if (!e)
				return cp_js__fail(l, i - 1, "bad \\u escape in string");
			i += e - 1;
		} else {
			i++;
		}
	}
	t->type = CP_JS_STRING;
	t->end = l->pos = i + 1;
	return 0;
}

/* Template characters from i to the closing ` or ${; t->type set by the caller's kind. */
int cp_js__template(cp_js_lexer *l, cp_js_token *t, size_t i, int head)
{
	const unsigned char *s = (const unsigned char *)l->src;
	size_t n = l->len;
	for (;;) {
		while (i < n && s[i] != '`' && s[i] != '$' && s[i] != '\\' && s[i] != '\n' &&
		       s[i] != '\r' && s[i] != 0xE2)
			i++;
		if (i >= n)
			return cp_js__fail(l, t->start, "unterminated template");
		unsigned char c = s[i];
		if (c == '`') {
			t->type = head ? CP_JS_TEMPLATE : CP_JS_TMPL_TAIL;
			t->end = l->pos = i + 1;
			return 0;
		}
		if (c == '$') {
			if (i + 1 < n && s[i + 1] == '{') {
				t->type = head ? CP_JS_TMPL_HEAD : CP_JS_TMPL_MID;
				t->end = l->pos = i + 2;
				cp_js__push(l, CP_JS_C_TMPL);
				return 0;
			}
			i++;
			continue;
		}
		if (c == '\\') {
			i++;
			if (i >= n)
				return cp_js__fail(l, t->start, "unterminated template");
		}
		size_t k = lt_len(l, i);
		if (k)
			newline(l, i + k), i += k;
		else
			i++;
	}
}

int cp_js__regex(cp_js_lexer *l, cp_js_token *t)
{
	const unsigned char *s = (const unsigned char *)l->src;
	size_t i = l->pos + 1, n = l->len;
	int in_class = 0;
	for (;;) {
		if (i >= n || lt_len(l, i))
			return cp_js__fail(l, l->pos, "unterminated regular expression");
		unsigned char c = s[i];
		if (c == '\\') {
			i++;
			if (i >= n || lt_len(l, i))
				return cp_js__fail(l, l->pos, "unterminated regular expression");
		} else if (c == '[') {
			in_class = 1;
		} else if (c == ']') {
			in_class = 0;
		} else if (c == '/' && !in_class) {
			break;
		}
		i++;
	}
	i++;
	while (i < n && (cp_js_cls[s[i]] & C_IDP))
		i++;
	if (i < n && (s[i] == '\\' || s[i] >= 0x80)) {
		int esc = 0;
		if (cp_js__id_char(l, i, 0, &esc))
			return cp_js__fail(l, i, "invalid regular expression flags");
	}
	t->type = CP_JS_REGEX;
	t->end = l->pos = i;
	return 0;
}
