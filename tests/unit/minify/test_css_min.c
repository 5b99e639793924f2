/*
 * test_css_min.c - the CSS minifier, one transformation (or one place where
 * whitespace must stay) per case.  Each expected output is also checked to be
 * a fixed point: minifying it again must not change it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minify/minify.h"

static char *min_opts(const char *in, size_t len, const cp_minify_opts *o)
{
	cp_buf out = CP_BUF_INIT;
	cp_error err = {0};
	assert_int_equal(cp_minify_css(in, len, o, &out, NULL, &err), 0);
	return cp_buf_take(&out);
}

static void check(const char *in, const char *want)
{
	cp_minify_opts o = {0};
	char *got = min_opts(in, strlen(in), &o);
	if (strcmp(got, want))
		fail_msg("minify(%s)\n  got:  %s\n  want: %s", in, got, want);
	char *again = min_opts(got, strlen(got), &o);
	if (strcmp(again, got))
		fail_msg("not idempotent: %s -> %s", got, again);
	free(got);
	free(again);
}

static void test_whitespace(void **state)
{
	check("a  >  b , c ~ d + e  f { color : red ; }", "a>b,c~d+e f{color:red}");
	check(".a :hover, .b:not( .c ) .d {x:y}", ".a :hover,.b:not(.c) .d{x:y}");
	check("@media screen and (max-width : 100px) , print { a { b : c } }",
	      "@media screen and (max-width:100px),print{a{b:c}}");
	check("@supports not (display : grid) { a { b : c } }",
	      "@supports not (display:grid){a{b:c}}");
	check("a { width : calc( 100% - ( 2 * 10px ) ) ; b : min( 1px , 2px ) }",
	      "a{width:calc(100% - (2*10px));b:min(1px,2px)}");
	check("a{b:clamp(1rem, 2vw + 1px, 3rem);c:max(1px, 2px - 1px)}",
	      "a{b:clamp(1rem,2vw + 1px,3rem);c:max(1px,2px - 1px)}");
	check("a { margin : 0 auto ! important ; font : 12px / 1.5 a , b }",
	      "a{margin:0 auto!important;font:12px/1.5 a,b}");
	check("a{transform:translate(1px) scale(2)}", "a{transform:translate(1px) scale(2)}");
	/* tokens that would merge keep a separator */
	check("a{b:1px -2px;c:a -b;d:U+0000-00FF}", "a{b:1px -2px;c:a -b;d:U+0-0FF}");
	check("a{b:1px/**/2px}", "a{b:1px/**/2px}");
	check("a\n{\n\tcolor:\tred\n}\n", "a{color:red}");
}

static void test_structure(void **state)
{
	check("a{color:red;;;b:c;}", "a{color:red;b:c}");
	check("a{}b{ }c{/* x */}d{;}", "");
	check("@media print{a{}}@media x{}", "");
	check("@layer a{}@layer b,c;", "@layer a{}@layer b,c;");
	check("@keyframes k{}", "@keyframes k{}");
	check("/* c */a{b:c}/* d */", "a{b:c}");
	check("<!-- a{b:c} -->", "a{b:c}");
	check(".a{color:red;&:hover{color:blue}.b &{x:y}}",
	      ".a{color:red;&:hover{color:blue}.b &{x:y}}");
	check("@font-face{font-family:x;src:url(a.woff)}",
	      "@font-face{font-family:x;src:url(a.woff)}");
}

/* A leading UTF-8 BOM is decoding's business: dropped, everything after it
 * kept (it used to glue itself to the first rule as an identifier). */
static void test_bom(void **state)
{
	check("\xef\xbb\xbf@import \"b.css\";\nbody{}\n", "@import \"b.css\";");
	check("\xef\xbb\xbf a { color : red }", "a{color:red}");
	check("\xef\xbb\xbf", "");
	/* after a BOM, @charset is ignored (the BOM wins): written first in
	 * the output it would switch the encoding */
	check("\xef\xbb\xbf@charset \"iso-8859-1\";a{b:\"\xc3\xa9\"}", "a{b:\"\xc3\xa9\"}");
	/* a second one is a name's first code point, which the output must not
	 * start with as raw bytes (a browser would strip it) */
	check("\xef\xbb\xbf\xef\xbb\xbfx{a:b}", "\\feff x{a:b}");
	check("/**/\xef\xbb\xbf x{a:b}", "\\feff  x{a:b}");
	/* only a leading one: elsewhere the bytes are a name's */
	check("a{b:\xef\xbb\xbf}", "a{b:\xef\xbb\xbf}");
}

/* @charset means something only as the file's first bytes: elsewhere it is
 * dropped, never moved to the front. */
static void test_charset_placement(void **state)
{
	check("@charset \"utf-8\";a{b:c}", "@charset \"utf-8\";a{b:c}");
	check(" @charset \"iso-8859-1\";a{b:c}", "a{b:c}");
	check("/* x */@charset \"iso-8859-1\";a{b:c}", "a{b:c}");
	check("a{b:c}@charset \"iso-8859-1\";d{e:f}", "a{b:c}d{e:f}");
}

/* An @import (or @namespace) after any other rule is ignored by browsers:
 * removing an empty rule before one must not make it valid.  The first
 * removed one comes back just before it (an empty @media still counts). */
static void test_import_order(void **state)
{
	check("@media print{.a{}}\n@import \"b.css\";", "@media print{}@import \"b.css\";");
	check(".a{}@import \"b.css\";", ".a{}@import \"b.css\";");
	check(".a{}@IMPORT url(b.css);.b{}", ".a{}@IMPORT url(b.css);");
	check("@font-face{}@page{}@namespace svg url(x);svg|a{}",
	      "@font-face{}@namespace svg url(x);");
	check(".a{}@\\69mport \"b.css\";", ".a{}@\\69mport \"b.css\";");
	/* in place of the first: the import is invalid either way */
	check(".a{}x{y:z}.b{}@import \"b.css\";", "x{y:z}.a{}@import \"b.css\";");
	/* once one is back, later imports are invalid in both: nothing more */
	check(".a{}@import \"b.css\";.b{}@import \"c.css\";",
	      ".a{}@import \"b.css\";@import \"c.css\";");
	/* a valid @import before an empty rule stays valid, a later one not */
	check("@import \"b.css\";.a{}c{d:e}.f{}", "@import \"b.css\";c{d:e}");
	check("@import \"b.css\";.a{}@import \"c.css\";",
	      "@import \"b.css\";.a{}@import \"c.css\";");
	/* an empty rule whose text may hold a reference stays where it is:
	 * moved, it would reorder the references the build rewrites */
	check("} @import \"b.css\";.b{}", "} @import \"b.css\";.b{}");
	check("a[x=url(y)]{}.b{}@import \"c.css\";", "a[x=url(y)]{}.b{}@import \"c.css\";");
	check("@charset \"utf-8\";@layer a;@import \"b.css\";",
	      "@charset \"utf-8\";@layer a;@import \"b.css\";");
}

/* Tokens are lexed in batches into a window that must always hold the whole
 * top-level construct: stylesheets much longer than a batch, with rules
 * and blocks straddling every batch boundary, come out as if tokenized at
 * once. */
static void test_long_input(void **state)
{
	cp_buf in = CP_BUF_INIT, want = CP_BUF_INIT;
	for (int k = 0; k < 700; k++) {
		cp_buf_printf(&in, ".a%d > b { color : #ff0000 ; margin : 0px %dpx }\n", k, k);
		cp_buf_printf(&want, ".a%d>b{color:red;margin:0 %d%s}", k, k, k ? "px" : "");
	}
	cp_buf_puts(&in, "@media print {\n");
	cp_buf_puts(&want, "@media print{");
	for (int k = 0; k < 700; k++) { /* one construct of thousands of tokens */
		cp_buf_printf(&in, "  .m%d { x : rgb( 0 , 0 , %d ) } .e%d { }\n", k,
			      k % 2 ? 255 : 0, k);
		cp_buf_printf(&want, ".m%d{x:%s}", k, k % 2 ? "#00f" : "#000");
	}
	cp_buf_puts(&in, "}\n@font-face { font-family : x }\n.z { y : '");
	cp_buf_puts(&want, "}@font-face{font-family:x}.z{y:\"\""); /* the block stays open */
	check(in.data, want.data);
	cp_buf_free(&in);
	cp_buf_free(&want);
}

static void test_universal(void **state)
{
	/* a '*' that starts a compound with more in it selects the same */
	check("*:focus, a *.b, a>*#c, * [d], *::before, :not(*:hover) {x:y}",
	      ":focus,a .b,a>#c,* [d],:before,:not(:hover){x:y}");
	/* kept: alone, namespaced, not starting a compound, in keyframes */
	check("*{x:y}a *{x:z}ns|*:hover{x:1}*|a{x:2}a*.b{x:3}&*.c{x:4}",
	      "*{x:y}a *{x:z}ns|*:hover{x:1}*|a{x:2}a*.b{x:3}&*.c{x:4}");
	check("[*|a]{x:y}*/**/.a{x:z}* .b{x:w}a/**/*.c{x:v}",
	      "[*|a]{x:y}.a{x:z}* .b{x:w}a*.c{x:v}");
}

static void test_merging(void **state)
{
	/* adjacent rules with the same block share it */
	check(".a{color:red}.b>p:hover{color:red}.c{color:blue}",
	      ".a,.b>p:hover{color:red}.c{color:blue}");
	check("a::before{x:y}b::after{x:y}c::selection{x:y}",
	      "a:before,b:after{x:y}c::selection{x:y}");
	check("li:first-child{x:y}[a=b]{x:y}", "li:first-child,[a=b]{x:y}");
	check("li:nth-child(2n+1){x:y}[a=b]{x:y}", "li:nth-child(2n+1){x:y}[a=b]{x:y}");
	/* but never when one selector might be unknown to a browser: the whole
	 * list would be dropped there */
	check(".a::-moz-selection{x:y}.a::selection{x:y}",
	      ".a::-moz-selection{x:y}.a::selection{x:y}");
	check(".a:focus-visible{x:y}.b{x:y}", ".a:focus-visible{x:y}.b{x:y}");
	check(".a:not(.b){x:y}.c{x:y}", ".a:not(.b){x:y}.c{x:y}");
	/* nor across anything else, nor different blocks */
	check(".a{x:y}/*! c */.b{x:y}", ".a{x:y}/*! c */.b{x:y}");
	check(".a{x:y}@media print{.b{x:y}}.c{x:y}", ".a{x:y}@media print{.b{x:y}}.c{x:y}");
	check("@media print{.a{x:y}.b{x:y}}", "@media print{.a,.b{x:y}}");
	check(".a{x:y}.b{x:z}", ".a{x:y}.b{x:z}");
	check(".a{x:y;&:hover{z:w}}#b{x:y;&:hover{z:w}}",
	      ".a{x:y;&:hover{z:w}}#b{x:y;&:hover{z:w}}");
	check(".a{x:y}.b{x:y", ".a{x:y}.b{x:y");
	/* adjacent rules with the same selector share a block, in order, for
	 * any selector (its validity is the same for both) */
	check(".a{x:1}.a{y:2}.a:focus-visible{x:1}.a:focus-visible{x:2}",
	      ".a{x:1;y:2}.a:focus-visible{x:1;x:2}");
	check("b,strong{font-weight:inherit}b,strong{font-weight:bolder}",
	      "b,strong{font-weight:inherit;font-weight:bolder}");
	/* and the joined block may then equal the rule before it */
	check(".p{a:1;b:2}.q{a:1}.q{b:2}.r{c:3}", ".p,.q{a:1;b:2}.r{c:3}");
	/* not across another rule, an at-rule or a comment; not in keyframes,
	 * not with nested rules, not between depths */
	check(".a{x:1}.b{z:0}.a{y:2}", ".a{x:1}.b{z:0}.a{y:2}");
	check(".a{x:1}@media print{.a{y:2}}", ".a{x:1}@media print{.a{y:2}}");
	check(".a{x:1}/*! c */.a{y:2}", ".a{x:1}/*! c */.a{y:2}");
	check("@keyframes k{0%{x:1}0%{y:2}}", "@keyframes k{0%{x:1}0%{y:2}}");
	check(".a{x:1;&:hover{z:0}}.a{y:2}", ".a{x:1;&:hover{z:0}}.a{y:2}");
	check(".p{.a{x:1}.a{y:2}}", ".p{.a{x:1}.a{y:2}}");
	check("@media print{.a{x:1}}.a{y:2}", "@media print{.a{x:1}}.a{y:2}");
	/* a block ending in a kept comment after its ';' takes no second ';'
	 * (a second pass would drop it: found by fuzz_css's idempotence check) */
	check(".b{c:1;/*! k */}.b{d:2}", ".b{c:1;/*! k */d:2}");
}

static void test_numbers_and_units(void **state)
{
	check("a{b:0.50em 10.0px -0.5px 010 +.5 1.0e3px}", "a{b:.5em 10px -.5px 10 +.5 1.0e3px}");
	check("a{margin:0px 0em 0.0rem;width:0%;t:0s;r:0deg}",
	      "a{margin:0 0 0;width:0%;t:0s;r:0deg}");
	/* no unit dropped inside functions, custom properties, flex */
	check("a{width:calc(0px + 1em);t:translate(0px);--x:0px;flex:1 1 0px;-webkit-flex:0px}",
	      "a{width:calc(0px + 1em);t:translate(0px);--x:0px;flex:1 1 0px;-webkit-flex:0px}");
	check("@media (min-width:0px){a{b:c}}", "@media (min-width:0px){a{b:c}}");
	check("a{unicode-range:U+0025-00FF}", "a{unicode-range:U+0025-00FF}");
	check("@keyframes k{from{a:b}50.0%{a:c}100%{a:d}}", "@keyframes k{0%{a:b}50%{a:c}to{a:d}}");
}

static void test_colours(void **state)
{
	check("a{color:#FFFFFF;b:#AaBbCc;c:#aabbccff;d:#11223344;e:#abcf}",
	      "a{color:#fff;b:#abc;c:#abc;d:#1234;e:#abc}");
	check("a{color:#ff0000;b:#000080;c:#C0C0C0}", "a{color:red;b:navy;c:silver}");
	check("a{color:rgb(255, 0, 0);b:rgba(0,0,0,1);c:rgb(0 128 0 / 100%);d:hsl(0, 100%, 50%)}",
	      "a{color:red;b:#000;c:green;d:red}");
	/* not exact, translucent, or out of range: kept (numbers still minified) */
	check("a{b:rgba(0,0,0,0.5);c:rgb(300,0,0);d:rgb(1.5,2,3);e:rgb(1,2 3)}",
	      "a{b:rgba(0,0,0,.5);c:rgb(300,0,0);d:rgb(1.5,2,3);e:rgb(1,2 3)}");
	/* names become hex only where a colour is expected */
	check("a{color:white;background:black;animation-name:white;grid-area:black}",
	      "a{color:#fff;background:#000;animation-name:white;grid-area:black}");
	check("a{color:#fff\\9;b:#ggg;c:#12345}", "a{color:#fff\\9;b:#ggg;c:#12345}");
	check("a{color:transparent;b:currentColor}", "a{color:transparent;b:currentColor}");
}

static void test_strings_and_urls(void **state)
{
	check("a{b:url( \"a.png\" );c:url('b c.png');d:url( e.png );e:url(\"\")}",
	      "a{b:url(a.png);c:url(\"b c.png\");d:url(e.png);e:url(\"\")}");
	check("a{b:url(\"a(1).png\");c:url('x\"y')}", "a{b:url(\"a(1).png\");c:url('x\"y')}");
	check("a{content:'x';b:'it\"s';c:'it\\'s';d:\"q\"}",
	      "a{content:\"x\";b:'it\"s';c:'it\\'s';d:\"q\"}");
	check("[a=\"b\"],[a='b c'],[a=\"1\"],[a=\"b\" i],[a=\"-\"],[a=\"--x\"]{x:y}",
	      "[a=b],[a=\"b c\"],[a=\"1\"],[a=b i],[a=\"-\"],[a=\"--x\"]{x:y}");
	check("@import url(\"a.css\") screen;@import 'b.css';",
	      "@import url(a.css) screen;@import \"b.css\";");
	check("a{font-weight:bold;b:bold;font:bold 1px a}",
	      "a{font-weight:700;b:bold;font:bold 1px a}");
}

static void test_kept_verbatim(void **state)
{
	check(":root{--x:  { a : b }  ;--y: 0.50 /* c */ #FFFFFF ;--e:;}",
	      ":root{--x:{ a : b };--y:0.50 /* c */ #FFFFFF;--e:}");
	/* an empty custom property keeps its space: older browsers read `--x:`
	 * with nothing after it as invalid */
	check("a{--x: ;--y:  /* c */ }@supports (--foo: ){a{b:c}}",
	      "a{--x: ;--y: }@supports (--foo: ){a{b:c}}");
	/* @property's initial-value is a token list under syntax "*": 0px -> 0
	 * would make calc(var(--u) + 50px) invalid */
	check("@property --u { syntax : '*' ; inherits : false ; initial-value : 0px }",
	      "@property --u{syntax:\"*\";inherits:false;initial-value:0px}");
	check("@property --c{syntax:\"<color>\";inherits:true;INITIAL-VALUE: #FFFFFF }a{width:0px}",
	      "@property --c{syntax:\"<color>\";inherits:true;INITIAL-VALUE:#FFFFFF}a{width:0}");
	/* an unknown at-rule keeps its tokens: only whitespace runs shrink */
	check("@foo bar  baz { x : y ; }a{b:c}", "@foo bar baz { x : y ; }a{b:c}");
	check("@theme default {\n  --a:\n    1px, 'b'; /* c */\n  --b: 0.50;\n}\n",
	      "@theme default { --a: 1px, 'b'; --b: 0.50; }");
	check("@foo a/**/b/* c */(x)/* d */z/*! legal */ y;", "@foo a/**/b/**/(x)z/*! legal */ y;");
	check("@foo \"x\n y;", "@foo \"x\ny;"); /* a bad string keeps its newline */
	check("@charset \"utf-8\";a{b:c}", "@charset \"utf-8\";a{b:c}");
	check(".a{*zoom:1;_height:1px;width:100px\\9;color:red\\0/}",
	      ".a{*zoom:1;_height:1px;width:100px\\9;color:red\\0/}");
	check("a{filter:progid:DXImageTransform.Microsoft.Alpha(Opacity=80)}",
	      "a{filter:progid:DXImageTransform.Microsoft.Alpha(Opacity=80)}");
	check(".\\31 0 , .caf\\E9 {x:y}", ".\\31 0,.caf\\E9 {x:y}");
}

static void test_recovery(void **state)
{
	/* ":::before" is no pseudo-element: a colon less would make it one */
	check("a:::before{b:c}", "a:::before{b:c}");
	check("a: :before{b:c}", "a: :before{b:c}");
	/* a backslash before a newline is a delim, which merges with nothing:
	 * a space before it would be a descendant combinator (or end a hex
	 * escape, and the next pass add another) */
	check("a\\\n b{c:d}", "a\\\nb{c:d}");
	check(".caf\\E9\\\n.x{c:d}", ".caf\\E9\\\n.x{c:d}");
	check("a{color red;b:c}", "a{color red;b:c}");
	check("} a{b:c}", "} a{b:c}");
	check("a{b:\"x\n;c:d}", "a{b:\"x\n;c:d}");
	check("a{b:'abc", "a{b:\"abc\"");
	check("a{b:url(x", "a{b:url(x)");
	check("{c:url(\n", "{c:url()"); /* found by fuzzing: idempotent at EOF too */
	check("\"\\\r\r", "\"\\\r\r");	/* a bad string ending in an escaped CR */
	check("a{b:c}}}", "a{b:c}}}");
	/* nesting deeper than the walk recurses: kept as written, still idempotent */
	static char deep[4 * 300 + 64];
	char *p = deep;
	for (int k = 0; k < 300; k++)
		p += sprintf(p, "a {");
	sprintf(p, "x:y}");
	cp_minify_opts o0 = {0};
	char *d1 = min_opts(deep, strlen(deep), &o0);
	assert_non_null(strstr(d1, "a{a{a{"));
	assert_non_null(strstr(d1, "a {a {x:y}"));
	char *d2 = min_opts(d1, strlen(d1), &o0);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	check("a{b:c} /*! x", "a{b:c}/*! x*/");
	check("a{b:c", "a{b:c");
	check("a{b:calc(1px", "a{b:calc(1px");
	check("a", "a");
	check("", "");
	check("\\", "\\\n");
	static const char nul[] = "a\0{b:c}";
	cp_minify_opts o = {0};
	char *got = min_opts(nul, sizeof nul - 1, &o);
	assert_memory_equal(got, "a\0{b:c}", 7);
	free(got);
}

static void test_legal_comments(void **state)
{
	const char *in = "/*! keep */a{b:c;/*! in */}/* drop */";
	cp_minify_opts o = {0};
	char *got = min_opts(in, strlen(in), &o);
	assert_string_equal(got, "/*! keep */a{b:c;/*! in */}");
	free(got);
	o.legal = CP_LEGAL_EOF;
	got = min_opts(in, strlen(in), &o);
	assert_string_equal(got, "a{b:c}\n/*! keep */\n/*! in */");
	free(got);
	o.legal = CP_LEGAL_NONE;
	got = min_opts(in, strlen(in), &o);
	assert_string_equal(got, "a{b:c}");
	free(got);
}

static void test_source_map(void **state)
{
	const char *in = "a {\n  color: red;\n}\n/*# sourceMappingURL=old.map */\nb { x: y }\n";
	cp_minify_opts o = {
	    .source_name = "in.css", .out_name = "dist/out.css", .map_url = "out.css.map"};
	cp_buf out = CP_BUF_INIT, map = CP_BUF_INIT;
	cp_error err = {0};
	assert_int_equal(cp_minify_css(in, strlen(in), &o, &out, &map, &err), 0);
	assert_string_equal(out.data, "a{color:red}b{x:y}\n/*# sourceMappingURL=out.css.map */");
	/* a rule, a declaration, a rule, a declaration: "a" at 0:0 <- 0:0, "color" at
	 * 0:2 <- 1:2, "b" at 0:12 <- 4:0, "x" at 0:14 <- 4:4 */
	assert_non_null(strstr(map.data, "\"mappings\":\"AAAA,EACE,UAGF,EAAI\""));
	assert_non_null(strstr(map.data, "\"file\":\"out.css\""));
	assert_non_null(strstr(map.data, "\"sources\":[\"in.css\"]"));
	cp_buf_free(&out);
	cp_buf_free(&map);
	/* merged rules: the block's segments follow it */
	in = ".a {\n  x: y;\n}\n.b {\n  x: y;\n}\n";
	assert_int_equal(cp_minify_css(in, strlen(in), &o, &out, &map, &err), 0);
	assert_string_equal(out.data, ".a,.b{x:y}\n/*# sourceMappingURL=out.css.map */");
	/* ".a" 0:0 <- 0:0, "x" 0:6 <- 1:2 */
	assert_non_null(strstr(map.data, "\"mappings\":\"AAAA,MACE\""));
	cp_buf_free(&out);
	cp_buf_free(&map);
	/* joined blocks: the second selector's segment goes, its declarations
	 * move left */
	in = ".a {\n  x: y;\n}\n.a {\n  z: w;\n}\n";
	assert_int_equal(cp_minify_css(in, strlen(in), &o, &out, &map, &err), 0);
	assert_string_equal(out.data, ".a{x:y;z:w}\n/*# sourceMappingURL=out.css.map */");
	/* ".a" 0:0 <- 0:0, "x" 0:3 <- 1:2, "z" 0:7 <- 4:2 */
	assert_non_null(strstr(map.data, "\"mappings\":\"AAAA,GACE,IAGA\""));
	cp_buf_free(&out);
	cp_buf_free(&map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whitespace),
	    cmocka_unit_test(test_structure),
	    cmocka_unit_test(test_bom),
	    cmocka_unit_test(test_charset_placement),
	    cmocka_unit_test(test_import_order),
	    cmocka_unit_test(test_long_input),
	    cmocka_unit_test(test_universal),
	    cmocka_unit_test(test_merging),
	    cmocka_unit_test(test_numbers_and_units),
	    cmocka_unit_test(test_colours),
	    cmocka_unit_test(test_strings_and_urls),
	    cmocka_unit_test(test_kept_verbatim),
	    cmocka_unit_test(test_recovery),
	    cmocka_unit_test(test_legal_comments),
	    cmocka_unit_test(test_source_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
