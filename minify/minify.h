/*
 * minify.h - the minify stage: CSS and JavaScript minifiers.
 *
 * Both work on bytes (UTF-8 or not) and never change what the browser sees:
 * each is built on the project's one tokenizer for its language (syntax/),
 * so a `url(` inside a string or a `/` that starts a regular
 * expression is seen for what it is.  Invalid input is not an error for CSS
 * (the spec says how to recover, and the output keeps the text); for JS a
 * lexical error is reported as line:col and nothing is written.
 */
#ifndef CP_MINIFY_H
#define CP_MINIFY_H

#include "asset/asset.h"
#include "lib/cp.h"

enum cp_legal_comments {
	CP_LEGAL_INLINE = 0, /* keep legal comments (bang comments, @license, @preserve) in place */
	CP_LEGAL_EOF,	     /* move them to the end of the output */
	CP_LEGAL_NONE,	     /* drop them */
};

typedef struct cp_minify_opts {
	const char *source_name; /* input's name, for messages and the map's "sources" */
	const char *map_url;	 /* if set: write a source map into *map and end the output with
				    a sourceMappingURL comment pointing at map_url */
	const char *out_name;	 /* output's file name, for the map's "file" */
	const char *in_map; /* JS: the input's own source map (JSON) to compose with; may be NULL */
	size_t in_map_len;
	enum cp_legal_comments legal;
} cp_minify_opts;

/* Minifies CSS in[0..len) into out (appended).  map may be NULL unless
 * o->map_url is set.  Returns 0; CSS has no fatal errors. */
int cp_minify_css(const char *in, size_t len, const cp_minify_opts *o, cp_buf *out, cp_buf *map,
		  cp_error *err);
/* Minifies JavaScript (script or module: the same token rules apply).
 * Returns CP_ERR_BUILD with err filled (source_name:line:col) on a lexical error. */
int cp_minify_js(const char *in, size_t len, const cp_minify_opts *o, cp_buf *out, cp_buf *map,
		 cp_error *err);
/* The minifier of a kind: CSS or JS (cp_asset_kind_of tells a name's kind).
 * Any other kind is CP_ERR_USAGE with err set; callers that pick files ask
 * cp_minify_kind_ok first.  The one place the choice is made, for build and
 * `cdnpipe minify` alike. */
int cp_minify(cp_asset_kind kind, const char *in, size_t len, const cp_minify_opts *o, cp_buf *out,
	      cp_buf *map, cp_error *err);
/* 1 for the kinds cp_minify handles. */
int cp_minify_kind_ok(cp_asset_kind kind);
/* 1 when a file name says it is minified already (*.min.css, *.min.js, *.min.mjs). */
int cp_is_preminified(const char *path);

#endif
