/*
 * asset.h - the asset table: the one data structure the build stages share.
 *
 * The scan produces one cp_asset per file, sorted by logical path; every later
 * stage reads and extends the same array instead of walking the disk again.
 * Text assets (CSS, JS, source maps) hold their bytes in `text`; binary assets
 * (images, fonts, media) never do: they are hashed, copied and compressed by
 * streaming from `source`, so memory stays bounded by the text of the site, not
 * its media.
 *
 * A reference is a byte span of `text` plus what it points at.  Rewriting is a
 * splice of spans, so the scanner's positions stay valid for error messages.
 */
#ifndef CP_ASSET_H
#define CP_ASSET_H

#include "lib/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef enum cp_asset_kind {
	CP_ASSET_OTHER = 0, /* streamed, never parsed */
	CP_ASSET_CSS,
	CP_ASSET_JS,
	CP_ASSET_MAP, /* source map: text, but carries no rewritable reference */
} cp_asset_kind;

typedef enum cp_ref_kind {
	/* CSS url(...): span covers the whole url( ... ) token or function. */
	CP_REF_URL = 0,
	/* CSS @import "x": span covers "@import" through the closing quote.
	 * (@import url(x) is a CP_REF_URL.) */
	CP_REF_IMPORT,
	/* sourceMappingURL comment: span covers the whole comment (CSS) or the
	 * comment line without its line break (JS). */
	CP_REF_SOURCEMAP,
} cp_ref_kind;

typedef struct cp_ref {
	size_t start, end;  /* [start, end) in the asset's text */
	unsigned line, col; /* 1-based position of start, for messages */
	cp_ref_kind kind;
	char *url;   /* the URL as written, CSS escapes decoded, query/fragment kept */
	long target; /* index of the referenced asset, or -1 (external or missing) */
} cp_ref;

typedef struct cp_refs {
	cp_ref *v;
	size_t n, cap;
} cp_refs;

enum cp_asset_flags {
	CP_ASSET_MINIFIED = 1 << 0,  /* text was minified by this build */
	CP_ASSET_REWRITTEN = 1 << 1, /* out holds rewritten text */
	/* produced by this build (the source map of a minified file): its text is
	 * finished, and it is named, by the asset whose map it is */
	CP_ASSET_GENERATED = 1 << 2,
	/* md5 already holds the MD5 of the source (an unchanged file's, from
	 * the build's file-state record): fingerprinting need not read it */
	CP_ASSET_MD5_KNOWN = 1 << 3,
};

typedef struct cp_asset {
	char *logical; /* "admin/css/base.css": relative, '/'-separated */
	char *source;  /* path on disk to read from */
	uint64_t size; /* size of the source file */
	int64_t mtime_ns;
	cp_asset_kind kind;
	unsigned flags;
	cp_buf text;  /* text assets: contents after minification */
	cp_refs refs; /* references found in text, in order of position */
	cp_buf out;   /* text assets: final bytes after rewriting */
	unsigned char md5[16];
	char *hashed; /* logical hashed name: "admin/css/base.<12 hex>.css" */
	long scc;     /* strongly connected component id (set by ordering) */
} cp_asset;

typedef struct cp_assets {
	cp_asset *v;
	size_t n, cap;
} cp_assets;

cp_asset *cp_assets_add(cp_assets *t);
/* Index of the asset with this logical path, or -1 (table sorted by logical). */
long cp_assets_find(const cp_assets *t, const char *logical);
void cp_assets_free(cp_assets *t);
void cp_refs_push(cp_refs *r, const cp_ref *ref);
void cp_refs_free(cp_refs *r);
/* Kind from the file name: .css, .js/.mjs/.cjs, .map. */
cp_asset_kind cp_asset_kind_of(const char *path);

#endif
