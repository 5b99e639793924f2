/*
 * mime.c - the extension table; see mime.h.
 *
 * Sorted by extension for bsearch.  "compress" marks types whose bytes are
 * not already compressed; an unknown extension is not compressed, because a
 * binary blob of unknown kind rarely shrinks and costs brotli-11 time.
 */
#include "lib/mime.h"
#include "lib/path.h"

#include <stdlib.h>
#include <string.h>

struct mime {
	const char *ext;
	const char *type;
	int compress;
};

static const struct mime table[] = {
    {"7z", "application/x-7z-compressed", 0},
    {"aac", "audio/aac", 0},
    {"apng", "image/apng", 0},
    {"atom", "application/atom+xml; charset=utf-8", 1},
    {"avi", "video/x-msvideo", 0},
    {"avif", "image/avif", 0},
    {"bmp", "image/bmp", 1},
    {"br", "application/octet-stream", 0},
    {"bz2", "application/x-bzip2", 0},
    {"cjs", "text/javascript; charset=utf-8", 1},
    {"css", "text/css; charset=utf-8", 1},
    {"csv", "text/csv; charset=utf-8", 1},
    {"doc", "application/msword", 1},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 0},
    {"eot", "application/vnd.ms-fontobject", 1},
    {"flac", "audio/flac", 0},
    {"gif", "image/gif", 0},
    {"gz", "application/gzip", 0},
    {"heic", "image/heic", 0},
    {"htm", "text/html; charset=utf-8", 1},
    {"html", "text/html; charset=utf-8", 1},
    {"ico", "image/vnd.microsoft.icon", 1},
    {"ics", "text/calendar; charset=utf-8", 1},
    {"jpeg", "image/jpeg", 0},
    {"jpg", "image/jpeg", 0},
    {"js", "text/javascript; charset=utf-8", 1},
    {"json", "application/json; charset=utf-8", 1},
    {"jsonld", "application/ld+json; charset=utf-8", 1},
    {"jsx", "text/javascript; charset=utf-8", 1},
    {"less", "text/css; charset=utf-8", 1},
    {"m4a", "audio/mp4", 0},
    {"m4v", "video/mp4", 0},
    {"manifest", "text/cache-manifest; charset=utf-8", 1},
    {"map", "application/json; charset=utf-8", 1},
    {"md", "text/markdown; charset=utf-8", 1},
    {"mjs", "text/javascript; charset=utf-8", 1},
    {"mov", "video/quicktime", 0},
    {"mp3", "audio/mpeg", 0},
    {"mp4", "video/mp4", 0},
    {"mpeg", "video/mpeg", 0},
    {"oga", "audio/ogg", 0},
    {"ogg", "audio/ogg", 0},
    {"ogv", "video/ogg", 0},
    {"opus", "audio/opus", 0},
    {"otf", "font/otf", 1},
    {"pdf", "application/pdf", 0},
    {"png", "image/png", 0},
    {"rar", "application/vnd.rar", 0},
    {"rss", "application/rss+xml; charset=utf-8", 1},
    {"rtf", "application/rtf", 1},
    {"scss", "text/x-scss; charset=utf-8", 1},
    {"svg", "image/svg+xml", 1},
    {"svgz", "image/svg+xml", 0},
    {"tar", "application/x-tar", 1},
    {"tif", "image/tiff", 0},
    {"tiff", "image/tiff", 0},
    {"ts", "video/mp2t", 0},
    {"tsv", "text/tab-separated-values; charset=utf-8", 1},
    {"ttf", "font/ttf", 1},
    {"txt", "text/plain; charset=utf-8", 1},
    {"vtt", "text/vtt; charset=utf-8", 1},
    {"wasm", "application/wasm", 1},
    {"wav", "audio/wav", 1},
    {"weba", "audio/webm", 0},
    {"webm", "video/webm", 0},
    {"webmanifest", "application/manifest+json; charset=utf-8", 1},
    {"webp", "image/webp", 0},
    {"woff", "font/woff", 0},
    {"woff2", "font/woff2", 0},
    {"xhtml", "application/xhtml+xml; charset=utf-8", 1},
    {"xls", "application/vnd.ms-excel", 1},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 0},
    {"xml", "application/xml; charset=utf-8", 1},
    {"xz", "application/x-xz", 0},
    {"yaml", "application/yaml; charset=utf-8", 1},
    {"yml", "application/yaml; charset=utf-8", 1},
    {"zip", "application/zip", 0},
    {"zst", "application/zstd", 0},
};

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct mime *)elem)->ext);
}

static const struct mime *lookup(const char *path)
{
	char ext[32];
	cp_path_ext(path, ext, sizeof ext);
	if (!*ext)
		return NULL;
	return bsearch(ext, table, sizeof table / sizeof *table, sizeof *table, cmp);
}

const char *cp_mime_type(const char *path)
{
	const struct mime *m = lookup(path);
	return m ? m->type : "application/octet-stream";
}

int cp_mime_compressible(const char *path)
{
	const struct mime *m = lookup(path);
	return m ? m->compress : 0;
}
