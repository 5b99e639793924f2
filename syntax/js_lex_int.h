/*
 * js_lex_int.h - what the files of the JS lexer share (internal to syntax/).
 *
 * js_lex.c holds the driver, punctuators and the regex/division state;
 * js_lex_scan.c the scanners for comments, names and literals;
 * js_lex_base.c the class table, UTF-8, errors and the bracket stack both
 * of them use.  Calls go one way: js_lex.c -> js_lex_scan.c -> js_lex_base.c.
 */
#ifndef CP_JS_LEX_INT_H
#define CP_JS_LEX_INT_H

#include "lib/buf.h"
#include "syntax/js_lex.h"

enum { C_IDS = 1, C_IDP = 2, C_DIG = 4, C_HEX = 8, C_SP = 16 };
extern uint8_t cp_js_cls[256]; /* C_* bits per byte */

void cp_js__classes_init(void); /* fills cp_js_cls once, thread-safe */
int cp_js__fail(cp_js_lexer *l, size_t at, const char *msg);
long cp_js__utf8(const unsigned char *p, size_t n, size_t *len);
int cp_js__is_uspace(long c);
void cp_js__push(cp_js_lexer *l, uint8_t kind);

void cp_js__line_comment(cp_js_lexer *l, cp_js_token *t, enum cp_js_tok type);
int cp_js__block_comment(cp_js_lexer *l, cp_js_token *t);
size_t cp_js__id_char(cp_js_lexer *l, size_t i, int start, int *esc);
size_t cp_js__scan_name(cp_js_lexer *l, size_t i, int *esc);
int cp_js__number(cp_js_lexer *l, cp_js_token *t);
int cp_js__string(cp_js_lexer *l, cp_js_token *t);
int cp_js__template(cp_js_lexer *l, cp_js_token *t, size_t i, int head);
int cp_js__regex(cp_js_lexer *l, cp_js_token *t);

static inline void newline(cp_js_lexer *l, size_t next)
{
	l->line++;
	l->line_start = next;
	l->nl = 1;
	l->line_begin = 1;
}

static inline size_t lt_len(const cp_js_lexer *l, size_t pos)
{
	const unsigned char *p = (const unsigned char *)l->src + pos;
	size_t n = l->len - pos;
	if (!n)
		return 0;
	if (p[0] == '\n')
		return 1;
	if (p[0] == '\r')
		return n > 1 && p[1] == '\n' ? 2 : 1;
	if (p[0] == 0xE2 && n > 2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
		return 3;
	return 0;
}

static inline struct cp_js_frame *top(cp_js_lexer *l)
{
	return &l->stack[l->depth - 1];
}

#endif
