/*
 * mime.h - what a file is, from its extension.
 *
 * One built-in table of web types answers the three questions the stages ask
 * of a name: its Content-Type (upload, sync), whether compressing it can pay
 * off (compress: fonts, images and archives are already compressed), and
 * whether it is text that may carry references (fingerprint, minify).
 */
#ifndef CP_MIME_H
#define CP_MIME_H

/* Content-Type for a path, with "; charset=utf-8" for text types.
 * "application/octet-stream" when unknown. */
const char *cp_mime_type(const char *path);
/* 1 when a gzip/brotli sibling is worth trying. */
int cp_mime_compressible(const char *path);

#endif
