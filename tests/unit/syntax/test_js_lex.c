/*
 * test_js_lex.c - the ECMAScript lexer: token kinds and spans, every literal
 * form, regex vs division in the hard cases, line terminators and errors.
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

static char out[8192];
static char errmsg[2200];

/* Lexes s (module if mod) into "KIND:text" words separated by spaces;
 * returns NULL on a lexical error (message in errmsg). */
static const char *lex2(const char *s, size_t len, int mod)
{
	static const char *k[] = {"EOF", "N",  "P#", "NUM", "S",  "T",	"TH", "TM",
				  "TT",	 "RE", "",   "C",   "LC", "HC", "HB"};
	cp_error e = {0};
	cp_js_lexer l;
	cp_js_token t;
	cp_js_lex_init(&l, s, len, mod, "t.js", &e);
	out[0] = 0;
	size_t n = 0;
	for (;;) {
		if (cp_js_next(&l, &t)) {
			cp_error_format(&e, errmsg, sizeof errmsg);
			cp_js_lex_free(&l);
			return NULL;
		}
		if (t.type == CP_JS_EOF)
			break;
		assert_true(t.start < t.end && t.end <= len);
		n += snprintf(out + n, sizeof out - n, "%s%s%s%.*s", n ? " " : "", k[t.type],
			      *k[t.type] ? ":" : "", (int)(t.end - t.start), s + t.start);
	}
	cp_js_lex_free(&l);
	return out;
}
#define LEX(s)	lex2(s, sizeof(s) - 1, 0)
#define LEXM(s) lex2(s, sizeof(s) - 1, 1)

static void test_punctuators(void **state)
{
	assert_string_equal(LEX("a>>>=b>>=c>>>d**=e?.f?\?=g...h=>i"),
			    "N:a >>>= N:b >>= N:c >>> N:d **= N:e ?. N:f ?\?= N:g ... N:h => N:i");
	assert_string_equal(LEX("a&&=b||=c!==d===e<=f<<g"),
			    "N:a &&= N:b ||= N:c !== N:d === N:e <= N:f << N:g");
	/* ?. followed by a digit is ? then a number */
	assert_string_equal(LEX("a?.5:1"), "N:a ? NUM:.5 : NUM:1");
	assert_string_equal(LEX("a++ + ++b"), "N:a ++ + ++ N:b");
}

static void test_numbers(void **state)
{
	assert_string_equal(LEX("0x1F 0o17 0b101 0B1n 1_000 .5e-3 1.e2 5n 017 089 08.5 0.0"),
			    "NUM:0x1F NUM:0o17 NUM:0b101 NUM:0B1n NUM:1_000 NUM:.5e-3 NUM:1.e2 "
			    "NUM:5n NUM:017 NUM:089 NUM:08.5 NUM:0.0");
	assert_string_equal(LEX("1..toString()"), "NUM:1. . N:toString ( )");
	assert_string_equal(LEX("1 .x"), "NUM:1 . N:x");
	assert_null(LEX("3in x"));
	assert_string_equal(errmsg,
			    "t.js:1:2: identifier starts immediately after numeric literal");
	assert_null(LEX("0x"));
	assert_null(LEX("1e+"));
}

static void test_strings(void **state)
{
	assert_string_equal(LEX("'a\\'b' \"\\x41\\u0042\\u{1F600}\\0\\\n\" 'é'"),
			    "S:'a\\'b' S:\"\\x41\\u0042\\u{1F600}\\0\\\n\" S:'é'");
	assert_string_equal(LEX("'a\\\r\nb'"), "S:'a\\\r\nb'");
	assert_string_equal(LEX("'\xe2\x80\xa8'"), "S:'\xe2\x80\xa8'"); /* U+2028 allowed */
	assert_null(LEX("'abc\n'"));
	assert_string_equal(errmsg, "t.js:1:1: unterminated string");
	assert_null(LEX("'\\x4'"));
	assert_null(LEX("'\\u{110000}'"));
}

static void test_templates(void **state)
{
	assert_string_equal(LEX("`a${b}c${`d${e}`}f`"),
			    "TH:`a${ N:b TM:}c${ TH:`d${ N:e TT:}` TT:}f`");
	assert_string_equal(LEX("`${{a:1}}` / 2"), "TH:`${ { N:a : NUM:1 } TT:}` / NUM:2");
	assert_string_equal(LEX("`\\u{` tag`\\unicode`"), "T:`\\u{` N:tag T:`\\unicode`");
	assert_string_equal(LEX("`a\nb` /x/"), "T:`a\nb` / N:x /");
	assert_null(LEX("`abc"));
}

static void test_regex_vs_division(void **state)
{
	assert_string_equal(LEX("a / b / c"), "N:a / N:b / N:c");
	assert_string_equal(LEX("x = /[/]\\//g"), "N:x = RE:/[/]\\//g");
	assert_string_equal(LEX("if (a) /re/.test(b)"), "N:if ( N:a ) RE:/re/ . N:test ( N:b )");
	assert_string_equal(LEX("while (a) /re/"), "N:while ( N:a ) RE:/re/");
	assert_string_equal(LEX("f(a) / 2"), "N:f ( N:a ) / NUM:2");
	assert_string_equal(LEX("{}\n/re/"), "{ } RE:/re/");
	assert_string_equal(LEX("x = {} / 2"), "N:x = { } / NUM:2");
	assert_string_equal(LEX("function f(){}\n/re/"), "N:function N:f ( ) { } RE:/re/");
	assert_string_equal(LEX("x = function(){} / 2"), "N:x = N:function ( ) { } / NUM:2");
	assert_string_equal(LEX("class A {}\n/re/"), "N:class N:A { } RE:/re/");
	assert_string_equal(LEX("x = class {} / 2"), "N:x = N:class { } / NUM:2");
	assert_string_equal(LEX("a++ / 2"), "N:a ++ / NUM:2");
	assert_string_equal(LEX("++/re/.lastIndex"), "++ RE:/re/ . N:lastIndex");
	assert_string_equal(LEX("return /re/"), "N:return RE:/re/");
	assert_string_equal(LEX("typeof /re/"), "N:typeof RE:/re/");
	/* yield and await: operators only once a generator / async function is possible */
	assert_string_equal(LEX("yield / 2 / x"), "N:yield / NUM:2 / N:x");
	assert_string_equal(LEX("await / 2 / x"), "N:await / NUM:2 / N:x");
	assert_string_equal(LEX("function* g(){ yield /re/ }"),
			    "N:function * N:g ( ) { N:yield RE:/re/ }");
	assert_string_equal(LEX("({ *g(){ yield /re/ } })"),
			    "( { * N:g ( ) { N:yield RE:/re/ } } )");
	assert_string_equal(LEX("async function f(){ await /re/ }"),
			    "N:async N:function N:f ( ) { N:await RE:/re/ }");
	assert_string_equal(LEXM("await /re/"), "N:await RE:/re/");
	assert_string_equal(LEX("a.return / 2"), "N:a . N:return / NUM:2");
	assert_string_equal(LEX("for (x of /re/) ;"), "N:for ( N:x N:of RE:/re/ ) ;");
	assert_string_equal(LEX("of / 2"), "N:of / NUM:2");
	assert_string_equal(LEX("for await (x of y) /re/"),
			    "N:for N:await ( N:x N:of N:y ) RE:/re/");
	assert_string_equal(LEX("a => /re/"), "N:a => RE:/re/");
	assert_string_equal(LEX("a ? {} / 1 : 2"), "N:a ? { } / NUM:1 : NUM:2");
	assert_string_equal(LEX("l: {}\n/re/"), "N:l : { } RE:/re/");
	assert_string_equal(LEX("x = a ? b : {} / 2"), "N:x = N:a ? N:b : { } / NUM:2");
	assert_string_equal(LEX("return\n{}\n/re/"), "N:return { } RE:/re/");
	assert_string_equal(LEX("this / 2"), "N:this / NUM:2");
	assert_string_equal(LEX("x = /[/v]/v"), "N:x = RE:/[/v]/v");
	assert_null(LEX("x = /abc\n/"));
}

static void test_names(void **state)
{
	assert_string_equal(LEX("\\u0061bc a\\u{62} $_ ñandú 𝒜 #priv"),
			    "N:\\u0061bc N:a\\u{62} N:$_ N:ñandú N:𝒜 P#:#priv");
	assert_null(LEX("\\u0020"));
	assert_null(LEX("#"));
	/* escaped keywords are names, not keywords: no regex after them */
	assert_string_equal(LEX("a = r\\u0065turn / 2"), "N:a = N:r\\u0065turn / NUM:2");
}

static void test_comments_and_lines(void **state)
{
	assert_string_equal(LEX("#!/usr/bin/env node\na"), "HB:#!/usr/bin/env node N:a");
	assert_string_equal(LEX("a /* x */ b // y\nc"), "N:a C:/* x */ N:b LC:// y N:c");
	assert_string_equal(LEX("a <!-- b\nc"), "N:a HC:<!-- b N:c");
	assert_string_equal(LEX("a\n--> b\nc"), "N:a HC:--> b N:c");
	assert_string_equal(LEX("/*\n*/ --> b\nc"), "C:/*\n*/ HC:--> b N:c");
	assert_string_equal(LEX("a --> b"), "N:a -- > N:b");
	assert_string_equal(LEXM("a <!-- b"), "N:a < ! -- N:b");
	assert_string_equal(LEXM("a\n--> b"), "N:a -- > N:b");
	assert_null(LEX("/* never closed"));

	/* line numbers and the line-break flag, through LS/PS and CRLF */
	const char s[] = "a\r\nb\xe2\x80\xa8 c\xe2\x80\xa9/*\n*/d e";
	cp_error e = {0};
	cp_js_lexer l;
	cp_js_token t;
	cp_js_lex_init(&l, s, sizeof s - 1, 0, "t.js", &e);
	unsigned lines[] = {1, 2, 3, 5, 5}, nls[] = {0, 1, 1, 1, 0};
	for (int j = 0; j < 5;) {
		assert_int_equal(cp_js_next(&l, &t), 0);
		if (t.type == CP_JS_COMMENT)
			continue;
		assert_int_equal(t.line, lines[j]);
		assert_int_equal(t.nl, nls[j]);
		j++;
	}
	cp_js_lex_free(&l);
}

static void test_errors_have_positions(void **state)
{
	assert_null(LEX("a\n  b @ c"));
	assert_string_equal(errmsg, "t.js:2:5: unexpected character");
	assert_null(LEX("f(a]"));
	assert_string_equal(errmsg, "t.js:1:4: mismatched bracket");
	assert_null(LEX("{"));
	assert_null(LEX("\xff"));
	assert_null(LEX("é\xe9"));
	assert_string_equal(errmsg, "t.js:1:2: invalid UTF-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_punctuators),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_templates),
	    cmocka_unit_test(test_regex_vs_division),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_comments_and_lines),
	    cmocka_unit_test(test_errors_have_positions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
