/*
 * path.h - logical paths: '/'-separated, relative, normalised.
 *
 * A logical path is what a template asks for ("admin/css/base.css") and what
 * a bucket key is made of.  Normalising resolves "." and ".." textually (the
 * way a URL is resolved, not the way the kernel follows links); a path whose
 * ".." climbs above the root is reported, never clamped, because silently
 * clamping would point a reference at a different file.
 */
#ifndef CP_PATH_H
#define CP_PATH_H

#include <stddef.h>

/* Joins dir and rel with one '/' (either may be empty). Newly allocated. */
char *cp_path_join(const char *dir, const char *rel);
/* Normalises in place: drops "." and empty segments, resolves "..".
 * Returns 0, or -1 when ".." climbs above the start (p is then unchanged). */
int cp_path_normalize(char *p);
/* Length of the directory part including its trailing '/', 0 if none. */
size_t cp_path_dirlen(const char *p);
/* The last segment. */
const char *cp_path_base(const char *p);
/* Index of the '.' of the last extension in the last segment, or strlen(p) when
 * there is none (Python's os.path.splitext: leading dots of a name do not count). */
size_t cp_path_extpos(const char *p);
/* Lower-cased extension without the dot into out ("" if none). */
void cp_path_ext(const char *p, char *out, size_t outsz);
/* 1 when rel can name a file below a folder: not empty, not absolute, no
 * empty, "." or ".." segment, no trailing "/" (a bucket key that must not climb out). */
int cp_path_is_safe_rel(const char *rel);
/* 1 when name is UTF-8 without control characters (U+0000-U+001F, U+007F):
 * a name a terminal, a log line, a manifest and an S3 key all hold as it is
 * (README, sync: names that cannot travel are skipped). */
int cp_name_is_clean(const char *name);
/* name as it may be shown: control characters and bytes that are not UTF-8
 * as \n, \t, \xNN, cut after about 200 bytes.  Newly allocated. */
char *cp_name_show(const char *name);
/* 1 when path equals dir or lies below it (both absolute and normalised). */
int cp_path_is_within(const char *path, const char *dir);
/* Real path of a folder that may not exist yet: the nearest existing
 * ancestor resolved, the rest appended.  Newly allocated. */
char *cp_path_real_maybe(const char *path);
/* 1 when no folder on the way from real_root (a realpath()) to rel's parent
 * is a link (or a file): a write or delete of real_root/rel then lands at
 * that very path, inside real_root, and not at another path the same files
 * are reached by, and real_root is still its own real path (no folder
 * swapped for a link since).  Folders not there yet count as fine: mkdir
 * makes them.
 * What a sync checks before each local write and delete. */
int cp_path_no_link_below(const char *real_root, const char *rel);
/* Absolute, normalised form of a filesystem path (no symlink resolution). */
char *cp_path_absolute(const char *p);
/* The folder a file:// URL names.  "file:///a/b" and "file://localhost/a/b"
 * give "/a/b" (*path points into url).  Any other host, or no absolute path
 * ("file://dir/x" names host "dir": never what a deploy script meant), is
 * CP_ERR_USAGE with err set.  Not a file:// URL: 0 with *path = NULL. */
struct cp_error;
int cp_file_url(const char *url, const char **path, struct cp_error *err);

#endif
