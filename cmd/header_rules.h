/*
 * header_rules.h - the [headers "GLOB"] sections of cdnpipe.ini, for upload
 * and deploy: each section is one rule (cp_header_rule, publish.h), kept in
 * file order because the first match wins.
 *
 *   [headers "*.html"]
 *   cache-control = no-cache
 *   [headers "*.woff2"]
 *   content-type = font/woff2
 *   x-amz-meta-surrogate-key = fonts
 *   precompressed = false
 *
 * Keys: cache-control, content-type, content-disposition, x-amz-meta-NAME,
 * precompressed (true/false); any other key is an error naming the line.
 */
#ifndef CP_CMD_HEADER_RULES_H
#define CP_CMD_HEADER_RULES_H

#include "upload/publish/publish.h"

/* The arg_key callback of cp_command_spec for "headers". */
int cp_header_rules_key(const char *glob, const char *key, const char *value, const char *where);
/* The rules read so far (valid until exit). */
const cp_header_rule *cp_header_rules(size_t *n);

#endif
