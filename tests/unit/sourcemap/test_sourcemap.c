/*
 * test_sourcemap.c - Source Map v3 writing (srcmap_out.c), reading
 * (srcmap_in.c) and column shifting after reference rewriting (shift.c).
 *
 * Every expected "mappings" string below is worked out by hand from the
 * spec's base64 VLQ: a value v is written as the digit of 2v (2|v|+1 when
 * negative) while that is below 32, e.g. 0 'A', 1 'C', -1 'D', 2 'E',
 * 3 'G', 4 'I', 5 'K', -9 'T', 10 'U', 15 'e' (index 30).
 */
#include "sourcemap/sourcemap.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

typedef struct seg {
	unsigned gl, gc, src, sl, sc;
	long name;
} seg;

static void build_map(const seg *s, size_t n, cp_buf *json)
{
	cp_srcmap m;
	cp_srcmap_init(&m);
	for (size_t i = 0; i < n; i++)
		cp_srcmap_add_full(&m, s[i].gl, s[i].gc, s[i].src, s[i].sl, s[i].sc, s[i].name);
	cp_srcmap_json(&m, "out.css", "in.css", NULL, 0, json);
	cp_srcmap_free(&m);
}

/* The "mappings" string of a map's JSON (a copy to free). */
static char *mappings_of(const char *json)
{
	json_error_t je;
	json_t *j = json_loads(json, 0, &je);
	assert_non_null(j);
	const char *m = json_string_value(json_object_get(j, "mappings"));
	assert_non_null(m);
	char *r = strdup(m);
	json_decref(j);
	return r;
}

static void assert_mappings(const char *json, const char *want)
{
	char *m = mappings_of(json);
	assert_string_equal(m, want);
	free(m);
}

static void parse_ok(cp_srcmap_in *in, const char *json)
{
	char why[256] = "";
	int rc = cp_srcmap_in_parse(in, json, strlen(json), why, sizeof why);
	if (rc)
		fail_msg("parse failed: %s", why);
}

static void assert_seg(const cp_srcmap_seg *g, unsigned src, unsigned sl, unsigned sc, long name)
{
	assert_non_null(g);
	assert_int_equal(g->src_idx, src);
	assert_int_equal(g->src_line, sl);
	assert_int_equal(g->src_col, sc);
	assert_int_equal(g->name, name);
}

/* ---- writing ---- */

static void test_write_mappings(void **s)
{
	/* (0,0)->(0,0): AAAA.  (0,4)->(0,10): gen +4 I, src +0 A, line +0 A,
	 * col +10 U.  Line 1 empty (';'), then (2,2)->(3,1): gen col restarts
	 * at 0 so +2 E, src A, line +3 G, col 1-10 = -9 T. */
	const seg segs[] = {{0, 0, 0, 0, 0, -1}, {0, 4, 0, 0, 10, -1}, {2, 2, 0, 3, 1, -1}};
	cp_buf out = CP_BUF_INIT;
	build_map(segs, 3, &out);
	assert_mappings(out.data, "AAAA,IAAU;;EAGT");

	json_t *j = json_loads(out.data, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 3);
	assert_string_equal(json_string_value(json_object_get(j, "file")), "out.css");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "sources"), 0)),
			    "in.css");
	assert_null(json_object_get(j, "sourcesContent")); /* content was NULL */
	json_decref(j);
	cp_buf_free(&out);
}

static void test_write_names_and_sources(void **s)
{
	/* Names and source indexes are deltas across the whole map, not reset
	 * per line: (0,0) src 1 name 2 -> A C A A E; (1,3) src 0 name 2 ->
	 * G(+3) D(-1) A A A(name +0); (1,5) src 0 no name -> E A A A. */
	const seg segs[] = {{0, 0, 1, 0, 0, 2}, {1, 3, 0, 0, 0, 2}, {1, 5, 0, 0, 0, -1}};
	cp_buf out = CP_BUF_INIT;
	build_map(segs, 3, &out);
	assert_mappings(out.data, "ACAAE;GDAAA,EAAA");
	cp_buf_free(&out);
}

static void test_write_sources_content(void **s)
{
	cp_srcmap m;
	cp_srcmap_init(&m);
	cp_srcmap_add(&m, 0, 0, 0, 0);
	cp_buf out = CP_BUF_INIT;
	const char content[] = "a{b:c}\n\"q\"";
	cp_srcmap_json(&m, NULL, "s.css", content, sizeof content - 1, &out);
	json_t *j = json_loads(out.data, 0, NULL);
	assert_non_null(j);
	assert_null(json_object_get(j, "file"));
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(j, "sourcesContent"), 0)), content);
	assert_int_equal(json_array_size(json_object_get(j, "names")), 0);
	json_decref(j);
	cp_buf_free(&out);
	cp_srcmap_free(&m);
}

/* ---- reading ---- */

/* Line 0: AAAA = col 0 -> src 0 (0,0); EAACA = col +2 -> src 0 (0,1) name 0.
 * Line 1: empty.
 * Line 2: ECAEC = col 2 -> src +1 = 1, line 0, col 1+2 = 3, name 0+1 = 1;
 *         CAAA  = col 3 -> src 1 (0,3), no name. */
static const char map1[] =
    "{\"version\":3,\"sources\":[\"a.js\",\"b.js\"],\"names\":[\"foo\",\"bar\"],"
    "\"mappings\":\"AAAA,EAACA;;ECAEC,CAAA\"}";

static void test_read_segments(void **s)
{
	cp_srcmap_in in;
	parse_ok(&in, map1);
	assert_int_equal(in.nlines, 3);
	assert_seg(cp_srcmap_in_find(&in, 0, 0), 0, 0, 0, -1);
	assert_seg(cp_srcmap_in_find(&in, 0, 1), 0, 0, 0, -1); /* at or before: col 0 */
	assert_seg(cp_srcmap_in_find(&in, 0, 2), 0, 0, 1, 0);
	assert_seg(cp_srcmap_in_find(&in, 0, 999), 0, 0, 1, 0);
	assert_null(cp_srcmap_in_find(&in, 1, 0)); /* an empty line maps nothing */
	assert_null(cp_srcmap_in_find(&in, 2, 1)); /* before the line's first segment */
	assert_seg(cp_srcmap_in_find(&in, 2, 2), 1, 0, 3, 1);
	assert_seg(cp_srcmap_in_find(&in, 2, 3), 1, 0, 3, -1);
	assert_null(cp_srcmap_in_find(&in, 3, 0)); /* past the last line */
	cp_srcmap_in_free(&in);
}

static void test_read_unsorted_line(void **s)
{
	/* EAAA: col 2 -> (0,0); FAAC: col 2-2 = 0 -> (0,0+1).  The decoder must
	 * sort the line by column but keep the deltas in written order. */
	cp_srcmap_in in;
	parse_ok(&in, "{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"EAAA,FAAC\"}");
	assert_seg(cp_srcmap_in_find(&in, 0, 0), 0, 0, 1, -1);
	assert_seg(cp_srcmap_in_find(&in, 0, 1), 0, 0, 1, -1);
	assert_seg(cp_srcmap_in_find(&in, 0, 2), 0, 0, 0, -1);
	cp_srcmap_in_free(&in);
}

static void test_read_multi_digit(void **s)
{
	/* "gB" is one VLQ: 'g' is digit 32 (continuation bit, low bits 0),
	 * 'B' is 1, shifted by 5: 32, i.e. +16.  "gBAAgB": col 16 -> (0,16). */
	cp_srcmap_in in;
	parse_ok(&in, "{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"gBAAgB\"}");
	assert_null(cp_srcmap_in_find(&in, 0, 15));
	assert_seg(cp_srcmap_in_find(&in, 0, 16), 0, 0, 16, -1);
	cp_srcmap_in_free(&in);
}

/* A one-field segment is a gap: a token that falls in one maps to nothing
 * (not to the segment before it). */
static void test_read_gap_maps_nothing(void **s)
{
	/* AAAA: col 0 -> (0,0); K: col +5 = 5, no source (a gap). */
	cp_srcmap_in in;
	parse_ok(&in, "{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAA,K\"}");
	assert_seg(cp_srcmap_in_find(&in, 0, 4), 0, 0, 0, -1);
	assert_null(cp_srcmap_in_find(&in, 0, 5));
	assert_null(cp_srcmap_in_find(&in, 0, 9));
	cp_srcmap_in_free(&in);
}

static void test_read_gap_still_moves_column(void **s)
{
	/* Whatever a gap maps to, its column delta counts: AAAA col 0, K col 5
	 * (gap), EAAC col 5+2 = 7 -> (0,1).  Column 6 is not the col 7 segment. */
	cp_srcmap_in in;
	parse_ok(&in, "{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"AAAA,K,EAAC\"}");
	const cp_srcmap_seg *g = cp_srcmap_in_find(&in, 0, 6);
	assert_true(g == NULL || g->src_col == 0);
	assert_seg(cp_srcmap_in_find(&in, 0, 7), 0, 0, 1, -1);
	cp_srcmap_in_free(&in);
}

static void expect_parse_error(const char *json, const char *why_has)
{
	cp_srcmap_in in;
	char why[256] = "";
	assert_int_equal(cp_srcmap_in_parse(&in, json, strlen(json), why, sizeof why), -1);
	if (!strstr(why, why_has))
		fail_msg("for %s: reason '%s' does not mention '%s'", json, why, why_has);
	cp_srcmap_in_free(&in); /* what js_min.c does after a failure */
}

static void test_read_malformed(void **s)
{
	expect_parse_error("{\"version\":3,", "not JSON");
	expect_parse_error("", "not JSON");
	expect_parse_error("[1,2]", "not an object");
	expect_parse_error("{\"version\":3,\"sources\":[]}", "\"mappings\"");
	expect_parse_error("{\"version\":3,\"mappings\":\"AAAA\"}", "\"sources\"");
	expect_parse_error("{\"version\":3,\"sources\":[],\"mappings\":7}", "\"mappings\"");
	expect_parse_error("{\"version\":3,\"sections\":[]}", "sections");
	const char *bad[] = {
	    "AA",		     /* two fields */
	    "AAA",		     /* three fields */
	    "AAAAAA",		     /* six fields */
	    "AA!A",		     /* not base64 */
	    "AAAg",		     /* a VLQ cut off by the end */
	    "AAAg,AAAA",	     /* ... and by a comma */
	    "DAAA",		     /* column -1 */
	    "ADAA",		     /* source index -1 */
	    "AAAA;AADA",	     /* source line 0 - 1 = -1 */
	    "AAAAD",		     /* name index -1 */
	    "//////////////////AAA", /* a VLQ too long for a long */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char json[128];
		snprintf(json, sizeof json,
			 "{\"version\":3,\"sources\":[\"a\"],\"mappings\":\"%s\"}", bad[i]);
		expect_parse_error(json, "malformed \"mappings\"");
	}
}

/* Only version 3 maps are read. */
static void test_read_wrong_version(void **s)
{
	expect_parse_error("{\"version\":2,\"sources\":[\"a\"],\"mappings\":\"AAAA\"}", "version");
	expect_parse_error("{\"sources\":[\"a\"],\"mappings\":\"AAAA\"}", "version");
}

static void test_read_empty_mappings(void **s)
{
	cp_srcmap_in in;
	parse_ok(&in, "{\"version\":3,\"sources\":[],\"mappings\":\"\"}");
	assert_null(cp_srcmap_in_find(&in, 0, 0));
	cp_srcmap_in_free(&in);
}

/* ---- round trip and composing ---- */

static void test_roundtrip_write_read(void **s)
{
	const seg segs[] = {{0, 0, 0, 5, 2, -1},  {0, 7, 0, 5, 9, 3},	 {0, 40, 0, 0, 0, -1},
			    {3, 1, 0, 900, 1, 0}, {3, 2000, 0, 1, 3, 1}, {4, 0, 0, 2, 0, -1}};
	size_t n = sizeof segs / sizeof *segs;
	cp_buf out = CP_BUF_INIT;
	build_map(segs, n, &out);
	cp_srcmap_in in;
	parse_ok(&in, out.data);
	assert_int_equal(in.nlines, 5);
	for (size_t i = 0; i < n; i++)
		assert_seg(cp_srcmap_in_find(&in, segs[i].gl, segs[i].gc), segs[i].src, segs[i].sl,
			   segs[i].sc, segs[i].name);
	assert_null(cp_srcmap_in_find(&in, 1, 0));
	cp_srcmap_in_free(&in);
	cp_buf_free(&out);
}

static void test_composed(void **s)
{
	const char *inmap =
	    "{\"version\":3,\"sourceRoot\":\"src\",\"sources\":[\"a.ts\",\"b.ts\"],"
	    "\"sourcesContent\":[\"A\",\"B\"],\"names\":[\"x\"],\"mappings\":\"AAAA,ECAEA\"}";
	/* input: col 0 -> src 0 (0,0); col 2 -> src 1 (0,2) name 0. */
	cp_srcmap_in in;
	parse_ok(&in, inmap);
	cp_srcmap m;
	cp_srcmap_init(&m);
	/* our output col 0 came from input col 3, col 1 from input col 1 */
	const cp_srcmap_seg *g = cp_srcmap_in_find(&in, 0, 3);
	assert_seg(g, 1, 0, 2, 0);
	cp_srcmap_add_full(&m, 0, 0, g->src_idx, g->src_line, g->src_col, g->name);
	g = cp_srcmap_in_find(&in, 0, 1);
	assert_seg(g, 0, 0, 0, -1);
	cp_srcmap_add_full(&m, 0, 1, g->src_idx, g->src_line, g->src_col, g->name);
	cp_buf out = CP_BUF_INIT;
	cp_srcmap_json_composed(&m, "o.js", &in, &out);
	json_t *j = json_loads(out.data, 0, NULL);
	assert_non_null(j);
	json_t *srcs = json_object_get(j, "sources");
	assert_int_equal(json_array_size(srcs), 2);
	assert_string_equal(json_string_value(json_array_get(srcs, 0)), "src/a.ts");
	assert_string_equal(json_string_value(json_array_get(srcs, 1)), "src/b.ts");
	assert_null(json_object_get(j, "sourceRoot")); /* folded into the sources */
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(j, "sourcesContent"), 1)), "B");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "names"), 0)), "x");
	/* ACAEA: col 0, src 1, line 0, col 2, name 0; CDAEA: col 1, src 0,
	 * line 0, col 0 (-2 -> F), no name -> "CDAF". */
	assert_string_equal(json_string_value(json_object_get(j, "mappings")), "ACAEA,CDAF");
	json_decref(j);
	cp_buf_free(&out);
	cp_srcmap_free(&m);
	cp_srcmap_in_free(&in);
}

static void test_composed_source_root_slash(void **s)
{
	cp_srcmap_in in;
	parse_ok(&in,
		 "{\"version\":3,\"sourceRoot\":\"/r/\",\"sources\":[\"a\"],\"mappings\":\"\"}");
	cp_srcmap m;
	cp_srcmap_init(&m);
	cp_buf out = CP_BUF_INIT;
	cp_srcmap_json_composed(&m, NULL, &in, &out);
	json_t *j = json_loads(out.data, 0, NULL);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "sources"), 0)),
			    "/r/a"); /* not "/r//a" */
	assert_int_equal(json_array_size(json_object_get(j, "names")), 0);
	json_decref(j);
	cp_buf_free(&out);
	cp_srcmap_free(&m);
	cp_srcmap_in_free(&in);
}

/* ---- shifting ---- */

/* One line, segments at generated columns 0, 10, 20, 30, each from the same
 * source column: AAAA, then +10 gen and +10 src col: UAAU three times. */
static const seg line4[] = {
    {0, 0, 0, 0, 0, -1}, {0, 10, 0, 0, 10, -1}, {0, 20, 0, 0, 20, -1}, {0, 30, 0, 0, 30, -1}};

static void shift_ok(cp_buf *map, const cp_map_edit *e, size_t n)
{
	assert_int_equal(cp_srcmap_shift(map, e, n), 0);
}

/* The generated columns of line `line` after parsing the shifted map, with
 * the source column each maps to. */
static void assert_line(const cp_buf *map, unsigned line, const unsigned *cols,
			const unsigned *srccols, size_t n)
{
	cp_srcmap_in in;
	parse_ok(&in, map->data);
	assert_true(line < in.nlines);
	size_t lo = in.lines[line], hi = in.lines[line + 1];
	assert_int_equal(hi - lo, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(in.segs[lo + i].gen_col, cols[i]);
		assert_int_equal(in.segs[lo + i].src_col, srccols[i]);
	}
	cp_srcmap_in_free(&in);
}

static void test_shift_after_edit(void **s)
{
	cp_buf map = CP_BUF_INIT;
	build_map(line4, 4, &map);
	assert_mappings(map.data, "AAAA,UAAU,UAAU,UAAU");
	/* [12,15) replaced by 8 bytes: +5 for everything at or after 15 */
	const cp_map_edit e[] = {{0, 12, 15, 5}};
	shift_ok(&map, e, 1);
	/* cols 0, 10, 25, 35: deltas 0, 10 (U), 15 (e), 10 (U); source fields as they were */
	assert_mappings(map.data, "AAAA,UAAU,eAAU,UAAU");
	assert_line(&map, 0, (unsigned[]){0, 10, 25, 35}, (unsigned[]){0, 10, 20, 30}, 4);
	cp_buf_free(&map);
}

static void test_shift_inside_span(void **s)
{
	/* segments at 0, 10, 20, 30; [8,22) replaced by 4 bytes (delta -10):
	 * 10 and 20 fall inside and move to the span's start 8; 30 -> 20. */
	cp_buf map = CP_BUF_INIT;
	build_map(line4, 4, &map);
	const cp_map_edit e[] = {{0, 8, 22, -10}};
	shift_ok(&map, e, 1);
	assert_line(&map, 0, (unsigned[]){0, 8, 8, 20}, (unsigned[]){0, 10, 20, 30}, 4);
	cp_buf_free(&map);
}

static void test_shift_several_edits(void **s)
{
	/* [2,4) shrinks by 1, [12,15) grows by 5, [25,26) grows by 100:
	 * 0 -> 0; 10 -> 9; 20 -> 20-1+5 = 24; 30 -> 30-1+5+100 = 134. */
	cp_buf map = CP_BUF_INIT;
	build_map(line4, 4, &map);
	const cp_map_edit e[] = {{0, 2, 4, -1}, {0, 12, 15, 5}, {0, 25, 26, 100}};
	shift_ok(&map, e, 3);
	assert_line(&map, 0, (unsigned[]){0, 9, 24, 134}, (unsigned[]){0, 10, 20, 30}, 4);
	cp_buf_free(&map);

	/* column 13, inside the second span, goes to its start after the
	 * first edit: 12 - 1 = 11 */
	const seg one[] = {{0, 0, 0, 0, 0, -1}, {0, 13, 0, 0, 7, -1}};
	build_map(one, 2, &map);
	shift_ok(&map, e, 3);
	assert_line(&map, 0, (unsigned[]){0, 11}, (unsigned[]){0, 7}, 2);
	cp_buf_free(&map);
}

static void test_shift_edge_columns(void **s)
{
	/* A segment exactly at the span's end is after the span; one exactly at
	 * its start is in it (and stays there).  Spans [10,20) and [30,30): the
	 * second is an insertion of 3 bytes before column 30. */
	cp_buf map = CP_BUF_INIT;
	build_map(line4, 4, &map);
	const cp_map_edit e[] = {{0, 10, 20, 6}, {0, 30, 30, 3}};
	shift_ok(&map, e, 2);
	/* 0 -> 0; 10 in span -> 10; 20 at end -> 26; 30 -> 30+6+3 = 39 */
	assert_line(&map, 0, (unsigned[]){0, 10, 26, 39}, (unsigned[]){0, 10, 20, 30}, 4);
	cp_buf_free(&map);
}

static void test_shift_only_its_line(void **s)
{
	/* line 0: cols 0, 10; line 1: cols 0, 10 (deltas restart per line);
	 * names and a second source ride along untouched. */
	const seg segs[] = {
	    {0, 0, 0, 0, 0, 0}, {0, 10, 1, 0, 10, -1}, {1, 0, 0, 1, 0, 1}, {1, 10, 1, 1, 10, -1}};
	cp_buf map = CP_BUF_INIT;
	build_map(segs, 4, &map);
	/* the edit is on line 1 only: line 0 keeps 0, 10; line 1 gets 0, 17 */
	const cp_map_edit e[] = {{1, 5, 6, 7}};
	shift_ok(&map, e, 1);
	assert_line(&map, 0, (unsigned[]){0, 10}, (unsigned[]){0, 10}, 2);
	assert_line(&map, 1, (unsigned[]){0, 17}, (unsigned[]){0, 10}, 2);
	cp_srcmap_in in;
	parse_ok(&in, map.data);
	assert_seg(cp_srcmap_in_find(&in, 1, 0), 0, 1, 0, 1);
	assert_seg(cp_srcmap_in_find(&in, 1, 17), 1, 1, 10, -1);
	assert_seg(cp_srcmap_in_find(&in, 1, 16), 0, 1, 0, 1);
	cp_srcmap_in_free(&in);
	cp_buf_free(&map);
}

static void test_shift_keeps_rest_of_json(void **s)
{
	const char *text = "{\"version\":3,\"sources\":[\"a.css\"],\"names\":[],"
			   "\"mappings\": \"AAAA,UAAU\",\"x\":1}";
	cp_buf map = CP_BUF_INIT;
	cp_buf_puts(&map, text);
	const cp_map_edit e[] = {{0, 0, 1, 2}};
	shift_ok(&map, e, 1);
	/* 0 is in [0,1) -> 0; 10 -> 12 (Y = 24) */
	assert_string_equal(map.data, "{\"version\":3,\"sources\":[\"a.css\"],\"names\":[],"
				      "\"mappings\": \"AAAA,YAAU\",\"x\":1}");
	assert_int_equal(map.len, strlen(map.data));
	cp_buf_free(&map);
}

static void expect_shift_refused(const char *text)
{
	cp_buf map = CP_BUF_INIT;
	cp_buf_puts(&map, text);
	const cp_map_edit e[] = {{0, 0, 1, 2}};
	assert_int_equal(cp_srcmap_shift(&map, e, 1), -1);
	assert_string_equal(map.data, text); /* left as it was */
	assert_int_equal(map.len, strlen(text));
	cp_buf_free(&map);
}

static void test_shift_malformed(void **s)
{
	expect_shift_refused("{\"version\":3,\"sources\":[]}");
	expect_shift_refused("{\"version\":3,\"mappings\":7}");
	expect_shift_refused("{\"version\":3,\"mappings\":\"AAAA");
	expect_shift_refused("{\"version\":3,\"mappings\":\"AAAA,!AAA\"}");
	expect_shift_refused("{\"version\":3,\"mappings\":\"AAAA,g\"}");
}

static void test_shift_no_edits(void **s)
{
	cp_buf map = CP_BUF_INIT;
	build_map(line4, 4, &map);
	char *before = strdup(map.data);
	shift_ok(&map, NULL, 0);
	assert_string_equal(map.data, before);
	free(before);
	cp_buf_free(&map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_write_mappings),
	    cmocka_unit_test(test_write_names_and_sources),
	    cmocka_unit_test(test_write_sources_content),
	    cmocka_unit_test(test_read_segments),
	    cmocka_unit_test(test_read_unsorted_line),
	    cmocka_unit_test(test_read_multi_digit),
	    cmocka_unit_test(test_read_gap_maps_nothing),
	    cmocka_unit_test(test_read_gap_still_moves_column),
	    cmocka_unit_test(test_read_malformed),
	    cmocka_unit_test(test_read_wrong_version),
	    cmocka_unit_test(test_read_empty_mappings),
	    cmocka_unit_test(test_roundtrip_write_read),
	    cmocka_unit_test(test_composed),
	    cmocka_unit_test(test_composed_source_root_slash),
	    cmocka_unit_test(test_shift_after_edit),
	    cmocka_unit_test(test_shift_inside_span),
	    cmocka_unit_test(test_shift_several_edits),
	    cmocka_unit_test(test_shift_edge_columns),
	    cmocka_unit_test(test_shift_only_its_line),
	    cmocka_unit_test(test_shift_keeps_rest_of_json),
	    cmocka_unit_test(test_shift_malformed),
	    cmocka_unit_test(test_shift_no_edits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
