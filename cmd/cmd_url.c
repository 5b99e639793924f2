/*
 * cmd_url.c - `cdnpipe url [--manifest FILE | --dist DIR | --target TARGET]
 * [--base-url URL] [--integrity] [--html] NAME...`: the CDN URL of logical
 * names, for shell scripts, nginx configs, static HTML and template
 * languages without a manifest reader.
 *
 * One line per name, in the order given: the URL; with --integrity the URL
 * and its SRI value; with --html the tag a page needs (a stylesheet link, a
 * deferred script, both with integrity and crossorigin="anonymous", which
 * SRI requires for cross-origin files; the URL for other kinds).  The lookup
 * is cp_url_lookup (upload/publish/); an unknown name is named, with the
 * closest known one, and the run exits 1 after printing the rest.
 */
#include "cmd/cmd.h"
#include "cmd/report.h"
#include "cmd/target_opts.h"
#include "upload/publish/publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
	const char *manifest, *dist, *target, *base_url, *sri;
	int integrity, html;
} o;

static const cp_opt url_opts[] = {
    {"manifest", 0, CP_OPT_STR, &o.manifest, "FILE", "read this manifest (any dialect)", 0},
    {"dist", 0, CP_OPT_STR, &o.dist, "DIR",
     "read the manifest in this build folder (default: the current folder)", 0},
    {"target", 0, CP_OPT_STR, &o.target, "TARGET",
     "read the live manifest at s3://bucket/prefix or file:///path", 0},
    {"base-url", 0, CP_OPT_STR, &o.base_url, "URL",
     "put URL before each fingerprinted path (default /static/)", 0},
    {"integrity", 0, CP_OPT_FLAG, &o.integrity, NULL, "print each file's SRI value after its URL",
     0},
    {"html", 0, CP_OPT_FLAG, &o.html, NULL,
     "print the <link> or <script> tag (with integrity) instead of the URL", 0},
    {"sri", 0, CP_OPT_STR, &o.sri, "LIST",
     "algorithms when the manifest has no SRI values: sha384 (default), sha256, sha512", 0},
    CP_OPT_END,
};
static const cp_opt *const url_tables[] = {url_opts, cp_target_options, NULL};

static const cp_command_spec url_spec = {
    .name = "url",
    .usage = "cdnpipe url [--manifest FILE | --dist DIR | --target TARGET] [--base-url URL] "
	     "[--integrity] [--html] NAME...",
    .summary = "Prints the CDN URL of each logical NAME (css/site.css) from a build's manifest:\n"
	       "staticfiles.json or any other dialect cdnpipe writes, in a file, a build\n"
	       "folder, or published at a target.  --integrity adds the Subresource Integrity\n"
	       "value; --html prints the tag a page includes.",
    .tables = url_tables,
    .min_args = 1,
    .max_args = -1,
};

/* An attribute value: the URL is percent-encoded, the base URL is the user's. */
static void put_attr(const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", stdout);
			break;
		case '"':
			fputs("&quot;", stdout);
			break;
		case '<':
			fputs("&lt;", stdout);
			break;
		case '>':
			fputs("&gt;", stdout);
			break;
		default:
			putchar(*s);
		}
	}
}

static void print_html(const cp_url_result *x)
{
	cp_asset_kind k = cp_asset_kind_of(x->hashed);
	if (k == CP_ASSET_CSS) {
		fputs("<link rel=\"stylesheet\" href=\"", stdout);
		put_attr(x->url);
		fputs("\" integrity=\"", stdout);
		put_attr(x->integrity);
		fputs("\" crossorigin=\"anonymous\">\n", stdout);
	} else if (k == CP_ASSET_JS) {
		/* an ES module (.mjs) runs only as type="module", deferred anyway */
		size_t n = strlen(x->hashed);
		int module = n > 4 && !strcmp(x->hashed + n - 4, ".mjs");
		fputs(module ? "<script type=\"module\" src=\"" : "<script src=\"", stdout);
		put_attr(x->url);
		fputs("\" integrity=\"", stdout);
		put_attr(x->integrity);
		fputs(module ? "\" crossorigin=\"anonymous\"></script>\n"
			     : "\" crossorigin=\"anonymous\" defer></script>\n",
		      stdout);
	} else {
		printf("%s\n", x->url);
	}
}

static int check_sources(void)
{
	int n = !!o.manifest + !!o.dist + !!o.target;
	if (n > 1) {
		fprintf(stderr, "cdnpipe url: give one of --manifest, --dist and --target\n");
		return CP_ERR_USAGE;
	}
	return 0;
}

int cmd_url(int argc, char **argv)
{
	cp_common common = {0};
	cp_strlist pos = {0};
	int rc = cp_parse_command(&url_spec, &common, argc, argv, &pos);
	if (!rc && !common.help)
		rc = check_sources();
	cp_url_opts uo = {.manifest = o.manifest,
			  .dist = o.dist,
			  .target = o.target,
			  .base_url = o.base_url,
			  .integrity = o.integrity || o.html,
			  .s3 = cp_target_settings()};
	if (!rc && !common.help && cp_sri_parse(o.sri ? o.sri : "sha384", &uo.sri)) {
		fprintf(stderr, "cdnpipe url: --sri wants sha256, sha384 or sha512, not '%s'\n",
			o.sri);
		rc = CP_ERR_USAGE;
	}
	if (rc || common.help) {
		cp_strlist_free(&pos);
		return rc;
	}
	cp_url_report r;
	rc = cp_url_lookup(&uo, (const char *const *)pos.v, pos.n, &r);
	for (size_t i = 0; i < r.n; i++) {
		const cp_url_result *x = &r.v[i];
		if (x->error) {
			cp_log(CP_LOG_ERROR, "cdnpipe url: %s: %s", x->name, x->error);
		} else if (!x->found) {
			cp_log(CP_LOG_ERROR, "cdnpipe url: %s: not in %s%s%s%s", x->name,
			       r.manifest, x->suggest ? " (did you mean " : "",
			       x->suggest ? x->suggest : "", x->suggest ? "?)" : "");
		} else if (o.html) {
			print_html(x);
		} else if (x->integrity) {
			printf("%s %s\n", x->url, x->integrity);
		} else {
			printf("%s\n", x->url);
		}
	}
	if (r.err.set)
		cp_report_error(&r.err);
	fflush(stdout);
	cp_url_report_free(&r);
	cp_strlist_free(&pos);
	return rc;
}
