/*
 * test_js_min.c - the JS minifier: one test per token-merging and ASI rule,
 * comments, </script escaping, source maps (and composing an input map),
 * idempotence and errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minify/minify.h"

static char *min_o(const char *s, const cp_minify_opts *o, cp_buf *map)
{
	cp_buf out = CP_BUF_INIT;
	cp_error e = {0};
	int r = cp_minify_js(s, strlen(s), o, &out, map, &e);
	assert_int_equal(r, 0);
	/* idempotent: minifying the output again changes nothing */
	cp_buf again = CP_BUF_INIT;
	cp_minify_opts o2 = *o;
	o2.map_url = NULL;
	if (!o->map_url) {
		assert_int_equal(cp_minify_js(out.data, out.len, &o2, &again, NULL, &e), 0);
		assert_string_equal(again.data, out.data);
	}
	cp_buf_free(&again);
	/* the trailing line break is not part of what the tests compare */
	if (out.len && out.data[out.len - 1] == '\n')
		out.data[--out.len] = 0;
	return cp_buf_take(&out);
}

static char *min(const char *s)
{
	cp_minify_opts o = {.source_name = "t.js"};
	return min_o(s, &o, NULL);
}

#define MIN_EQ(in, want)                                                                           \
	do {                                                                                       \
		char *got_ = min(in);                                                              \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

static void test_token_merging(void **state)
{
	MIN_EQ("a + +b", "a+ +b");
	MIN_EQ("a - -b", "a- -b");
	MIN_EQ("a + ++b", "a+ ++b");
	MIN_EQ("a++ + b", "a+++b"); /* lexes as a ++ + b again */
	MIN_EQ("a-- - b", "a---b");
	MIN_EQ("a + ++b", "a+ ++b");
	MIN_EQ("x in y", "x in y");
	MIN_EQ("1 .toString()", "1 .toString()");
	MIN_EQ("1.5 .toString()", "1.5.toString()");
	MIN_EQ("/re/ in x", "/re/ in x");
	MIN_EQ("/re/g instanceof RegExp", "/re/g instanceof RegExp");
	MIN_EQ("a / /re/", "a/ /re/");
	MIN_EQ("x = /a/ / 2", "x=/a/ /2");
	MIN_EQ("x = /a/ * 2", "x=/a/ *2");
	MIN_EQ("a < !b", "a< !b");	       /* not <!-- */
	MIN_EQ("a-- > b", "a-- >b");	       /* not --> */
	MIN_EQ("a < /script/", "a< /script/"); /* not </script */
	MIN_EQ("a = b ? .5 : c", "a=b?.5:c");
	MIN_EQ("typeof x", "typeof x");
	MIN_EQ("return 0.5", "return.5");
	MIN_EQ("a = 1 + 0.5", "a=1+.5");
	MIN_EQ("#x in obj", "#x in obj");
	MIN_EQ("a\\u0062 in c", "a\\u0062 in c");
	MIN_EQ("x = a ? ...b : c", "x=a? ...b:c"); /* not ?. */
	MIN_EQ("a = b == = c", "a=b== =c");
	MIN_EQ("a = b & & c", "a=b& &c");
	MIN_EQ("a. . .b", "a. . .b"); /* invalid, but three tokens must stay three */
}

static void test_line_breaks_removed(void **state)
{
	MIN_EQ("a = 1;\nb = 2;\n", "a=1;b=2;"); /* the last ; stays: files get concatenated */
	MIN_EQ("a = b\n+ c", "a=b+c");
	MIN_EQ("a = b\n(c)", "a=b(c)"); /* no ASI before ( : a call, as in the source */
	MIN_EQ("a = b\n[c]", "a=b[c]");
	MIN_EQ("a = b\n.c", "a=b.c");
	MIN_EQ("a = b\n`c`", "a=b`c`");
	MIN_EQ("if (a)\n{\nb()\n}\nelse\n{\nc()\n}", "if(a){b()}else{c()}");
	MIN_EQ("function f()\n{\n}\n", "function f(){}");
	MIN_EQ("x = {\na: 1,\nb: 2\n}", "x={a:1,b:2}");
	MIN_EQ("a = b\nin c", "a=b in c");
}

static void test_line_breaks_kept_for_asi(void **state)
{
	MIN_EQ("a = b\nc = d", "a=b\nc=d");
	MIN_EQ("a = b\n++c", "a=b\n++c"); /* postfix ++ cannot follow a line break */
	MIN_EQ("a\n--\nb", "a\n--\nb");
	MIN_EQ("x = {}\ny()", "x={}\ny()");
	MIN_EQ("x = function(){}\ny()", "x=function(){}\ny()");
	MIN_EQ("{}\ny()", "{}y()");
	MIN_EQ("a = b\n!c", "a=b\n!c");
	MIN_EQ("a = 'x'\n'y'", "a=\"x\"\n\"y\"");
	MIN_EQ("a = b\n{}", "a=b\n{}");
	MIN_EQ("class A { x\n[y] = 1 }", "class A{x\n[y]=1}");
	MIN_EQ("class A { x\nin }", "class A{x\nin}");
	MIN_EQ("class A { x = 1\n y() {} }", "class A{x=1\ny(){}}");
	MIN_EQ("let\nx = 1", "let\nx=1");
}

static void test_restricted_productions(void **state)
{
	MIN_EQ("function f(){return\nx}", "function f(){return\nx}");
	MIN_EQ("function f(){return;\n}", "function f(){return}");
	MIN_EQ("throw\nx", "throw\nx");
	MIN_EQ("a: for(;;) { break\na; continue\na }", "a:for(;;){break\na;continue\na}");
	MIN_EQ("function* g(){ yield\nx }", "function*g(){yield\nx}");
	MIN_EQ("async\nfunction f(){}", "async\nfunction f(){}");
	MIN_EQ("async\n(x)", "async\n(x)");
	MIN_EQ("a\n=> b", "a\n=>b");
	MIN_EQ("debugger\nx", "debugger\nx");
	MIN_EQ("x = a => {}\n/re/.test(s)", "x=a=>{}\n/re/.test(s)");
}

static void test_semicolons(void **state)
{
	MIN_EQ("function f(){a();}", "function f(){a()}");
	MIN_EQ("if (a) ;\n", "if(a);");
	MIN_EQ("for (;;) ;", "for(;;);");
	MIN_EQ("while (a) {};", "while(a){};");
	MIN_EQ("if (a) { b; }", "if(a){b}");
	MIN_EQ("do x(); while (a)", "do x();while(a)");
}

static void test_comments(void **state)
{
	MIN_EQ("a /* x */ b", "a b");
	MIN_EQ("a /* x\n */ b", "a\nb"); /* a comment with a line break is a line break */
	MIN_EQ("a // x\n+ b", "a+b");
	MIN_EQ("/*! keep */\na()", "/*! keep */a()");
	MIN_EQ("a(); /** @license MIT */ b()", "a();/** @license MIT */b()");
	MIN_EQ("//! line\na()", "//! line\na()");
	MIN_EQ("a()\n//# sourceMappingURL=a.js.map\n", "a()");
	MIN_EQ("#!/usr/bin/env node\n// x\na()", "#!/usr/bin/env node\na()");
	MIN_EQ("a <!-- html comment\nb", "a\nb");
	MIN_EQ("a = b / //! legal\nc", "a=b/ //! legal\nc"); /* not a /// comment */
	MIN_EQ("a = /[</script>]/.source + /x/script", "a=/[<\\/script>]/.source+/x/script");
	cp_minify_opts o = {.source_name = "t.js", .legal = CP_LEGAL_EOF};
	char *s = min_o("/*! one */ a(); /* @preserve two */ b()", &o, NULL);
	assert_string_equal(s, "a();b()\n/*! one */\n/* @preserve two */");
	free(s);
	o.legal = CP_LEGAL_NONE;
	s = min_o("/*! one */ a()", &o, NULL);
	assert_string_equal(s, "a()");
	free(s);
}

static void test_script_end_and_utf8(void **state)
{
	MIN_EQ("a = '</script>'", "a=\"<\\/script>\"");
	MIN_EQ("a = \"</SCRIPT>\"", "a=\"<\\/SCRIPT>\"");
	MIN_EQ("a = `</script>${b}</Script>`", "a=`<\\/script>${b}<\\/Script>`");
	MIN_EQ("a = /[</script>]/", "a=/[<\\/script>]/");
	MIN_EQ("a = 'é 😀 \xe2\x80\xa8'", "a=\"é 😀 \xe2\x80\xa8\"");
	MIN_EQ("a = 'it\\'s'", "a=\"it's\"");
	MIN_EQ("a = 'say \"hi\"'", "a='say \"hi\"'");
	MIN_EQ("a = `x\n  y`", "a=`x\n  y`");
	MIN_EQ("a = 'x\\\ny'", "a=\"x\\\ny\"");
}

static void test_source_map(void **state)
{
	cp_minify_opts o = {
	    .source_name = "a.js", .map_url = "a.min.js.map", .out_name = "a.min.js"};
	cp_buf map = CP_BUF_INIT;
	char *s = min_o("var a = 1;\n\n  foo(\"é\", b);\n", &o, &map);
	assert_string_equal(s, "var a=1;foo(\"é\",b);\n//# sourceMappingURL=a.min.js.map");
	json_error_t je;
	json_t *j = json_loadb(map.data, map.len, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "file")), "a.min.js");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "sources"), 0)),
			    "a.js");
	/* var@0:0 a@0:4 =@0:6 1@0:8 ;@0:9 foo@2:2 (@2:5 "é"@2:6 ,@2:9 b@2:11 )@2:12 ;@2:13 */
	assert_string_equal(json_string_value(json_object_get(j, "mappings")),
			    "AAAA,IAAI,CAAE,CAAE,CAAC,CAEP,GAAG,CAAC,GAAG,CAAE,CAAC,CAAC");
	json_decref(j);
	free(s);

	/* composition: the input map sends generated line 0 col 0.. to orig.ts line 9 */
	const char *in_map = "{\"version\":3,\"sources\":[\"orig.ts\"],\"names\":[\"foo\"],"
			     "\"sourceRoot\":\"src\",\"mappings\":\"AASA,IAAIA\"}";
	cp_minify_opts o2 = {.source_name = "a.js",
			     .map_url = "m.map",
			     .in_map = in_map,
			     .in_map_len = strlen(in_map)};
	cp_buf map2 = CP_BUF_INIT;
	s = min_o("var  foo = 1", &o2, &map2);
	j = json_loadb(map2.data, map2.len, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "sources"), 0)),
			    "src/orig.ts");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "names"), 0)),
			    "foo");
	/* var -> 9:0; foo (input col 5, in the segment at col 4) -> 9:4 named foo; = and 1 too
	 * (output columns 0, 4, 7, 8) */
	assert_string_equal(json_string_value(json_object_get(j, "mappings")),
			    "AASA,IAAIA,GAAAA,CAAAA");
	json_decref(j);
	free(s);
	cp_buf_free(&map);
	cp_buf_free(&map2);
}

static void test_numbers_and_strings(void **state)
{
	MIN_EQ("x = [0.5, 1.50, 1.0, 1000, 1e+5, 0.0, .50, 1., 100, 1230000]",
	       "x=[.5,1.5,1,1e3,1e5,0,.5,1,100,123e4]");
	MIN_EQ("x = [0x10, 5n, 1_000, 017, 08.50]", "x=[0x10,5n,1_000,017,08.50]");
	MIN_EQ("1.0.toFixed(); 1000 .x", "1 .toFixed();1e3.x");
	MIN_EQ("x = 'a' + 'b' + 'c'", "x=\"abc\"");
	MIN_EQ("f('a' + \"b\", 1 + 'a' + 'b', 'c' + 'd'.length, 'e' + 'f' * 2)",
	       "f(\"ab\",1+\"a\"+\"b\",\"c\"+\"d\".length,\"e\"+\"f\"*2)");
	MIN_EQ("x = 'it\\'s' + \"a\\\"b\" + 'c'", "x=\"it'sa\\\"bc\"");
	MIN_EQ("x = a ? '</' + 'script>' : 'y'", "x=a?\"<\\/script>\":\"y\"");
	MIN_EQ("function f(){ 'use ' + 'strict' }", "function f(){\"use \"+\"strict\"}");
	MIN_EQ("x = '\\1' + '2'", "x=\"\\1\"+\"2\""); /* not the octal escape \12 */
	MIN_EQ("x = 'a' + 'b'`t`", "x=\"a\"+\"b\"`t`");
	MIN_EQ("x = -'a' + 'b'", "x=-\"a\"+\"b\"");
	MIN_EQ("x = '' + '' // c", "x=\"\""); /* a dropped comment does not stop folding */
	MIN_EQ("x = '' + '' /*! c */", "x=\"\"+\"\"/*! c */");
}

static void test_new_without_arguments(void **state)
{
	MIN_EQ("a = new X(); b = new a.b.c(); k = [new X(), new Y()]",
	       "a=new X;b=new a.b.c;k=[new X,new Y]");
	MIN_EQ("c = new X().y; d = new X()(1); j = new X()`t`; l = new X()[0]",
	       "c=new X().y;d=new X()(1);j=new X()`t`;l=new X()[0]");
	MIN_EQ("e = new function(){}(); f = new X(1); g = new.target",
	       "e=new function(){}();f=new X(1);g=new.target");
	MIN_EQ("h = new new X()(); i = new this()", "h=new new X()();i=new this");
	MIN_EQ("new X()\nnew X()", "new X\nnew X");
}

static void test_errors(void **state)
{
	cp_buf out = CP_BUF_INIT;
	cp_error e = {0};
	cp_minify_opts o = {.source_name = "bad.js"};
	assert_int_equal(cp_minify_js("a = 1;\nb = 'x\n", 14, &o, &out, NULL, &e), CP_ERR_BUILD);
	char msg[2200];
	cp_error_format(&e, msg, sizeof msg);
	assert_string_equal(msg, "bad.js:2:5: unterminated string");
	assert_int_equal(out.len, 0);
	cp_error e2 = {0};
	cp_minify_opts o2 = {.source_name = "a.js", .map_url = "x", .in_map = "{", .in_map_len = 1};
	cp_buf map = CP_BUF_INIT;
	assert_int_equal(cp_minify_js("a", 1, &o2, &out, &map, &e2), CP_ERR_BUILD);
	cp_buf_free(&out);
	cp_buf_free(&map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_merging),
	    cmocka_unit_test(test_line_breaks_removed),
	    cmocka_unit_test(test_line_breaks_kept_for_asi),
	    cmocka_unit_test(test_restricted_productions),
	    cmocka_unit_test(test_semicolons),
	    cmocka_unit_test(test_comments),
	    cmocka_unit_test(test_script_end_and_utf8),
	    cmocka_unit_test(test_source_map),
	    cmocka_unit_test(test_numbers_and_strings),
	    cmocka_unit_test(test_new_without_arguments),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
