/*
 * css_min.c - the CSS minifier's structure pass (cp_minify_css).
 *
 * The stylesheet is walked the way CSS Syntax Level 3 parses it (a list of
 * rules; qualified rules with a prelude and a block; at-rules ending at ';'
 * or a block; declaration lists with nested rules), but nothing is built: the
 * walk writes the output as it goes.  Each construct is written by the rule
 * that makes it safe:
 *
 *  - selectors: whitespace is the descendant combinator, so only whitespace
 *    next to ',', '>', '+', '~', '(' and ')' goes; inside [] all of it goes
 *    and a quoted attribute value that is an identifier loses its quotes;
 *  - declarations: property name and value, the value handed to
 *    css_min_values.c; custom properties (--x) keep their value byte for
 *    byte, since a script may read it back; a declaration that does not parse
 *    (or holds an IE `progid:` / `expression()`) is written as it stands;
 *  - at-rules: the known ones (@media, @supports, @font-face, @keyframes,
 *    @import, ...) get their prelude's whitespace trimmed and their block
 *    minified; an unknown at-rule keeps every token as written, because we
 *    cannot know what its grammar makes of them, and only its runs of
 *    whitespace and comments shrink to one space; @charset is copied exactly
 *    when it is the file's first bytes and dropped elsewhere (ignored there);
 *  - the last ';' of a block and empty style rules go (one comes back before
 *    an @import or @namespace, whose validity depends on what precedes it);
 *    comments go, except legal comments (slash-star-bang), kept in place,
 *    moved to the end or dropped as asked.
 *
 * Error recovery follows the spec rather than fighting it: text the browser
 * would drop (a rule without a block, a broken declaration) is written
 * unchanged, so what the browser ignores stays ignored and nothing else moves.
 * Constructs cut off by the end of the file (a string, a url(), a comment) are
 * closed, which is what the spec does at EOF anyway, so a sourceMappingURL
 * comment appended after them stays a comment.  Blocks cut off by EOF are left
 * open, as in the input.
 *
 * The output is idempotent (minifying it again gives the same bytes) and
 * keeps every url() and @import where the reference scanner finds them.
 */
#include "minify/css/css_min.h"
#include "sourcemap/sourcemap.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- walking ---- */

static size_t trim_end(cssmin *m, size_t i, size_t j)
{
	while (j > i && (m->t[j - 1].type == CP_CSS_WS || m->t[j - 1].type == CP_CSS_COMMENT))
		j--;
	return j;
}

static void legal_comment(cssmin *m, const css_tok *t)
{
	const char *p = m->s + t->start;
	size_t n = t->end - t->start;
	if (n < 3 || p[2] != '!' || m->o->legal == CP_LEGAL_NONE)
		return;
	if (m->o->legal == CP_LEGAL_EOF) {
		cp_buf_append(&m->legal, p, n);
		if (t->flags & CP_CSS_UNTERMINATED)
			cp_buf_append(&m->legal, "*/", 2);
		cp_buf_putc(&m->legal, '\n');
		return;
	}
	css_put(m, CP_CSS_COMMENT, p, n);
	css_close_cut(m, t);
	m->last = CP_CSS_EOF; /* a comment separates whatever follows */
}

enum sel_kind { SEL_STYLE, SEL_KEYFRAME };

static void attr_string(cssmin *m, int sep, const css_tok *t)
{
	const char *p = m->s + t->start;
	size_t n = t->end - t->start;
	if (t->type == CP_CSS_STRING && !(t->flags & (CP_CSS_ESCAPED | CP_CSS_UNTERMINATED)) &&
	    m->last == CP_CSS_DELIM && m->last_ch == '=' && n > 2 &&
	    cp_css_is_plain_ident(p + 1, n - 2) && !(p[1] == '-' && p[2] == '-')) {
		/* (an identifier starting "--" is recent CSS: left quoted) */
		css_sep(m, CTX_SEL_IN, sep, CP_CSS_IDENT, p[1]);
		css_put(m, CP_CSS_IDENT, p + 1, n - 2);
		return;
	}
	css_put_string(m, CTX_SEL_IN, sep, t);
}

static void keyframe_selector(cssmin *m, int sep, const css_tok *t)
{
	const char *p = m->s + t->start;
	size_t n = t->end - t->start;
	if (t->type == CP_CSS_IDENT && n == 4 && !strncasecmp(p, "from", 4)) {
		css_sep(m, CTX_SEL, sep, CP_CSS_PERCENTAGE, '0');
		css_put(m, CP_CSS_PERCENTAGE, "0%", 2);
		return;
	}
	if (t->type == CP_CSS_PERCENTAGE) {
		char buf[64];
		size_t k = t->numlen;
		if (k + 2 < sizeof buf) {
			k = css_min_number(p, k, buf);
			if (k == 3 && !memcmp(buf, "100", 3)) {
				css_sep(m, CTX_SEL, sep, CP_CSS_IDENT, 't');
				css_put(m, CP_CSS_IDENT, "to", 2);
				return;
			}
			buf[k++] = '%';
			css_sep(m, CTX_SEL, sep, CP_CSS_PERCENTAGE, buf[0]);
			css_put(m, CP_CSS_PERCENTAGE, buf, k);
			return;
		}
	}
	css_put_tok(m, CTX_SEL, sep, t);
}

static int ident_in(cssmin *m, const css_tok *t, const char *const *set)
{
	size_t n = t->end - t->start;
	if (t->type != CP_CSS_IDENT || (t->flags & CP_CSS_ESCAPED))
		return 0;
	for (; *set; set++)
		if (strlen(*set) == n && !strncasecmp(*set, m->s + t->start, n))
			return 1;
	return 0;
}

/* The four pseudo-elements CSS2 spelled with one colon. */
static int legacy_pseudo(cssmin *m, const css_tok *t)
{
	static const char *const names[] = {"before", "after", "first-line", "first-letter", NULL};
	return ident_in(m, t, names);
}

/* May this selector share a rule with its neighbour?  A selector list is
 * dropped whole when one member is invalid, so two rules may only be merged
 * when every browser understands both: type, class, id, attribute selectors,
 * combinators and CSS 2.1's pseudo-classes and pseudo-elements, nothing
 * vendor-prefixed or more recent (:nth-child() would cost IE8 the rule). */
static int mergeable(cssmin *m, size_t i, size_t j)
{
	/* CSS 2.1's pseudo-classes: older browsers than that are gone */
	static const char *const pseudo[] = {"hover", "active",	     "focus", "visited",
					     "link",  "first-child", NULL};
	int brackets = 0;
	for (; i < j; i++) {
		const css_tok *t = &m->t[i];
		char c = m->s[t->start];
		switch (t->type) {
		case CP_CSS_WS:
		case CP_CSS_COMMENT:
		case CP_CSS_IDENT:
		case CP_CSS_HASH:
		case CP_CSS_COMMA:
			break;
		case CP_CSS_DELIM:
			if (!strchr(brackets ? "=^$|~*" : ".*>+~", c))
				return 0;
			break;
		case CP_CSS_LBRACKET:
			brackets++;
			break;
		case CP_CSS_RBRACKET:
			brackets--;
			break;
		case CP_CSS_STRING:
			if (!brackets || (t->flags & CP_CSS_UNTERMINATED))
				return 0;
			break;
		case CP_CSS_COLON:
			if (i + 1 < j && m->t[i + 1].type == CP_CSS_COLON)
				i++;
			if (i + 1 >= j)
				return 0;
			if (legacy_pseudo(m, &m->t[i + 1]) || ident_in(m, &m->t[i + 1], pseudo)) {
				i++;
				break;
			}
			return 0;
		default:
			return 0;
		}
	}
	return brackets == 0;
}

static int is_delim_ch(const cssmin *m, const css_tok *t, const char *set)
{
	return t->type == CP_CSS_DELIM && strchr(set, m->s[t->start]);
}

/* May the '*' at token k of a style selector [first, j) go?  "*:hover",
 * "*.a", "*#a", "*[a]" and "*::before" select what they do without it (a
 * default @namespace applies to both spellings), but only where the '*'
 * starts a compound selector: "a*.b" is invalid, and must stay so, and
 * "ns|*" or "*|a" are namespaces.  A comment is no whitespace here: '*', a
 * comment and ".a" read as "*.a". */
static int star_drops(cssmin *m, size_t k, size_t first, size_t j)
{
	const css_tok *t = &m->t[k];
	if (!is_delim_ch(m, t, "*") || k + 1 >= j)
		return 0;
	const css_tok *n = &m->t[k + 1];
	if (n->flags & CSS_WS_BEFORE)
		return 0;
	if (n->type == CP_CSS_DELIM
		? !(m->s[n->start] == '.' && k + 2 < j && m->t[k + 2].type == CP_CSS_IDENT &&
		    !(m->t[k + 2].flags & CSS_WS_BEFORE))
		: n->type != CP_CSS_COLON && n->type != CP_CSS_HASH && n->type != CP_CSS_LBRACKET)
		return 0;
	if (k == first || (t->flags & CSS_WS_BEFORE))
		return 1;
	const css_tok *p = &m->t[k - 1];
	return p->type == CP_CSS_COMMA || p->type == CP_CSS_LPAREN || p->type == CP_CSS_FUNCTION ||
	       is_delim_ch(m, p, ">+~");
}

static void selector(cssmin *m, size_t i, size_t j, enum sel_kind kind)
{
	int brackets = 0;
	j = trim_end(m, i, j);
	int sep = SEP_NONE;
	i = css_skip_ws(m, i, j, &sep);
	sep = SEP_NONE;
	size_t first = i;
	while (i < j) {
		const css_tok *t = &m->t[i];
		if (t->type == CP_CSS_WS || t->type == CP_CSS_COMMENT) {
			i = css_skip_ws(m, i, j, &sep);
			continue;
		}
		sep |= css_sep_of(t);
		enum css_ctx ctx = brackets ? CTX_SEL_IN : CTX_SEL;
		if (t->type == CP_CSS_LBRACKET)
			brackets++;
		else if (t->type == CP_CSS_RBRACKET && brackets)
			brackets--;
		/* exactly "::name", as written: ":::before" is not a pseudo-element
		 * (and dropping a colon from it would make it one) */
		if (t->type == CP_CSS_COLON && i + 2 < j && m->t[i + 1].type == CP_CSS_COLON &&
		    (i == first || m->t[i - 1].type != CP_CSS_COLON) &&
		    !((m->t[i + 1].flags | m->t[i + 2].flags) &
		      (CSS_WS_BEFORE | CSS_COMMENT_BEFORE)) &&
		    legacy_pseudo(m, &m->t[i + 2])) {
			i++; /* ::before -> :before: CSS2's spelling, read the same everywhere */
			continue;
		}
		if (!brackets && kind == SEL_STYLE && star_drops(m, i, first, j)) {
			i++; /* its separator (a descendant combinator) stays owed */
			continue;
		}
		if (brackets && t->type == CP_CSS_STRING)
			attr_string(m, sep, t);
		else if (t->type == CP_CSS_STRING)
			css_put_string(m, ctx, sep, t);
		else if (kind == SEL_KEYFRAME)
			keyframe_selector(m, sep, t);
		else
			css_put_tok(m, ctx, sep, t);
		sep = SEP_NONE;
		i++;
	}
}

static size_t at_rule(cssmin *m, size_t i, int in_decls, int top);
static size_t skip_block(cssmin *m, size_t b);
static size_t decls(cssmin *m, size_t i);
static size_t rules(cssmin *m, size_t i, int top, enum sel_kind kind);

/* Writes "{" + contents + "}" for the block opening at token b; removes the
 * whole construct from mark on when the block came out empty and may go
 * (a top-level one is held: see restore_held).
 * Returns the index after the block. */
/* An empty rule written from out offset mark on is about to go.  At top
 * level, before any @import has needed it back (restore_held), the first one
 * is held; one whose text might hold a reference (url(, @import, or an
 * escape that could spell them, in a broken prelude) stays in place
 * instead, since moving it would reorder the references the build
 * rewrites.  0: keep it. */
static int may_drop(cssmin *m, size_t mark)
{
	if (m->depth != 0 || m->restored)
		return 1;
	const char *p = m->out->data + mark;
	size_t n = m->out->len - mark;
	for (size_t k = 0; k < n; k++)
		if (p[k] == '\\' || (n - k >= 4 && !strncasecmp(p + k, "url(", 4)) ||
		    (n - k >= 7 && !strncasecmp(p + k, "@import", 7)))
			return 0; /* escapes could spell either */
	if (!m->held.len) {
		cp_buf_append(&m->held, p, n);
		cp_buf_putc(&m->held, '}');
	}
	return 1;
}

static size_t block(cssmin *m, size_t b, size_t mark, int removable,
		    size_t (*body)(cssmin *, size_t, int), int arg)
{
	if (m->depth >= CSS_MAX_DEPTH) {
		/* nesting this deep is an attack, not a stylesheet: keep the
		 * block as written rather than recurse further */
		size_t e = skip_block(m, b);
		css_put_raw(m, b, e);
		m->last = CP_CSS_EOF;
		return e;
	}
	css_put(m, CP_CSS_LBRACE, "{", 1);
	m->last = CP_CSS_EOF;
	size_t open = m->out->len;
	m->depth++;
	size_t i = body(m, b + 1, arg);
	m->depth--;
	if (m->out->len == open && removable && may_drop(m, mark)) {
		css_truncate(m, mark);
	} else if (m->t[i].type == CP_CSS_RBRACE) {
		css_put(m, CP_CSS_RBRACE, "}", 1);
	}
	m->last = CP_CSS_EOF;
	return m->t[i].type == CP_CSS_RBRACE ? i + 1 : i;
}

static size_t body_decls(cssmin *m, size_t i, int arg)
{
	(void)arg;
	return decls(m, i);
}

static size_t body_rules(cssmin *m, size_t i, int arg)
{
	return rules(m, i, 0, (enum sel_kind)arg);
}

static size_t qualified_rule(cssmin *m, size_t i, int nested, enum sel_kind kind)
{
	size_t j = css_find_stop(m, i, STOP(CP_CSS_LBRACE) | (nested ? STOP(CP_CSS_RBRACE) : 0));
	if (m->t[j].type != CP_CSS_LBRACE) {
		/* no block: the browser drops it; keep the text as it is */
		css_put_raw(m, i, trim_end(m, i, j));
		m->last = CP_CSS_EOF;
		return j;
	}
	size_t mark = m->out->len;
	/* the first token written: a leading '*' may go, and "::before"
	 * after it lose a colon */
	size_t w = i + (kind == SEL_STYLE && star_drops(m, i, i, j));
	if (w > i && w + 2 < j && m->t[w].type == CP_CSS_COLON &&
	    m->t[w + 1].type == CP_CSS_COLON && legacy_pseudo(m, &m->t[w + 2]))
		w++;
	css_mark_segment(m, m->t[w].start);
	selector(m, i, j, kind);
	size_t sel_end = m->out->len;
	size_t e = block(m, j, mark, 1, body_decls, 0);
	if (m->out->len > mark && m->out->data[m->out->len - 1] == '}') {
		m->q.start = mark;
		m->q.sel_end = sel_end;
		m->q.end = m->out->len;
		m->q.depth = m->depth;
		m->q.style = kind == SEL_STYLE;
		m->q.mergeable = m->q.style && mergeable(m, i, j);
	}
	return e;
}

static size_t rules(cssmin *m, size_t i, int top, enum sel_kind kind)
{
	for (;;) {
		if (top)
			i = css_window_fill(m, i);
		const css_tok *t = &m->t[i];
		switch (t->type) {
		case CP_CSS_EOF:
			return i;
		case CP_CSS_WS:
			i++;
			continue;
		case CP_CSS_COMMENT:
			legal_comment(m, t);
			i++;
			continue;
		case CP_CSS_CDO:
		case CP_CSS_CDC:
			if (top) {
				i++;
				continue;
			}
			break;
		case CP_CSS_RBRACE:
			if (!top)
				return i;
			break;
		case CP_CSS_AT_KEYWORD:
			i = at_rule(m, i, 0, top);
			continue;
		default:
			break;
		}
		size_t before = m->out->len;
		m->q.mergeable = m->q.style = 0;
		m->q.end = 0;
		i = qualified_rule(m, i, !top, kind);
		if (m->q.end == m->out->len && m->q.end > before)
			css_merge_rule(m, before);
	}
}

/* Writes '{', '}' or ';': nothing merges with them, but a bad string
 * written last still needs its newline. */
static void put_punct(cssmin *m, cp_css_type type, char c)
{
	css_sep(m, CTX_VALUE, SEP_NONE, type, c);
	css_put(m, type, &c, 1);
	m->last = CP_CSS_EOF;
}

/* Lower-cased copy of a name for table look-ups ("" when too long). */
static void lower_name(const char *p, size_t n, char *buf, size_t bufsz)
{
	if (n >= bufsz)
		n = 0;
	for (size_t k = 0; k < n; k++)
		buf[k] = (char)((p[k] >= 'A' && p[k] <= 'Z') ? p[k] + 32 : p[k]);
	buf[n] = 0;
}

/* A value the minifier must not touch: IE filters (progid:...) and
 * expression(), whose grammar is not CSS. */
static int opaque_value(cssmin *m, size_t i, size_t j)
{
	for (; i < j; i++) {
		const css_tok *t = &m->t[i];
		if (t->type == CP_CSS_COLON)
			return 1;
		if (t->type == CP_CSS_FUNCTION && t->end - t->start == 11 &&
		    !strncasecmp(m->s + t->start, "expression(", 11))
			return 1;
	}
	return 0;
}

/* A custom property's value, tokens [v, j) (j: the declaration's end),
 * copied as written.  An empty one that had whitespace keeps a space:
 * `--x:;` is valid today, but older Chromium and Safari dropped it as
 * invalid where `--x: ;` was fine (esbuild and cssnano keep it too). */
static void custom_value(cssmin *m, size_t v, size_t j)
{
	if (v < j) {
		css_put_raw(m, v, j);
		return;
	}
	if (m->t[j].flags & (CSS_WS_BEFORE | CSS_COMMENT_BEFORE)) {
		css_put(m, CP_CSS_WS, " ", 1);
		m->last = CP_CSS_EOF;
	}
}

/* One declaration, tokens [i, j) up to (not including) its ';' or '}'. */
static void declaration(cssmin *m, size_t i, size_t j)
{
	j = trim_end(m, i, j);
	size_t k = i;
	if (m->t[k].type == CP_CSS_DELIM && k + 1 < j && m->t[k + 1].type == CP_CSS_IDENT)
		k++; /* *zoom, +width, ...: IE hacks, kept as written */
	int sep = 0;
	size_t c = k + 1 < j ? css_skip_ws(m, k + 1, j, &sep) : j;
	if (m->t[k].type != CP_CSS_IDENT || c >= j || m->t[c].type != CP_CSS_COLON) {
		css_put_raw(m, i, j); /* not a declaration: the browser drops it as it is */
		return;
	}
	css_mark_segment(m, m->t[i].start);
	const css_tok *name = &m->t[k];
	css_put(m, CP_CSS_IDENT, m->s + m->t[i].start, name->end - m->t[i].start);
	css_put(m, CP_CSS_COLON, ":", 1);
	size_t v = css_skip_ws(m, c + 1, j, &sep);
	const char *np = m->s + name->start;
	size_t nn = name->end - name->start;
	if ((nn >= 2 && np[0] == '-' && np[1] == '-') ||
	    (m->in_property && nn == 13 && !strncasecmp(np, "initial-value", 13))) {
		/* custom property: the value is the author's, byte for byte.  So
		 * is @property's initial-value: under syntax "*" it is a raw token
		 * list like a custom property's (0px -> 0 would make
		 * calc(var(--u) + 50px) invalid), and under any other syntax
		 * the browser parses it, so a verbatim copy costs little. */
		custom_value(m, c + 1, j);
		return;
	}
	if (opaque_value(m, v, j)) {
		css_put_raw(m, v, j);
		return;
	}
	char lname[64];
	lower_name(np, nn, lname, sizeof lname);
	unsigned mode = (name->flags & CP_CSS_ESCAPED) ? VAL_NO_NUMBERS | VAL_NO_ZERO_UNIT
						       : css_value_mode(lname, strlen(lname));
	m->last = CP_CSS_COLON;
	css_value(m, v, j, mode, CTX_VALUE, SEP_NONE);
}

/* A rule or at-rule nested in a declaration list.  The ';' owed to the
 * declaration before it is written first, and taken back when the rule
 * turns out empty and goes. */
static size_t nested(cssmin *m, size_t i, int *owed, int at)
{
	size_t before = m->out->len;
	if (*owed)
		put_punct(m, CP_CSS_SEMICOLON, ';');
	i = at ? at_rule(m, i, 1, 0) : qualified_rule(m, i, 1, SEL_STYLE);
	if (*owed && m->out->len == before + 1)
		css_truncate(m, before); /* still owed */
	else
		*owed = 0;
	return i;
}

/* Declaration list (a style rule's block, @font-face, ...), which may hold
 * nested rules and at-rules (CSS Nesting).  Returns the index of the
 * closing '}' or EOF. */
static size_t decls(cssmin *m, size_t i)
{
	int owed = 0; /* a ';' is owed before the next item */
	for (;;) {
		const css_tok *t = &m->t[i];
		switch (t->type) {
		case CP_CSS_EOF:
		case CP_CSS_RBRACE:
			return i;
		case CP_CSS_WS:
		case CP_CSS_SEMICOLON:
			i++;
			continue;
		case CP_CSS_COMMENT:
			if (t->end - t->start > 2 && m->s[t->start + 2] == '!' &&
			    m->o->legal == CP_LEGAL_INLINE && owed) {
				put_punct(m, CP_CSS_SEMICOLON, ';');
				owed = 0;
			}
			legal_comment(m, t);
			i++;
			continue;
		case CP_CSS_AT_KEYWORD:
			i = nested(m, i, &owed, 1);
			continue;
		default:
			break;
		}
		int custom = t->type == CP_CSS_IDENT && t->end - t->start >= 2 &&
			     m->s[t->start] == '-' && m->s[t->start + 1] == '-';
		unsigned stops = STOP(CP_CSS_SEMICOLON) | STOP(CP_CSS_RBRACE);
		size_t j = css_find_stop(m, i, stops | (custom ? 0 : STOP(CP_CSS_LBRACE)));
		if (m->t[j].type == CP_CSS_LBRACE) {
			i = nested(m, i, &owed, 0);
			continue;
		}
		if (owed)
			put_punct(m, CP_CSS_SEMICOLON, ';');
		owed = 0;
		size_t before = m->out->len;
		declaration(m, i, j);
		owed = m->out->len != before;
		i = j;
	}
}

enum at_kind { AT_UNKNOWN, AT_CHARSET, AT_STATEMENT, AT_RULES, AT_DECLS, AT_KEYFRAMES };

static enum at_kind classify(const char *name, int *removable)
{
	static const char *const rules_[] = {"media",	 "supports",	   "container",
					     "document", "-moz-document",  "scope",
					     "layer",	 "starting-style", NULL};
	static const char *const decls_[] = {
	    "font-face", "page",	 "counter-style", "property", "font-palette-values",
	    "viewport",	 "-ms-viewport", "position-try",  NULL};
	static const char *const stmts[] = {"import", "namespace", NULL};
	*removable = 0;
	if (!strcmp(name, "charset"))
		return AT_CHARSET;
	for (int k = 0; stmts[k]; k++)
		if (!strcmp(name, stmts[k]))
			return AT_STATEMENT;
	for (int k = 0; rules_[k]; k++)
		if (!strcmp(name, rules_[k])) {
			/* an empty @layer still fixes the layer order */
			*removable = strcmp(name, "layer") != 0;
			return AT_RULES;
		}
	for (int k = 0; decls_[k]; k++)
		if (!strcmp(name, decls_[k])) {
			*removable = !strcmp(name, "font-face") || !strcmp(name, "page");
			return AT_DECLS;
		}
	size_t n = strlen(name);
	if (n >= 9 && !strcmp(name + n - 9, "keyframes") && (n == 9 || name[0] == '-'))
		return AT_KEYFRAMES;
	return AT_UNKNOWN;
}

/* Index after the block opening at b (its '}', or EOF). */
static size_t skip_block(cssmin *m, size_t b)
{
	size_t e = css_find_stop(m, b + 1, STOP(CP_CSS_RBRACE));
	return m->t[e].type == CP_CSS_RBRACE ? e + 1 : e;
}

/* An @import or @namespace is valid only before every other rule (but
 * @charset and @layer statements).  If an empty top-level rule was removed
 * before one, the browser ignored it in the input, and must in the output
 * too: the first such rule (held when it was removed) is written back here,
 * just before it.  Once one is back, every later @import is invalid in both,
 * so nothing more need be held. */
static void restore_held(cssmin *m)
{
	if (!m->held.len || m->restored)
		return;
	css_put(m, CP_CSS_RBRACE, m->held.data, m->held.len);
	m->last = CP_CSS_EOF;
	m->restored = 1;
}

/* Copies tokens [i, j) of a construct whose grammar we do not know (an
 * unknown at-rule, such as Tailwind's @theme), so that it reads as the same
 * token list: every token as written, each run of whitespace (with the
 * comments in it) as one space, and a comment alone between two tokens
 * dropped unless they would merge.  Whitespace runs never mean more than
 * "whitespace" to the tokenizer, whatever grammar reads the tokens. */
static void same_tokens(cssmin *m, size_t i, size_t j)
{
	for (size_t k = i; k < j; k++) {
		const css_tok *t = &m->t[k];
		size_t n = t->end - t->start;
		if (k == i)
			css_sep(m, CTX_VALUE, SEP_NONE, t->type, m->s[t->start]);
		else if ((t->flags & CSS_WS_BEFORE) && m->last != CP_CSS_EOF)
			css_put(m, CP_CSS_WS, " ", 1);
		else if (t->flags & CSS_COMMENT_BEFORE)
			css_sep(m, CTX_VALUE, SEP_COMMENT, t->type, m->s[t->start]);
		css_put(m, t->type, m->s + t->start, n);
		css_close_cut(m, t);
	}
}

static size_t at_rule(cssmin *m, size_t i, int in_decls, int top)
{
	const css_tok *at = &m->t[i];
	char name[64];
	lower_name(m->s + at->start + 1, at->end - at->start - 1, name, sizeof name);
	int removable;
	enum at_kind kind = (at->flags & CP_CSS_ESCAPED) ? AT_UNKNOWN : classify(name, &removable);
	if (top && (kind == AT_STATEMENT || (at->flags & CP_CSS_ESCAPED))) /* escaped: may be one */
		restore_held(m);
	unsigned stops = STOP(CP_CSS_SEMICOLON) | STOP(CP_CSS_LBRACE);
	size_t j = css_find_stop(m, i + 1, stops | (top ? 0 : STOP(CP_CSS_RBRACE)));
	cp_css_type end = m->t[j].type;
	if (kind == AT_CHARSET && at->start != 0) {
		/* Only the exact bytes `@charset "x";` at the very start of the
		 * file mean anything (and not after a BOM, which wins).  Elsewhere
		 * browsers ignore it, and it does not count as a rule before
		 * @import; kept, it could end up first in the output - after a
		 * dropped BOM, comment or empty rule - and change the encoding. */
		m->last = CP_CSS_EOF;
		return end == CP_CSS_LBRACE ? skip_block(m, j)
					    : (end == CP_CSS_SEMICOLON ? j + 1 : j);
	}
	if (kind == AT_UNKNOWN || kind == AT_CHARSET) {
		/* we do not know its grammar: its tokens are kept as written,
		 * only whitespace runs shrink (and @charset must be exactly
		 * `@charset "x";`) */
		size_t e = end == CP_CSS_LBRACE
			       ? skip_block(m, j)
			       : (end == CP_CSS_SEMICOLON ? j + 1 : trim_end(m, i, j));
		if (kind == AT_CHARSET)
			css_put_raw(m, i, e);
		else
			same_tokens(m, i, e);
		m->last = CP_CSS_EOF;
		return e;
	}
	size_t mark = m->out->len;
	css_mark_segment(m, at->start);
	css_put(m, CP_CSS_AT_KEYWORD, m->s + at->start, at->end - at->start);
	int sep = 0;
	size_t p = css_skip_ws(m, i + 1, j, &sep);
	size_t pe = trim_end(m, p, j);
	if (p < pe)
		css_value(m, p, pe, VAL_NO_ZERO_UNIT, CTX_PRELUDE, sep);
	if (end == CP_CSS_SEMICOLON) {
		put_punct(m, CP_CSS_SEMICOLON, ';');
		return j + 1;
	}
	if (end != CP_CSS_LBRACE) {
		m->last = CP_CSS_EOF;
		return j;
	}
	if (kind == AT_KEYFRAMES)
		return block(m, j, mark, 0, body_rules, SEL_KEYFRAME);
	if (kind == AT_DECLS || (kind == AT_RULES && in_decls)) {
		int was = m->in_property;
		m->in_property = !strcmp(name, "property");
		size_t e = block(m, j, mark, removable, body_decls, 0);
		m->in_property = was;
		return e;
	}
	if (kind == AT_RULES)
		return block(m, j, mark, removable, body_rules, SEL_STYLE);
	/* a statement at-rule with a block: not valid, keep its text */
	size_t e = skip_block(m, j);
	css_put_raw(m, j, e);
	m->last = CP_CSS_EOF;
	return e;
}

/* ---- entry point ---- */

static void write_map(cssmin *m, const cp_minify_opts *o, cp_buf *map)
{
	cp_srcmap sm;
	cp_srcmap_init(&sm);
	cp_css_lines src, gen;
	cp_css_lines_init(&src, m->s, m->len);
	cp_css_lines_init(&gen, m->out->data + m->base, m->out->len - m->base);
	for (size_t k = 0; k < m->nseg; k++) {
		unsigned sl, sc, gl, gc;
		cp_css_linecol(&src, m->seg[k].src, &sl, &sc);
		cp_css_linecol(&gen, m->seg[k].out, &gl, &gc);
		cp_srcmap_add(&sm, gl - 1, gc - 1, sl - 1, sc - 1);
	}
	const char *file = o->out_name ? cp_path_base(o->out_name) : NULL;
	cp_srcmap_json(&sm, file, o->source_name ? o->source_name : "", m->s, m->len, map);
	cp_srcmap_free(&sm);
}

/* The output starts with the bytes of U+FEFF: not the input's BOM (the
 * tokenizer skipped that) but the first code point of a name, after a
 * dropped BOM or comment.  A browser would take it for a BOM and strip it,
 * so it is written as an escape, which means the same code point. */
static void escape_lead_bom(cssmin *m)
{
	cp_buf *o = m->out;
	if (o->len - m->base < 3 || memcmp(o->data + m->base, "\xef\xbb\xbf", 3))
		return;
	cp_buf_reserve(o, 3);
	memmove(o->data + m->base + 6, o->data + m->base + 3, o->len - m->base - 3);
	memcpy(o->data + m->base, "\\feff ", 6);
	o->len += 3;
	o->data[o->len] = 0;
	for (size_t k = 0; k < m->nseg; k++)
		if (m->seg[k].out > 0)
			m->seg[k].out += 3;
}

int cp_minify_css(const char *in, size_t len, const cp_minify_opts *o, cp_buf *out, cp_buf *map,
		  cp_error *err)
{
	(void)err; /* CSS has no fatal errors: the spec recovers from everything */
	static const cp_minify_opts defaults = {0};
	cssmin m;
	memset(&m, 0, sizeof m);
	m.o = o ? o : &defaults;
	m.s = in ? in : "";
	m.len = in ? len : 0;
	m.out = out;
	if (m.len >= UINT32_MAX) {
		/* beyond the 32-bit token offsets: no stylesheet is this big */
		cp_buf_append(out, in, len);
		return 0;
	}
	/* room for all of it: growing by realloc could copy (and double) it */
	cp_buf_reserve(out, len + 64);
	m.base = out->len;
	m.want_map = m.o->map_url && map;
	m.last = CP_CSS_EOF;
	css_window_init(&m);
	rules(&m, 0, 1, SEL_STYLE);
	escape_lead_bom(&m);
	if (m.legal.len) {
		if (out->len > m.base)
			cp_buf_putc(out, '\n');
		cp_buf_append(out, m.legal.data, m.legal.len - 1); /* without its last '\n' */
	}
	if (m.o->map_url) {
		cp_buf_printf(out, "\n/*# sourceMappingURL=%s */", m.o->map_url);
		if (map)
			write_map(&m, m.o, map);
	}
	cp_buf_reserve(out, 0);
	out->data[out->len] = 0;
	free(m.t);
	free(m.seg);
	cp_buf_free(&m.legal);
	cp_buf_free(&m.held);
	return 0;
}
