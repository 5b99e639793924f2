/*
 * cp.h - the public API of lib/: the few pieces every stage shares.
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
 *   asset.h   the asset table the build stages share
 *   vlq.h     Source Map base64 VLQ numbers (minify/ writes maps, fingerprint/ shifts them)
 *   css_lex.h the CSS tokenizer (CSS Syntax Level 3), shared by minify/ and fingerprint/
 *   js_lex.h  the ECMAScript lexer, shared by minify/ and fingerprint/
 */
#ifndef CP_H
#define CP_H

#include "asset.h"
#include "buf.h"
#include "css_lex.h"
#include "digest.h"
#include "err.h"
#include "fsutil.h"
#include "glob.h"
#include "js_lex.h"
#include "log.h"
#include "mime.h"
#include "path.h"
#include "pool.h"
#include "strmap.h"
#include "vlq.h"
#include "walk.h"

#define CP_VERSION "0.1.0"

#endif
