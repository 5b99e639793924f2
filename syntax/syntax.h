/*
 * syntax.h - the public header of syntax/: the project's one tokenizer per
 * language, shared by minify/ and fingerprint/ so a `url(` inside a string or
 * a `/` that starts a regular expression is seen the same way by both.
 *
 *   css_lex.h  CSS Syntax Level 3 tokens
 *   js_lex.h   ECMAScript tokens (regex/division decided by the previous token)
 */
#ifndef CP_SYNTAX_H
#define CP_SYNTAX_H

#include "syntax/css_lex.h"
#include "syntax/js_lex.h"

#endif
