/*
 * jsmin.c - a test driver for the JS minifier: many files in one process.
 *
 *   jsmin OUTDIR FILE...    minify each FILE to OUTDIR/<basename>; a file named
 *                           *.module.js or *.mjs is a module.  Prints one line
 *                           per file: "ok NAME", "error NAME: message" or
 *                           "unstable NAME" (minifying the output again changed it).
 *   jsmin -t N FILE...      minify all FILEs N times, print the CPU seconds
 *                           and bytes in and out.
 *
 * A developer tool (the tests and the benchmark use `cdnpipe minify`): it
 * times the minifier alone, without process start-up and file writes, and it
 * reads test262's *.module.js names as modules.  Build it with
 *   cc -std=c11 -D_GNU_SOURCE -O2 -I. -o build/jsmin tests/integration/js/jsmin.c \
 *      build/libcdnpipe.a $(pkg-config --libs jansson libcrypto zlib) -pthread
 */
#include "minify/js/js_min.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int is_module(const char *p)
{
	size_t n = strlen(p);
	return (n >= 10 && !strcmp(p + n - 10, ".module.js")) ||
	       (n >= 4 && !strcmp(p + n - 4, ".mjs"));
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "-t")) {
		int reps = atoi(argv[2]);
		int nf = argc - 3;
		cp_buf *in = cp_xcalloc(nf, sizeof *in);
		size_t total = 0, outb = 0;
		for (int i = 0; i < nf; i++) {
			cp_error e = {0};
			if (cp_read_file(argv[3 + i], &in[i], &e))
				return fprintf(stderr, "%s\n", e.msg), 1;
			total += in[i].len;
		}
		struct timespec a, b;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		for (int r = 0; r < reps; r++)
			for (int i = 0; i < nf; i++) {
				cp_buf out = CP_BUF_INIT;
				cp_error e = {0};
				cp_minify_opts o = {.source_name = argv[3 + i]};
				cp_minify_js_goal(in[i].data, in[i].len, &o, is_module(argv[3 + i]),
						  &out, NULL, &e);
				if (r == 0)
					outb += out.len;
				cp_buf_free(&out);
			}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		double sec = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		printf("%.6f %zu %zu\n", sec / reps, total, outb);
		return 0;
	}
	if (argc < 2)
		return fprintf(stderr, "usage: jsmin OUTDIR FILE... | jsmin -t N FILE...\n"), 2;
	for (int i = 2; i < argc; i++) {
		const char *path = argv[i], *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		cp_buf in = CP_BUF_INIT, out = CP_BUF_INIT, again = CP_BUF_INIT;
		cp_error e = {0};
		cp_minify_opts o = {.source_name = base};
		int mod = is_module(path);
		if (cp_read_file(path, &in, &e) ||
		    cp_minify_js_goal(in.data, in.len, &o, mod, &out, NULL, &e)) {
			char msg[2200];
			cp_error_format(&e, msg, sizeof msg);
			printf("error %s: %s\n", base, msg);
		} else {
			char *dst = cp_xasprintf("%s/%s", argv[1], base);
			cp_write_atomic(dst, out.data ? out.data : "", out.len, &e);
			free(dst);
			cp_error e2 = {0};
			if (cp_minify_js_goal(out.data ? out.data : "", out.len, &o, mod, &again,
					      NULL, &e2) ||
			    again.len != out.len || memcmp(again.data, out.data, out.len))
				printf("unstable %s\n", base);
			else
				printf("ok %s\n", base);
		}
		cp_buf_free(&in);
		cp_buf_free(&out);
		cp_buf_free(&again);
	}
	return 0;
}
