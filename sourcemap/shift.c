/*
 * shift.c - keeping a generated source map true after rewriting (cp_srcmap_shift).
 *
 * With --source-map the minifier writes a map of its output; rewriting then
 * swaps URLs for longer hashed names, which moves every later column of the
 * (usually single) minified line.  Instead of re-running the minifier, the
 * map's generated columns are shifted by the same edits: a segment after an
 * edit on its line moves by the edit's length change, a segment inside a
 * replaced span moves to the span's start.  Only the first field of each
 * segment (the generated column, reset on every line) changes; the other
 * fields are deltas chained across segments and are copied as they are.
 *
 * Columns are counted in bytes, as the CSS minifier counts them; the edits
 * are ASCII on both sides (hashed names are percent-encoded), so for CSS
 * whose URLs are ASCII this is also the UTF-16 count the spec asks for.
 */
#include "sourcemap/sourcemap.h"

#include <limits.h>
#include <string.h>

static long shifted(const cp_map_edit *e, size_t n, unsigned line, long col)
{
	long delta = 0;
	for (size_t i = 0; i < n; i++) {
		if (e[i].line != line)
			continue;
		if (col >= (long)e[i].end_col)
			delta += e[i].delta;
		else if (col >= (long)e[i].col)
			return (long)e[i].col + delta;
	}
	return col + delta;
}

static int shift_mappings(const char *s, const char *end, const cp_map_edit *e, size_t n,
			  cp_buf *out)
{
	unsigned line = 0;
	long prev = 0, prev_new = 0;
	int seg_start = 1;
	while (s < end) {
		char c = *s;
		if (c == ';') {
			cp_buf_putc(out, c);
			s++, line++, prev = prev_new = 0, seg_start = 1;
		} else if (c == ',') {
			cp_buf_putc(out, c);
			s++, seg_start = 1;
		} else if (seg_start) {
			long d;
			/* a column is 32 bits: kept so, prev + d cannot overflow */
			if (cp_vlq_decode(&s, end, &d) || prev + d < 0 || prev + d > UINT_MAX)
				return -1;
			long col = prev + d, ncol = shifted(e, n, line, col);
			cp_vlq_encode(out, ncol - prev_new);
			prev = col, prev_new = ncol, seg_start = 0;
		} else {
			cp_buf_putc(out, c);
			s++;
		}
	}
	return 0;
}

int cp_srcmap_shift(cp_buf *map, const cp_map_edit *e, size_t n)
{
	if (!n || !map->data)
		return 0;
	static const char key[] = "\"mappings\":";
	char *k = strstr(map->data, key);
	if (!k)
		return -1;
	char *s = k + sizeof key - 1;
	while (*s == ' ')
		s++;
	if (*s != '"')
		return -1;
	s++;
	char *q = strchr(s, '"');
	if (!q)
		return -1;
	cp_buf out = CP_BUF_INIT;
	cp_buf_append(&out, map->data, (size_t)(s - map->data));
	if (shift_mappings(s, q, e, n, &out)) {
		cp_buf_free(&out);
		return -1;
	}
	cp_buf_append(&out, q, map->len - (size_t)(q - map->data));
	cp_buf_free(map);
	*map = out;
	return 0;
}
