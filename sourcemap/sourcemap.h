/*
 * sourcemap.h - the public header of sourcemap/: Source Map v3, written
 * (srcmap_out.c), read to be composed with (srcmap_in.c) and shifted after
 * references are rewritten (shift.c), over the base64 VLQ codec (vlq.c).
 *
 * Writing.  A minifier emits one segment per output token it copies: (generated line,
 * column) -> (source line, column), all 0-based, in output order.  Segments
 * are encoded as base64 VLQ deltas on the fly, so the map costs one buffer.
 */
#ifndef CP_SOURCEMAP_H
#define CP_SOURCEMAP_H

#include "lib/cp.h"
#include "sourcemap/vlq.h"

#include <jansson.h>

typedef struct cp_srcmap {
	cp_buf mappings;
	unsigned gen_line; /* line of the last segment written */
	long prev_gen_col; /* delta bases, as the spec defines them */
	long prev_src_line;
	long prev_src_col;
	long prev_src_idx;
	int line_has_segment;
	long prev_name; /* delta base of the optional 5th field */
} cp_srcmap;

void cp_srcmap_init(cp_srcmap *m);
/* Adds a segment; gen_line/gen_col must not go backwards. */
void cp_srcmap_add(cp_srcmap *m, unsigned gen_line, unsigned gen_col, unsigned src_line,
		   unsigned src_col);
/* Writes the map's JSON: {"version":3,"file":...,"sources":[source],
 * "sourcesContent":[content] (when content != NULL),"names":[],"mappings":...}. */
void cp_srcmap_json(const cp_srcmap *m, const char *file, const char *source, const char *content,
		    size_t content_len, cp_buf *out);
void cp_srcmap_free(cp_srcmap *m);
/* Adds m's "mappings" to the map object o, appends o's compact JSON to out,
 * and releases o (the last step of every map this folder writes). */

void cp_srcmap_dump(json_t *o, const cp_srcmap *m, cp_buf *out);
/* Adds a segment into source src_idx, naming names[name] (name < 0: none). */
void cp_srcmap_add_full(cp_srcmap *m, unsigned gen_line, unsigned gen_col, unsigned src_idx,
			unsigned src_line, unsigned src_col, long name);

/*
 * Reading an input map, to compose it with ours: the minifier maps each of
 * its output tokens to a position in its input, and that position is looked
 * up in the input's own map (the segment at or before it on its line).  The
 * decoded segments are kept sorted by (line, column) in one array, with an
 * index of where each generated line begins.  Only plain maps are read
 * (an index map with "sections" is refused).
 */
#define CP_SRCMAP_GAP 0xFFFFFFFFu /* src_idx of a segment with no source */
typedef struct cp_srcmap_seg {
	unsigned gen_col, src_idx, src_line, src_col;
	long name; /* -1: none */
} cp_srcmap_seg;

typedef struct cp_srcmap_in {
	void *json; /* the parsed map (json_t *): sources, sourcesContent, names */
	cp_srcmap_seg *segs;
	size_t nsegs;
	size_t *lines; /* nlines + 1 offsets into segs */
	size_t nlines;
} cp_srcmap_in;

/* Parses a v3 map; on failure returns -1 with a reason in why. */
int cp_srcmap_in_parse(cp_srcmap_in *in, const char *json, size_t len, char *why, size_t whysz);
/* The input segment for a 0-based (line, col) of the input's generated code, or NULL. */
const cp_srcmap_seg *cp_srcmap_in_find(const cp_srcmap_in *in, unsigned line, unsigned col);
/* Writes m's JSON with the input map's sources (sourceRoot applied), sourcesContent and names. */
void cp_srcmap_json_composed(const cp_srcmap *m, const char *file, const cp_srcmap_in *in,
			     cp_buf *out);
void cp_srcmap_in_free(cp_srcmap_in *in);

/* ---- shifting a generated map (shift.c) ---- */

/* One rewrite, for shifting a generated source map: on 0-based generated
 * line `line`, [col, end_col) was replaced and the line grew by delta. */
typedef struct cp_map_edit {
	unsigned line, col, end_col;
	long delta;
} cp_map_edit;

/* Shifts the generated columns of a Source Map v3 JSON's "mappings" by the
 * edits (sorted by position).  Returns 0, or -1 when the map is not one it
 * can read (then it is left as it was). */
int cp_srcmap_shift(cp_buf *map, const cp_map_edit *e, size_t n);

#endif
