/*
 * preminified.c - recognising files whose authors minified them already.
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
