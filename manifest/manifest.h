/*
 * manifest.h - the manifest stage: the files that templates read to turn a
 * logical path into a fingerprinted URL, for every framework (dialects.c),
 * with Subresource Integrity where the format has a place for it, and
 * reading any of them back (read.c, for `cdnpipe url`).
 *
 * The Django format (staticfiles.json) is written exactly as Django's
 * ManifestStaticFilesStorage writes it - Python's json.dumps spacing and
 * \u escapes - so Django reads it unchanged and its "hash" (version 1.1,
 * Django 4.2+) is the one Django would compute.  Version 1.0 (no "hash") is
 * what Django before 4.2 reads.
 */
#ifndef CP_MANIFEST_H
#define CP_MANIFEST_H

#include "asset/asset.h"
#include "lib/cp.h"

typedef struct cp_manifest_entry {
	char *name;   /* logical path */
	char *hashed; /* fingerprinted logical path */
} cp_manifest_entry;

typedef struct cp_manifest {
	cp_manifest_entry *v;
	size_t n, cap;
	char version[8]; /* "1.1" or "1.0" */
	char hash[13];	 /* version 1.1 only */
} cp_manifest;

#define CP_DJANGO_MANIFEST "staticfiles.json"

void cp_manifest_add(cp_manifest *m, const char *name, const char *hashed);
/* Sorts entries by name (bytewise on UTF-8, which is code point order, as Python sorts). */
void cp_manifest_sort(cp_manifest *m);
/* Django's manifest hash: first 12 hex of MD5 of json.dumps(sorted(paths.items())). */
void cp_manifest_django_hash(const cp_manifest *m, char out[13]);
/* Renders staticfiles.json (entries sorted first). version: "1.1" or "1.0". */
void cp_manifest_django_render(cp_manifest *m, const char *version, cp_buf *out);
/* Parses staticfiles.json (any version Django writes). */
int cp_manifest_django_parse(const char *json, size_t len, cp_manifest *m, cp_error *err);
/* Looks an entry up by logical name (entries sorted). NULL if absent. */
const char *cp_manifest_lookup(const cp_manifest *m, const char *name);
void cp_manifest_free(cp_manifest *m);

/* ---- every framework's manifest (dialects.c) ---- */

enum cp_manifest_dialect {
	CP_MF_DJANGO = 1 << 0,	  /* staticfiles.json */
	CP_MF_PROPSHAFT = 1 << 1, /* .manifest.json */
	CP_MF_SPROCKETS = 1 << 2, /* .sprockets-manifest-<32 hex>.json */
	CP_MF_PHOENIX = 1 << 3,	  /* cache_manifest.json */
	CP_MF_VITE = 1 << 4,	  /* .vite/manifest.json */
	CP_MF_MIX = 1 << 5,	  /* mix-manifest.json */
	CP_MF_SYMFONY = 1 << 6,	  /* manifest.json ("flat") */
	CP_MF_ALL = (1 << 7) - 1,
};
/* Sprockets looks for .sprockets-manifest-*.json; a constant name (the MD5
 * of "cdnpipe") means a rebuild replaces the file instead of adding one. */
#define CP_SPROCKETS_MANIFEST ".sprockets-manifest-e79508e72a87191d9fb130334b42627f.json"

/* "django,vite", "all", ... into CP_MF_* bits; 0, or -1 for an unknown name. */
int cp_manifest_dialects_parse(const char *list, unsigned *out);
/* A dialect's file, relative to DIST. */
const char *cp_manifest_file_name(enum cp_manifest_dialect d);
/* 1 when rel (relative to DIST) is a manifest of any dialect: what upload
 * publishes last. */
int cp_manifest_is_name(const char *rel);

/* Subresource Integrity: the algorithms asked for, in order ("sha384",
 * "sha256,sha512"); a value is "sha384-<base64>", several space-separated. */
typedef struct cp_sri {
	unsigned char alg[3]; /* 0 sha256, 1 sha384, 2 sha512 */
	size_t n;
} cp_sri;
#define CP_SRI_MAX 300
int cp_sri_parse(const char *list, cp_sri *out);
/* The CP_DIGEST_* bits cp_sri_format needs. */
unsigned cp_sri_digests(const cp_sri *s);
void cp_sri_format(const cp_sri *s, const cp_digests *d, char out[CP_SRI_MAX]);

/* One file of the build, as the dialects need it. */
typedef struct cp_manifest_file {
	const char *logical, *hashed;
	uint64_t size;		    /* bytes of the fingerprinted file */
	int64_t mtime;		    /* the source's modification time, Unix seconds */
	char md5[33];		    /* hex */
	char sha256[65];	    /* hex (Sprockets' digest) */
	char sha512_b64[89];	    /* base64 (Phoenix's sha512) */
	char integrity[CP_SRI_MAX]; /* "" when no SRI was asked for */
	int entry;		    /* Vite's isEntry */
} cp_manifest_file;

typedef struct cp_manifest_opts {
	const char *django_version; /* "1.1" (default) or "1.0" */
	const char *prefix;	    /* symfony: put before keys and values, as given */
	/* phoenix: the cache_manifest.json DIST held before (NULL: none), and
	 * whether an earlier build's file is still in DIST (kept if so, as
	 * mix phx.digest keeps them) */
	const char *previous;
	size_t previous_len;
	int (*still_there)(void *ctx, const char *hashed);
	void *ctx;
} cp_manifest_opts;

/* Renders dialect d of files v (sorted by logical) into out. */
void cp_manifest_render(enum cp_manifest_dialect d, const cp_manifest_file *v, size_t n,
			const cp_manifest_opts *o, cp_buf *out);

/* ---- reading any dialect back (read.c) ---- */

typedef struct cp_manifest_ref {
	char *name, *hashed; /* logical and fingerprinted path, no leading '/' */
	char *integrity;     /* the manifest's SRI value, or NULL */
	int64_t size;	     /* bytes, where the dialect records them (Sprockets,
				Phoenix); -1 otherwise */
} cp_manifest_ref;

typedef struct cp_manifest_index {
	cp_manifest_ref *v; /* sorted by name */
	size_t n;
	const char *dialect; /* "django", "vite", ..., "empty", "unknown" (not a manifest) */
} cp_manifest_index;

/* Reads a manifest of any dialect, recognised by its shape. */
int cp_manifest_read(const char *json, size_t len, cp_manifest_index *out, cp_error *err);
/* 1 when rel (relative to DIST) is a manifest's name and json has that
 * dialect's shape (out filled); 0 otherwise, e.g. a web app manifest.json. */
int cp_manifest_sniff(const char *rel, const char *json, size_t len, cp_manifest_index *out);
const cp_manifest_ref *cp_manifest_find(const cp_manifest_index *m, const char *name);
/* The logical name closest to name (edit distance), for "did you mean";
 * NULL when nothing is close. */
const char *cp_manifest_closest(const cp_manifest_index *m, const char *name);
void cp_manifest_index_free(cp_manifest_index *m);

/* Python json.dumps(s) of a UTF-8 string with ensure_ascii=True, appended to out. */
void cp_json_py_string(cp_buf *out, const char *s);

#endif
