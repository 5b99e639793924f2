/*
 * manifest.h - the manifest stage: the file that templates read to turn a
 * logical path into a fingerprinted URL.
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

/* Python json.dumps(s) of a UTF-8 string with ensure_ascii=True, appended to out. */
void cp_json_py_string(cp_buf *out, const char *s);

#endif
