/*
 * js_lex.h - the ECMAScript 2024 lexer, on UTF-8 bytes.
 *
 * One lexer for the project: the JS minifier stands on it, and a later
 * parser will too.  (The fingerprint scanner, fingerprint/js_scan.c, only
 * looks for sourceMappingURL comments and needs no tokens.)  It returns every token with its
 * byte span, its line and whether a line terminator came before it (what
 * automatic semicolon insertion looks at); comments, the hashbang and
 * Annex B HTML-like comments come back as tokens of their own so that a
 * caller can keep legal comments, and whitespace is skipped.
 *
 * The one thing a JS lexer cannot do from the bytes alone is tell a regular
 * expression from a division: `/` is the one or the other by the grammar.
 * Instead of a parser, the lexer keeps a small stack of the brackets that are
 * open and what each one is (the head of an if/while/for/with, a function's
 * parameters, a block, an object literal, a function or class body as a
 * declaration or an expression, an arrow body, a template substitution), a
 * count of open `?` per bracket (so a ternary `:` is told from a label's or a
 * property's), and the state after the previous significant token: at the
 * start of a statement, where an expression is expected, or after one.
 * `)` and `}` take their meaning from the bracket they close, names from
 * whether they are keywords (and not after `.`); `of` is an operator after
 * an expression (for-of), `yield` once a generator has been seen and `await`
 * in a module or once `async` has been seen (before that they can only be
 * identifiers).  The same state tells a caller where a line break may
 * end a statement (cp_js_token.after == CP_JS_S_END), which is what the
 * minifier needs to keep ASI exact without a parser.
 *
 * Trade-offs: non-ASCII code points are accepted in identifiers without the
 * Unicode ID_Start/ID_Continue tables (anything that is not a space or line
 * terminator), escapes in templates are not checked (tagged templates allow
 * bad ones), and regular expression bodies are delimited but not parsed:
 * lenient on invalid programs, exact on valid ones.
 */
#ifndef CP_JS_LEX_H
#define CP_JS_LEX_H

#include "lib/err.h"

#include <stddef.h>
#include <stdint.h>

enum cp_js_tok {
	CP_JS_EOF = 0,
	CP_JS_NAME,    /* identifier or keyword (see kw) */
	CP_JS_PRIVATE, /* #name */
	CP_JS_NUMBER,
	CP_JS_STRING,
	CP_JS_TEMPLATE,	 /* `...` with no substitution */
	CP_JS_TMPL_HEAD, /* `...${ */
	CP_JS_TMPL_MID,	 /* }...${ */
	CP_JS_TMPL_TAIL, /* }...` */
	CP_JS_REGEX,
	CP_JS_PUNCT,
	CP_JS_COMMENT,	    /* block comment */
	CP_JS_LINE_COMMENT, /* // comment (without its line terminator) */
	CP_JS_HTML_COMMENT, /* <!-- or --> comment in a script (to the end of the line) */
	CP_JS_HASHBANG,	    /* #! line at the very start */
};

/* Where the previous significant token leaves the grammar. */
enum cp_js_state {
	CP_JS_S_STMT = 0, /* statement start: `/` is a regex, `{` a block */
	CP_JS_S_EXPR,	  /* an expression is expected: regex, `{` is an object */
	CP_JS_S_END,	  /* after an expression: `/` divides; a line break may end the statement */
	CP_JS_S_ARROW,	  /* after an arrow body `}`: like END, but `/` starts a regex (as acorn) */
};

/* Bracket kinds on the context stack. */
enum cp_js_ctx {
	CP_JS_C_TOP = 0,
	CP_JS_C_PSTAT,	 /* ( of if/while/for/with */
	CP_JS_C_PARAMS,	 /* ( of a function's parameters */
	CP_JS_C_PEXPR,	 /* any other ( */
	CP_JS_C_BRACKET, /* [ */
	CP_JS_C_BLOCK,	 /* { of a block (or a method/switch/catch body) */
	CP_JS_C_OBJECT,	 /* { of an object literal (or pattern) */
	CP_JS_C_FNDECL,	 /* { body of a function declaration */
	CP_JS_C_FNEXPR,	 /* { body of a function expression */
	CP_JS_C_CLASSDECL,
	CP_JS_C_CLASSEXPR,
	CP_JS_C_ARROW, /* { body of an arrow function */
	CP_JS_C_TMPL,  /* ${ of a template */
};

/* Keywords the lexer tells apart (0 for any other name). */
enum cp_js_kw {
	CP_KW_NONE = 0,
	CP_KW_AWAIT,
	CP_KW_BREAK,
	CP_KW_CASE,
	CP_KW_CATCH,
	CP_KW_CLASS,
	CP_KW_CONST,
	CP_KW_CONTINUE,
	CP_KW_DEBUGGER,
	CP_KW_DEFAULT,
	CP_KW_DELETE,
	CP_KW_DO,
	CP_KW_ELSE,
	CP_KW_EXPORT,
	CP_KW_EXTENDS,
	CP_KW_FALSE,
	CP_KW_FINALLY,
	CP_KW_FOR,
	CP_KW_FUNCTION,
	CP_KW_IF,
	CP_KW_IMPORT,
	CP_KW_IN,
	CP_KW_INSTANCEOF,
	CP_KW_NEW,
	CP_KW_NULL,
	CP_KW_RETURN,
	CP_KW_SUPER,
	CP_KW_SWITCH,
	CP_KW_THIS,
	CP_KW_THROW,
	CP_KW_TRUE,
	CP_KW_TRY,
	CP_KW_TYPEOF,
	CP_KW_VAR,
	CP_KW_VOID,
	CP_KW_WHILE,
	CP_KW_WITH,
	CP_KW_YIELD,
	CP_KW_LET,
	CP_KW_OF,
	CP_KW_ASYNC,
	CP_KW_STATIC,
	CP_KW_GET,
	CP_KW_SET,
};

typedef struct cp_js_token {
	enum cp_js_tok type;
	uint8_t kw;	   /* enum cp_js_kw for CP_JS_NAME without escapes (not after `.`) */
	uint8_t after;	   /* enum cp_js_state once this token is read */
	uint8_t ctx;	   /* enum cp_js_ctx of the innermost bracket before this token */
	uint8_t nl;	   /* a line terminator (or a comment holding one) precedes it */
	uint8_t escaped;   /* NAME: has \u escapes */
	size_t start, end; /* byte span in the input */
	unsigned line;	   /* 1-based line of start */
	size_t line_start; /* byte offset where that line begins */
} cp_js_token;

struct cp_js_frame {
	uint8_t kind;	  /* enum cp_js_ctx */
	uint8_t pend;	  /* a function/class keyword seen at this level awaits its body */
	uint32_t ternary; /* open `?` at this level */
};

typedef struct cp_js_lexer {
	const char *src;
	size_t len, pos;
	unsigned line;
	size_t line_start;
	int module; /* module goal: no HTML-like comments */
	const char *name;
	cp_error *err;
	/* regex/division state */
	uint8_t state;	    /* enum cp_js_state */
	uint8_t prev_kw;    /* kw of the previous significant token */
	uint8_t prev2_kw;   /* and of the one before (for `for await (`) */
	uint8_t prev_dot;   /* previous significant token was `.` or `?.` */
	uint8_t prev_arrow; /* previous significant token was `=>` */
	uint8_t prev_c;	    /* its first byte when it was a punctuator */
	uint8_t seen_async; /* an `async` was seen: `await` may be an operator */
	uint8_t seen_gen;   /* a generator was seen: `yield` may be an operator */
	uint8_t prev_state; /* state before the previous significant token */
	uint8_t line_begin; /* nothing but whitespace/comments since a line terminator */
	uint8_t nl;	    /* line terminator seen since the last significant token */
	struct cp_js_frame *stack;
	size_t depth, cap;
} cp_js_lexer;

void cp_js_lex_init(cp_js_lexer *l, const char *src, size_t len, int module, const char *name,
		    cp_error *err);
void cp_js_lex_free(cp_js_lexer *l);
/* Reads the next token into t.  Returns 0, or CP_ERR_BUILD with l->err set
 * ("name:line:col: message"); at the end, t->type is CP_JS_EOF (and an
 * unclosed bracket is an error). */
int cp_js_next(cp_js_lexer *l, cp_js_token *t);
/* Length of the longest punctuator at s[0..n) (0 if none). */
size_t cp_js_punct_len(const char *s, size_t n);
/* 1-based column (in code points) of byte offset pos on a line starting at line_start. */
unsigned cp_js_col(const char *src, size_t line_start, size_t pos);

#endif
