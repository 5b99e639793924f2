/*
 * srcmap.h - writing Source Map v3 (internal to minify/).
 *
 * A minifier emits one segment per output token it copies: (generated line,
 * column) -> (source line, column), all 0-based, in output order.  Segments
 * are encoded as base64 VLQ deltas on the fly, so the map costs one buffer.
 */
#ifndef CP_MINIFY_SRCMAP_H
#define CP_MINIFY_SRCMAP_H

#include "lib/cp.h"

typedef struct cp_srcmap {
	cp_buf mappings;
	unsigned gen_line; /* line of the last segment written */
	long prev_gen_col; /* delta bases, as the spec defines them */
	long prev_src_line;
	long prev_src_col;
	long prev_src_idx;
	int line_has_segment;
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
/* Appends the base64 VLQ of v. */
void cp_vlq_encode(cp_buf *out, long v);

#endif
