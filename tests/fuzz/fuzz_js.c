/*
 * fuzz_js.c - libFuzzer target for the JS lexer and minifier.
 *
 * Every input is lexed to the end (script and module goal) and minified; when
 * minifying succeeds, the output must lex too and minifying it again must
 * give the same bytes (idempotence), and the source map writer must not
 * fail.  The sanitizers catch out-of-bounds reads in the hand-written scanners.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "minify/js/js_min.h"

static void lex_all(const char *s, size_t n, int module)
{
	cp_error e = {0};
	cp_js_lexer l;
	cp_js_token t;
	cp_js_lex_init(&l, s, n, module, "f.js", &e);
	while (!cp_js_next(&l, &t) && t.type != CP_JS_EOF)
		if (t.end < t.start || t.end > n)
			abort();
	cp_js_lex_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	lex_all(s, size, 0);
	lex_all(s, size, 1);
	for (int module = 0; module < 2; module++) {
		cp_buf out = CP_BUF_INIT, again = CP_BUF_INIT, map = CP_BUF_INIT;
		cp_error e = {0};
		cp_minify_opts o = {.source_name = "f.js"};
		if (!cp_minify_js_goal(s, size, &o, module, &out, NULL, &e)) {
			cp_error e2 = {0};
			if (cp_minify_js_goal(out.data ? out.data : "", out.len, &o, module, &again,
					      NULL, &e2))
				abort(); /* the output must lex */
			if (again.len != out.len ||
			    (out.len && memcmp(again.data, out.data, out.len)))
				abort(); /* idempotence */
			cp_buf m2 = CP_BUF_INIT;
			cp_minify_opts om = {.source_name = "f.js", .map_url = "f.map"};
			cp_error e3 = {0};
			if (cp_minify_js_goal(s, size, &om, module, &m2, &map, &e3))
				abort();
			cp_buf_free(&m2);
		}
		cp_buf_free(&out);
		cp_buf_free(&again);
		cp_buf_free(&map);
	}
	return 0;
}
