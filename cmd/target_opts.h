/*
 * target_opts.h - how to reach a target, for the commands that only read or
 * repoint one (url, releases, rollback): the S3 endpoint, region, profile
 * and bucket addressing, bound to one config so each command parses them
 * the same way.  (upload, deploy and sync have these among their own.)
 */
#ifndef CP_CMD_TARGET_OPTS_H
#define CP_CMD_TARGET_OPTS_H

#include "cmd/opts.h"
#include "upload/target/target.h"

extern const cp_opt cp_target_options[];
/* The settings the options gave. */
cp_s3_settings cp_target_settings(void);

#endif
