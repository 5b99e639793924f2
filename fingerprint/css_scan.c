/*
 * css_scan.c - finding the references of a stylesheet (cp_scan_css).
 *
 * Built on the project's CSS tokenizer (syntax/css_lex.h) rather than on
 * Django's regular expressions, so a `url(` inside a comment or inside a
 * string is never taken for a reference, and escapes in an unquoted url()
 * are decoded the way the browser decodes them.  Three shapes are reported:
 *
 *   url(x)            a url token                         CP_REF_URL
 *   url("x")          function "url(" + string + ")"      CP_REF_URL
 *   @import "x"       at-keyword + string                 CP_REF_IMPORT
 *   /-*# sourceMappingURL=x *-/  at the start of a line   CP_REF_SOURCEMAP
 *
 * (@import url(x) is simply a url token after the at-keyword.)  The span of a
 * reference covers exactly what a rewrite replaces; an @import's media,
 * supports() or layer() tail lies outside it and so survives rewriting.
 *
 * Every URL is reported, data:, absolute, empty and fragment-only included:
 * which of them are files of the build is the resolver's decision, made in
 * one place.  The source-map comment follows Django's pattern
 * `(?m)^/\*#[ \t](?-i:sourceMappingURL)=(?P<url>.*)[ \t]*\*-/$`: the comment
 * starts a line, sits on one line and ends it.
 */
#include "fingerprint/fingerprint.h"

#include <string.h>
#include <strings.h>

typedef struct scanner {
	const char *s;
	size_t len;
	cp_css_lex lex;
	cp_css_lines lines;
	cp_refs *refs;
	cp_css_tok look; /* one token of lookahead, valid when have_look */
	int have_look;
} scanner;

static cp_css_type next(scanner *sc, cp_css_tok *t)
{
	if (sc->have_look) {
		*t = sc->look;
		sc->have_look = 0;
		return t->type;
	}
	return cp_css_next(&sc->lex, t);
}

/* Next token that is not whitespace or a comment. */
static cp_css_type next_significant(scanner *sc, cp_css_tok *t)
{
	while (next(sc, t) == CP_CSS_WS || t->type == CP_CSS_COMMENT)
		;
	return t->type;
}

static void push_back(scanner *sc, const cp_css_tok *t)
{
	sc->look = *t;
	sc->have_look = 1;
}

static void add(scanner *sc, cp_ref_kind kind, size_t start, size_t end, cp_buf *url)
{
	cp_ref r;
	memset(&r, 0, sizeof r);
	r.kind = kind;
	r.start = start;
	r.end = end;
	r.target = -1;
	cp_css_linecol(&sc->lines, start, &r.line, &r.col);
	r.url = cp_buf_take(url);
	cp_refs_push(sc->refs, &r);
}

static int is_word(const char *s, const cp_css_tok *t, size_t skip, const char *word)
{
	size_t n = strlen(word);
	return !(t->flags & CP_CSS_ESCAPED) && t->end - t->start == n + skip &&
	       !strncasecmp(s + t->start + skip, word, n);
}

/* After a "url(" function token: ws* string ws* ")" makes a reference. */
static void quoted_url(scanner *sc, const cp_css_tok *fn)
{
	cp_css_tok str, t;
	if (next_significant(sc, &str) != CP_CSS_STRING) {
		push_back(sc, &str);
		return;
	}
	size_t end = str.end;
	if (!(str.flags & CP_CSS_UNTERMINATED)) {
		if (next_significant(sc, &t) == CP_CSS_RPAREN)
			end = t.end;
		else if (t.type != CP_CSS_EOF) {
			/* url("a" b): not a url the browser would load */
			push_back(sc, &t);
			return;
		}
	}
	cp_buf url = CP_BUF_INIT;
	cp_css_decode_string(sc->s, &str, &url);
	add(sc, CP_REF_URL, fn->start, end, &url);
}

static void import_rule(scanner *sc, const cp_css_tok *at)
{
	cp_css_tok t;
	if (next_significant(sc, &t) != CP_CSS_STRING) {
		push_back(sc, &t); /* url(x) or garbage: seen by the main loop */
		return;
	}
	cp_buf url = CP_BUF_INIT;
	cp_css_decode_string(sc->s, &t, &url);
	add(sc, CP_REF_IMPORT, at->start, t.end, &url);
}

static void source_map_comment(scanner *sc, const cp_css_tok *t)
{
	static const char key[] = "sourceMappingURL=";
	const char *s = sc->s;
	size_t a = t->start, b = t->end;
	if (t->flags & CP_CSS_UNTERMINATED || b - a < 3 + 1 + sizeof key - 1 + 2)
		return;
	if (s[a + 2] != '#' || (s[a + 3] != ' ' && s[a + 3] != '\t') ||
	    memcmp(s + a + 4, key, sizeof key - 1))
		return;
	if (a > 0 && s[a - 1] != '\n' && s[a - 1] != '\r')
		return; /* not at the start of a line */
	if (b < sc->len && s[b] != '\n' && s[b] != '\r')
		return; /* not at the end of one */
	size_t u = a + 4 + sizeof key - 1, e = b - 2;
	if (memchr(s + a, '\n', b - a) || memchr(s + a, '\r', b - a))
		return;
	while (e > u && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	cp_buf url = CP_BUF_INIT;
	cp_buf_append(&url, s + u, e - u);
	add(sc, CP_REF_SOURCEMAP, a, b, &url);
}

void cp_scan_css(const char *text, size_t len, cp_refs *refs)
{
	scanner sc;
	memset(&sc, 0, sizeof sc);
	sc.s = text;
	sc.len = len;
	sc.refs = refs;
	cp_css_lex_init(&sc.lex, text, len);
	cp_css_lines_init(&sc.lines, text, len);
	cp_css_tok t;
	while (next(&sc, &t) != CP_CSS_EOF) {
		switch (t.type) {
		case CP_CSS_URL: {
			cp_buf url = CP_BUF_INIT;
			cp_css_decode_url(text, &t, &url);
			add(&sc, CP_REF_URL, t.start, t.end, &url);
			break;
		}
		case CP_CSS_FUNCTION:
			if (is_word(text, &t, 0, "url("))
				quoted_url(&sc, &t);
			break;
		case CP_CSS_AT_KEYWORD:
			if (is_word(text, &t, 1, "import"))
				import_rule(&sc, &t);
			break;
		case CP_CSS_COMMENT:
			if (t.end - t.start > 4 && text[t.start + 2] == '#')
				source_map_comment(&sc, &t);
			break;
		default:
			break;
		}
	}
}
