/*
 * fsutil.h - reading and writing files without ever leaving half a file.
 *
 * Every file cdnpipe writes goes to "<name>.tmp.<pid>.<n>" in the same
 * folder and is renamed into place once complete, so a reader (a web server,
 * a crashed run's successor) sees the old file or the new one, never a torn
 * one.  Large files are copied in fixed-size chunks: memory stays bounded
 * whatever the file size.
 */
#ifndef CP_FSUTIL_H
#define CP_FSUTIL_H

#include "lib/buf.h"
#include "lib/err.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads a whole file into out (appending). */
int cp_read_file(const char *path, cp_buf *out, cp_error *err);
/* Creates every missing folder of path's parent (mkdir -p of dirname). */
int cp_mkdirs_for(const char *path, cp_error *err);
int cp_mkdirs(const char *dir, cp_error *err);
/* cdnpipe's folder in the XDG cache: $XDG_CACHE_HOME/cdnpipe (an absolute
 * XDG_CACHE_HOME only, as the spec says), else ~/.cache/cdnpipe ($HOME, else
 * the user's home in the password file), else /tmp/cdnpipe-UID; with sub
 * ("build", "targets") appended when given.  Newly allocated. */
char *cp_xdg_cache_dir(const char *sub);
/* Creates dir (mkdir -p), checks that it is this user's and not writable by
 * all, removes its group write bit, and checks that no other user outside its group can
 * write above it (a sticky /tmp excepted): what a
 * folder whose files cdnpipe trusts - the build cache, upload and sync
 * state - must be.  Else an error saying why, and dir is not to be used. */
int cp_private_dir(const char *dir, cp_error *err);
/* 1 when path is absent, or a regular file of this user's (group and other
 * write removed); 0 for a link, another user's file, or anything else: what
 * a file in such a folder must be before it is trusted. */
int cp_file_is_mine(const char *path);
/* A unique temporary name beside path. Newly allocated. */
char *cp_tmp_name(const char *path);
/* 1 when rel ends like a cp_tmp_name ("x.tmp.PID.N"): what a killed run left
 * behind, never listed as a file of DIST, a target or a sync side. */
int cp_is_tmp_name(const char *rel);
/* The warning for a file skipped because of such a name. */
#define CP_TMP_SKIPPED "named like a temporary file of cdnpipe (NAME.tmp.PID.N): skipped"
/* Opens a new temporary file beside path for writing (creating missing
 * folders); *tmp gets its name.  Returns the descriptor, or -1 with err set. */
int cp_create_tmp(const char *path, char **tmp, cp_error *err);
/* write(2) until all of data is written (or an error, errno set: -1). */
int cp_write_all(int fd, const void *data, size_t len);
/* Writes data to path through a temporary name and rename. */
int cp_write_atomic(const char *path, const void *data, size_t len, cp_error *err);
/* Copies src to dst (streamed) through a temporary name and rename. */
int cp_copy_atomic(const char *src, const char *dst, cp_error *err);
/* 1 if path exists (as anything). */
int cp_exists(const char *path);

/* Streaming reader used by hashing and uploads: calls fn on each chunk. */
typedef int (*cp_chunk_fn)(void *ctx, const unsigned char *p, size_t n);
int cp_stream_file(const char *path, uint64_t offset, uint64_t length, cp_chunk_fn fn, void *ctx,
		   cp_error *err);

#define CP_IO_CHUNK (256 * 1024)

#endif
