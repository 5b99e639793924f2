/*
 * js_scan.c - the one reference JavaScript carries: its source map.
 *
 * Django (4.0+) finds it with (?m)^(//# (?-i:sourceMappingURL)=(?P<url>.*))$
 * and cdnpipe matches exactly the same lines, so a tree that Django can
 * process is rewritten the same way: the comment must start its line, with
 * exactly "//# " and the case-sensitive keyword.  No JS tokenizer is needed
 * for this: a line that starts with "//" outside a string or template is a
 * comment, and the rare template literal holding such a line is the same
 * corner case Django has.  The span is the comment line without its line
 * break (nor a '\r' before it, so CRLF files keep their endings); the URL is
 * trimmed of surrounding blanks, as Django's hashed_name strips it.
 */
#include "fingerprint/fingerprint.h"

#include <string.h>

static const char prefix[] = "//# sourceMappingURL=";
#define PREFIX_LEN (sizeof prefix - 1)

void cp_scan_js(const char *text, size_t len, cp_refs *refs)
{
	unsigned line = 1;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		if (end - pos >= PREFIX_LEN && !memcmp(text + pos, prefix, PREFIX_LEN)) {
			size_t stop = end;
			if (stop > pos && text[stop - 1] == '\r')
				stop--;
			size_t u = pos + PREFIX_LEN, ue = stop;
			while (u < ue && (text[u] == ' ' || text[u] == '\t'))
				u++;
			while (ue > u && (text[ue - 1] == ' ' || text[ue - 1] == '\t'))
				ue--;
			cp_ref r = {.start = pos,
				    .end = stop,
				    .line = line,
				    .col = 1,
				    .kind = CP_REF_SOURCEMAP,
				    .url = cp_xstrndup(text + u, ue - u),
				    .target = -1};
			cp_refs_push(refs, &r);
		}
		pos = end + 1;
		line++;
	}
}

void cp_scan_asset(cp_asset *a)
{
	const char *text = a->text.data ? a->text.data : "";
	if (a->kind == CP_ASSET_CSS)
		cp_scan_css(text, a->text.len, &a->refs);
	else if (a->kind == CP_ASSET_JS)
		cp_scan_js(text, a->text.len, &a->refs);
}
