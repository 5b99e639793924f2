/*
 * test_css_lex.c - the CSS tokenizer against CSS Syntax Level 3, section 4:
 * each token type, escapes, and the spec's recovery at EOF.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/cp.h"
#include "syntax/syntax.h"

/* Tokenizes s and writes "TYPE:text" items separated by '|' into out. */
static const char *names[] = {"EOF", "WS",     "COMMENT", "IDENT",  "FUNC",  "AT",    "HASH",
			      "STR", "BADSTR", "URL",	  "BADURL", "DELIM", "NUM",   "PCT",
			      "DIM", "CDO",    "CDC",	  "COLON",  "SEMI",  "COMMA", "[",
			      "]",   "(",      ")",	  "{",	    "}"};

static char *toks(const char *s)
{
	static char out[4096];
	cp_css_lex l;
	cp_css_tok t;
	size_t len = strlen(s), prev = 0;
	out[0] = 0;
	cp_css_lex_init(&l, s, len);
	while (cp_css_next(&l, &t) != CP_CSS_EOF) {
		assert_int_equal(t.start, prev); /* spans tile the input */
		assert_true(t.end > t.start);
		prev = t.end;
		size_t n = strlen(out);
		snprintf(out + n, sizeof out - n, "%s%s:%.*s", n ? "|" : "", names[t.type],
			 (int)(t.end - t.start), s + t.start);
	}
	assert_int_equal(prev, len);
	return out;
}

static void test_basic(void **state)
{
	assert_string_equal(toks("a{color:red}"), "IDENT:a|{:{|IDENT:color|COLON::|IDENT:red|}:}");
	assert_string_equal(toks("@media (x){}"), "AT:@media|WS: |(:(|IDENT:x|):)|{:{|}:}");
	assert_string_equal(toks("#fff #1a"), "HASH:#fff|WS: |HASH:#1a");
	assert_string_equal(toks("# ,;[]"), "DELIM:#|WS: |COMMA:,|SEMI:;|[:[|]:]");
	assert_string_equal(toks("<!-- -->"), "CDO:<!--|WS: |CDC:-->");
	assert_string_equal(toks("--x -a -1 - a"),
			    "IDENT:--x|WS: |IDENT:-a|WS: |NUM:-1|WS: |DELIM:-|WS: |IDENT:a");
	assert_string_equal(toks("rgb(1)"), "FUNC:rgb(|NUM:1|):)");
	assert_string_equal(toks("a/**/b/*! x */"),
			    "IDENT:a|COMMENT:/**/|IDENT:b|COMMENT:/*! x */");
	assert_string_equal(toks("@ x @-a"), "DELIM:@|WS: |IDENT:x|WS: |AT:@-a");
}

static void test_numbers(void **state)
{
	assert_string_equal(toks("1 +.5 -2.5e3 1e 10% 3px 2n+1"),
			    "NUM:1|WS: |NUM:+.5|WS: |NUM:-2.5e3|WS: |DIM:1e|WS: |PCT:10%|WS: "
			    "|DIM:3px|WS: |DIM:2n|NUM:+1");
	cp_css_lex l;
	cp_css_tok t;
	cp_css_lex_init(&l, "1.5em", 5);
	cp_css_next(&l, &t);
	assert_int_equal(t.type, CP_CSS_DIMENSION);
	assert_int_equal(t.num_end, 3);
	assert_false(t.flags & CP_CSS_INTEGER);
	cp_css_lex_init(&l, "12", 2);
	cp_css_next(&l, &t);
	assert_true(t.flags & CP_CSS_INTEGER);
	/* "1.": the dot is not part of the number */
	assert_string_equal(toks("1."), "NUM:1|DELIM:.");
	assert_string_equal(toks("10px\\9"), "DIM:10px\\9");
}

static void test_strings(void **state)
{
	assert_string_equal(toks("'a\"b' \"c\\\"d\""), "STR:'a\"b'|WS: |STR:\"c\\\"d\"");
	assert_string_equal(toks("\"a\nb\""), "BADSTR:\"a|WS:\n|IDENT:b|STR:\"");
	assert_string_equal(toks("\"a\\\nb\""), "STR:\"a\\\nb\"");
	cp_css_lex l;
	cp_css_tok t;
	cp_css_lex_init(&l, "'abc", 4);
	cp_css_next(&l, &t);
	assert_int_equal(t.type, CP_CSS_STRING);
	assert_true(t.flags & CP_CSS_UNTERMINATED);
	cp_buf b = CP_BUF_INIT;
	cp_css_decode_string("'abc", &t, &b);
	assert_string_equal(b.data, "abc");
	cp_buf_free(&b);
	const char *s = "\"\\41 b\\\nc\\\"\\e9\"";
	cp_css_lex_init(&l, s, strlen(s));
	cp_css_next(&l, &t);
	cp_css_decode_string(s, &t, &b);
	assert_string_equal(b.data, "Abc\"\xc3\xa9");
	cp_buf_free(&b);
}

static void test_urls(void **state)
{
	assert_string_equal(toks("url(a.png)"), "URL:url(a.png)");
	assert_string_equal(toks("URL(  a.png  )"), "URL:URL(  a.png  )");
	assert_string_equal(toks("url( \"a\")"), "FUNC:url(|WS: |STR:\"a\"|):)");
	assert_string_equal(toks("url(a b) x"), "BADURL:url(a b)|WS: |IDENT:x");
	assert_string_equal(toks("url(a\"b\\)c) x"), "BADURL:url(a\"b\\)c)|WS: |IDENT:x");
	assert_string_equal(toks("url(a\\)b) x"), "URL:url(a\\)b)|WS: |IDENT:x");
	assert_string_equal(toks("url(a.png"), "URL:url(a.png");
	assert_string_equal(toks("u\\rl(a)"), "FUNC:u\\rl(|IDENT:a|):)");
	cp_css_lex l;
	cp_css_tok t;
	const char *s = "url( a\\ b\\29 c.png )";
	cp_css_lex_init(&l, s, strlen(s));
	cp_css_next(&l, &t);
	assert_int_equal(t.type, CP_CSS_URL);
	assert_true(t.flags & CP_CSS_ESCAPED);
	cp_buf b = CP_BUF_INIT;
	cp_css_decode_url(s, &t, &b);
	assert_string_equal(b.data, "a b)c.png");
	cp_buf_free(&b);
}

static void test_escapes_and_bytes(void **state)
{
	assert_string_equal(toks(".\\31 0 a"), "DELIM:.|IDENT:\\31 0|WS: |IDENT:a");
	assert_string_equal(toks("\\\n"), "DELIM:\\|WS:\n");
	/* Latin-1 and UTF-8 bytes are name code points */
	assert_string_equal(toks("caf\xe9 \xc3\xa9t\xc3\xa9"),
			    "IDENT:caf\xe9|WS: |IDENT:\xc3\xa9t\xc3\xa9");
	assert_string_equal(toks("/* open"), "COMMENT:/* open");
	assert_string_equal(toks("/*/"), "COMMENT:/*/");
	cp_buf b = CP_BUF_INIT;
	cp_css_decode_name("a\\2c b\\00", 0, 9, &b);
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.data, "a,b\xef\xbf\xbd", 6);
	cp_buf_free(&b);
	assert_true(cp_css_is_plain_ident("text", 4));
	assert_true(cp_css_is_plain_ident("-x1", 3));
	assert_false(cp_css_is_plain_ident("1a", 2));
	assert_false(cp_css_is_plain_ident("a b", 3));
	assert_false(cp_css_is_plain_ident("-", 1));
}

/* A leading UTF-8 BOM is stripped, as the spec's decode step does; any
 * other one is just non-ASCII name bytes. */
static void test_bom(void **state)
{
	const char *s = "\xef\xbb\xbf@import'a';";
	cp_css_lex l;
	cp_css_tok t;
	cp_css_lex_init(&l, s, strlen(s));
	assert_int_equal(cp_css_next(&l, &t), CP_CSS_AT_KEYWORD);
	assert_int_equal(t.start, 3);
	assert_int_equal(t.end, 10);
	cp_css_lex_init(&l, s, 3);
	assert_int_equal(cp_css_next(&l, &t), CP_CSS_EOF);
	cp_css_lex_init(&l, s, 2); /* half a BOM is not one */
	assert_int_equal(cp_css_next(&l, &t), CP_CSS_IDENT);
	assert_int_equal(t.start, 0);
	assert_string_equal(toks("a\xef\xbb\xbf"), "IDENT:a\xef\xbb\xbf");
}

static void test_linecol(void **state)
{
	const char *s = "a\nbc\r\nd\re\ff";
	cp_css_lines c;
	unsigned line, col;
	cp_css_lines_init(&c, s, strlen(s));
	cp_css_linecol(&c, 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	cp_css_linecol(&c, 3, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 2);
	cp_css_linecol(&c, 6, &line, &col);
	assert_int_equal(line, 3);
	cp_css_linecol(&c, 8, &line, &col);
	assert_int_equal(line, 4);
	cp_css_linecol(&c, 10, &line, &col);
	assert_int_equal(line, 5);
	cp_css_linecol(&c, 2, &line, &col); /* backwards */
	assert_int_equal(line, 2);
	assert_int_equal(col, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_urls),
	    cmocka_unit_test(test_escapes_and_bytes),
	    cmocka_unit_test(test_bom),
	    cmocka_unit_test(test_linecol),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
