/*
 * opts.h - one option table per command, read from the command line and
 * from the command's section of cdnpipe.ini.
 *
 * A command declares its options once (name, type, where the value goes,
 * help text); the same table drives argument parsing, `--help`, and the
 * config file, so the three can never disagree.  The config file is
 * `cdnpipe.ini` in the working directory, or `--config FILE`; its section
 * `[build]` holds build's options under their long names (`exclude = *.scss`),
 * and so on for each command.  Command-line flags override the file; a list
 * option given on the command line replaces the file's list.  An unknown key
 * or section is an error naming the file and line: a typo in a deploy config
 * must not be silently ignored.
 */
#ifndef CP_CMD_OPTS_H
#define CP_CMD_OPTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct cp_strlist {
	char **v;
	size_t n;
	int from_cli; /* set once a command-line value replaced the config's */
} cp_strlist;

void cp_strlist_push(cp_strlist *l, const char *s);
void cp_strlist_free(cp_strlist *l);

/* Frees every string option's value; after the command has returned. */
void cp_opts_release(void);

enum cp_opt_type {
	CP_OPT_FLAG,  /* int: set to 1 */
	CP_OPT_SET,   /* int: set to .value (for pairs like --path-style/--virtual-host) */
	CP_OPT_STR,   /* const char *: the argument */
	CP_OPT_INT,   /* long: a whole number */
	CP_OPT_SIZE,  /* uint64_t: a byte size, with optional K/M/G (binary) suffix */
	CP_OPT_LIST,  /* cp_strlist: repeatable, each use appends */
	CP_OPT_COUNT, /* int: incremented each time (-v -v) */
};

typedef struct cp_opt {
	const char *name; /* long name without "--"; also the config key */
	char shortname;	  /* 0 when none */
	enum cp_opt_type type;
	void *dest;
	const char *arg; /* placeholder for help ("N", "GLOB"); NULL for flags */
	const char *help;
	long value; /* for CP_OPT_SET */
} cp_opt;

#define CP_OPT_END                                                                                 \
	{                                                                                          \
		NULL, 0, 0, NULL, NULL, NULL, 0                                                    \
	}

/* Options every command has. */
typedef struct cp_common {
	int verbose;
	int quiet;
	int json;
	int help;
	const char *config;
} cp_common;

typedef struct cp_command_spec {
	const char *name;	     /* "build" */
	const char *usage;	     /* "cdnpipe build [options] SRC_DIR... -o DIST_DIR" */
	const char *summary;	     /* one paragraph for --help */
	const char *const *sections; /* config sections this command reads (NULL: {name}) */
	const cp_opt *const *tables; /* NULL-terminated list of option tables */
	int min_args, max_args;	     /* positional arguments checked by cp_parse_command when
					either is set; max_args < 0: no upper bound */
	/* Sections with an argument, as [headers "GLOB"]: the name of the ones
	 * this command reads (NULL: none) and where each of their keys goes;
	 * the callback returns 0, or prints a message (naming `where`,
	 * "file:line") and returns CP_ERR_USAGE.  Commands that do not read
	 * them skip such sections. */
	const char *arg_section;
	int (*arg_key)(const char *arg, const char *key, const char *value, const char *where);
} cp_command_spec;

/* Parses config then argv (argv[0] is the command name).  Positional
 * arguments go to pos.  Prints its own message and returns 2 on a usage
 * error; returns 0 otherwise (also for --help, after printing it: check
 * common->help). */
int cp_parse_command(const cp_command_spec *spec, cp_common *common, int argc, char **argv,
		     cp_strlist *pos);
void cp_print_help(const cp_command_spec *spec);
/* Builds a filter from --include/--exclude lists. */
struct cp_filter;
void cp_filter_from_lists(struct cp_filter *f, const cp_strlist *include,
			  const cp_strlist *exclude);
/* Applies -q/-v to the log level. */
void cp_apply_common(const cp_common *common);

#endif
