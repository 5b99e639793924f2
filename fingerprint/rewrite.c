/*
 * rewrite.c - the replacement text of a reference, and the splice.
 *
 * The text follows Django's ManifestStaticFilesStorage, so the hashed files
 * are byte-identical to what collectstatic writes:
 *   url(...)                 -> url("<new>")
 *   @import "x"              -> @import url("<new>")
 *   /\*# sourceMappingURL=x *\/ -> /\*# sourceMappingURL=<new> *\/
 *   //# sourceMappingURL=x   -> //# sourceMappingURL=<new>
 * where <new> is the author's URL with only the last path segment swapped
 * for the target's hashed file name: the relative ("../img/") or absolute
 * ("/static/img/") prefix stays as written, a non-empty query stays, and a
 * fragment is put back after "#", or after "?#" when the author wrote the
 * "?#iefix" font trick (exactly Django's converter).
 *
 * Where Django writes something a browser would misread, cdnpipe does not
 * follow it: Django unquotes the whole URL into the CSS, so a file named
 * "a%b.png" or "x#1.png" becomes a broken reference.  cdnpipe
 * percent-encodes, in the segment it writes, the bytes that a URL or the
 * stylesheet's own encoding could misread (blanks, controls, '"', '#', '%',
 * '?', '\\', '<', '>', and every non-ASCII byte: a Latin-1 stylesheet would
 * otherwise turn UTF-8 names into mojibake), and escapes '"', '\\' and line
 * breaks of the author's part as CSS string escapes.  For ASCII names with
 * none of those characters the text is Django's exactly.
 *
 * compact (minified CSS) writes the shortest valid form instead: url(x)
 * without quotes when nothing in x needs them, @import"x".
 */
#include "fingerprint/fingerprint_int.h"

#include <string.h>

static int needs_pct(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '"' || c == '#' || c == '%' || c == '?' ||
	       c == '\\' || c == '<' || c == '>';
}

/* The new URL, unescaped for CSS. */
static void new_url(const char *url, const char *hashed, cp_buf *o)
{
	static const char hex[] = "0123456789ABCDEF";
	cp_url_parts p;
	cp_url_split(url, &p);
	size_t dir = 0;
	for (size_t i = 0; i < p.path_len; i++)
		if (p.url[i] == '/')
			dir = i + 1;
	cp_buf_append(o, p.url, dir);
	for (const unsigned char *s = (const unsigned char *)cp_path_base(hashed); *s; s++) {
		if (needs_pct(*s)) {
			cp_buf_putc(o, '%');
			cp_buf_putc(o, hex[*s >> 4]);
			cp_buf_putc(o, hex[*s & 15]);
		} else {
			cp_buf_putc(o, (char)*s);
		}
	}
	if (p.frag - p.query > 1)
		cp_buf_append(o, p.url + p.query, p.frag - p.query);
	if (p.len - p.frag > 1) {
		int iefix = memmem(p.url, p.len, "?#", 2) != NULL;
		cp_buf_puts(o, iefix && p.frag - p.query <= 1 ? "?#" : "#");
		cp_buf_append(o, p.url + p.frag + 1, p.len - p.frag - 1);
	}
}

static void css_string(cp_buf *o, const char *s, size_t n)
{
	cp_buf_putc(o, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			cp_buf_putc(o, '\\'), cp_buf_putc(o, (char)c);
		else if (c == '\n' || c == '\r' || c == '\f')
			cp_buf_printf(o, "\\%x ", c);
		else
			cp_buf_putc(o, (char)c);
	}
	cp_buf_putc(o, '"');
}

static int bare_ok(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '(' || c == ')' ||
		    c == '\\')
			return 0;
	}
	return 1;
}

void cp_fp_replacement(const cp_ref *r, const char *hashed, cp_asset_kind kind, int compact,
		       cp_buf *out)
{
	cp_buf u = CP_BUF_INIT;
	new_url(r->url, hashed, &u);
	switch (r->kind) {
	case CP_REF_URL:
		cp_buf_puts(out, "url(");
		if (compact && bare_ok(u.data, u.len))
			cp_buf_append(out, u.data, u.len);
		else
			css_string(out, u.data, u.len);
		cp_buf_putc(out, ')');
		break;
	case CP_REF_IMPORT:
		if (compact) {
			cp_buf_puts(out, "@import");
			css_string(out, u.data, u.len);
		} else {
			cp_buf_puts(out, "@import url(");
			css_string(out, u.data, u.len);
			cp_buf_putc(out, ')');
		}
		break;
	case CP_REF_SOURCEMAP:
		if (kind == CP_ASSET_CSS) {
			cp_buf_puts(out, "/*# sourceMappingURL=");
			cp_buf_append(out, u.data, u.len);
			cp_buf_puts(out, " */");
		} else {
			cp_buf_puts(out, "//# sourceMappingURL=");
			cp_buf_append(out, u.data, u.len);
		}
		break;
	}
	cp_buf_free(&u);
}

void cp_fp_splice(const cp_assets *t, const cp_asset *a, const cp_graph *g, long skip_comp,
		  int compact, cp_buf *out)
{
	const char *text = a->text.data ? a->text.data : "";
	size_t len = a->text.len, at = 0;
	cp_buf_reserve(out, len + 64);
	for (size_t k = 0; k < a->refs.n; k++) {
		const cp_ref *r = &a->refs.v[k];
		if (r->start < at || r->end > len || r->end < r->start)
			continue; /* overlapping or out of range: scanner contract broken, keep text
				   */
		if (r->target == CP_TARGET_KEEP)
			continue;
		if (r->target >= 0 && g && skip_comp >= 0 && g->comp_of[r->target] == skip_comp)
			continue;
		if (r->target >= 0 && !t->v[r->target].hashed)
			continue; /* not named yet (a generated map, inside a cycle's hash) */
		cp_buf_append(out, text + at, r->start - at);
		if (r->target >= 0)
			cp_fp_replacement(r, t->v[r->target].hashed, a->kind, compact, out);
		at = r->end;
	}
	cp_buf_append(out, text + at, len - at);
}
