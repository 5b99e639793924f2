/*
 * minify.c - the stage's front door: which minifier a kind of file gets, and
 * which files are minified already (their authors' *.min.* names).
 */
#include "minify/minify.h"

#include <string.h>

int cp_is_preminified(const char *path)
{
	static const char *const suffixes[] = {".min.css", ".min.js", ".min.mjs", ".min.cjs"};
	size_t n = strlen(path);
	for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
		size_t s = strlen(suffixes[i]);
		if (n >= s && !strcmp(path + n - s, suffixes[i]))
			return 1;
	}
	return 0;
}

int cp_minify_kind_ok(cp_asset_kind kind)
{
	return kind == CP_ASSET_CSS || kind == CP_ASSET_JS;
}

int cp_minify(cp_asset_kind kind, const char *in, size_t len, const cp_minify_opts *o, cp_buf *out,
	      cp_buf *map, cp_error *err)
{
	if (!in)
		in = "";
	if (kind == CP_ASSET_CSS)
		return cp_minify_css(in, len, o, out, map, err);
	if (kind == CP_ASSET_JS)
		return cp_minify_js(in, len, o, out, map, err);
	cp_error_set(err, o && o->source_name ? o->source_name : "", 0, 0,
		     "not CSS or JavaScript: nothing to minify");
	return CP_ERR_USAGE;
}
