/*
 * opts.c - command-line and config-file parsing from one table; see opts.h.
 */
#include "cmd/opts.h"
#include "lib/cp.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cp_strlist_push(cp_strlist *l, const char *s)
{
	l->v = cp_xrealloc(l->v, (l->n + 2) * sizeof *l->v);
	l->v[l->n++] = cp_xstrdup(s);
	l->v[l->n] = NULL;
}

void cp_strlist_free(cp_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* A string option points into this list, not at its own allocation: a value
 * given twice (cdnpipe.ini, then the command line) replaces the pointer, and
 * the first copy must still be freed.  The strings live as long as the
 * command, like argv; main() frees them after it returns. */
static cp_strlist option_strings;

void cp_opts_release(void)
{
	cp_strlist_free(&option_strings);
}

static cp_opt common_opts_tmpl[] = {
    {"help", 'h', CP_OPT_FLAG, NULL, NULL, "show this help and exit", 0},
    {"verbose", 'v', CP_OPT_COUNT, NULL, NULL, "say more (repeat for more still)", 0},
    {"quiet", 'q', CP_OPT_FLAG, NULL, NULL, "print errors only", 0},
    {"json", 0, CP_OPT_FLAG, NULL, NULL, "print a machine-readable report on stdout", 0},
    {"config", 0, CP_OPT_STR, NULL, "FILE", "read options from FILE (default: ./cdnpipe.ini)", 0},
    CP_OPT_END,
};

struct parser {
	const cp_command_spec *spec;
	cp_opt common[6];
	const char *src; /* "--x" or "file:line" for messages */
};

static const cp_opt *find_opt(struct parser *p, const char *name, size_t len, char shortname)
{
	for (const cp_opt *o = p->common; o->name; o++)
		if (shortname ? o->shortname == shortname
			      : (strlen(o->name) == len && !strncmp(o->name, name, len)))
			return o;
	for (const cp_opt *const *t = p->spec->tables; *t; t++)
		for (const cp_opt *o = *t; o->name; o++)
			if (shortname ? o->shortname == shortname
				      : (strlen(o->name) == len && !strncmp(o->name, name, len)))
				return o;
	return NULL;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	uint64_t mul = 1;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ull << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ull << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ull << 30;
		end++;
		break;
	case 't':
	case 'T':
		mul = 1ull << 40;
		end++;
		break;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	double bytes = v * (double)mul;
	if (!(bytes < 18446744073709551616.0)) /* 2^64; also inf and nan */
		return -1;
	*out = (uint64_t)bytes;
	return 0;
}

/* An argument placeholder "a|b|c" lists the only values the option takes, so
 * a bad value is caught where it was written (flag or file:line). */
static int is_choice(const char *choices, const char *value)
{
	size_t n = strlen(value);
	for (const char *c = choices; c;) {
		const char *bar = strchr(c, '|');
		size_t len = bar ? (size_t)(bar - c) : strlen(c);
		if (len == n && !strncmp(c, value, n))
			return 1;
		c = bar ? bar + 1 : NULL;
	}
	return 0;
}

/* Stores value into o->dest; from_cli distinguishes list replacement. */
static int set_value(struct parser *p, const cp_opt *o, const char *value, int from_cli)
{
	switch (o->type) {
	case CP_OPT_FLAG:
		if (value && *value && strcmp(value, "1") && strcmp(value, "true") &&
		    strcmp(value, "yes") && strcmp(value, "on")) {
			if (!strcmp(value, "0") || !strcmp(value, "false") ||
			    !strcmp(value, "no") || !strcmp(value, "off")) {
				*(int *)o->dest = 0;
				return 0;
			}
			fprintf(stderr, "cdnpipe: %s: --%s takes no value (or true/false)\n",
				p->src, o->name);
			return CP_ERR_USAGE;
		}
		*(int *)o->dest = 1;
		return 0;
	case CP_OPT_SET:
		/* "path-style = false" in a config file means "not this one":
		 * back to the default, never the opposite choice */
		if (value && *value &&
		    (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no") ||
		     !strcmp(value, "off"))) {
			if (*(int *)o->dest == (int)o->value)
				*(int *)o->dest = 0;
			return 0;
		}
		if (value && *value && strcmp(value, "1") && strcmp(value, "true") &&
		    strcmp(value, "yes") && strcmp(value, "on")) {
			fprintf(stderr, "cdnpipe: %s: --%s takes no value (or true/false)\n",
				p->src, o->name);
			return CP_ERR_USAGE;
		}
		*(int *)o->dest = (int)o->value;
		return 0;
	case CP_OPT_COUNT:
		/* on the command line each use counts; in a config file the
		 * value is the count ("verbose = 2"), or a yes/no */
		if (value && *value) {
			char *end;
			long v = strtol(value, &end, 10);
			if (end != value && !*end && v >= 0 && v <= 9)
				*(int *)o->dest = (int)v;
			else if (!strcmp(value, "true") || !strcmp(value, "yes") ||
				 !strcmp(value, "on"))
				*(int *)o->dest = 1;
			else if (!strcmp(value, "false") || !strcmp(value, "no") ||
				 !strcmp(value, "off"))
				*(int *)o->dest = 0;
			else {
				fprintf(stderr,
					"cdnpipe: %s: --%s wants a count from 0 to 9, not '%s'\n",
					p->src, o->name, value);
				return CP_ERR_USAGE;
			}
			return 0;
		}
		(*(int *)o->dest)++;
		return 0;
	case CP_OPT_STR:
		if (o->arg && strchr(o->arg, '|') && !is_choice(o->arg, value)) {
			fprintf(stderr, "cdnpipe: %s: --%s wants %s, not '%s'\n", p->src, o->name,
				o->arg, value);
			return CP_ERR_USAGE;
		}
		cp_strlist_push(&option_strings, value);
		*(const char **)o->dest = option_strings.v[option_strings.n - 1];
		return 0;
	case CP_OPT_INT: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end) {
			fprintf(stderr, "cdnpipe: %s: --%s wants a whole number, not '%s'\n",
				p->src, o->name, value);
			return CP_ERR_USAGE;
		}
		*(long *)o->dest = v;
		return 0;
	}
	case CP_OPT_SIZE:
		if (parse_size(value, o->dest)) {
			fprintf(stderr, "cdnpipe: %s: --%s wants a size like 64M, not '%s'\n",
				p->src, o->name, value);
			return CP_ERR_USAGE;
		}
		return 0;
	case CP_OPT_LIST: {
		cp_strlist *l = o->dest;
		if (from_cli && !l->from_cli) {
			cp_strlist_free(l);
			l->from_cli = 1;
		}
		if (from_cli) {
			cp_strlist_push(l, value);
			return 0;
		}
		/* config: whitespace-separated values */
		char *copy = cp_xstrdup(value), *save = NULL;
		for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
			cp_strlist_push(l, t);
		free(copy);
		return 0;
	}
	}
	return 0;
}

static int takes_arg(const cp_opt *o)
{
	return o->type == CP_OPT_STR || o->type == CP_OPT_INT || o->type == CP_OPT_SIZE ||
	       o->type == CP_OPT_LIST;
}

/* ---- config file ---- */

struct ini_state {
	struct parser *p;
	const char *file;
	FILE *f;
	int line;
	int rc;
};

/* inih reads a line in pieces of at most num - 1 bytes and parses each piece
 * as a line of its own, so the end of a long `exclude = ...` would be read as
 * another key: such a line is refused instead. */
static char *config_reader(char *str, int num, void *stream)
{
	struct ini_state *st = stream;
	char *r = fgets(str, num, st->f);
	if (!r)
		return NULL;
	st->line++;
	size_t n = strlen(r);
	if (n + 1 == (size_t)num && r[n - 1] != '\n') {
		int c = getc(st->f);
		if (c != '\n' && c != EOF) {
			fprintf(stderr,
				"cdnpipe: %s:%d: line longer than %d characters (a list may go "
				"on several lines)\n",
				st->file, st->line, num - 1);
			st->rc = CP_ERR_USAGE;
			return NULL;
		}
	}
	return r;
}

static int section_wanted(const cp_command_spec *spec, const char *section)
{
	if (!spec->sections)
		return !strcmp(section, spec->name);
	for (const char *const *s = spec->sections; *s; s++)
		if (!strcmp(*s, section))
			return 1;
	return 0;
}

static const char *const known_sections[] = {"build",	 "upload",   "deploy", "sync",
					     "minify",	 "url",	     "verify", "prune",
					     "rollback", "releases", "purge",  NULL};

/* [purge] spells its keys without the flags' "purge-" (provider = fastly,
 * base-url = ...; the flag names work there too), and holds only the purge
 * options: `endpoint = ...` there is a typo, not S3's endpoint. */
static const cp_opt *config_opt(struct parser *p, const char *section, const char *name)
{
	if (strcmp(section, "purge"))
		return find_opt(p, name, strlen(name), 0);
	char full[128];
	int prov = !strcmp(name, "provider");
	snprintf(full, sizeof full, "purge%s%s", prov ? "" : "-", prov ? "" : name);
	const cp_opt *o = find_opt(p, full, strlen(full), 0);
	if (!o)
		o = find_opt(p, name, strlen(name), 0);
	int is_purge = o && (strstr(o->name, "purge") || !strcmp(o->name, "surrogate-key"));
	return is_purge ? o : NULL;
}

/* [headers "GLOB"]: the argument is quoted, so a glob may hold spaces and
 * brackets; the keys go to the command's callback. */
static int arg_section(struct ini_state *st, const char *rest, const char *name, const char *value,
		       const char *where)
{
	while (*rest == ' ' || *rest == '\t')
		rest++;
	size_t n = strlen(rest);
	if (n < 3 || rest[0] != '"' || rest[n - 1] != '"' || memchr(rest + 1, '"', n - 2)) {
		fprintf(stderr, "cdnpipe: %s: write the section as [headers \"GLOB\"]\n", where);
		st->rc = CP_ERR_USAGE;
		return 0;
	}
	const cp_command_spec *spec = st->p->spec;
	if (!spec->arg_section || strcmp(spec->arg_section, "headers") || !spec->arg_key)
		return 1; /* another command's */
	char *glob = cp_xstrndup(rest + 1, n - 2);
	st->rc = spec->arg_key(glob, name, value, where);
	free(glob);
	return st->rc == 0;
}

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct ini_state *st = user;
	if (st->rc)
		return 0;
	char where[1200];
	snprintf(where, sizeof where, "%s:%d", st->file, st->line);
	if (!strncmp(section, "headers", 7) && (section[7] == ' ' || !section[7]))
		return arg_section(st, section + 7, name, value, where);
	int known = 0;
	for (const char *const *s = known_sections; *s; s++)
		known |= !strcmp(*s, section);
	if (!known) {
		fprintf(stderr, "cdnpipe: %s: unknown section [%s]\n", where, section);
		st->rc = CP_ERR_USAGE;
		return 0;
	}
	if (!section_wanted(st->p->spec, section))
		return 1;
	const cp_opt *o = config_opt(st->p, section, name);
	if (!o || !strcmp(name, "config") || !strcmp(name, "help")) {
		fprintf(stderr, "cdnpipe: %s: unknown key '%s' in [%s]\n", where, name, section);
		st->rc = CP_ERR_USAGE;
		return 0;
	}
	st->p->src = where;
	st->rc = set_value(st->p, o, value, 0);
	return st->rc == 0;
}

static int load_config(struct parser *p, const char *file, int required)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		if (!required && errno == ENOENT)
			return 0;
		fprintf(stderr, "cdnpipe: %s: cannot read config: %s\n", file, strerror(errno));
		return CP_ERR_USAGE;
	}
	struct ini_state st = {.p = p, .file = file, .f = f};
	int r = ini_parse_stream(config_reader, &st, config_handler, &st);
	fclose(f);
	if (st.rc)
		return st.rc;
	if (r > 0) {
		fprintf(stderr, "cdnpipe: %s:%d: cannot parse this line\n", file, r);
		return CP_ERR_USAGE;
	}
	return 0;
}

/* ---- command line ---- */

static const char *find_config_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

static int parse_long(struct parser *p, int argc, char **argv, int *i)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const cp_opt *o = find_opt(p, arg, len, 0);
	if (!o) {
		fprintf(stderr, "cdnpipe %s: unknown option '--%.*s' (see cdnpipe %s --help)\n",
			p->spec->name, (int)len, arg, p->spec->name);
		return CP_ERR_USAGE;
	}
	const char *value = eq ? eq + 1 : NULL;
	if (takes_arg(o) && !value) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "cdnpipe %s: --%s needs a value\n", p->spec->name, o->name);
			return CP_ERR_USAGE;
		}
		value = argv[++*i];
	}
	if (!takes_arg(o) && value && o->type != CP_OPT_FLAG) {
		fprintf(stderr, "cdnpipe %s: --%s takes no value\n", p->spec->name, o->name);
		return CP_ERR_USAGE;
	}
	p->src = argv[*i];
	return set_value(p, o, value, 1);
}

static int parse_short(struct parser *p, int argc, char **argv, int *i)
{
	for (const char *s = argv[*i] + 1; *s; s++) {
		const cp_opt *o = find_opt(p, NULL, 0, *s);
		if (!o) {
			fprintf(stderr,
				"cdnpipe %s: unknown option '-%c' (see cdnpipe %s --help)\n",
				p->spec->name, *s, p->spec->name);
			return CP_ERR_USAGE;
		}
		p->src = argv[*i];
		if (!takes_arg(o)) {
			int rc = set_value(p, o, NULL, 1);
			if (rc)
				return rc;
			continue;
		}
		const char *value = s[1] ? s + 1 : NULL;
		if (!value) {
			if (*i + 1 >= argc) {
				fprintf(stderr, "cdnpipe %s: -%c needs a value\n", p->spec->name,
					*s);
				return CP_ERR_USAGE;
			}
			value = argv[++*i];
		}
		return set_value(p, o, value, 1);
	}
	return 0;
}

int cp_parse_command(const cp_command_spec *spec, cp_common *common, int argc, char **argv,
		     cp_strlist *pos)
{
	struct parser p = {.spec = spec, .src = "command line"};
	memcpy(p.common, common_opts_tmpl, sizeof p.common);
	p.common[0].dest = &common->help;
	p.common[1].dest = &common->verbose;
	p.common[2].dest = &common->quiet;
	p.common[3].dest = &common->json;
	p.common[4].dest = &common->config;

	/* --help wins over any other problem (a bad config file, a bad value),
	 * so it is looked for first; after "--" everything is a file name */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			common->help = 1;
			cp_print_help(spec);
			return 0;
		}
	const char *cfg = find_config_arg(argc, argv);
	int rc = load_config(&p, cfg ? cfg : "cdnpipe.ini", cfg != NULL);
	if (rc)
		return rc;
	int only_pos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || !a[1]) {
			cp_strlist_push(pos, a);
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		rc = a[1] == '-' ? parse_long(&p, argc, argv, &i) : parse_short(&p, argc, argv, &i);
		if (rc)
			return rc;
	}
	cp_apply_common(common);
	if ((spec->min_args || spec->max_args) &&
	    (pos->n < (size_t)spec->min_args ||
	     (spec->max_args >= 0 && pos->n > (size_t)spec->max_args))) {
		fprintf(stderr, "cdnpipe %s: wrong number of arguments\nusage: %s\n", spec->name,
			spec->usage);
		return CP_ERR_USAGE;
	}
	return 0;
}

void cp_filter_from_lists(struct cp_filter *f, const cp_strlist *include, const cp_strlist *exclude)
{
	for (size_t i = 0; i < include->n; i++)
		cp_filter_add(f, 0, include->v[i]);
	for (size_t i = 0; i < exclude->n; i++)
		cp_filter_add(f, 1, exclude->v[i]);
}

static void print_table(const cp_opt *t)
{
	for (const cp_opt *o = t; o->name; o++) {
		char left[64];
		int n = o->shortname
			    ? snprintf(left, sizeof left, "  -%c, --%s", o->shortname, o->name)
			    : snprintf(left, sizeof left, "      --%s", o->name);
		if (o->arg)
			snprintf(left + n, sizeof left - (size_t)n, " %s", o->arg);
		if (strlen(left) > 33) /* a long name gets the help on its own line */
			printf("%s\n%-34s %s\n", left, "", o->help);
		else
			printf("%-34s %s\n", left, o->help);
	}
}

void cp_print_help(const cp_command_spec *spec)
{
	printf("usage: %s\n\n%s\n\noptions:\n", spec->usage, spec->summary);
	for (const cp_opt *const *t = spec->tables; *t; t++)
		print_table(*t);
	print_table(common_opts_tmpl);
	printf("\nExit status: 0 success, 1 the job failed, 2 usage error.\n");
}

void cp_apply_common(const cp_common *common)
{
	if (common->quiet)
		cp_log_level = CP_LOG_ERROR;
	else if (common->verbose)
		cp_log_level = common->verbose == 1 ? CP_LOG_INFO : CP_LOG_DEBUG;
}
