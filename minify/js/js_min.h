/*
 * js_min.h - the JS minifier's entry with an explicit goal (internal to minify/
 * and its tests).
 *
 * cp_minify_js() picks the goal from the file name (.mjs is a module, every
 * other name a script); the only difference the lexer sees is that HTML-like
 * comments (`<!--`, `-->`) exist in scripts only.  Tests that know the goal
 * (test262's *.module.js files) call this directly.
 */
#ifndef CP_MINIFY_JS_MIN_H
#define CP_MINIFY_JS_MIN_H

#include "minify/minify.h"
#include "syntax/syntax.h"

int cp_minify_js_goal(const char *in, size_t len, const cp_minify_opts *o, int module, cp_buf *out,
		      cp_buf *map, cp_error *err);

#endif
