/*
 * js_lex_base.c - what both halves of the JS lexer stand on: the byte class
 * table, UTF-8 decoding, error positions and the bracket stack.
 *
 * It sits below js_lex.c (the driver) and js_lex_scan.c (the literal and
 * comment scanners) so that neither half calls back into the other's file:
 * js_lex.c -> js_lex_scan.c -> js_lex_base.c, one way.
 */
#include "syntax/js_lex_int.h"

#include "lib/buf.h"

#include <stdlib.h>
#include <string.h>

uint8_t cp_js_cls[256];
static int cls_ready;

static void init_cls(void)
{
	for (int c = 0; c < 256; c++) {
		uint8_t v = 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '$' || c == '_')
			v |= C_IDS | C_IDP;
		if (c >= '0' && c <= '9')
			v |= C_DIG | C_IDP | C_HEX;
		if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			v |= C_HEX;
		if (c == ' ' || c == '\t' || c == '\v' || c == '\f')
			v |= C_SP;
		cp_js_cls[c] = v;
	}
	__atomic_store_n(&cls_ready, 1, __ATOMIC_RELEASE);
}

void cp_js__classes_init(void)
{
	if (!__atomic_load_n(&cls_ready, __ATOMIC_ACQUIRE))
		init_cls();
}

unsigned cp_js_col(const char *src, size_t line_start, size_t pos)
{
	unsigned col = 1;
	for (size_t i = line_start; i < pos; i++)
		col += ((unsigned char)src[i] & 0xC0) != 0x80;
	return col;
}

int cp_js__fail(cp_js_lexer *l, size_t at, const char *msg)
{
	return cp_error_set(l->err, l->name, l->line, cp_js_col(l->src, l->line_start, at), "%s",
			    msg);
}

/* Decodes one UTF-8 sequence at p (n bytes left); returns its code point
 * and stores its length, or -1 for a malformed sequence. */
long cp_js__utf8(const unsigned char *p, size_t n, size_t *len)
{
	unsigned c = p[0];
	if (c < 0x80) {
		*len = 1;
		return c;
	}
	size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
	if (!k || k > n || c > 0xF4)
		return -1;
	long cp = c & (0x3F >> (k - 1));
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	*len = k;
	return cp;
}

int cp_js__is_uspace(long c)
{
	return c == 0xA0 || c == 0xFEFF || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
	       c == 0x202F || c == 0x205F || c == 0x3000;
}

void cp_js__push(cp_js_lexer *l, uint8_t kind)
{
	if (l->depth == l->cap) {
		l->cap *= 2;
		l->stack = cp_xrealloc(l->stack, l->cap * sizeof *l->stack);
	}
	l->stack[l->depth++] = (struct cp_js_frame){kind, 0, 0};
}
