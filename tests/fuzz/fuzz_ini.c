/*
 * fuzz_ini.c - cdnpipe.ini as the commands read it: cmd/opts.c's config
 * reader (inih's stream parser, then every option type's value parser, the
 * known-section and unknown-key checks, and [headers "GLOB"] sections).
 * Linked with the fuzz build of cmd/opts.o, as test_opts links opts.o.
 *
 * The input is the config file (a memfd, see fuzzutil.h), read through
 * `--config FILE` against a table with one option of every type and both
 * kinds of section list.  Asserted beyond "no crash": the result is 0 or the
 * usage status 2; a [headers] key reaches its callback only with a glob
 * that had quotes around it (none inside); and the settings it reads,
 * written back as a cdnpipe.ini and read again, give the same values
 * (unless a value holds " ;", which one line cannot say).
 */
#include "cmd/opts.h"
#include "lib/cp.h"

#include "fuzzutil.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct values {
	int flag, set, count;
	const char *str, *choice;
	long num;
	uint64_t size;
	cp_strlist list;
} values;

static values V;

static const cp_opt table[] = {
    {"minify", 'm', CP_OPT_FLAG, &V.flag, NULL, "a flag", 0},
    {"path-style", 0, CP_OPT_SET, &V.set, NULL, "one of a pair", 1},
    {"virtual-host", 0, CP_OPT_SET, &V.set, NULL, "the other", 2},
    {"prefix", 'p', CP_OPT_STR, &V.str, "PREFIX", "a string", 0},
    {"acl", 0, CP_OPT_STR, &V.choice, "private|public-read", "a choice", 0},
    {"jobs", 'j', CP_OPT_INT, &V.num, "N", "a number", 0},
    {"part-size", 0, CP_OPT_SIZE, &V.size, "SIZE", "a size", 0},
    {"exclude", 'x', CP_OPT_LIST, &V.list, "GLOB", "a list", 0},
    CP_OPT_END,
};
static const cp_opt *const tables[] = {table, NULL};

static int headers_key(const char *glob, const char *key, const char *value, const char *where)
{
	(void)where;
	if (!*glob || strchr(glob, '"') || !key || !value)
		abort();
	return strcmp(key, "bad") ? 0 : 2;
}

static const char *const deploy_sections[] = {"deploy", "build", NULL};
static const cp_command_spec specs[] = {
    {.name = "build", .usage = "u", .summary = "s", .tables = tables},
    {.name = "deploy",
     .usage = "u",
     .summary = "s",
     .sections = deploy_sections,
     .tables = tables,
     .arg_section = "headers",
     .arg_key = headers_key},
};

static void reset(void)
{
	free((char *)V.str);
	free((char *)V.choice);
	cp_strlist_free(&V.list);
	memset(&V, 0, sizeof V);
}

static int parse(const cp_command_spec *spec, const char *file, cp_common *common)
{
	char *argv[] = {(char *)spec->name, "--config", (char *)file, NULL};
	cp_strlist pos = {0};
	memset(common, 0, sizeof *common);
	int rc = cp_parse_command(spec, common, 3, argv, &pos);
	cp_strlist_free(&pos);
	free((char *)common->config);
	return rc;
}

/* The values as a cdnpipe.ini section of their own. */
static void write_back(const values *v, const char *section, cp_buf *b)
{
	cp_buf_printf(b, "[%s]\nminify = %s\n", section, v->flag ? "true" : "false");
	if (v->set)
		cp_buf_printf(b, "%s = true\n", v->set == 1 ? "path-style" : "virtual-host");
	/* no space before a value: " ;" starts a comment, a leading ';' does not */
	if (v->str)
		cp_buf_printf(b, "prefix =%s\n", v->str);
	if (v->choice)
		cp_buf_printf(b, "acl =%s\n", v->choice);
	cp_buf_printf(b, "jobs = %ld\npart-size = %" PRIu64 "\n", v->num, v->size);
	/* one line per item: each line adds to the list, and a line has a limit */
	for (size_t i = 0; i < v->list.n; i++)
		cp_buf_printf(b, "exclude =%s\n", v->list.v[i]);
}

/* A value can be written on one line and read back as it is unless it holds
 * a ';' after white space: that starts a comment on a "key = value" line
 * (inih keeps it in a continuation line's value, where the first read may
 * have found it). */
static int one_line(const char *v)
{
	for (const char *p = v; p && *p; p++)
		if (*p == ';' && p > v && (p[-1] == ' ' || p[-1] == '\t'))
			return 0;
	return 1;
}

static int expressible(const values *v)
{
	if (!one_line(v->str) || !one_line(v->choice))
		return 0;
	/* inih trims every isspace() byte, a list splits at ' ' and '\t' only:
	 * an item ending in '\f' cannot be a line's whole value */
	for (size_t i = 0; i < v->list.n; i++) {
		size_t n = strlen(v->list.v[i]);
		if (n && (isspace((unsigned char)v->list.v[i][0]) ||
			  isspace((unsigned char)v->list.v[i][n - 1])))
			return 0;
	}
	return 1;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) {
		cp_common common;
		int rc = parse(&specs[k], fuzz_file(0, data, size), &common);
		if (rc != 0 && rc != 2)
			abort();
		if (rc) {
			reset();
			continue;
		}
		if (!expressible(&V)) {
			reset();
			continue;
		}
		values first = V;
		memset(&V, 0, sizeof V);
		cp_buf b = CP_BUF_INIT;
		write_back(&first, specs[k].name, &b);
		int rc2 = parse(&specs[k], fuzz_file(1, b.data, b.len), &common);
		if (rc2 || V.flag != first.flag || V.set != first.set || V.num != first.num ||
		    V.size != first.size || !same_str(V.str, first.str) ||
		    !same_str(V.choice, first.choice) || V.list.n != first.list.n)
			abort();
		for (size_t i = 0; i < V.list.n; i++)
			if (strcmp(V.list.v[i], first.list.v[i]))
				abort();
		cp_buf_free(&b);
		reset();
		V = first;
		reset();
	}
	return 0;
}
