/*
 * main.c - `cdnpipe COMMAND [options]`: finds the command and runs it.
 */
#include "cmd/cmd.h"
#include "lib/cp.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
};

static const struct command commands[] = {
    {"build", cmd_build, "minify, fingerprint, rewrite references, precompress; write DIST"},
    {"upload", cmd_upload, "publish a built DIST to s3://bucket/prefix or file:///path"},
    {"deploy", cmd_deploy, "build and upload in one command"},
    {"sync", cmd_sync, "keep media folders and buckets in sync, in any direction"},
    {"minify", cmd_minify, "minify CSS or JS files (or stdin) on their own"},
    {"url", cmd_url, "print the CDN URL of a logical path from a manifest"},
    {"verify", cmd_verify, "check that a published manifest's files are all there"},
    {"prune", cmd_prune, "delete old fingerprinted files no kept manifest refers to"},
    {"rollback", cmd_rollback, "publish an earlier manifest again"},
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
	fprintf(f, "usage: cdnpipe COMMAND [options] [args]\n\n"
		   "cdnpipe builds a site's static files for a CDN and publishes them.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].run)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'cdnpipe COMMAND --help' tells more about one command.\n"
		   "Exit status: 0 success, 1 the job failed, 2 usage error.\n");
}

void cp_report_diags(struct cp_diags *d)
{
	cp_diags_sort(d);
	for (size_t i = 0; i < d->n; i++) {
		char line[4096];
		cp_diag_format(&d->v[i], line, sizeof line);
		cp_log(d->v[i].level == CP_DIAG_ERROR ? CP_LOG_ERROR : CP_LOG_WARN, "%s: %s",
		       d->v[i].level == CP_DIAG_ERROR ? "error" : "warning", line);
	}
}

int cp_report_error(const struct cp_error *e)
{
	char line[4096];
	cp_error_format(e, line, sizeof line);
	cp_log(CP_LOG_ERROR, "cdnpipe: %s", line);
	return CP_ERR_BUILD;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CP_ERR_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("cdnpipe %s\n", CP_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, name))
			continue;
		if (!commands[i].run) {
			fprintf(stderr, "cdnpipe: '%s' is not available in this build\n", name);
			return CP_ERR_USAGE;
		}
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "cdnpipe: unknown command '%s' (see cdnpipe --help)\n", name);
	return CP_ERR_USAGE;
}
