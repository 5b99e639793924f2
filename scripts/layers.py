#!/usr/bin/python3
"""make layers: check that the code's large-scale shape holds.

Usage:
  scripts/layers.py --order "lib syntax ... upload" build/lib/buf.o ...
  scripts/layers.py --order "..." --nm FILE       (prepared `nm -A` text)
  options: --root DIR (the source tree, default .), --build DIR (default build)

Design
------
Everything is read from what the compiler produced, not from what a header
promises: `nm -A` on each object (the Makefile passes $(LIB_OBJ) $(CMD_OBJ),
the objects of the sources that exist, so a stale .o in build/ is never read).
A defined global symbol (any upper-case type but U: T D B R C G S V W) belongs
to its object; an undefined one (U) that another of our objects defines is an
edge "file A calls into file B", kept with one example symbol (the first by
name).  Symbols nobody here defines (libc, curl, ...) are ignored; so are
static functions and header inlines, which have no global symbol.  Objects map
back to their sources: build/<path>.o is <path>.c.

Three checks; each problem is one line on stderr, and any problem exits 1.

 a) cycle:  every strongly connected component (Tarjan) of the file graph with
    more than one file, with the files and every edge inside it.

 b) layer:  a room may call into itself and into rooms below it, nothing else.
    A room is a top-level folder (minify/css and minify/js are minify), except
    upload/, whose sub-folders are rooms of their own.  --order gives the
    folders lowest first (the Makefile's STAGES); cmd/ is above all of them.
    Inside upload/ the order is partial, UPLOAD_USES below, and is what the
    code obeys today:  s3 is lowest; target uses s3; purge (CDN APIs) uses
    s3; publish uses target, purge and s3; sync uses s3 only (it drives the
    S3 client directly and shares nothing with target/publish, so sync and
    target/publish are siblings that must not call each other).  One line per pair of rooms, with every file edge.
    A file in a folder that is in no layer is a problem too.

 c) include: cmd/*.c and cmd/*.h may include cmd's own headers and the public
    header of each room, PUBLIC below, nothing else.  A header named *_int.h or
    *_impl.h is private by its name (and may never be put in PUBLIC); any other
    header not in PUBLIC is private too, so a new header is private until it
    is listed here.  Public is one header per room, named like its folder
    (foo/foo.h), except lib/, whose public header is the umbrella lib/cp.h.
    Only cmd's direct includes are checked; a public header may include
    private ones of its own room.

There are no allowances: a known cycle is reported until it is removed.
"""
import argparse
import os
import re
import subprocess
import sys

# Room -> its public header (c).  Keep this explicit; see the head comment.
PUBLIC = {
    "lib": "lib/cp.h",
    "syntax": "syntax/syntax.h",
    "sourcemap": "sourcemap/sourcemap.h",
    "asset": "asset/asset.h",
    "minify": "minify/minify.h",
    "cache": "cache/cache.h",
    "fingerprint": "fingerprint/fingerprint.h",
    "compress": "compress/compress.h",
    "manifest": "manifest/manifest.h",
    "pipeline": "pipeline/pipeline.h",
    "upload/s3": "upload/s3/s3.h",
    "upload/target": "upload/target/target.h",
    "upload/publish": "upload/publish/publish.h",
    "upload/purge": "upload/purge/purge.h",
    "upload/sync": "upload/sync/sync.h",
}
PRIVATE_NAME = re.compile(r"_(int|impl)\.h$")

# Sub-rooms of upload/ (b): each may call into the ones listed (transitive).
UPLOAD_USES = {
    "s3": set(),
    "target": {"s3"},
    "purge": {"s3"},
    "publish": {"target", "purge", "s3"},
    "sync": {"s3"},
}
SUBROOMED = "upload"
TOP = "cmd"

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def source_of(obj, build):
    """build/<path>.o -> <path>.c (paths relative, with '/')."""
    p = os.path.normpath(obj).replace(os.sep, "/")
    b = os.path.normpath(build).replace(os.sep, "/") + "/"
    if p.startswith(b):
        p = p[len(b):]
    return p[:-2] + ".c" if p.endswith(".o") else p


def parse_nm(text, build):
    """`nm -A` text -> (defined: sym -> set(files), undefined: file -> set(syms))."""
    defined, undefined = {}, {}
    for line in text.splitlines():
        if not line.strip() or ":" not in line:
            continue
        obj, rest = line.split(":", 1)
        f = source_of(obj, build)
        undefined.setdefault(f, set())
        parts = rest.split()
        if len(parts) < 2:
            continue
        typ, sym = parts[-2], parts[-1]
        if typ == "U":
            undefined[f].add(sym)
        elif len(typ) == 1 and typ.isupper():
            defined.setdefault(sym, set()).add(f)
    return defined, undefined


def run_nm(objs):
    p = subprocess.run(["nm", "-A", *objs], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("layers: nm failed: " + p.stderr.strip())
    return p.stdout


def file_graph(defined, undefined):
    """file -> {callee file: example symbol}."""
    g = {f: {} for f in undefined}
    for f, syms in undefined.items():
        for s in sorted(syms):
            for t in defined.get(s, ()):
                if t != f and t not in g[f]:
                    g[f][t] = s
    return g


def sccs(g):
    """Tarjan, iterative; components of more than one node, sorted."""
    index, low, on, stack, out = {}, {}, set(), [], []
    n = 0
    for root in sorted(g):
        if root in index:
            continue
        work = [(root, iter(sorted(g[root])))]
        index[root] = low[root] = n; n += 1
        stack.append(root); on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = n; n += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(g.get(w, {})))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop(); on.discard(w); comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return sorted(out)


def room_of(f):
    parts = f.split("/")
    if len(parts) < 2:
        return None
    if parts[0] == SUBROOMED:
        return "/".join(parts[:2]) if len(parts) > 2 else None
    return parts[0]


def rank_of(room, order):
    """(stage rank, sub-room or None); None if in no layer."""
    if room == TOP:
        return (len(order), None)
    top = room.split("/")[0]
    if top not in order:
        return None
    sub = room.split("/")[1] if "/" in room else None
    if top == SUBROOMED and sub not in UPLOAD_USES:
        return None
    return (order.index(top), sub)


def may_use(a, b, order):
    if a == b:
        return True
    ra, rb = rank_of(a, order), rank_of(b, order)
    if ra[0] != rb[0]:
        return ra[0] > rb[0]
    return rb[1] in closure(ra[1])


def closure(sub):
    seen, todo = set(), list(UPLOAD_USES.get(sub, ()))
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo.extend(UPLOAD_USES.get(s, ()))
    return seen


def check_cycles(g):
    probs = []
    for comp in sccs(g):
        inside = set(comp)
        edges = ["%s -> %s (%s)" % (a, b, g[a][b])
                 for a in comp for b in sorted(g[a]) if b in inside]
        probs.append("layers: cycle of %d files: %s: %s"
                     % (len(comp), " ".join(comp), ", ".join(edges)))
    return probs


def check_layers(g, order):
    probs, bad, seen_unknown = [], {}, set()
    for f in sorted(g):
        if room_of(f) is None or rank_of(room_of(f), order) is None:
            if f not in seen_unknown:
                seen_unknown.add(f)
                probs.append("layers: %s is in no layer (not in --order %r, "
                             "nor an upload/ room of scripts/layers.py)"
                             % (f, " ".join(order)))
    for a in sorted(g):
        ra = room_of(a)
        if a in seen_unknown:
            continue
        for b, sym in sorted(g[a].items()):
            rb = room_of(b)
            if b in seen_unknown or may_use(ra, rb, order):
                continue
            bad.setdefault((ra, rb), []).append("%s -> %s (%s)" % (a, b, sym))
    for (ra, rb), edges in sorted(bad.items()):
        probs.append("layers: %s/ calls into %s/, which is not below it: %s"
                     % (ra, rb, ", ".join(edges)))
    return probs


def check_includes(root):
    probs = []
    for name in sorted(PUBLIC.values()):
        if PRIVATE_NAME.search(name):
            probs.append("layers: scripts/layers.py lists %s as public, but "
                         "*_int.h/*_impl.h are private" % name)
        elif not os.path.isfile(os.path.join(root, name)):
            probs.append("layers: scripts/layers.py lists %s as public, but "
                         "it does not exist" % name)
    public = set(PUBLIC.values())
    cmd = os.path.join(root, TOP)
    files = sorted(n for n in os.listdir(cmd) if n.endswith((".c", ".h"))) \
        if os.path.isdir(cmd) else []
    for n in files:
        with open(os.path.join(cmd, n), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            if "/" not in inc and os.path.isfile(os.path.join(cmd, inc)):
                inc = TOP + "/" + inc
            inc = os.path.normpath(inc).replace(os.sep, "/")
            if inc.startswith(TOP + "/") and inc.count("/") == 1:
                continue
            where = "%s/%s:%d" % (TOP, n, line)
            if PRIVATE_NAME.search(inc):
                probs.append("layers: %s includes %s, a private header "
                             "(*_int.h/*_impl.h)" % (where, inc))
            elif inc not in public:
                probs.append("layers: %s includes %s, which is not a public "
                             "header (PUBLIC in scripts/layers.py)" % (where, inc))
    return probs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--order", required=True,
                    help="stage folders, lowest first (the Makefile's STAGES)")
    ap.add_argument("--root", default=".", help="source tree (for cmd/ includes)")
    ap.add_argument("--build", default="build", help="object folder prefix")
    ap.add_argument("--nm", help="read this `nm -A` text instead of running nm")
    ap.add_argument("objects", nargs="*", help="object files (build/<path>.o)")
    a = ap.parse_args(argv)
    order = a.order.split()
    if a.nm:
        with open(a.nm, encoding="utf-8") as fh:
            text = fh.read()
    elif a.objects:
        text = run_nm(a.objects)
    else:
        ap.error("give object files or --nm")
    g = file_graph(*parse_nm(text, a.build))
    probs = check_cycles(g) + check_layers(g, order) + check_includes(a.root)
    for p in probs:
        print(p, file=sys.stderr)
    if probs:
        print("layers: %d problem(s)" % len(probs), file=sys.stderr)
        return 1
    print("layers: ok (%d files, %d edges)" % (len(g), sum(map(len, g.values()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
