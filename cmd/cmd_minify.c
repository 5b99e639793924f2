/*
 * cmd_minify.c - `cdnpipe minify FILE... [-o OUT]`: the minifiers on their own.
 *
 * The same minifiers `build` runs, for people who want them in another
 * pipeline: files in, minified files out, stdin/stdout with "-".  The kind
 * of each input comes from its extension (.css, .js/.mjs/.cjs), or --type for
 * stdin and odd names.  With one input, -o names the output file (or an
 * existing folder); with several, -o is a folder that receives each file
 * under its own name.  Every output is written to a temporary name and
 * renamed, so a failed run leaves no half-written file; all inputs are tried
 * and every failure is reported before exiting 1.
 */
#include "cmd/cmd.h"
#include "cmd/report.h"
#include "asset/asset.h"
#include "lib/cp.h"
#include "minify/minify.h"

#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *o_out, *o_type, *o_legal;
static int o_map;

static const cp_opt minify_opts[] = {
    {"output", 'o', CP_OPT_STR, &o_out, "OUT",
     "write here (a folder when there are several inputs; '-' for stdout)", 0},
    {"type", 0, CP_OPT_STR, &o_type, "css|js", "kind of input (needed for stdin)", 0},
    {"source-map", 0, CP_OPT_FLAG, &o_map, NULL,
     "write OUT.map beside each output and link it with a sourceMappingURL comment", 0},
    {"legal-comments", 0, CP_OPT_STR, &o_legal, "inline|eof|none",
     "keep /*! */ (and JS @license/@preserve) comments in place, at the end, or not at all "
     "(default inline)",
     0},
    CP_OPT_END,
};
static const cp_opt *const minify_tables[] = {minify_opts, NULL};

static const cp_command_spec minify_spec = {
    .name = "minify",
    .usage = "cdnpipe minify [options] FILE... [-o OUT]",
    .summary =
	"Minifies CSS and JavaScript files (or stdin, as '-') the way `cdnpipe build` does.\n"
	"The kind comes from the file extension (.css, .js, .mjs, .cjs) or --type.\n"
	"Without -o the result goes to stdout.",
    .tables = minify_tables,
};

/* --type wins; otherwise the extension, as build decides it. */
static cp_asset_kind kind_of(const char *path)
{
	if (o_type)
		return !strcmp(o_type, "css") ? CP_ASSET_CSS : CP_ASSET_JS;
	return cp_asset_kind_of(path);
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int read_stdin(cp_buf *b, cp_error *err)
{
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		cp_buf_append(b, chunk, n);
	if (ferror(stdin))
		return cp_error_set(err, "-", 0, 0, "cannot read stdin: %s", strerror(errno));
	return 0;
}

static int write_stdout(const cp_buf *b, cp_error *err)
{
	if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
		return cp_error_set(err, "-", 0, 0, "cannot write stdout: %s", strerror(errno));
	return 0;
}

/* Minifies one input into out_path ("-": stdout). */
static int minify_one(const char *in_path, const char *out_path, enum cp_legal_comments legal,
		      json_t *report, cp_error *err)
{
	cp_buf in = CP_BUF_INIT, out = CP_BUF_INIT, map = CP_BUF_INIT;
	char *map_path = NULL, *map_url = NULL;
	int rc = !strcmp(in_path, "-") ? read_stdin(&in, err) : cp_read_file(in_path, &in, err);
	if (rc)
		goto done;
	cp_minify_opts mo = {.source_name = !strcmp(in_path, "-") ? "stdin" : cp_path_base(in_path),
			     .out_name = strcmp(out_path, "-") ? out_path : NULL,
			     .legal = legal};
	if (o_map && strcmp(out_path, "-")) {
		map_path = cp_xasprintf("%s.map", out_path);
		map_url = cp_xasprintf("%s.map", cp_path_base(out_path));
		mo.map_url = map_url;
	}
	rc = cp_minify(kind_of(in_path), in.data, in.len, &mo, &out, &map, err);
	if (rc) {
		if (err->set && !err->path[0])
			snprintf(err->path, sizeof err->path, "%s", in_path);
		goto done;
	}
	if (!strcmp(out_path, "-")) {
		rc = write_stdout(&out, err);
	} else {
		/* one folder made once: outputs of a run mostly share it */
		static char *made;
		size_t dl = cp_path_dirlen(out_path);
		if (!made || strlen(made) != dl || strncmp(made, out_path, dl)) {
			rc = cp_mkdirs_for(out_path, err);
			free(made);
			made = rc ? NULL : cp_xstrndup(out_path, dl);
		}
		if (!rc && map_path)
			rc = cp_write_atomic(map_path, map.data, map.len, err);
		if (!rc)
			rc = cp_write_atomic(out_path, out.data, out.len, err);
	}
	if (!rc && report)
		json_array_append_new(report,
				      json_pack("{s:s,s:s,s:I,s:I}", "input", in_path, "output",
						out_path, "bytes_in", (json_int_t)in.len,
						"bytes_out", (json_int_t)out.len));
	if (!rc)
		cp_log(CP_LOG_INFO, "%s -> %s: %zu -> %zu bytes", in_path, out_path, in.len,
		       out.len);
done:
	cp_buf_free(&in);
	cp_buf_free(&out);
	cp_buf_free(&map);
	free(map_path);
	free(map_url);
	return rc;
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "cdnpipe minify: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	return CP_ERR_USAGE;
}

/* Checks the command line; fills outs[k] with each input's output path. */
static int plan(const cp_strlist *pos, char **outs)
{
	int several = pos->n > 1;
	int to_dir = o_out && strcmp(o_out, "-") &&
		     (several || is_dir(o_out) || o_out[strlen(o_out) - 1] == '/');
	for (size_t k = 0; k < pos->n; k++) {
		const char *in = pos->v[k];
		if (!cp_minify_kind_ok(kind_of(in)))
			return usage_error(strcmp(in, "-") ? "cannot tell CSS from JS by this name "
							     "(use --type css|js)"
							   : "stdin needs --type css|js",
					   in);
		if (!strcmp(in, "-") && to_dir)
			return usage_error("stdin cannot go into a folder", o_out);
		if (!o_out || !strcmp(o_out, "-"))
			outs[k] = cp_xstrdup("-");
		else if (to_dir)
			outs[k] = cp_path_join(o_out, cp_path_base(in));
		else
			outs[k] = cp_xstrdup(o_out);
		for (size_t q = 0; q < k; q++)
			if (strcmp(outs[k], "-") && !strcmp(outs[q], outs[k]))
				return usage_error("two inputs would write the same output",
						   outs[k]);
	}
	if (o_map && (!o_out || !strcmp(o_out, "-")))
		return usage_error("--source-map needs -o (the map is written beside the output)",
				   NULL);
	return 0;
}

int cmd_minify(int argc, char **argv)
{
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&minify_spec, &common, argc, argv, &pos);
	if (rc || common.help) {
		cp_strlist_free(&pos);
		return rc;
	}
	enum cp_legal_comments legal = CP_LEGAL_INLINE;
	if (o_legal && !strcmp(o_legal, "eof"))
		legal = CP_LEGAL_EOF;
	else if (o_legal && !strcmp(o_legal, "none"))
		legal = CP_LEGAL_NONE;
	else if (o_legal && strcmp(o_legal, "inline"))
		rc = usage_error("--legal-comments wants inline, eof or none, not", o_legal);
	if (!rc && o_type && strcmp(o_type, "css") && strcmp(o_type, "js"))
		rc = usage_error("--type wants css or js, not", o_type);
	if (!rc && pos.n == 0)
		rc = usage_error("no input (give files, or '-' for stdin; see --help)", NULL);
	char **outs = cp_xcalloc(pos.n + 1, sizeof *outs);
	if (!rc)
		rc = plan(&pos, outs);
	if (!rc && common.json && (!o_out || !strcmp(o_out, "-")))
		rc = usage_error("--json needs -o (stdout carries the report)", NULL);
	/* Files are minified one after the other: keep freed memory for the
	 * next one instead of handing it back and faulting it in again (on a
	 * corpus of small files that is a third of the CPU time). */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	json_t *report = !rc && common.json ? json_array() : NULL;
	int failed = 0;
	for (size_t k = 0; !rc && k < pos.n; k++) {
		cp_error err = {0};
		if (minify_one(pos.v[k], outs[k], legal, report, &err)) {
			cp_report_error(&err);
			failed = 1;
		}
	}
	if (!rc && fflush(stdout)) {
		cp_log(CP_LOG_ERROR, "cdnpipe: cannot write stdout: %s", strerror(errno));
		failed = 1;
	}
	if (report) {
		cp_print_json(json_pack("{s:o,s:b}", "files", report, "ok", !failed));
	}
	for (size_t k = 0; k < pos.n; k++)
		free(outs[k]);
	free(outs);
	cp_strlist_free(&pos);
	return rc ? rc : failed ? CP_ERR_BUILD : 0;
}
