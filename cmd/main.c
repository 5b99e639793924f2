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
    {"url", cmd_url, "print the CDN URL (and integrity, or the HTML tag) of logical names"},
    {"releases", cmd_releases, "list the releases deploys recorded at a target"},
    {"rollback", cmd_rollback, "make an earlier release live again"},
    {"prune", cmd_prune, "delete old fingerprinted files no kept release names"},
    {"verify", cmd_verify, "check that what the live manifests name is really served"},
    {"purge", cmd_purge, "tell the CDN to drop the unhashed keys a release changed"},
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
	fprintf(f, "usage: cdnpipe COMMAND [options] [args]\n\n"
		   "cdnpipe builds a site's static files for a CDN and publishes them.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'cdnpipe COMMAND --help' tells more about one command.\n"
		   "Exit status: 0 success, 1 the job failed, 2 usage error.\n");
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
		int rc = commands[i].run(argc - 1, argv + 1);
		cp_opts_release();
		return rc;
	}
	fprintf(stderr, "cdnpipe: unknown command '%s' (see cdnpipe --help)\n", name);
	return CP_ERR_USAGE;
}
