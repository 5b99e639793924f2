/*
 * cmd.h - the subcommands.  Each lives in its own cmd/cmd_<name>.c, parses
 * its options with opts.h, calls the stages' public headers, and turns their
 * errors into messages and an exit status (0 ok, 1 job failed, 2 usage).
 */
#ifndef CP_CMD_H
#define CP_CMD_H

#include "cmd/opts.h"

int cmd_build(int argc, char **argv);
int cmd_upload(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_minify(int argc, char **argv);
int cmd_url(int argc, char **argv);
int cmd_releases(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_purge(int argc, char **argv);

/* prune's options (deploy --prune takes them too) and its run, printing (with
 * report non-NULL, the --json object is stored there instead). */
extern const cp_opt cp_prune_options[];
struct cp_s3_settings;
struct json_t;
int cp_prune_run(const char *target, const struct cp_s3_settings *s3, int json,
		 struct json_t **report);

#endif
