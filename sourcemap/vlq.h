/*
 * vlq.h - Source Map v3's base64 VLQ numbers.
 *
 * Two stages read and write source maps: minify/ writes them (and reads an
 * input map to compose with), fingerprint/ shifts a generated map's columns
 * by the edits of reference rewriting.  The number encoding is the one piece
 * both need, so it lives here once.
 */
#ifndef CP_VLQ_H
#define CP_VLQ_H

#include "lib/buf.h"

/* Appends the base64 VLQ of v. */
void cp_vlq_encode(cp_buf *out, long v);
/* Decodes one VLQ at *p (advancing it, never past end).  0, or -1 when the
 * input is malformed (not base64, cut off, or too long for a long). */
int cp_vlq_decode(const char **p, const char *end, long *out);

#endif
