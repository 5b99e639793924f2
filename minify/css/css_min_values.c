/*
 * css_min_values.c - minifying declaration values (and at-rule preludes).
 *
 * Each rewrite here keeps the value the browser computes, on all CSS:
 *
 *   numbers     0.50 -> .5, 10.0 -> 10, 007 -> 7 (exponent forms kept as written)
 *   zero        0px -> 0 for lengths only, only outside every function (in
 *               calc() a bare 0 is a <number>), never for `flex` (0 would be
 *               a flex factor) nor in at-rule preludes
 *   colours     #AABBCC -> #abc, #aabbccff -> #abc, rgb()/hsl() with exact
 *               8-bit channels and no alpha -> hex, hex -> a shorter name
 *               (#f00 -> red), and a name -> a shorter hex (white -> #fff) only
 *               for properties that take colours (elsewhere `white` may be an
 *               animation or grid-area name)
 *   url("x")    -> url(x) when x needs no escaping in an unquoted url
 *   'x'         -> "x" when that needs no new escape
 *   font-weight normal/bold -> 400/700
 *
 * Anything with a backslash escape is copied as written: IE hacks such as
 * `\9` and `\0/` live there, and a byte-exact copy is the only safe spelling
 * of a token we would otherwise have to re-escape.
 */
#include "minify/css/css_min.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct hex_name {
	const char *hex, *name;
};
struct name_hex {
	const char *name, *hex;
};

/* hex (6 digits) -> a shorter name; sorted by hex */
static const struct hex_name hex_names[] = {
    {"000080", "navy"},	  {"008000", "green"},	{"008080", "teal"},   {"4b0082", "indigo"},
    {"800000", "maroon"}, {"800080", "purple"}, {"808000", "olive"},  {"808080", "gray"},
    {"a0522d", "sienna"}, {"a52a2a", "brown"},	{"c0c0c0", "silver"}, {"cd853f", "peru"},
    {"d2b48c", "tan"},	  {"da70d6", "orchid"}, {"dda0dd", "plum"},   {"ee82ee", "violet"},
    {"f0e68c", "khaki"},  {"f0ffff", "azure"},	{"f5deb3", "wheat"},  {"f5f5dc", "beige"},
    {"fa8072", "salmon"}, {"faf0e6", "linen"},	{"ff0000", "red"},    {"ff6347", "tomato"},
    {"ff7f50", "coral"},  {"ffa500", "orange"}, {"ffc0cb", "pink"},   {"ffd700", "gold"},
    {"ffe4c4", "bisque"}, {"fffafa", "snow"},	{"fffff0", "ivory"},
};
/* name -> a shorter hex; sorted by name */
static const struct name_hex name_hexes[] = {
    {"aliceblue", "#f0f8ff"},
    {"antiquewhite", "#faebd7"},
    {"aquamarine", "#7fffd4"},
    {"black", "#000"},
    {"blanchedalmond", "#ffebcd"},
    {"blueviolet", "#8a2be2"},
    {"burlywood", "#deb887"},
    {"cadetblue", "#5f9ea0"},
    {"chartreuse", "#7fff00"},
    {"chocolate", "#d2691e"},
    {"cornflowerblue", "#6495ed"},
    {"cornsilk", "#fff8dc"},
    {"darkblue", "#00008b"},
    {"darkcyan", "#008b8b"},
    {"darkgoldenrod", "#b8860b"},
    {"darkgray", "#a9a9a9"},
    {"darkgreen", "#006400"},
    {"darkgrey", "#a9a9a9"},
    {"darkkhaki", "#bdb76b"},
    {"darkmagenta", "#8b008b"},
    {"darkolivegreen", "#556b2f"},
    {"darkorange", "#ff8c00"},
    {"darkorchid", "#9932cc"},
    {"darksalmon", "#e9967a"},
    {"darkseagreen", "#8fbc8f"},
    {"darkslateblue", "#483d8b"},
    {"darkslategray", "#2f4f4f"},
    {"darkslategrey", "#2f4f4f"},
    {"darkturquoise", "#00ced1"},
    {"darkviolet", "#9400d3"},
    {"deeppink", "#ff1493"},
    {"deepskyblue", "#00bfff"},
    {"dodgerblue", "#1e90ff"},
    {"firebrick", "#b22222"},
    {"floralwhite", "#fffaf0"},
    {"forestgreen", "#228b22"},
    {"fuchsia", "#f0f"},
    {"gainsboro", "#dcdcdc"},
    {"ghostwhite", "#f8f8ff"},
    {"goldenrod", "#daa520"},
    {"greenyellow", "#adff2f"},
    {"honeydew", "#f0fff0"},
    {"indianred", "#cd5c5c"},
    {"lavender", "#e6e6fa"},
    {"lavenderblush", "#fff0f5"},
    {"lawngreen", "#7cfc00"},
    {"lemonchiffon", "#fffacd"},
    {"lightblue", "#add8e6"},
    {"lightcoral", "#f08080"},
    {"lightcyan", "#e0ffff"},
    {"lightgoldenrodyellow", "#fafad2"},
    {"lightgray", "#d3d3d3"},
    {"lightgreen", "#90ee90"},
    {"lightgrey", "#d3d3d3"},
    {"lightpink", "#ffb6c1"},
    {"lightsalmon", "#ffa07a"},
    {"lightseagreen", "#20b2aa"},
    {"lightskyblue", "#87cefa"},
    {"lightslategray", "#789"},
    {"lightslategrey", "#789"},
    {"lightsteelblue", "#b0c4de"},
    {"lightyellow", "#ffffe0"},
    {"limegreen", "#32cd32"},
    {"magenta", "#f0f"},
    {"mediumaquamarine", "#66cdaa"},
    {"mediumblue", "#0000cd"},
    {"mediumorchid", "#ba55d3"},
    {"mediumpurple", "#9370db"},
    {"mediumseagreen", "#3cb371"},
    {"mediumslateblue", "#7b68ee"},
    {"mediumspringgreen", "#00fa9a"},
    {"mediumturquoise", "#48d1cc"},
    {"mediumvioletred", "#c71585"},
    {"midnightblue", "#191970"},
    {"mintcream", "#f5fffa"},
    {"mistyrose", "#ffe4e1"},
    {"moccasin", "#ffe4b5"},
    {"navajowhite", "#ffdead"},
    {"olivedrab", "#6b8e23"},
    {"orangered", "#ff4500"},
    {"palegoldenrod", "#eee8aa"},
    {"palegreen", "#98fb98"},
    {"paleturquoise", "#afeeee"},
    {"palevioletred", "#db7093"},
    {"papayawhip", "#ffefd5"},
    {"peachpuff", "#ffdab9"},
    {"powderblue", "#b0e0e6"},
    {"rebeccapurple", "#639"},
    {"rosybrown", "#bc8f8f"},
    {"royalblue", "#4169e1"},
    {"saddlebrown", "#8b4513"},
    {"sandybrown", "#f4a460"},
    {"seagreen", "#2e8b57"},
    {"seashell", "#fff5ee"},
    {"slateblue", "#6a5acd"},
    {"slategray", "#708090"},
    {"slategrey", "#708090"},
    {"springgreen", "#00ff7f"},
    {"steelblue", "#4682b4"},
    {"turquoise", "#40e0d0"},
    {"white", "#fff"},
    {"whitesmoke", "#f5f5f5"},
    {"yellow", "#ff0"},
    {"yellowgreen", "#9acd32"},
};

static int cmp_hex(const void *k, const void *e)
{
	return strcmp(k, ((const struct hex_name *)e)->hex);
}

static int cmp_name(const void *k, const void *e)
{
	return strcmp(k, ((const struct name_hex *)e)->name);
}

unsigned css_value_mode(const char *name, size_t n)
{
	/* skip a vendor prefix: -webkit-flex behaves as flex */
	if (n > 1 && name[0] == '-' && name[1] != '-') {
		const char *d = memchr(name + 1, '-', n - 1);
		if (d) {
			n -= (size_t)(d + 1 - name);
			name = d + 1;
		}
	}
	if (n == 13 && !memcmp(name, "unicode-range", 13))
		return VAL_NO_NUMBERS | VAL_NO_ZERO_UNIT;
	if ((n == 4 && !memcmp(name, "flex", 4)) || (n == 8 && !memcmp(name, "box-flex", 8)))
		return VAL_NO_ZERO_UNIT;
	if (n == 11 && !memcmp(name, "font-weight", 11))
		return VAL_FONT_WEIGHT;
	static const char *const colorish[] = {"color",
					       "background",
					       "background-color",
					       "border",
					       "border-color",
					       "border-top",
					       "border-right",
					       "border-bottom",
					       "border-left",
					       "border-top-color",
					       "border-right-color",
					       "border-bottom-color",
					       "border-left-color",
					       "outline",
					       "outline-color",
					       "fill",
					       "stroke",
					       "text-decoration",
					       "text-decoration-color",
					       "caret-color",
					       "column-rule",
					       "column-rule-color",
					       "box-shadow",
					       "text-shadow",
					       "stop-color",
					       "flood-color",
					       "lighting-color",
					       "accent-color",
					       "border-block",
					       "border-inline",
					       "border-block-color",
					       "border-inline-color",
					       "text-emphasis-color",
					       NULL};
	for (int k = 0; colorish[k]; k++)
		if (colorish[k][0] == name[0] && strlen(colorish[k]) == n &&
		    !memcmp(colorish[k], name, n))
			return VAL_COLOR_NAMES;
	return VAL_NORMAL;
}

size_t css_min_number(const char *p, size_t n, char *buf)
{
	size_t i = 0, o = 0;
	for (size_t k = 0; k < n; k++)
		if (p[k] == 'e' || p[k] == 'E') {
			memcpy(buf, p, n); /* exponent: as written */
			return n;
		}
	if (i < n && (p[i] == '+' || p[i] == '-'))
		buf[o++] = p[i++];
	size_t int_start = i;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	size_t a = int_start;
	while (a < i && p[a] == '0')
		a++;
	size_t frac = 0, fend = 0;
	if (i < n && p[i] == '.') {
		frac = i + 1;
		fend = n;
		while (fend > frac && p[fend - 1] == '0')
			fend--;
	}
	memcpy(buf + o, p + a, i - a);
	o += i - a;
	if (frac && fend > frac) {
		buf[o++] = '.';
		memcpy(buf + o, p + frac, fend - frac);
		o += fend - frac;
	}
	if (o == 0 || ((buf[0] == '+' || buf[0] == '-') && o == 1))
		buf[o++] = '0';
	return o;
}

static int is_zero(const char *buf, size_t k)
{
	size_t s = (k && (buf[0] == '+' || buf[0] == '-')) ? 1 : 0;
	return k == s + 1 && buf[s] == '0';
}

static int length_unit(const char *u, size_t n)
{
	static const char *const units[] = {"px",   "em", "rem", "ex", "ch", "vw", "vh", "vmin",
					    "vmax", "cm", "mm",	 "in", "pt", "pc", "q",	 NULL};
	for (int k = 0; units[k]; k++)
		if (strlen(units[k]) == n && !strncasecmp(units[k], u, n))
			return 1;
	return 0;
}

static void number(cssmin *m, enum css_ctx ctx, int sep, const css_tok *t, unsigned mode, int depth)
{
	char buf[128];
	size_t nlen = t->numlen;
	size_t ulen = t->end - CSS_NUM_END(t);
	if ((mode & VAL_NO_NUMBERS) || nlen + 2 > sizeof buf || (t->flags & CP_CSS_ESCAPED)) {
		css_put_tok(m, ctx, sep, t);
		return;
	}
	size_t k = css_min_number(m->s + t->start, nlen, buf);
	const char *unit = m->s + CSS_NUM_END(t);
	if (t->type == CP_CSS_DIMENSION && is_zero(buf, k) && depth == 0 && ctx == CTX_VALUE &&
	    !(mode & VAL_NO_ZERO_UNIT) && length_unit(unit, ulen)) {
		css_sep(m, ctx, sep, CP_CSS_NUMBER, buf[0]);
		css_put(m, CP_CSS_NUMBER, buf, k);
		return;
	}
	css_sep(m, ctx, sep, t->type, buf[0]);
	if (ulen + k + 1 < sizeof buf) {
		memcpy(buf + k, unit, ulen);
		css_put(m, t->type, buf, k + ulen);
	} else {
		cp_buf_append(m->out, buf, k);
		css_put(m, t->type, unit, ulen);
	}
}

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Writes the shortest spelling of an opaque or translucent colour given as
 * 6 or 8 lower-case hex digits. */
static void put_hex(cssmin *m, enum css_ctx ctx, int sep, char *h, size_t n)
{
	if (n == 8 && h[6] == 'f' && h[7] == 'f')
		n = 6;
	char out[10];
	size_t o = 0;
	if (n == 6) {
		h[6] = 0;
		const struct hex_name *e =
		    bsearch(h, hex_names, sizeof hex_names / sizeof *hex_names, sizeof *e, cmp_hex);
		if (e) {
			css_sep(m, ctx, sep, CP_CSS_IDENT, e->name[0]);
			css_put(m, CP_CSS_IDENT, e->name, strlen(e->name));
			return;
		}
	}
	out[o++] = '#';
	int pairs = 1;
	for (size_t k = 0; k < n; k += 2)
		pairs &= h[k] == h[k + 1];
	for (size_t k = 0; k < n; k += pairs ? 2 : 1)
		out[o++] = h[k];
	css_sep(m, ctx, sep, CP_CSS_HASH, '#');
	css_put(m, CP_CSS_HASH, out, o);
}

static void hash(cssmin *m, enum css_ctx ctx, int sep, const css_tok *t)
{
	const char *p = m->s + t->start + 1;
	size_t n = t->end - t->start - 1;
	char h[10];
	if (ctx != CTX_VALUE || (t->flags & CP_CSS_ESCAPED) ||
	    (n != 3 && n != 4 && n != 6 && n != 8)) {
		css_put_tok(m, ctx, sep, t);
		return;
	}
	for (size_t k = 0; k < n; k++)
		if (hexdig(p[k]) < 0) {
			css_put_tok(m, ctx, sep, t);
			return;
		}
	size_t hn = 0;
	if (n <= 4) {
		for (size_t k = 0; k < n; k++)
			h[hn++] = (char)(p[k] | 0x20), h[hn++] = (char)(p[k] | 0x20);
	} else {
		for (size_t k = 0; k < n; k++)
			h[hn++] = (char)((p[k] >= 'A' && p[k] <= 'F') ? p[k] | 0x20 : p[k]);
	}
	for (size_t k = 0; k < hn; k++)
		if (h[k] >= 'A' && h[k] <= 'Z')
			h[k] |= 0x20;
	put_hex(m, ctx, sep, h, hn);
}

static int url_safe(const char *p, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)p[k];
		if (c <= ' ' || c == '"' || c == '\'' || c == '(' || c == ')' || c == '\\' ||
		    c == 0x7f)
			return 0;
	}
	return 1;
}

/* url( ws* "x" ws* ): returns the index after ')', or 0 when it is not
 * that shape. */
static size_t url_func(cssmin *m, enum css_ctx ctx, int sep, size_t i, size_t j)
{
	int s2 = 0;
	size_t k = css_skip_ws(m, i + 1, j, &s2);
	if (k >= j || m->t[k].type != CP_CSS_STRING ||
	    (m->t[k].flags & (CP_CSS_ESCAPED | CP_CSS_UNTERMINATED)))
		return 0;
	const css_tok *str = &m->t[k];
	size_t r = css_skip_ws(m, k + 1, j, &s2);
	if (r >= j || m->t[r].type != CP_CSS_RPAREN)
		return 0;
	const char *p = m->s + str->start + 1;
	size_t n = str->end - str->start - 2;
	css_sep(m, ctx, sep, CP_CSS_URL, 'u');
	if (url_safe(p, n)) {
		cp_buf_append(m->out, "url(", 4);
		cp_buf_append(m->out, p, n);
		css_put(m, CP_CSS_URL, ")", 1);
	} else {
		css_put(m, CP_CSS_FUNCTION, "url(", 4);
		css_put_string(m, ctx, SEP_NONE, str);
		css_put(m, CP_CSS_RPAREN, ")", 1);
	}
	return r + 1;
}

/* An unquoted url token: the whitespace inside url( ... ) goes. */
static void url_token(cssmin *m, enum css_ctx ctx, int sep, const css_tok *t)
{
	const char *p = m->s + t->start;
	size_t a = 4, b = t->end - t->start;
	if ((t->flags & CP_CSS_ESCAPED) || t->type != CP_CSS_URL) {
		css_put_tok(m, ctx, sep, t);
		return;
	}
	if (!(t->flags & CP_CSS_UNTERMINATED))
		b--; /* ')' (EOF may have taken it: then it is written anyway) */
	while (a < b &&
	       (p[a] == ' ' || p[a] == '\t' || p[a] == '\n' || p[a] == '\r' || p[a] == '\f'))
		a++;
	while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\n' ||
			 p[b - 1] == '\r' || p[b - 1] == '\f'))
		b--;
	css_sep(m, ctx, sep, CP_CSS_URL, 'u');
	cp_buf_append(m->out, p, 4);
	cp_buf_append(m->out, p + a, b - a);
	css_put(m, CP_CSS_URL, ")", 1);
}

/* The arguments of rgb()/hsl() from token k to its ')' (before j): three
 * numbers or percentages, and an alpha after '/' (or all separated by
 * commas).  Returns how many (3 or 4, into v and ty) and sets *close to the
 * ')'; 0 when the arguments are anything else (var(), calc(), none, ...),
 * or the alpha is not 1 / 100% (a hex form would drop it). */
static int color_args(cssmin *m, size_t k, size_t j, double v[4], cp_css_type ty[4], size_t *close)
{
	int nv = 0, commas = 0, slash = 0;
	for (;;) {
		int s2 = 0;
		k = css_skip_ws(m, k, j, &s2);
		if (k >= j)
			return 0;
		const css_tok *t = &m->t[k];
		if (t->type == CP_CSS_RPAREN)
			break;
		if (t->type == CP_CSS_COMMA) {
			commas++;
			k++;
			continue;
		}
		if (t->type == CP_CSS_DELIM && m->s[t->start] == '/') {
			if (nv != 3)
				return 0;
			slash++;
			k++;
			continue;
		}
		if ((t->type != CP_CSS_NUMBER && t->type != CP_CSS_PERCENTAGE) || nv == 4)
			return 0;
		char num[64];
		size_t len = t->numlen;
		if (len >= sizeof num)
			return 0;
		memcpy(num, m->s + t->start, len);
		num[len] = 0;
		v[nv] = strtod(num, NULL);
		ty[nv++] = t->type;
		/* separators must be all commas or none */
		if (commas != (nv - 1) && !(commas == 0 && slash <= 1))
			return 0;
		k++;
	}
	if (nv < 3 || (commas && (commas != nv - 1 || slash)) || (!commas && nv == 4 && !slash))
		return 0;
	if (nv == 4 &&
	    !((ty[3] == CP_CSS_NUMBER && v[3] == 1) || (ty[3] == CP_CSS_PERCENTAGE && v[3] == 100)))
		return 0;
	*close = k;
	return nv;
}

/* rgb() arguments to channels 0..255; 0 when out of range or mixed types. */
static int rgb_channels(const double v[3], const cp_css_type ty[3], double rgb[3])
{
	for (int c = 0; c < 3; c++) {
		if (ty[c] != ty[0])
			return 0;
		double x = ty[c] == CP_CSS_PERCENTAGE ? v[c] * 255 / 100 : v[c];
		if (x < 0 || x > 255)
			return 0;
		rgb[c] = x;
	}
	return 1;
}

/* hsl() arguments (hue number, saturation and lightness percentages) to
 * channels 0..255, by CSS Color 4's hslToRgb; 0 when they are not those. */
static int hsl_channels(const double v[3], const cp_css_type ty[3], double rgb[3])
{
	if (ty[0] != CP_CSS_NUMBER || ty[1] != CP_CSS_PERCENTAGE || ty[2] != CP_CSS_PERCENTAGE)
		return 0;
	double h = fmod(fmod(v[0], 360) + 360, 360) / 360, s = v[1] / 100, l = v[2] / 100;
	if (s < 0 || s > 1 || l < 0 || l > 1)
		return 0;
	double t2 = l <= .5 ? l * (s + 1) : l + s - l * s, t1 = l * 2 - t2;
	for (int c = 0; c < 3; c++) {
		double hh = h + (1 - c) / 3.0;
		if (hh < 0)
			hh += 1;
		if (hh > 1)
			hh -= 1;
		double x = hh * 6 < 1	? t1 + (t2 - t1) * hh * 6
			   : hh * 2 < 1 ? t2
			   : hh * 3 < 2 ? t1 + (t2 - t1) * (2.0 / 3 - hh) * 6
					: t1;
		rgb[c] = x * 255;
	}
	return 1;
}

/* rgb()/rgba()/hsl()/hsla() at token i written as hex when that is exact:
 * parse the arguments, convert to channels, write.  Returns the index after
 * the ')', or 0 (nothing written) to keep the function as it is. */
static size_t color_func(cssmin *m, enum css_ctx ctx, int sep, size_t i, size_t j)
{
	const css_tok *f = &m->t[i];
	const char *fp = m->s + f->start;
	size_t fn = f->end - f->start;
	int hsl;
	if ((fn == 4 || (fn == 5 && (fp[3] | 0x20) == 'a')) && !strncasecmp(fp, "rgb", 3))
		hsl = 0;
	else if ((fn == 4 || (fn == 5 && (fp[3] | 0x20) == 'a')) && !strncasecmp(fp, "hsl", 3))
		hsl = 1;
	else
		return 0;
	if (f->flags & CP_CSS_ESCAPED)
		return 0;
	double v[4], rgb[3];
	cp_css_type ty[4];
	size_t close;
	if (!color_args(m, i + 1, j, v, ty, &close) ||
	    !(hsl ? hsl_channels(v, ty, rgb) : rgb_channels(v, ty, rgb)))
		return 0;
	char h[10];
	static const char hexd[] = "0123456789abcdef";
	for (int c = 0; c < 3; c++) {
		double r = floor(rgb[c] + .5);
		if (fabs(rgb[c] - r) > 1e-6)
			return 0; /* not an exact 8-bit channel: keep the author's value */
		h[c * 2] = hexd[(int)r >> 4];
		h[c * 2 + 1] = hexd[(int)r & 15];
	}
	put_hex(m, ctx, sep, h, 6);
	return close + 1;
}

static int ident_is(const css_tok *t, const char *s, const char *w)
{
	size_t n = strlen(w);
	return t->end - t->start == n && !strncasecmp(s + t->start, w, n);
}

static void ident(cssmin *m, enum css_ctx ctx, int sep, const css_tok *t, unsigned mode, int depth)
{
	const char *p = m->s + t->start;
	size_t n = t->end - t->start;
	if ((mode & VAL_FONT_WEIGHT) && depth == 0 && !(t->flags & CP_CSS_ESCAPED)) {
		const char *w = ident_is(t, m->s, "normal") ? "400"
				: ident_is(t, m->s, "bold") ? "700"
							    : NULL;
		if (w) {
			css_sep(m, ctx, sep, CP_CSS_NUMBER, w[0]);
			css_put(m, CP_CSS_NUMBER, w, 3);
			return;
		}
	}
	if ((mode & VAL_COLOR_NAMES) && n < 32 && !(t->flags & CP_CSS_ESCAPED)) {
		char low[32];
		for (size_t k = 0; k < n; k++)
			low[k] = (char)((p[k] >= 'A' && p[k] <= 'Z') ? p[k] | 0x20 : p[k]);
		low[n] = 0;
		const struct name_hex *e =
		    bsearch(low, name_hexes, sizeof name_hexes / sizeof *e, sizeof *e, cmp_name);
		if (e) {
			css_sep(m, ctx, sep, CP_CSS_HASH, '#');
			css_put(m, CP_CSS_HASH, e->hex, strlen(e->hex));
			return;
		}
	}
	css_put_tok(m, ctx, sep, t);
}

void css_value(cssmin *m, size_t i, size_t j, unsigned mode, enum css_ctx ctx, int sep)
{
	int depth = 0;
	while (i < j) {
		const css_tok *t = &m->t[i];
		size_t next;
		sep |= css_sep_of(t);
		switch (t->type) {
		case CP_CSS_WS:
		case CP_CSS_COMMENT:
			i = css_skip_ws(m, i, j, &sep);
			continue;
		case CP_CSS_NUMBER:
		case CP_CSS_PERCENTAGE:
		case CP_CSS_DIMENSION:
			number(m, ctx, sep, t, mode, depth);
			break;
		case CP_CSS_HASH:
			hash(m, ctx, sep, t);
			break;
		case CP_CSS_STRING:
			css_put_string(m, ctx, sep, t);
			break;
		case CP_CSS_URL:
			url_token(m, ctx, sep, t);
			break;
		case CP_CSS_IDENT:
			if (ctx == CTX_VALUE)
				ident(m, ctx, sep, t, mode, depth);
			else
				css_put_tok(m, ctx, sep, t);
			break;
		case CP_CSS_FUNCTION:
			if (t->end - t->start == 4 && !strncasecmp(m->s + t->start, "url(", 4) &&
			    !(t->flags & CP_CSS_ESCAPED) && (next = url_func(m, ctx, sep, i, j))) {
				i = next;
				sep = SEP_NONE;
				continue;
			}
			if (ctx == CTX_VALUE && (next = color_func(m, ctx, sep, i, j))) {
				i = next;
				sep = SEP_NONE;
				continue;
			}
			css_put_tok(m, ctx, sep, t);
			depth++;
			break;
		case CP_CSS_LPAREN:
		case CP_CSS_LBRACKET:
		case CP_CSS_LBRACE:
			css_put_tok(m, ctx, sep, t);
			depth++;
			break;
		case CP_CSS_RPAREN:
		case CP_CSS_RBRACKET:
		case CP_CSS_RBRACE:
			css_put_tok(m, ctx, sep, t);
			if (depth)
				depth--;
			break;
		default:
			css_put_tok(m, ctx, sep, t);
			break;
		}
		sep = SEP_NONE;
		i++;
	}
}
