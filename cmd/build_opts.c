/*
 * build_opts.c - the build's options, shared by `cdnpipe build` and
 * `deploy`, and how a build's report is shown; see build_opts.h.  The build
 * itself is pipeline/'s cp_build.
 */
#include "cmd/build_opts.h"

#include <string.h>

struct cp_build_cli cp_build_cfg;

const cp_opt cp_build_out_opt[] = {
    {"output", 'o', CP_OPT_STR, &cp_build_cfg.c.out, "DIST", "write the build into DIST", 0},
    CP_OPT_END,
};

const cp_opt cp_build_options[] = {
    {"exclude", 0, CP_OPT_LIST, &cp_build_cfg.exclude_list, "GLOB",
     "leave out matching files (repeatable; '*.scss', 'src/**')", 0},
    {"include", 0, CP_OPT_LIST, &cp_build_cfg.include_list, "GLOB",
     "collect only matching files (repeatable)", 0},
    {"static-url", 0, CP_OPT_STR, &cp_build_cfg.c.static_url, "URL",
     "absolute URLs under URL are rewritten (default /static/)", 0},
    {"missing", 0, CP_OPT_STR, &cp_build_cfg.c.missing, "error|warn",
     "a reference to a missing file fails the build (default) or warns", 0},
    {"compress", 0, CP_OPT_STR, &cp_build_cfg.c.compress, "LIST",
     "precompressed siblings: gzip,br (default), gzip, br or none", 0},
    {"only-hashed", 0, CP_OPT_FLAG, &cp_build_cfg.c.only_hashed, NULL,
     "write only fingerprinted files, not the unhashed originals", 0},
    {"django-manifest-version", 0, CP_OPT_STR, &cp_build_cfg.c.manifest_version, "1.1|1.0",
     "staticfiles.json format (1.0 for Django before 4.2; default 1.1)", 0},
    {"manifest", 0, CP_OPT_STR, &cp_build_cfg.c.manifests, "LIST",
     "manifests to write: django (default), propshaft, sprockets, phoenix, vite, mix, symfony "
     "(or flat), or all",
     0},
    {"sri", 0, CP_OPT_STR, &cp_build_cfg.c.sri, "LIST",
     "Subresource Integrity in the manifests: sha384 (default), sha256, sha512, or a list", 0},
    {"entry", 0, CP_OPT_LIST, &cp_build_cfg.entry_list, "GLOB",
     "logical paths the vite manifest marks isEntry (repeatable)", 0},
    {"manifest-prefix", 0, CP_OPT_STR, &cp_build_cfg.c.manifest_prefix, "PREFIX",
     "put PREFIX before the keys and values of manifest.json (symfony), as given", 0},
    {"jobs", 'j', CP_OPT_INT, &cp_build_cfg.c.jobs, "N", "worker threads (default: cores)", 0},
    {"no-minify", 0, CP_OPT_FLAG, &cp_build_cfg.c.no_minify, NULL, "copy CSS and JS as they are",
     0},
    {"source-map", 0, CP_OPT_FLAG, &cp_build_cfg.c.source_map, NULL,
     "write a source map beside each minified file", 0},
    {"dotfiles", 0, CP_OPT_FLAG, &cp_build_cfg.c.dotfiles, NULL,
     "collect names starting with '.' too", 0},
    {"cache-dir", 0, CP_OPT_STR, &cp_build_cfg.c.cache_dir, "DIR",
     "the build cache (default $XDG_CACHE_HOME/cdnpipe/build)", 0},
    {"no-cache", 0, CP_OPT_FLAG, &cp_build_cfg.c.no_cache, NULL,
     "neither read nor write the build cache", 0},
    {"trust-mtime", 0, CP_OPT_STR, &cp_build_cfg.trust_mtime, "yes|no",
     "yes (default): an unchanged file - path, inode, size, mtime, ctime - keeps its hash "
     "unread; no: hash every file again",
     0},
    {"no-trust-mtime", 0, CP_OPT_FLAG, &cp_build_cfg.c.no_trust_mtime, NULL,
     "the same as --trust-mtime=no", 0},
    {"cache-max", 0, CP_OPT_SIZE, &cp_build_cfg.c.cache_max, "SIZE",
     "evict the least recently used entries past SIZE (default 1G)", 0},
    {"no-default-ignore", 0, CP_OPT_FLAG, &cp_build_cfg.c.no_default_ignore, NULL,
     "collect CVS folders and *~ backup files too (left out by default, as collectstatic does)", 0},
    CP_OPT_END,
};

const struct cp_build_config *cp_build_config_of(struct cp_build_cli *cli)
{
	if (cli->trust_mtime && !strcmp(cli->trust_mtime, "no"))
		cli->c.no_trust_mtime = 1;
	cli->c.roots = (const char *const *)cli->roots.v;
	cli->c.nroots = cli->roots.n;
	cli->c.include = (const char *const *)cli->include_list.v;
	cli->c.ninclude = cli->include_list.n;
	cli->c.exclude = (const char *const *)cli->exclude_list.v;
	cli->c.nexclude = cli->exclude_list.n;
	cli->c.entries = (const char *const *)cli->entry_list.v;
	cli->c.nentries = cli->entry_list.n;
	return &cli->c;
}
