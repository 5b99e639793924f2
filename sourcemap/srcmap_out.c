/*
 * srcmap_out.c - Source Map v3 writer; see sourcemap.h.
 */
#include "sourcemap/sourcemap.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void cp_srcmap_init(cp_srcmap *m)
{
	memset(m, 0, sizeof *m);
}

void cp_srcmap_add(cp_srcmap *m, unsigned gen_line, unsigned gen_col, unsigned src_line,
		   unsigned src_col)
{
	cp_srcmap_add_full(m, gen_line, gen_col, 0, src_line, src_col, -1);
}

void cp_srcmap_add_full(cp_srcmap *m, unsigned gen_line, unsigned gen_col, unsigned src_idx,
			unsigned src_line, unsigned src_col, long name)
{
	while (m->gen_line < gen_line) {
		cp_buf_putc(&m->mappings, ';');
		m->gen_line++;
		m->prev_gen_col = 0;
		m->line_has_segment = 0;
	}
	if (m->line_has_segment)
		cp_buf_putc(&m->mappings, ',');
	cp_vlq_encode(&m->mappings, (long)gen_col - m->prev_gen_col);
	cp_vlq_encode(&m->mappings, (long)src_idx - m->prev_src_idx);
	cp_vlq_encode(&m->mappings, (long)src_line - m->prev_src_line);
	cp_vlq_encode(&m->mappings, (long)src_col - m->prev_src_col);
	if (name >= 0) {
		cp_vlq_encode(&m->mappings, name - m->prev_name);
		m->prev_name = name;
	}
	m->prev_gen_col = gen_col;
	m->prev_src_idx = src_idx;
	m->prev_src_line = src_line;
	m->prev_src_col = src_col;
	m->line_has_segment = 1;
}

void cp_srcmap_json(const cp_srcmap *m, const char *file, const char *source, const char *content,
		    size_t content_len, cp_buf *out)
{
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(3));
	if (file)
		json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "sources", json_pack("[s]", source ? source : ""));
	if (content)
		json_object_set_new(o, "sourcesContent",
				    json_pack("[s#]", content, (int)content_len));
	json_object_set_new(o, "names", json_array());
	cp_srcmap_dump(o, m, out);
}

void cp_srcmap_dump(json_t *o, const cp_srcmap *m, cp_buf *out)
{
	json_object_set_new(
	    o, "mappings", json_stringn(m->mappings.data ? m->mappings.data : "", m->mappings.len));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		cp_buf_puts(out, s);
	free(s);
	json_decref(o);
}

void cp_srcmap_free(cp_srcmap *m)
{
	cp_buf_free(&m->mappings);
}
