/*
 * js_lex.c - the ECMAScript 2024 lexer; see js_lex.h for the design.
 *
 * Speed matters (the minifier's bar is several times esbuild's throughput),
 * so the hot loops run on a 256-entry class table and plain pointer walks;
 * UTF-8 is decoded only where a byte >= 0x80 appears outside a string,
 * template, comment or regex.  The regex/division decision and the bracket
 * stack cost a few branches per token.
 */
#include "syntax/js_lex_int.h"

#include "lib/buf.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *s;
	uint8_t len, kw;
} kws[] = {
#define K(s, k)                                                                                    \
	{                                                                                          \
		s, sizeof s - 1, k                                                                 \
	}
    K("await", CP_KW_AWAIT),
    K("break", CP_KW_BREAK),
    K("case", CP_KW_CASE),
    K("catch", CP_KW_CATCH),
    K("class", CP_KW_CLASS),
    K("const", CP_KW_CONST),
    K("continue", CP_KW_CONTINUE),
    K("debugger", CP_KW_DEBUGGER),
    K("default", CP_KW_DEFAULT),
    K("delete", CP_KW_DELETE),
    K("do", CP_KW_DO),
    K("else", CP_KW_ELSE),
    K("export", CP_KW_EXPORT),
    K("extends", CP_KW_EXTENDS),
    K("false", CP_KW_FALSE),
    K("finally", CP_KW_FINALLY),
    K("for", CP_KW_FOR),
    K("function", CP_KW_FUNCTION),
    K("if", CP_KW_IF),
    K("import", CP_KW_IMPORT),
    K("in", CP_KW_IN),
    K("instanceof", CP_KW_INSTANCEOF),
    K("new", CP_KW_NEW),
    K("null", CP_KW_NULL),
    K("return", CP_KW_RETURN),
    K("super", CP_KW_SUPER),
    K("switch", CP_KW_SWITCH),
    K("this", CP_KW_THIS),
    K("throw", CP_KW_THROW),
    K("true", CP_KW_TRUE),
    K("try", CP_KW_TRY),
    K("typeof", CP_KW_TYPEOF),
    K("var", CP_KW_VAR),
    K("void", CP_KW_VOID),
    K("while", CP_KW_WHILE),
    K("with", CP_KW_WITH),
    K("yield", CP_KW_YIELD),
    K("let", CP_KW_LET),
    K("of", CP_KW_OF),
    K("async", CP_KW_ASYNC),
    K("static", CP_KW_STATIC),
    K("get", CP_KW_GET),
    K("set", CP_KW_SET),
#undef K
};

static int keyword(const char *s, size_t n)
{
	if (n < 2 || n > 10 || s[0] < 'a' || s[0] > 'y')
		return 0;
	for (size_t i = 0; i < sizeof kws / sizeof *kws; i++)
		if (kws[i].len == n && kws[i].s[0] == s[0] && !memcmp(kws[i].s, s, n))
			return kws[i].kw;
	return 0;
}

void cp_js_lex_init(cp_js_lexer *l, const char *src, size_t len, int module, const char *name,
		    cp_error *err)
{
	cp_js__classes_init();
	memset(l, 0, sizeof *l);
	l->src = src;
	l->len = len;
	l->line = 1;
	l->module = module;
	l->name = name ? name : "";
	l->err = err;
	l->state = CP_JS_S_STMT;
	l->line_begin = 1;
	l->cap = 32;
	l->stack = cp_xcalloc(l->cap, sizeof *l->stack);
	l->depth = 1; /* stack[0] is the top level */
}

void cp_js_lex_free(cp_js_lexer *l)
{
	free(l->stack);
	l->stack = NULL;
}

/* ---- punctuators ------------------------------------------------------- */

size_t cp_js_punct_len(const char *s, size_t n)
{
	if (!n)
		return 0;
	char c0 = s[0], c1 = n > 1 ? s[1] : 0, c2 = n > 2 ? s[2] : 0, c3 = n > 3 ? s[3] : 0;
	switch (c0) {
	case '{':
	case '}':
	case '(':
	case ')':
	case '[':
	case ']':
	case ';':
	case ',':
	case '~':
	case ':':
		return 1;
	case '.':
		return c1 == '.' && c2 == '.' ? 3 : 1;
	case '?':
		if (c1 == '?')
			return c2 == '=' ? 3 : 2;
		if (c1 == '.' && !(c2 >= '0' && c2 <= '9'))
			return 2;
		return 1;
	case '<':
		if (c1 == '<')
			return c2 == '=' ? 3 : 2;
		return c1 == '=' ? 2 : 1;
	case '>':
		if (c1 == '>') {
			if (c2 == '>')
				return c3 == '=' ? 4 : 3;
			return c2 == '=' ? 3 : 2;
		}
		return c1 == '=' ? 2 : 1;
	case '=':
		if (c1 == '=')
			return c2 == '=' ? 3 : 2;
		return c1 == '>' ? 2 : 1;
	case '!':
		if (c1 == '=')
			return c2 == '=' ? 3 : 2;
		return 1;
	case '+':
	case '-':
		return c1 == c0 || c1 == '=' ? 2 : 1;
	case '*':
		if (c1 == '*')
			return c2 == '=' ? 3 : 2;
		return c1 == '=' ? 2 : 1;
	case '&':
	case '|':
		if (c1 == c0)
			return c2 == '=' ? 3 : 2;
		return c1 == '=' ? 2 : 1;
	case '%':
	case '^':
	case '/':
		return c1 == '=' ? 2 : 1;
	}
	return 0;
}

/* ---- the regex/division state ------------------------------------------- */

static uint8_t brace_kind(cp_js_lexer *l, const cp_js_token *t)
{
	struct cp_js_frame *f = top(l);
	if (f->pend) {
		uint8_t k = f->pend;
		f->pend = 0;
		return k;
	}
	if (l->prev_arrow)
		return CP_JS_C_ARROW;
	if (l->state == CP_JS_S_EXPR) {
		if (t->nl && (l->prev_kw == CP_KW_RETURN || l->prev_kw == CP_KW_YIELD))
			return CP_JS_C_BLOCK;
		return CP_JS_C_OBJECT;
	}
	return CP_JS_C_BLOCK;
}

static int close_bracket(cp_js_lexer *l, const cp_js_token *t, char c)
{
	if (l->depth <= 1)
		return cp_js__fail(l, t->start,
				   c == ')'   ? "unexpected )"
				   : c == ']' ? "unexpected ]"
					      : "unexpected }");
	uint8_t k = top(l)->kind;
	int paren = k == CP_JS_C_PSTAT || k == CP_JS_C_PARAMS || k == CP_JS_C_PEXPR;
	int ok = c == ')'   ? paren
		 : c == ']' ? k == CP_JS_C_BRACKET
			    : !paren && k != CP_JS_C_BRACKET;
	if (!ok)
		return cp_js__fail(l, t->start, "mismatched bracket");
	l->depth--;
	switch (k) {
	case CP_JS_C_PSTAT:
	case CP_JS_C_PARAMS:
	case CP_JS_C_BLOCK:
	case CP_JS_C_FNDECL:
	case CP_JS_C_CLASSDECL:
		l->state = CP_JS_S_STMT;
		break;
	case CP_JS_C_ARROW:
		l->state = CP_JS_S_ARROW;
		break;
	default:
		l->state = CP_JS_S_END;
	}
	return 0;
}

static int punct(cp_js_lexer *l, cp_js_token *t)
{
	const char *s = l->src + l->pos;
	size_t n = cp_js_punct_len(s, l->len - l->pos);
	if (!n) {
		size_t k;
		long cp = cp_js__utf8((const unsigned char *)s, l->len - l->pos, &k);
		return cp_js__fail(l, l->pos, cp < 0 ? "invalid UTF-8" : "unexpected character");
	}
	t->type = CP_JS_PUNCT;
	t->end = l->pos += n;
	struct cp_js_frame *f = top(l);
	uint8_t st = CP_JS_S_EXPR;
	switch (s[0]) {
	case '(': {
		uint8_t k = CP_JS_C_PEXPR;
		if (!l->prev_dot && (l->prev_kw == CP_KW_IF || l->prev_kw == CP_KW_WHILE ||
				     l->prev_kw == CP_KW_FOR || l->prev_kw == CP_KW_WITH ||
				     (l->prev_kw == CP_KW_AWAIT && l->prev2_kw == CP_KW_FOR)))
			k = CP_JS_C_PSTAT;
		else if (f->pend == CP_JS_C_FNDECL || f->pend == CP_JS_C_FNEXPR)
			k = CP_JS_C_PARAMS;
		cp_js__push(l, k);
		break;
	}
	case '[':
		cp_js__push(l, CP_JS_C_BRACKET);
		break;
	case '{': {
		uint8_t k = brace_kind(l, t);
		cp_js__push(l, k);
		st = k == CP_JS_C_OBJECT ? CP_JS_S_EXPR : CP_JS_S_STMT;
		break;
	}
	case ')':
	case ']':
	case '}':
		return close_bracket(l, t, s[0]);
	case ';':
		st = CP_JS_S_STMT;
		f->pend = 0;
		break;
	case ',':
	case '=':
		if (n == 1)
			f->pend = 0;
		break;
	case '?':
		if (n == 1)
			f->ternary++;
		break;
	case '*': /* function* or a *method(): generators exist from here on */
		if (n == 1 && (l->prev_kw == CP_KW_FUNCTION || l->prev_kw == CP_KW_STATIC ||
			       l->prev_kw == CP_KW_ASYNC || l->prev_c == '{' || l->prev_c == ',' ||
			       l->prev_c == ';' || l->prev_c == '}'))
			l->seen_gen = 1;
		break;
	case ':':
		f->pend = 0;
		if (f->ternary)
			f->ternary--;
		else if (f->kind == CP_JS_C_TOP || f->kind == CP_JS_C_BLOCK ||
			 f->kind == CP_JS_C_FNDECL || f->kind == CP_JS_C_FNEXPR ||
			 f->kind == CP_JS_C_ARROW)
			st = CP_JS_S_STMT; /* a label, case or default */
		break;
	case '+':
	case '-':
		if (n == 2 && s[1] == s[0])
			st = l->state; /* ++/-- leave the state as it was */
		break;
	}
	l->state = st;
	return 0;
}

static void name_state(cp_js_lexer *l, cp_js_token *t)
{
	uint8_t st = CP_JS_S_END;
	int kw = t->kw;
	struct cp_js_frame *f;
	switch (kw) {
	case CP_KW_IF:
	case CP_KW_WHILE:
	case CP_KW_FOR:
	case CP_KW_WITH:
	case CP_KW_SWITCH:
	case CP_KW_ELSE:
	case CP_KW_DO:
	case CP_KW_TRY:
	case CP_KW_FINALLY:
	case CP_KW_CATCH:
		st = CP_JS_S_STMT;
		break;
	case CP_KW_RETURN:
	case CP_KW_THROW:
	case CP_KW_TYPEOF:
	case CP_KW_INSTANCEOF:
	case CP_KW_IN:
	case CP_KW_NEW:
	case CP_KW_DELETE:
	case CP_KW_VOID:
	case CP_KW_CASE:
	case CP_KW_EXTENDS:
	case CP_KW_DEFAULT:
		st = CP_JS_S_EXPR;
		break;
	case CP_KW_YIELD: /* an operator only where a generator can be */
		if (l->seen_gen)
			st = CP_JS_S_EXPR;
		break;
	case CP_KW_AWAIT: /* in a module, or where an async function can be */
		if (l->module || l->seen_async)
			st = CP_JS_S_EXPR;
		break;
	case CP_KW_ASYNC:
		l->seen_async = 1;
		break;
	case CP_KW_OF:
		if (l->state == CP_JS_S_END)
			st = CP_JS_S_EXPR;
		else
			t->kw = CP_KW_NONE;
		break;
	case CP_KW_FUNCTION:
	case CP_KW_CLASS: {
		uint8_t before = l->state;
		if (kw == CP_KW_FUNCTION && l->prev_kw == CP_KW_ASYNC && !t->nl)
			before = l->prev_state;
		int expr = before == CP_JS_S_EXPR;
		f = top(l);
		if (kw == CP_KW_FUNCTION)
			f->pend = expr ? CP_JS_C_FNEXPR : CP_JS_C_FNDECL;
		else
			f->pend = expr ? CP_JS_C_CLASSEXPR : CP_JS_C_CLASSDECL;
		break;
	}
	}
	l->state = st;
}

/* Skips whitespace and line terminators (noting the latter). */
static void skip_space(cp_js_lexer *l)
{
	const unsigned char *s = (const unsigned char *)l->src;
	size_t n = l->len;
	for (;;) {
		while (l->pos < n && (cp_js_cls[s[l->pos]] & C_SP))
			l->pos++;
		if (l->pos >= n)
			return;
		unsigned char c = s[l->pos];
		if (c == '\n' || c == '\r') {
			size_t k = lt_len(l, l->pos);
			newline(l, l->pos + k);
			l->pos += k;
			continue;
		}
		if (c < 0x80)
			return;
		size_t k;
		long cp = cp_js__utf8(s + l->pos, n - l->pos, &k);
		if (cp == 0x2028 || cp == 0x2029)
			newline(l, l->pos + k);
		else if (cp < 0 || !cp_js__is_uspace(cp))
			return;
		l->pos += k;
	}
}

/* A comment at l->pos: 1 (read into t, or failed with *r set), 0 if none.
 * Comments are not significant: the regex/division state is kept. */
static int comment(cp_js_lexer *l, cp_js_token *t, int *r)
{
	const unsigned char *s = (const unsigned char *)l->src;
	size_t n = l->len, p = l->pos;
	unsigned char c = s[p], c1 = p + 1 < n ? s[p + 1] : 0;
	*r = 0;
	if (c == '/' && c1 == '/') {
		cp_js__line_comment(l, t, CP_JS_LINE_COMMENT);
	} else if (c == '/' && c1 == '*') {
		*r = cp_js__block_comment(l, t);
	} else if (!l->module && c == '<' && c1 == '!' && p + 3 < n && s[p + 2] == '-' &&
		   s[p + 3] == '-') {
		cp_js__line_comment(l, t, CP_JS_HTML_COMMENT);
	} else if (!l->module && c == '-' && c1 == '-' && p + 2 < n && s[p + 2] == '>' &&
		   l->line_begin) {
		cp_js__line_comment(l, t, CP_JS_HTML_COMMENT);
	} else {
		return 0;
	}
	return 1;
}

/* Reads the significant token at l->pos and updates the state. */
static int significant(cp_js_lexer *l, cp_js_token *t)
{
	const unsigned char *s = (const unsigned char *)l->src;
	size_t n = l->len;
	unsigned char c = s[l->pos], c1 = l->pos + 1 < n ? s[l->pos + 1] : 0;
	int r = 0, esc = 0;
	size_t k;
	if ((c < 0x80 && (cp_js_cls[c] & C_DIG)) || (c == '.' && (cp_js_cls[c1] & C_DIG))) {
		r = cp_js__number(l, t);
		l->state = CP_JS_S_END;
	} else if ((k = cp_js__id_char(l, l->pos, 1, &esc)) != 0) {
		size_t e = cp_js__scan_name(l, l->pos + k, &esc);
		t->type = CP_JS_NAME;
		t->end = l->pos = e;
		t->escaped = esc;
		if (!esc && !l->prev_dot)
			t->kw = keyword(l->src + t->start, e - t->start);
		name_state(l, t);
	} else if (c == '"' || c == '\'') {
		r = cp_js__string(l, t);
		l->state = CP_JS_S_END;
	} else if (c == '`') {
		r = cp_js__template(l, t, l->pos + 1, 1);
		l->state = t->type == CP_JS_TMPL_HEAD ? CP_JS_S_EXPR : CP_JS_S_END;
	} else if (c == '}' && top(l)->kind == CP_JS_C_TMPL) {
		l->depth--;
		r = cp_js__template(l, t, l->pos + 1, 0);
		l->state = t->type == CP_JS_TMPL_MID ? CP_JS_S_EXPR : CP_JS_S_END;
	} else if (c == '#') {
		size_t e = l->pos + 1 < n ? cp_js__id_char(l, l->pos + 1, 1, &esc) : 0;
		if (!e)
			return cp_js__fail(l, l->pos, "unexpected character '#'");
		t->type = CP_JS_PRIVATE;
		t->end = l->pos = cp_js__scan_name(l, l->pos + 1 + e, &esc);
		l->state = CP_JS_S_END;
	} else if (c == '/' && l->state != CP_JS_S_END) {
		r = cp_js__regex(l, t);
		l->state = CP_JS_S_END;
	} else {
		r = punct(l, t);
	}
	if (r)
		return r;
	l->prev2_kw = l->prev_kw;
	l->prev_kw = t->kw;
	l->prev_dot = t->type == CP_JS_PUNCT && ((t->end - t->start == 1 && c == '.') ||
						 (c == '?' && c1 == '.' && t->end - t->start == 2));
	l->prev_arrow = t->type == CP_JS_PUNCT && c == '=' && c1 == '>';
	l->prev_c = t->type == CP_JS_PUNCT ? c : 0;
	return 0;
}

int cp_js_next(cp_js_lexer *l, cp_js_token *t)
{
	if (l->pos == 0 && l->len >= 2 && l->src[0] == '#' && l->src[1] == '!') {
		memset(t, 0, sizeof *t);
		t->line = 1;
		cp_js__line_comment(l, t, CP_JS_HASHBANG);
		return 0;
	}
	skip_space(l);
	t->start = l->pos;
	t->line = l->line;
	t->line_start = l->line_start;
	t->nl = l->nl;
	t->kw = 0;
	t->escaped = 0;
	t->ctx = top(l)->kind;
	t->after = l->state;
	if (l->pos >= l->len) {
		t->type = CP_JS_EOF;
		t->end = l->len;
		if (l->depth > 1)
			return cp_js__fail(l, l->len,
					   "unexpected end of input: a bracket is not closed");
		return 0;
	}
	int r;
	if (comment(l, t, &r))
		return r;
	uint8_t before = l->state;
	if ((r = significant(l, t)) != 0)
		return r;
	l->prev_state = before;
	l->nl = 0;
	l->line_begin = 0;
	t->after = l->state;
	return 0;
}
