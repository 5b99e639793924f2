/*
 * js_min.c - the JavaScript whitespace and comment minifier.
 *
 * It streams tokens from the project lexer (syntax/js_lex.h) and copies each one
 * (with the few rewrites below); mostly it decides what goes between two
 * tokens: nothing, a space
 * (where the two would otherwise lex as one: `a+ +b`, `1 .x`, `a/ /re/`), or
 * a line break.  Without a parser, a line break is dropped only where it can
 * be shown not to matter:
 *
 *   - after a token that cannot end an expression (an operator, `(`, `,`,
 *     `;`, a block's `}`, `else`...), a line break never ends a statement;
 *   - after one that can (a name, a literal, `)`, `]`, an object's `}`,
 *     postfix `++`), automatic semicolon insertion fires only before a token
 *     that cannot continue the expression; so the break is dropped before the
 *     ones that always continue it (binary operators, `(`, `[`, `.`, a
 *     template, `)`, `}`, `;`...) and kept before everything else;
 *   - the restricted productions keep theirs: after return/throw/break/
 *     continue/debugger/yield/await/async, before a postfix `++`/`--`, before
 *     `=>`; and in a class body a field name followed by a line break keeps it
 *     (`x\n[y]() {}` is two members).
 *
 * A kept break is written as `\n`, which is where the source had one, so the
 * program is the same by construction; `;` would be the same size and is not
 * needed.  The decision uses only the tokens and the lexer's state, so running
 * the minifier on its own output changes nothing (idempotence).
 *
 * Comments go, except legal ones (`/ *!`, `//!`, `@license`, `@preserve`),
 * which stay in place or move to the end (o->legal).  A sourceMappingURL
 * comment of the input is always dropped: its map describes the input.
 * `</script` in strings, templates, regexes and kept comments becomes
 * `<\/script` (the same value) so the output can be inlined in HTML.
 * Everything else is copied byte for byte: UTF-8 stays UTF-8.
 *
 * Rewrites that only need a token or two of context, each keeping the value
 * and the parse: a `;` after an expression right before `}` goes (ASI puts
 * it back; the last one of the file stays, files get concatenated); a
 * single-quoted string without `"` is written with double quotes; decimal
 * numbers take their shortest spelling (.5, 1.5, 1e3); "a" + "b" becomes "ab"
 * where nothing binds tighter than `+` on either side; `new a.b()` becomes
 * `new a.b` where nothing binds to the result.  Up to a few tokens are held
 * back for these (feed()), so the writer still streams.
 *
 * Source maps: one segment per output token, columns in UTF-16 code units as
 * browsers count them; with an input map each segment is looked up in it
 * (srcmap_in.c) so the output maps to the original sources.
 */
#include "minify/js/js_min.h"

#include "sourcemap/sourcemap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jm {
	const char *src;
	const cp_minify_opts *o;
	cp_buf *out;
	int have_prev;
	cp_js_token prev;
	int after_comment; /* a kept comment was written since prev: it separates tokens */
	int out_nl;	   /* a line terminator was written since prev */
	int semi;	   /* a `;` after an expression is held back: dropped before `}` */
	int prev_plain;
	/* "a" + "b" is folded to "ab": up to three tokens are held back */
	cp_js_token q[32];
	int new_mode; /* q holds `new a.b(` ...: see feed_new() */
	int nq;
	int fold_on; /* q[0]'s text is in fold (a folded string) */
	cp_buf fold, fold_tmp;
	cp_js_token last_fed;
	int have_fed; /* prev is a number written as digits only (1 .x needs the space) */
	cp_js_token semi_tok;
	cp_buf eof_legal;
	/* source map */
	cp_srcmap *sm;
	cp_srcmap_in *in;
	unsigned gen_line;
	size_t gen_off;	  /* output offset up to which gen_col is counted */
	unsigned gen_col; /* UTF-16 column at gen_off */
	unsigned src_line;
	size_t src_off;
	unsigned src_col;
};

static int is_punct(const struct jm *m, const cp_js_token *t, const char *p)
{
	size_t n = strlen(p);
	return t->type == CP_JS_PUNCT && t->end - t->start == n && !memcmp(m->src + t->start, p, n);
}

static int restricted(const cp_js_token *a)
{
	switch (a->kw) {
	case CP_KW_RETURN:
	case CP_KW_THROW:
	case CP_KW_BREAK:
	case CP_KW_CONTINUE:
	case CP_KW_DEBUGGER:
	case CP_KW_YIELD:
	case CP_KW_AWAIT:
	case CP_KW_ASYNC:
		return a->type == CP_JS_NAME;
	}
	return 0;
}

/* Must the line break between a and b stay? (See the header comment.) */
static int keep_newline(const struct jm *m, const cp_js_token *a, const cp_js_token *b)
{
	if (is_punct(m, b, "}"))
		return 0; /* a statement ends before } with or without the break */
	if (restricted(a) || is_punct(m, b, "=>"))
		return 1;
	int a_end = a->after == CP_JS_S_END || a->after == CP_JS_S_ARROW;
	if (!a_end)
		return 0;
	if (b->type == CP_JS_TEMPLATE || b->type == CP_JS_TMPL_HEAD || b->type == CP_JS_TMPL_MID ||
	    b->type == CP_JS_TMPL_TAIL)
		return 0;
	char c = m->src[b->start];
	size_t n = b->end - b->start;
	if (b->ctx == CP_JS_C_CLASSDECL || b->ctx == CP_JS_C_CLASSEXPR)
		return !(b->type == CP_JS_PUNCT &&
			 (c == ';' || c == '}' || c == '(' || (c == '=' && n == 1)));
	if (b->type == CP_JS_NAME)
		return !(b->kw == CP_KW_IN || b->kw == CP_KW_INSTANCEOF);
	if (b->type != CP_JS_PUNCT)
		return 1;
	switch (c) {
	case '{':
	case '!':
	case '~':
		return 1;
	case '.':
		return n == 3; /* ... */
	case '+':
	case '-':
		return n == 2 && m->src[b->start + 1] == c;
	}
	return 0;
}

static int word_end(const cp_js_token *t)
{
	return t->type == CP_JS_NAME || t->type == CP_JS_PRIVATE || t->type == CP_JS_NUMBER ||
	       t->type == CP_JS_REGEX;
}

/*
 * A decimal number in its shortest spelling of the same value: 0.5 is .5,
 * 1.50 is 1.5, 1.0 is 1, 1000 is 1e3, 1e+5 is 1e5.  Hex, octal, binary,
 * BigInt, legacy octal and numbers with separators are left alone.  Returns
 * the text (p itself or buf) and its length in *n.
 */
static const char *num_text(const char *p, size_t *n, char buf[80])
{
	size_t len = *n, i = 0;
	if (len > 64 || (p[0] == '0' && len > 1 && p[1] >= '0' && p[1] <= '9'))
		return p;
	while (i < len && p[i] >= '0' && p[i] <= '9')
		i++;
	size_t ilen = i, fstart = i, flen = 0;
	if (i < len && p[i] == '.') {
		fstart = ++i;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		flen = i - fstart;
	}
	const char *e = p + i;
	size_t elen = len - i;
	if (elen && (*e | 0x20) != 'e')
		return p; /* 0x.., 5n, 1_000 */
	for (size_t k = 1; k < elen; k++)
		if (!((e[k] >= '0' && e[k] <= '9') || (k == 1 && (e[k] == '+' || e[k] == '-'))))
			return p;
	while (flen && p[fstart + flen - 1] == '0')
		flen--;
	const char *ip = p;
	if (ilen == 1 && p[0] == '0' && flen)
		ilen = 0;
	size_t o = 0;
	if (!ilen && !flen)
		buf[o++] = '0';
	size_t zeros = 0;
	if (!flen && !elen && ilen > 3)
		while (zeros < ilen - 1 && ip[ilen - 1 - zeros] == '0')
			zeros++;
	if (zeros >= 3) {
		memcpy(buf + o, ip, ilen - zeros);
		o += ilen - zeros;
		o += sprintf(buf + o, "e%zu", zeros);
	} else {
		memcpy(buf + o, ip, ilen);
		o += ilen;
	}
	if (flen) {
		buf[o++] = '.';
		memcpy(buf + o, p + fstart, flen);
		o += flen;
	}
	if (elen) {
		buf[o++] = 'e';
		size_t k = 1;
		if (e[1] == '+')
			k = 2;
		memcpy(buf + o, e + k, elen - k);
		o += elen - k;
	}
	*n = o;
	return buf;
}

static int plain_integer(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return 0;
	return 1;
}

/* Would a and b, written without a space, lex differently? */
static int need_space(const struct jm *m, const cp_js_token *a, const cp_js_token *b, char b0)
{
	const char *s = m->src;
	char alast = s[a->end - 1];
	if (word_end(a)) {
		if (b->type == CP_JS_NAME)
			return 1;
		if (b->type == CP_JS_NUMBER)
			return b0 != '.' || (a->type == CP_JS_NUMBER && m->prev_plain);
		if (a->type == CP_JS_NUMBER && b0 == '.' && m->prev_plain)
			return 1;
		if (a->type == CP_JS_REGEX && (b0 == '/' || b0 == '*') && alast == '/')
			return 1;
		return 0;
	}
	if (a->type != CP_JS_PUNCT)
		return 0;
	if (alast == '/' && (b0 == '/' || b0 == '*'))
		return 1; /* a comment */
	if (alast == '<' && (b0 == '!' || b0 == '/'))
		return 1; /* <!-- and </script */
	size_t an = a->end - a->start;
	if (an == 2 && s[a->start] == '-' && alast == '-' && b0 == '>')
		return 1; /* --> */
	if (alast == '.' && b0 == '.')
		return 1; /* . . . is not ... */
	if (b->type == CP_JS_PUNCT) {
		char buf[8];
		size_t bn = b->end - b->start;
		if (bn > 4)
			bn = 4;
		memcpy(buf, s + a->start, an);
		memcpy(buf + an, s + b->start, bn);
		return cp_js_punct_len(buf, an + bn) != an;
	}
	if (alast == '.' && b->type == CP_JS_NUMBER)
		return 1;
	return 0;
}

/* UTF-16 length of p[0..n). */
static unsigned u16len(const char *p, size_t n)
{
	unsigned c = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char b = p[i];
		c += (b & 0xC0) != 0x80;
		c += b >= 0xF0;
	}
	return c;
}

/* Advances the output line/column over out[gen_off..len). */
static void gen_advance(struct jm *m)
{
	const char *p = m->out->data;
	size_t i = m->gen_off, n = m->out->len;
	if (!p)
		return; /* nothing written yet */
	for (size_t j = i; j < n; j++) {
		unsigned char c = p[j];
		size_t k = 0;
		if (c == '\n')
			k = 1;
		else if (c == '\r')
			k = j + 1 < n && p[j + 1] == '\n' ? 2 : 1;
		else if (c == 0xE2 && j + 2 < n && (unsigned char)p[j + 1] == 0x80 &&
			 ((unsigned char)p[j + 2] == 0xA8 || (unsigned char)p[j + 2] == 0xA9))
			k = 3;
		if (k) {
			m->gen_line++;
			m->gen_col = 0;
			i = j + k;
			j += k - 1;
		}
	}
	m->gen_col += u16len(p + i, n - i);
	m->gen_off = n;
}

static void map_token(struct jm *m, const cp_js_token *t)
{
	gen_advance(m);
	unsigned line = t->line - 1;
	if (line != m->src_line || t->start < m->src_off || m->src_off < t->line_start) {
		m->src_line = line;
		m->src_off = t->line_start;
		m->src_col = 0;
	}
	m->src_col += u16len(m->src + m->src_off, t->start - m->src_off);
	m->src_off = t->start;
	if (!m->in) {
		cp_srcmap_add(m->sm, m->gen_line, m->gen_col, line, m->src_col);
		return;
	}
	const cp_srcmap_seg *g = cp_srcmap_in_find(m->in, line, m->src_col);
	if (g)
		cp_srcmap_add_full(m->sm, m->gen_line, m->gen_col, g->src_idx, g->src_line,
				   g->src_col, g->name);
}

/* Appends p[0..n), writing `</script` as `<\/script`. */
static void put_escaped(cp_buf *out, const char *p, size_t n)
{
	const char *end = p + n, *q = p;
	while ((q = memchr(q, '<', end - q)) != NULL) {
		if (end - q >= 8 && q[1] == '/' && !strncasecmp(q + 2, "script", 6)) {
			cp_buf_append(out, p, q + 1 - p);
			cp_buf_putc(out, '\\');
			p = q + 1;
		}
		q++;
	}
	cp_buf_append(out, p, end - p);
}

/* A single-quoted string with no `"` in it is written with double quotes
 * (and `\'` as `'`): the same value, and one quote style compresses better. */
static void put_string(cp_buf *out, const char *p, size_t n)
{
	if (p[0] != '\'' || memchr(p + 1, '"', n - 2)) {
		put_escaped(out, p, n);
		return;
	}
	cp_buf_putc(out, '"');
	size_t from = 1;
	for (size_t i = 1; i + 1 < n; i++) {
		if (p[i] != '\\')
			continue;
		if (p[i + 1] == '\'') {
			put_escaped(out, p + from, i - from);
			from = i + 1;
		}
		i++;
	}
	put_escaped(out, p + from, n - 1 - from);
	cp_buf_putc(out, '"');
}

static int has(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

static void flush_semi(struct jm *m, const cp_js_token *next);

/* A legal comment (kept unless --legal-comments=none)?  Never the input's
 * sourceMappingURL comment. */
static int is_legal(const struct jm *m, const cp_js_token *t)
{
	const char *p = m->src + t->start;
	size_t n = t->end - t->start;
	if (n >= 21 && (p[2] == '#' || p[2] == '@') && !memcmp(p + 3, " sourceMappingURL=", 18))
		return 0;
	return (n > 2 && p[2] == '!') || has(p, n, "@license") || has(p, n, "@preserve");
}

static void comment(struct jm *m, const cp_js_token *t)
{
	const char *p = m->src + t->start;
	size_t n = t->end - t->start;
	if (!is_legal(m, t))
		return;
	int line = t->type == CP_JS_LINE_COMMENT;
	if (m->o->legal == CP_LEGAL_NONE)
		return;
	if (m->o->legal == CP_LEGAL_EOF) {
		put_escaped(&m->eof_legal, p, n);
		cp_buf_putc(&m->eof_legal, '\n');
		return;
	}
	flush_semi(m, NULL);
	if (m->out->len && t->nl && !m->out_nl) {
		cp_buf_putc(m->out, '\n');
		m->out_nl = 1;
	}
	if (m->out->len && m->out->data[m->out->len - 1] == '/')
		cp_buf_putc(m->out, ' '); /* a division or regex: `/ //!` is not `///!` */
	put_escaped(m->out, p, n);
	if (line) {
		cp_buf_putc(m->out, '\n');
		m->out_nl = 1;
	} else if (memchr(p, '\n', n) || memchr(p, '\r', n)) {
		m->out_nl = 1;
	}
	m->after_comment = 1;
}

static void emit(struct jm *m, const cp_js_token *t, const char *txt, size_t txtn);

/* Writes a held-back `;` (unless the next token is the `}` it may be dropped before). */
static void flush_semi(struct jm *m, const cp_js_token *next)
{
	if (!m->semi)
		return;
	m->semi = 0;
	if (next && next->type == CP_JS_PUNCT && m->src[next->start] == '}')
		return;
	emit(m, &m->semi_tok, NULL, 0);
}

static void token(struct jm *m, const cp_js_token *t, const char *txt, size_t txtn)
{
	if (t->type == CP_JS_PUNCT && m->src[t->start] == ';' && m->have_prev && !m->semi &&
	    (m->prev.after == CP_JS_S_END || m->prev.after == CP_JS_S_ARROW ||
	     (m->prev.type == CP_JS_NAME && m->prev.kw == CP_KW_RETURN)) &&
	    t->ctx != CP_JS_C_PSTAT) {
		m->semi = 1;
		m->semi_tok = *t;
		return;
	}
	flush_semi(m, t);
	emit(m, t, txt, txtn);
}

static void emit(struct jm *m, const cp_js_token *t, const char *txt, size_t txtn)
{
	const char *p = txt ? txt : m->src + t->start;
	size_t n = txt ? txtn : t->end - t->start;
	char nbuf[80];
	if (t->type == CP_JS_NUMBER)
		p = num_text(p, &n, nbuf);
	if (m->have_prev) {
		if (t->nl && keep_newline(m, &m->prev, t)) {
			if (!m->out_nl)
				cp_buf_putc(m->out, '\n');
		} else if (!m->after_comment && need_space(m, &m->prev, t, *p)) {
			cp_buf_putc(m->out, ' ');
		}
	}
	if (m->sm)
		map_token(m, t);
	switch (t->type) {
	case CP_JS_STRING:
		put_string(m->out, p, n);
		break;
	case CP_JS_NUMBER:
		cp_buf_append(m->out, p, n);
		m->prev_plain = plain_integer(p, n);
		break;
	case CP_JS_TEMPLATE:
	case CP_JS_TMPL_HEAD:
	case CP_JS_TMPL_MID:
	case CP_JS_TMPL_TAIL:
		put_escaped(m->out, p, n);
		break;
	case CP_JS_REGEX: { /* the closing / is never escaped (it could start a </script) */
		size_t body = n - 1;
		while (p[body] != '/')
			body--;
		put_escaped(m->out, p, body);
		cp_buf_append(m->out, p + body, n - body);
		break;
	}
	default:
		cp_buf_append(m->out, p, n);
	}
	m->prev = *t;
	m->have_prev = 1;
	m->after_comment = 0;
	m->out_nl = 0;
}

/*
 * Folding "a" + "b" into "ab".  Only where no neighbour binds tighter than
 * `+`: the token before the first string must be one after which an
 * expression starts with nothing stronger than `+` pending (`(`, `,`, `=`,
 * `?`, `:`, comparisons, assignments, `&&`, `||`, `??`, `=>`, `return`; not
 * a unary or binary `+`/`-`/`*`, and never at a statement start, where the
 * result could become a directive), and the token after the second must not
 * be a member access, call, template, `*`, `/`, `%`, `**`, `++`/`--`.  The two
 * strings must use the same quote, and a legacy octal escape at the end of the
 * first must not meet a digit (`"\1" + "2"` is not `"\12"`).
 */
static int fold_before_ok(const struct jm *m)
{
	const cp_js_token *a = &m->last_fed;
	if (!m->have_fed)
		return 0;
	if (a->type == CP_JS_NAME)
		return a->kw == CP_KW_RETURN;
	if (a->type != CP_JS_PUNCT)
		return 0;
	const char *p = m->src + a->start;
	size_t n = a->end - a->start;
	if (n == 1)
		return strchr("(,=[?:<>", p[0]) != NULL;
	return p[n - 1] == '=' || !memcmp(p, "=>", 2) || !memcmp(p, "&&", 2) ||
	       !memcmp(p, "||", 2) || !memcmp(p, "??", 2);
}

static int fold_after_blocks(const struct jm *m, const cp_js_token *t)
{
	if (t->type == CP_JS_TEMPLATE || t->type == CP_JS_TMPL_HEAD)
		return 1;
	if (t->type != CP_JS_PUNCT)
		return 0;
	const char *p = m->src + t->start;
	size_t n = t->end - t->start;
	if (n == 1)
		return strchr(".[(*/%", p[0]) != NULL;
	return !memcmp(p, "?.", 2) || !memcmp(p, "**", 2) || !memcmp(p, "++", 2) ||
	       !memcmp(p, "--", 2);
}

static const char *q0_text(const struct jm *m, size_t *n)
{
	if (m->fold_on) {
		*n = m->fold.len;
		return m->fold.data;
	}
	*n = m->q[0].end - m->q[0].start;
	return m->src + m->q[0].start;
}

/* The quote put_string() writes a string with. */
static char eff_quote(const char *p, size_t n)
{
	return p[0] == '\'' && !memchr(p + 1, '"', n - 2) ? '"' : p[0];
}

static int fold_joinable(const struct jm *m, const cp_js_token *t)
{
	size_t n;
	const char *a = q0_text(m, &n), *b = m->src + t->start;
	if (t->type != CP_JS_STRING ||
	    (m->fold_on ? a[0] : eff_quote(a, n)) != eff_quote(b, t->end - t->start))
		return 0;
	if (t->end - t->start > 2 && b[1] >= '0' && b[1] <= '9')
		for (size_t i = 1; i + 1 < n; i++)
			if (a[i] == '\\' && a[i + 1] >= '0' && a[i + 1] <= '9')
				return 0;
	return 1;
}

static void fold_flush(struct jm *m)
{
	for (int i = 0; i < m->nq; i++) {
		if (i == 0 && m->fold_on)
			token(m, &m->q[0], m->fold.data, m->fold.len);
		else
			token(m, &m->q[i], NULL, 0);
	}
	m->nq = 0;
	m->fold_on = 0;
}

/* q[0] + q[2] -> one string in fold, both written as put_string() would. */
static void fold_join(struct jm *m)
{
	size_t n;
	const char *a = q0_text(m, &n);
	const cp_js_token *b = &m->q[2];
	cp_buf_clear(&m->fold_tmp);
	if (m->fold_on)
		cp_buf_append(&m->fold_tmp, a, n);
	else
		put_string(&m->fold_tmp, a, n);
	m->fold_tmp.len--; /* its closing quote */
	size_t at = m->fold_tmp.len;
	put_string(&m->fold_tmp, m->src + b->start, b->end - b->start);
	memmove(m->fold_tmp.data + at, m->fold_tmp.data + at + 1, m->fold_tmp.len - at - 1);
	m->fold_tmp.len--; /* its opening quote */
	m->fold_tmp.data[m->fold_tmp.len] = 0;
	cp_buf swap = m->fold;
	m->fold = m->fold_tmp;
	m->fold_tmp = swap;
	m->fold_on = 1;
	m->nq = 1;
}

/*
 * `new a.b()` is written `new a.b` (the same NewExpression) when what follows
 * cannot apply to the result (a member access, call or template would bind
 * to `a.b` instead).  The callee must be plain names and dots, so `new
 * function(){}()` and `new this.#x()` are left alone.  Returns 1 when t was
 * held; 0 when the queue was written out and t is still to be handled.
 */
static int feed_new(struct jm *m, const cp_js_token *t)
{
	const cp_js_token *last = &m->q[m->nq - 1];
	int name =
	    t->type == CP_JS_NAME && !t->escaped && (t->kw == CP_KW_NONE || t->kw == CP_KW_THIS);
	int ok;
	if (m->nq == 1 || is_punct(m, last, "."))
		ok = name;
	else if (last->type == CP_JS_NAME)
		ok = is_punct(m, t, ".") || is_punct(m, t, "(");
	else if (is_punct(m, last, "("))
		ok = is_punct(m, t, ")");
	else { /* `new a.b()` is complete */
		if (!fold_after_blocks(m, t))
			m->nq -= 2;
		ok = 0;
	}
	if (ok && m->nq < (int)(sizeof m->q / sizeof *m->q)) {
		m->q[m->nq++] = *t;
		return 1;
	}
	fold_flush(m);
	m->new_mode = 0;
	return 0;
}

static void feed(struct jm *m, const cp_js_token *t)
{
	for (;;) {
		if (m->new_mode) {
			if (!feed_new(m, t))
				continue;
		} else if (m->nq == 0 && t->type == CP_JS_NAME && t->kw == CP_KW_NEW) {
			m->q[m->nq++] = *t;
			m->new_mode = 1;
		} else if (m->nq == 0 && t->type == CP_JS_STRING && fold_before_ok(m)) {
			m->q[m->nq++] = *t;
		} else if (m->nq == 1 && is_punct(m, t, "+")) {
			m->q[m->nq++] = *t;
		} else if (m->nq == 2 && fold_joinable(m, t)) {
			m->q[m->nq++] = *t;
		} else if (m->nq == 3 && !fold_after_blocks(m, t)) {
			fold_join(m);
			continue; /* t may continue the chain: "a" + "b" + "c" */
		} else {
			fold_flush(m);
			token(m, t, NULL, 0);
		}
		break;
	}
	m->last_fed = *t;
	m->have_fed = 1;
}

static int run(struct jm *m, cp_js_lexer *lx)
{
	cp_js_token t;
	for (;;) {
		if (cp_js_next(lx, &t))
			return CP_ERR_BUILD;
		switch (t.type) {
		case CP_JS_EOF:
			if (m->new_mode && m->nq > 3 && is_punct(m, &m->q[m->nq - 1], ")"))
				m->nq -= 2;
			else if (!m->new_mode && m->nq == 3)
				fold_join(m); /* nothing follows the second string */
			m->new_mode = 0;
			fold_flush(m);
			flush_semi(m, NULL);
			return 0;
		case CP_JS_HASHBANG:
			cp_buf_append(m->out, m->src + t.start, t.end - t.start);
			cp_buf_putc(m->out, '\n');
			m->out_nl = 1;
			break;
		case CP_JS_COMMENT:
		case CP_JS_LINE_COMMENT:
			if (m->o->legal == CP_LEGAL_INLINE && is_legal(m, &t)) {
				m->new_mode = 0; /* written here: what is held goes first */
				fold_flush(m);
			}
			comment(m, &t);
			break;
		case CP_JS_HTML_COMMENT:
			break;
		default:
			feed(m, &t);
		}
	}
}

int cp_minify_js_goal(const char *in, size_t len, const cp_minify_opts *o, int module, cp_buf *out,
		      cp_buf *map, cp_error *err)
{
	static const cp_minify_opts defaults = {0};
	if (!o)
		o = &defaults;
	size_t out0 = out->len;
	struct jm m = {.src = in, .o = o, .out = out, .gen_off = out0};
	cp_srcmap sm;
	cp_srcmap_in inmap;
	int want_map = o->map_url && map;
	if (want_map) {
		cp_srcmap_init(&sm);
		m.sm = &sm;
		if (o->in_map) {
			char why[256];
			if (cp_srcmap_in_parse(&inmap, o->in_map, o->in_map_len, why, sizeof why)) {
				cp_srcmap_in_free(&inmap);
				cp_srcmap_free(&sm);
				return cp_error_set(err, o->source_name, 0, 0, "%s", why);
			}
			m.in = &inmap;
		}
	}
	cp_js_lexer lx;
	cp_js_lex_init(&lx, in, len, module, o->source_name, err);
	int r = run(&m, &lx);
	cp_js_lex_free(&lx);
	if (!r) {
		if (m.eof_legal.len) {
			if (out->len > out0)
				cp_buf_putc(out, '\n');
			cp_buf_append(out, m.eof_legal.data, m.eof_legal.len);
		}
		if (out->len > out0 && out->data[out->len - 1] != '\n')
			cp_buf_putc(out, '\n');
		if (want_map) {
			cp_buf_printf(out, "//# sourceMappingURL=%s\n", o->map_url);
			if (m.in)
				cp_srcmap_json_composed(&sm, o->out_name, m.in, map);
			else
				cp_srcmap_json(&sm, o->out_name, o->source_name, in, len, map);
		}
	} else {
		out->len = out0;
		if (out->data)
			out->data[out0] = 0;
	}
	cp_buf_free(&m.eof_legal);
	cp_buf_free(&m.fold);
	cp_buf_free(&m.fold_tmp);
	if (want_map) {
		cp_srcmap_free(&sm);
		if (m.in)
			cp_srcmap_in_free(&inmap);
	}
	return r;
}

int cp_minify_js(const char *in, size_t len, const cp_minify_opts *o, cp_buf *out, cp_buf *map,
		 cp_error *err)
{
	const char *name = o && o->source_name ? o->source_name : "";
	size_t n = strlen(name);
	int module = n >= 4 && !strcmp(name + n - 4, ".mjs");
	return cp_minify_js_goal(in, len, o, module, out, map, err);
}
