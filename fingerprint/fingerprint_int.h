/*
 * fingerprint_int.h - internal to fingerprint/: the pieces between the scanners and
 * cp_fingerprint(), split by concern so each can be tested on its own
 * (tests/unit/test_{resolve,graph,rewrite,naming}.c).
 *
 *   resolve.c  ref URL -> target asset, or external / missing / dropped
 *   graph.c    Tarjan SCCs and the topological levels of their condensation
 *   rewrite.c  the replacement text of one ref, and the splice of a text
 *   naming.c   cp_hashed_name (public)
 *
 * A resolved ref's `target` is an asset index, or one of the negative codes
 * below.  CP_TARGET_DROP exists for one case: a source map comment whose map
 * is missing is removed (the comment would make every browser's devtools
 * fetch a 404), while a missing url() keeps its text under --missing=warn.
 */
#ifndef CP_FP_H
#define CP_FP_H

#include "fingerprint/fingerprint.h"
#include "sourcemap/sourcemap.h"

#define CP_TARGET_KEEP (-1) /* external, ignored or (warn policy) missing: text kept */
#define CP_TARGET_DROP (-2) /* missing source map: the comment is removed */

/* A URL split the way Django's converter splits it (urldefrag, then the
 * query), as offsets into the trimmed URL. */
typedef struct cp_url_parts {
	const char *url; /* trimmed start */
	size_t len;	 /* trimmed length */
	size_t path_len; /* [0, path_len): the path, up to '?' or '#' */
	size_t query;	 /* offset of '?' or len (the query runs to the '#') */
	size_t frag;	 /* offset of '#' or len */
} cp_url_parts;

void cp_url_split(const char *url, cp_url_parts *p);

/* Classifies and resolves every ref of every text asset; targets set.
 * Every problem goes to d (all of them, not the first); returns CP_ERR_BUILD
 * if an error was added. */
int cp_fp_resolve(cp_assets *t, const cp_fingerprint_opts *o, cp_diags *d);
/* The logical target a URL names from source `from`, or NULL if the URL is
 * not an internal reference (external, fragment-only, empty...).  *climbs is
 * set when the path leaves the roots with "..". Newly allocated. */
char *cp_fp_target(const char *from, const char *url, const char *static_url, int *climbs);

/* The dependency graph in processing order. */
typedef struct cp_graph {
	size_t ncomp;
	long *comp_of;	    /* asset -> component */
	size_t *comp_start; /* members of component c: members[comp_start[c] .. comp_start[c+1]) */
	size_t *members;    /* asset indexes, sorted by index (= logical path) in each component */
	int *cyclic;	    /* component has >1 member or a self-reference */
	unsigned *level;    /* 0: depends on nothing; else 1 + max level of dependencies */
	unsigned nlevels;
	size_t *order;	     /* components sorted by (level, first member) */
	size_t *level_start; /* components of level l: order[level_start[l] .. level_start[l+1]) */
} cp_graph;

/* Edges are refs with target >= 0. */
void cp_graph_build(const cp_assets *t, cp_graph *g);
void cp_graph_free(cp_graph *g);

/* Appends the text that replaces ref r of an asset of kind `kind` (its
 * target named `hashed`, a logical path) to out. */
void cp_fp_replacement(const cp_ref *r, const char *hashed, cp_asset_kind kind, int compact,
		       cp_buf *out);
/* Splices every ref of a into out: refs with a target >= 0 get the target's
 * hashed name unless the target is in skip_comp (the asset's own cycle when
 * computing the combined hash: then the text is kept); KEEP refs are copied,
 * DROP refs removed. */
void cp_fp_splice(const cp_assets *t, const cp_asset *a, const cp_graph *g, long skip_comp,
		  int compact, cp_buf *out);

#endif
