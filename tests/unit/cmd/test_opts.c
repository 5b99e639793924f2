/*
 * test_opts.c - one option table for the command line and cdnpipe.ini
 * (cmd/opts.c).  Linked with build/cmd/opts.o (see the Makefile).
 *
 * Each test parses a fake command line against a table with one option of
 * every type, in a scratch folder that is the working directory (so the
 * default ./cdnpipe.ini is the test's own), with stdout and stderr captured:
 * a usage error must come back as status 2 with a message, never an exit.
 */
#include "cmd/opts.h"
#include "lib/cp.h"
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static struct {
	int minify, addressing;
	const char *prefix, *acl;
	long jobs;
	uint64_t part;
	cp_strlist exclude;
} T;

static const cp_opt table1[] = {
    {"minify", 'm', CP_OPT_FLAG, &T.minify, NULL, "minify", 0},
    {"path-style", 0, CP_OPT_SET, &T.addressing, NULL, "path style", 1},
    {"virtual-host", 0, CP_OPT_SET, &T.addressing, NULL, "virtual host", 2},
    {"prefix", 'p', CP_OPT_STR, &T.prefix, "PREFIX", "key prefix", 0},
    {"acl", 0, CP_OPT_STR, &T.acl, "private|public-read", "canned ACL", 0},
    {"jobs", 'j', CP_OPT_INT, &T.jobs, "N", "parallel jobs", 0},
    {"part-size", 0, CP_OPT_SIZE, &T.part, "SIZE", "part size", 0},
    CP_OPT_END,
};
/* A second table: options are looked up in every table of the spec. */
static const cp_opt table2[] = {
    {"exclude", 'x', CP_OPT_LIST, &T.exclude, "GLOB", "leave GLOB out", 0},
    CP_OPT_END,
};
static const cp_opt *const tables[] = {table1, table2, NULL};

static const cp_command_spec build_spec = {
    .name = "build",
    .usage = "cdnpipe build [options] SRC",
    .summary = "Builds things.",
    .tables = tables,
};
static const char *const deploy_sections[] = {"deploy", "build", NULL};
static const cp_command_spec deploy_spec = {
    .name = "deploy",
    .usage = "cdnpipe deploy SRC [DST]",
    .summary = "Deploys things.",
    .sections = deploy_sections,
    .tables = tables,
    .min_args = 1,
    .max_args = 2,
};

static cp_common common;
static cp_strlist pos;
static char out[16384], err[16384];

/* ---- fixtures ---- */

static int group_setup(void **s)
{
	if (test_tmpdir_make("cp_test_opts") || chdir(tmpdir))
		return -1;
	return 0;
}

static int group_teardown(void **s)
{
	return test_tmpdir_remove() == 0 ? 0 : -1;
}

static int setup(void **s)
{
	memset(&T, 0, sizeof T);
	T.jobs = 4; /* a command's default, set before parsing */
	T.part = 8ull << 20;
	memset(&common, 0, sizeof common);
	memset(&pos, 0, sizeof pos);
	cp_log_level = CP_LOG_WARN;
	out[0] = err[0] = 0;
	return 0;
}

static int teardown(void **s)
{
	free((char *)T.prefix);
	free((char *)T.acl);
	free((char *)common.config);
	cp_strlist_free(&T.exclude);
	cp_strlist_free(&pos);
	unlink("cdnpipe.ini");
	cp_log_level = CP_LOG_WARN;
	return 0;
}

/* ---- running a command line ---- */

static void read_back(FILE *f, char *buf, size_t size)
{
	rewind(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
}

/* Parses "cmd a1 a2 ... NULL" with stdout and stderr captured in out/err. */
static int run_spec(const cp_command_spec *spec, ...)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)spec->name;
	va_list ap;
	va_start(ap, spec);
	for (char *a; (a = va_arg(ap, char *)) != NULL;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	FILE *fo = tmpfile(), *fe = tmpfile();
	assert_non_null(fo);
	assert_non_null(fe);
	int so = dup(1), se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	int rc = cp_parse_command(spec, &common, argc, argv, &pos);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	read_back(fo, out, sizeof out);
	read_back(fe, err, sizeof err);
	return rc;
}

#define run(...) run_spec(&build_spec, __VA_ARGS__, NULL)
#define run0()	 run_spec(&build_spec, NULL)

static void write_ini(const char *name, const char *text)
{
	FILE *f = fopen(name, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void assert_err_has(const char *want)
{
	if (!strstr(err, want))
		fail_msg("stderr '%s' does not contain '%s'", err, want);
}

/* A usage error: status 2 and a message saying what and where. */
static void assert_usage_error(int rc, const char *want)
{
	assert_int_equal(rc, CP_ERR_USAGE);
	assert_err_has(want);
}

/* ---- defaults and positional arguments ---- */

static void test_defaults(void **s)
{
	assert_int_equal(run("src"), 0);
	assert_int_equal(T.jobs, 4); /* untouched when not given */
	assert_true(T.part == 8ull << 20);
	assert_null(T.prefix);
	assert_int_equal(T.minify, 0);
	assert_int_equal(T.addressing, 0);
	assert_int_equal(T.exclude.n, 0);
	assert_int_equal(common.verbose + common.quiet + common.json + common.help, 0);
	assert_null(common.config);
	assert_int_equal(pos.n, 1);
	assert_string_equal(pos.v[0], "src");
	assert_null(pos.v[1]); /* NULL-terminated */
	assert_string_equal(err, "");
	assert_int_equal(cp_log_level, CP_LOG_WARN);
}

static void test_positional(void **s)
{
	/* "-" is a file name (stdin); after "--" everything is positional */
	assert_int_equal(run("a", "-", "--jobs", "2", "b", "--", "--minify", "-x"), 0);
	assert_int_equal(T.jobs, 2);
	assert_int_equal(T.minify, 0);
	assert_int_equal(T.exclude.n, 0);
	assert_int_equal(pos.n, 5);
	const char *want[] = {"a", "-", "b", "--minify", "-x"};
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(pos.v[i], want[i]);
}

static void test_argument_count(void **s)
{
	assert_usage_error(run_spec(&deploy_spec, NULL), "wrong number of arguments");
	assert_err_has("cdnpipe deploy SRC [DST]"); /* the usage line */
	cp_strlist_free(&pos);
	assert_int_equal(run_spec(&deploy_spec, "a", NULL), 0);
	cp_strlist_free(&pos);
	assert_int_equal(run_spec(&deploy_spec, "a", "b", NULL), 0);
	cp_strlist_free(&pos);
	assert_usage_error(run_spec(&deploy_spec, "a", "b", "c", NULL), "wrong number");
}

/* ---- each option type and form ---- */

static void test_long_forms(void **s)
{
	assert_int_equal(run("--prefix=v1/", "--jobs", "12", "--part-size=16M", "--minify"), 0);
	assert_string_equal(T.prefix, "v1/");
	assert_int_equal(T.jobs, 12);
	assert_true(T.part == 16ull << 20);
	assert_int_equal(T.minify, 1);
	free((char *)T.prefix);
	T.prefix = NULL;
	/* the separate-argument form, and a value that starts with '-' or has '=' */
	assert_int_equal(run("--prefix", "-a=b", "--jobs=-3"), 0);
	assert_string_equal(T.prefix, "-a=b");
	assert_int_equal(T.jobs, -3);
	assert_int_equal(pos.n, 0);
}

static void test_short_forms(void **s)
{
	/* -j8 (attached), -p X (separate), -mv (a cluster of flags), -vx GLOB
	 * (flags then one that takes the next argument) */
	assert_int_equal(run("-j8", "-p", "pre", "-mv", "-vx", "*.map", "-x*.scss"), 0);
	assert_int_equal(T.jobs, 8);
	assert_string_equal(T.prefix, "pre");
	assert_int_equal(T.minify, 1);
	assert_int_equal(common.verbose, 2);
	assert_int_equal(T.exclude.n, 2);
	assert_string_equal(T.exclude.v[0], "*.map");
	assert_string_equal(T.exclude.v[1], "*.scss");
	assert_int_equal(pos.n, 0);
	assert_int_equal(cp_log_level, CP_LOG_DEBUG); /* -v -v */
}

static void test_flag_values(void **s)
{
	assert_int_equal(run("--minify=yes"), 0);
	assert_int_equal(T.minify, 1);
	assert_int_equal(run("--minify=false"), 0);
	assert_int_equal(T.minify, 0);
	assert_int_equal(run("--minify", "--minify=off"), 0); /* the last one wins */
	assert_int_equal(T.minify, 0);
	assert_int_equal(run("--json=1"), 0);
	assert_int_equal(common.json, 1);
	assert_usage_error(run("--minify=maybe"), "--minify");
	assert_err_has("takes no value");
}

static void test_set_options(void **s)
{
	assert_int_equal(run("--path-style"), 0);
	assert_int_equal(T.addressing, 1);
	assert_int_equal(run("--path-style", "--virtual-host"), 0);
	assert_int_equal(T.addressing, 2);
	assert_usage_error(run("--virtual-host=1"), "--virtual-host takes no value");
	assert_usage_error(run("--verbose=2"), "--verbose takes no value");
}

static void test_int_values(void **s)
{
	const char *bad[] = {"--jobs=", "--jobs=12x", "--jobs=1.5", "--jobs=ten",
			     "--jobs=99999999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		assert_usage_error(run(bad[i]), "--jobs wants a whole number");
		assert_int_equal(T.jobs, 4); /* a bad value does not overwrite */
	}
	assert_usage_error(run("-jz"), "not 'z'");
}

static void test_size_values(void **s)
{
	static const struct {
		const char *arg;
		uint64_t want;
	} ok[] = {
	    {"512", 512},	 {"4k", 4096},	     {"64M", 64ull << 20},
	    {"2G", 2ull << 30},	 {"1T", 1ull << 40}, {"10KiB", 10240},
	    {"3MB", 3ull << 20}, {"1.5K", 1536},     {"0", 0},
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		char a[64];
		snprintf(a, sizeof a, "--part-size=%s", ok[i].arg);
		assert_int_equal(run(a), 0);
		if (T.part != ok[i].want)
			fail_msg("%s gave %llu", a, (unsigned long long)T.part);
	}
	const char *bad[] = {"", "M", "64X", "-1", "64 M", "64MM", "1K2"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char a[64];
		snprintf(a, sizeof a, "--part-size=%s", bad[i]);
		T.part = 7;
		err[0] = 0;
		assert_usage_error(run(a), "--part-size wants a size like 64M");
		assert_true(T.part == 7);
	}
}

/* "inf", "nan" and sizes past 2^64 are usage errors (the cast from double
 * would be undefined behaviour). */
static void test_size_out_of_range(void **s)
{
	const char *bad[] = {"--part-size=inf", "--part-size=nan", "--part-size=1e30",
			     "--part-size=20000000T"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		T.part = 7;
		if (run(bad[i]) != CP_ERR_USAGE)
			fail_msg("%s accepted, part size %llu", bad[i], (unsigned long long)T.part);
	}
}

static void test_choice_values(void **s)
{
	assert_int_equal(run("--acl=public-read"), 0);
	assert_string_equal(T.acl, "public-read");
	assert_usage_error(run("--acl", "public"), "--acl wants private|public-read, not 'public'");
	assert_string_equal(T.acl, "public-read"); /* kept */
	assert_usage_error(run("--acl=PRIVATE"), "not 'PRIVATE'");
}

static void test_list_from_cli(void **s)
{
	assert_int_equal(run("--exclude", "*.map", "--exclude=a b"), 0);
	assert_int_equal(T.exclude.n, 2);
	assert_string_equal(T.exclude.v[0], "*.map");
	assert_string_equal(T.exclude.v[1], "a b"); /* not split on the command line */
	assert_null(T.exclude.v[2]);
}

static void test_unknown_and_missing(void **s)
{
	assert_usage_error(run("--nope"), "unknown option '--nope'");
	assert_err_has("cdnpipe build --help");
	err[0] = 0;
	assert_usage_error(run("--nope=3"), "unknown option '--nope'"); /* without "=3" */
	err[0] = 0;
	assert_usage_error(run("--min"), "unknown option '--min'"); /* no abbreviations */
	err[0] = 0;
	assert_usage_error(run("-mZ"), "unknown option '-Z'");
	err[0] = 0;
	assert_usage_error(run("--prefix"), "--prefix needs a value");
	err[0] = 0;
	assert_usage_error(run("-j"), "-j needs a value");
	assert_null(T.prefix);
}

static void test_help(void **s)
{
	/* --help wins over everything, even a bad option or a broken config */
	write_ini("cdnpipe.ini", "[nonsense]\n");
	assert_int_equal(run("--nope", "--help"), 0);
	assert_int_equal(common.help, 1);
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "usage: cdnpipe build [options] SRC"));
	assert_non_null(strstr(out, "Builds things."));
	assert_non_null(strstr(out, "-j, --jobs N"));
	assert_non_null(strstr(out, "--acl private|public-read"));
	assert_non_null(strstr(out, "-x, --exclude GLOB")); /* the second table */
	assert_non_null(strstr(out, "--config FILE"));	    /* the common options */
	common.help = 0;
	assert_int_equal(run("-h"), 0);
	assert_int_equal(common.help, 1);
}

/* After "--", "-h" is a file name: `cdnpipe build -- -h` builds it. */
static void test_help_after_double_dash(void **s)
{
	assert_int_equal(run("--", "-h"), 0);
	assert_int_equal(common.help, 0);
	assert_int_equal(pos.n, 1);
}

static void test_common_options(void **s)
{
	assert_int_equal(run("-q", "--json"), 0);
	assert_int_equal(common.quiet, 1);
	assert_int_equal(common.json, 1);
	assert_int_equal(cp_log_level, CP_LOG_ERROR);
	common.quiet = 0;
	cp_log_level = CP_LOG_WARN;
	assert_int_equal(run("--verbose"), 0);
	assert_int_equal(cp_log_level, CP_LOG_INFO);
	/* -q beats -v whatever the order */
	assert_int_equal(run("-v", "-q"), 0);
	assert_int_equal(cp_log_level, CP_LOG_ERROR);
}

/* ---- cdnpipe.ini ---- */

static void test_config_default_file(void **s)
{
	write_ini("cdnpipe.ini", "; comment\n"
				 "[build]\n"
				 "prefix = from-file/\n"
				 "jobs = 3\n"
				 "part-size = 1M\n"
				 "minify = true\n"
				 "exclude = *.map   *.scss\n"
				 "[upload]\n"
				 "bucket = not-ours\n"); /* other commands' sections are theirs */
	assert_int_equal(run("src"), 0);
	assert_string_equal(err, "");
	assert_string_equal(T.prefix, "from-file/");
	assert_int_equal(T.jobs, 3);
	assert_true(T.part == 1ull << 20);
	assert_int_equal(T.minify, 1);
	assert_int_equal(T.exclude.n, 2); /* a config list is split on blanks */
	assert_string_equal(T.exclude.v[0], "*.map");
	assert_string_equal(T.exclude.v[1], "*.scss");
}

static void test_config_cli_overrides(void **s)
{
	write_ini("cdnpipe.ini", "[build]\njobs = 3\nminify = yes\nexclude = *.map *.scss\n");
	assert_int_equal(run("--jobs=9", "--minify=false", "-x", "*.txt", "-x", "*.md"), 0);
	assert_int_equal(T.jobs, 9);
	assert_int_equal(T.minify, 0);
	/* a command-line list replaces the file's, then appends */
	assert_int_equal(T.exclude.n, 2);
	assert_string_equal(T.exclude.v[0], "*.txt");
	assert_string_equal(T.exclude.v[1], "*.md");
}

static void test_config_sections(void **s)
{
	/* deploy reads [deploy] and [build]; build reads only [build] */
	write_ini("cdnpipe.ini", "[deploy]\nprefix = d/\n[build]\njobs = 5\n");
	assert_int_equal(run_spec(&deploy_spec, "src", NULL), 0);
	assert_string_equal(T.prefix, "d/");
	assert_int_equal(T.jobs, 5);
	free((char *)T.prefix);
	T.prefix = NULL;
	T.jobs = 4;
	assert_int_equal(run("src"), 0);
	assert_null(T.prefix);
	assert_int_equal(T.jobs, 5);
}

static void test_config_errors(void **s)
{
	write_ini("cdnpipe.ini", "[build]\njobs = 3\n[bulid]\nprefix = x\n");
	assert_usage_error(run0(), "cdnpipe.ini:4: unknown section [bulid]");

	err[0] = 0;
	write_ini("cdnpipe.ini", "[build]\n\njbos = 3\n");
	assert_usage_error(run0(), "cdnpipe.ini:3: unknown key 'jbos' in [build]");

	err[0] = 0;
	write_ini("cdnpipe.ini", "[build]\nprefix = p\njobs = many\n");
	assert_usage_error(run0(), "cdnpipe.ini:3: --jobs wants a whole number, not 'many'");

	err[0] = 0;
	write_ini("cdnpipe.ini", "[build]\nacl = world\n");
	assert_usage_error(run0(), "cdnpipe.ini:2: --acl wants private|public-read");

	err[0] = 0; /* "config" and "help" are command-line only */
	write_ini("cdnpipe.ini", "[build]\nconfig = other.ini\n");
	assert_usage_error(run0(), "unknown key 'config'");

	err[0] = 0;
	write_ini("cdnpipe.ini", "[build]\njobs = 3\nthis line has no equals sign\n");
	assert_usage_error(run0(), "cdnpipe.ini:3: cannot parse this line");

	err[0] = 0; /* a key before any section */
	write_ini("cdnpipe.ini", "jobs = 3\n");
	assert_usage_error(run0(), "unknown section []");

	err[0] = 0; /* the first error is the one reported, and parsing stops there */
	write_ini("cdnpipe.ini", "[build]\njbos = 1\n[zzz]\nk = v\n");
	assert_usage_error(run("src"), "unknown key 'jbos'");
	assert_null(strstr(err, "zzz"));
	assert_int_equal(pos.n, 0); /* the command line was not parsed */
}

static void test_config_option(void **s)
{
	/* --config FILE replaces ./cdnpipe.ini, in both forms */
	write_ini("cdnpipe.ini", "[build]\njobs = 1\n");
	write_ini("other.ini", "[build]\njobs = 2\n");
	assert_int_equal(run("--config", "other.ini"), 0);
	assert_int_equal(T.jobs, 2);
	assert_string_equal(common.config, "other.ini");
	free((char *)common.config);
	common.config = NULL;
	T.jobs = 4;
	assert_int_equal(run("--config=other.ini", "-j7"), 0);
	assert_int_equal(T.jobs, 7); /* the command line still wins */
	free((char *)common.config);
	common.config = NULL;
	unlink("other.ini");

	/* a missing default file is fine; a missing --config file is not */
	unlink("cdnpipe.ini");
	T.jobs = 4;
	assert_int_equal(run0(), 0);
	assert_int_equal(T.jobs, 4);
	assert_usage_error(run("--config", "missing.ini"), "missing.ini: cannot read config");
}

/* In cdnpipe.ini a count option takes its value: `verbose = 2` is debug,
 * `verbose = 0` is off (as a flag's `quiet = false` is honoured). */
static void test_config_verbose_value(void **s)
{
	write_ini("cdnpipe.ini", "[build]\nverbose = 0\n");
	assert_int_equal(run0(), 0);
	assert_int_equal(common.verbose, 0);
	common.verbose = 0;
	write_ini("cdnpipe.ini", "[build]\nverbose = 2\n");
	assert_int_equal(run0(), 0);
	assert_int_equal(common.verbose, 2);
}

/* In cdnpipe.ini a switch between choices takes true/false: false means
 * "not this one" (the default), never the other choice; other values are
 * usage errors. */
static void test_config_choice_switch(void **s)
{
	write_ini("cdnpipe.ini", "[build]\npath-style = true\n");
	assert_int_equal(run0(), 0);
	assert_int_equal(T.addressing, 1);
	T.addressing = 0;
	write_ini("cdnpipe.ini", "[build]\npath-style = false\n");
	assert_int_equal(run0(), 0);
	assert_int_equal(T.addressing, 0);
	write_ini("cdnpipe.ini", "[build]\nvirtual-host = yes\npath-style = no\n");
	assert_int_equal(run0(), 0);
	assert_int_equal(T.addressing, 2); /* "no" for the other choice changes nothing */
	T.addressing = 0;
	write_ini("cdnpipe.ini", "[build]\npath-style = maybe\n");
	assert_usage_error(run0(), "--path-style takes no value (or true/false)");
}

/* ---- helpers ---- */

static void test_strlist(void **s)
{
	cp_strlist l = {0};
	char buf[8] = "abc";
	cp_strlist_push(&l, buf);
	buf[0] = 'X'; /* a copy is kept */
	cp_strlist_push(&l, "d");
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "abc");
	assert_string_equal(l.v[1], "d");
	assert_null(l.v[2]);
	cp_strlist_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

static void test_filter_from_lists(void **s)
{
	cp_strlist inc = {0}, exc = {0};
	cp_strlist_push(&inc, "*.css");
	cp_strlist_push(&inc, "*.js");
	cp_strlist_push(&exc, "vendor");
	cp_filter f = {0};
	cp_filter_from_lists(&f, &inc, &exc);
	assert_true(cp_filter_pass(&f, "a/site.css"));
	assert_true(cp_filter_pass(&f, "app.js"));
	assert_false(cp_filter_pass(&f, "index.html"));	 /* not included */
	assert_false(cp_filter_pass(&f, "vendor/x.js")); /* excluded wins */
	cp_filter_free(&f);
	cp_strlist_free(&inc);
	cp_strlist_free(&exc);
}

#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T_(test_defaults),
	    T_(test_positional),
	    T_(test_argument_count),
	    T_(test_long_forms),
	    T_(test_short_forms),
	    T_(test_flag_values),
	    T_(test_set_options),
	    T_(test_int_values),
	    T_(test_size_values),
	    T_(test_size_out_of_range),
	    T_(test_choice_values),
	    T_(test_list_from_cli),
	    T_(test_unknown_and_missing),
	    T_(test_help),
	    T_(test_help_after_double_dash),
	    T_(test_common_options),
	    T_(test_config_default_file),
	    T_(test_config_cli_overrides),
	    T_(test_config_sections),
	    T_(test_config_errors),
	    T_(test_config_option),
	    T_(test_config_verbose_value),
	    T_(test_config_choice_switch),
	    T_(test_strlist),
	    T_(test_filter_from_lists),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
