/*
 * cp.h - the public API of lib/: the generic pieces every stage shares
 * (nothing in lib/ knows about CSS, JS, assets or S3).
 *
 *   buf.h     growable byte buffers and checked allocation
 *   err.h     cp_error (one failure) and cp_diags (collected warnings/errors)
 *   log.h     leveled output and the terminal progress line (cmd/ owns it)
 *   path.h    logical '/'-paths: join, normalise, extension
 *   pool.h    parallel-for over an index range
 *   fsutil.h  atomic writes (temporary name + rename), streamed reads
 *   digest.h  MD5, SHA-256, hex, base64 (libcrypto)
 *   mime.h    Content-Type and compressibility by extension
 *   glob.h    --include/--exclude patterns
 *   walk.h    listing a folder tree (symlinks followed, loops detected)
 *   strmap.h  the string-keyed hash table
 */
#ifndef CP_H
#define CP_H

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/glob.h"
#include "lib/log.h"
#include "lib/mime.h"
#include "lib/path.h"
#include "lib/pool.h"
#include "lib/strmap.h"
#include "lib/walk.h"

#define CP_VERSION "0.1.0"

#endif
