/*
 * cmd.h - the subcommands.  Each lives in its own cmd/cmd_<name>.c, parses
 * its options with opts.h, calls the stages' public headers, and turns their
 * errors into messages and an exit status (0 ok, 1 job failed, 2 usage).
 *
 * They are declared weak so that main.c can list every command while a
 * command is still being written; a missing one answers "not available".
 */
#ifndef CP_CMD_H
#define CP_CMD_H

#include "cmd/opts.h"

#define CP_WEAK __attribute__((weak))

int cmd_build(int argc, char **argv) CP_WEAK;
int cmd_upload(int argc, char **argv) CP_WEAK;
int cmd_deploy(int argc, char **argv) CP_WEAK;
int cmd_sync(int argc, char **argv) CP_WEAK;
int cmd_minify(int argc, char **argv) CP_WEAK;
int cmd_url(int argc, char **argv) CP_WEAK;
int cmd_verify(int argc, char **argv) CP_WEAK;
int cmd_prune(int argc, char **argv) CP_WEAK;
int cmd_rollback(int argc, char **argv) CP_WEAK;

/* Prints every diagnostic (warnings, errors) of a stage in path order. */
struct cp_diags;
struct cp_error;
void cp_report_diags(struct cp_diags *d);
/* Prints "cdnpipe: <formatted error>" and returns its status. */
int cp_report_error(const struct cp_error *e);

#endif
