/* PLACEHOLDER until the JS minifier lands: refuses, so nothing mistakes it for one. */
#include "minify.h"
int cp_minify_js(const char *in, size_t len, const cp_minify_opts *o, cp_buf *out, cp_buf *map,
		 cp_error *err)
{
	(void)in, (void)len, (void)out, (void)map;
	return cp_error_set(err, o ? o->source_name : "", 0, 0, "JS minifier not built yet");
}
