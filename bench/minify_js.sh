#!/bin/sh
# bench/minify_js.sh - JavaScript minification: cdnpipe against esbuild.
#
# On ../shared/corpus/static (beside the repo; CORPUS=... to override), every
# .js/.mjs/.cjs that is not *.min.*: bytes raw and after gzip -9 per file and in
# total for `cdnpipe minify`, `esbuild --minify-whitespace` and
# `esbuild --minify`; CPU time on one core (taskset, GOMAXPROCS=1) of one
# process each over all files (COPIES copies of each, so start-up does not
# dominate), median of RUNS runs; `node --check` on every cdnpipe output;
# and for the libraries that load in node, the same exported names and the
# same results for a few calls (tests/integration/js/lib_compare.js).
# Targets (issue 5): total gzip <= esbuild --minify-whitespace, throughput >= 5x
# esbuild's.  Prints ratios; exits 1 only when an output is broken.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${CORPUS:-$ROOT/../shared/corpus/static}
RUNS=${RUNS:-7}
COPIES=${COPIES:-4}
PY=/usr/bin/python3
if [ ! -d "$CORPUS" ]; then
	echo "minify_js: corpus $CORPUS not found, skipped"
	exit 0
fi
CDNPIPE=$ROOT/build/cdnpipe
ESBUILD=$ROOT/tools/node/node_modules/.bin/esbuild
[ -x "$CDNPIPE" ] || make -s -C "$ROOT" build/cdnpipe
if [ ! -x "$ESBUILD" ]; then
	echo "minify_js: $ESBUILD missing (scripts/install-deps.sh bench), skipped"
	exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
mkdir -p "$TMP/in" "$TMP/cdnpipe" "$TMP/esw" "$TMP/esm"

# Flat, unique names (two jquery.js live in the corpus); the extension stays.
find "$CORPUS" -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.cjs' \) \
	! -name '*.min.js' ! -name '*.min.mjs' ! -name '*.min.cjs' | sort >"$TMP/list"
while IFS= read -r f; do
	rel=${f#"$CORPUS"/}
	cp "$f" "$TMP/in/$(printf '%s' "$rel" | tr / _)"
done <"$TMP/list"
echo "minify_js: $(wc -l <"$TMP/list") files from $CORPUS"

"$CDNPIPE" minify -q "$TMP"/in/* -o "$TMP/cdnpipe/"
"$ESBUILD" --log-level=error --minify-whitespace --outdir="$TMP/esw" "$TMP"/in/*
"$ESBUILD" --log-level=error --minify --outdir="$TMP/esm" "$TMP"/in/*

status=0
# node --check on every cdnpipe output (module syntax is detected by node itself)
bad=0
for f in "$TMP"/cdnpipe/*; do
	if ! node --check "$f" 2>"$TMP/check.err"; then
		echo "node --check FAILED: $(basename "$f")"
		head -5 "$TMP/check.err"
		bad=$((bad + 1))
	fi
done
echo "node --check: $(ls "$TMP/cdnpipe" | wc -l) outputs, $bad failed"
[ "$bad" -eq 0 ] || status=1

# libraries loadable in node: same exports, same results
for lib in vendor_lodash_lodash.js vendor_leaflet_leaflet-src.js \
	admin_js_vendor_xregexp_xregexp.js vendor_jquery_jquery.js; do
	[ -f "$TMP/in/$lib" ] || continue
	node "$ROOT/tests/integration/js/lib_compare.js" "$TMP/in/$lib" "$TMP/cdnpipe/$lib" || status=1
done

"$PY" - "$TMP" "$RUNS" "$CDNPIPE" "$ESBUILD" "$COPIES" <<'PYEOF'
import os, resource, statistics, subprocess, sys
tmp, runs, cdnpipe, esbuild = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
copies = int(sys.argv[5])
names = sorted(os.listdir(os.path.join(tmp, "in")))

def gz(path):
    return len(subprocess.run(["gzip", "-9", "-c"], stdin=open(path, "rb"),
                              capture_output=True, check=True).stdout)

rows, tot = [], {}
for n in names:
    r = [n, os.path.getsize(os.path.join(tmp, "in", n))]
    for tool in ("cdnpipe", "esw", "esm"):
        p = os.path.join(tmp, tool, n)
        r += [os.path.getsize(p), gz(p)]
    rows.append(r)
cols = ["input", "cdnpipe", "cdnpipe.gz", "esb-ws", "esb-ws.gz", "esb-min", "esb-min.gz"]
print("%-52s %9s %9s %10s %9s %9s %9s %10s" % (("file",) + tuple(cols)))
for r in rows:
    print("%-52s %9d %9d %10d %9d %9d %9d %10d" % (r[0][-52:], *r[1:]))
t = [sum(r[i] for r in rows) for i in range(1, 8)]
print("%-52s %9d %9d %10d %9d %9d %9d %10d" % ("TOTAL", *t))
print("total gzip: cdnpipe %d, esbuild --minify-whitespace %d (cdnpipe/esbuild %.4f, target <= 1), "
      "esbuild --minify %d (gap %+d bytes, %+.1f%%)"
      % (t[2], t[4], t[2] / t[4], t[6], t[2] - t[6], 100.0 * (t[2] - t[6]) / t[6]))
print("total raw:  cdnpipe %d (%.1f%% of input), esbuild --minify-whitespace %d, esbuild --minify %d"
      % (t[1], 100.0 * t[1] / t[0], t[3], t[5]))

def cpu(cmd, env=None):
    samples = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(["taskset", "-c", "0"] + cmd, check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(samples)

# the timing input: COPIES copies of every file (distinct names), so that
# process start-up (a few ms for either tool) does not dominate
tin = os.path.join(tmp, "timing_in")
os.makedirs(tin)
ins = []
for k in range(copies):
    for n in names:
        dst = os.path.join(tin, "c%d_%s" % (k, n))
        os.link(os.path.join(tmp, "in", n), dst)
        ins.append(dst)
out = os.path.join(tmp, "timing")
c = cpu([cdnpipe, "minify", "-q"] + ins + ["-o", out + "/"])
env = dict(os.environ, GOMAXPROCS="1")
e = cpu([esbuild, "--log-level=error", "--minify-whitespace", "--outdir=" + out] + ins, env)
m = cpu([esbuild, "--log-level=error", "--minify", "--outdir=" + out] + ins, env)
mb = copies * t[0] / 1e6
print("CPU on one core, median of %d, one process over %d files (%d copies of each, %.2f MB):"
      % (runs, len(ins), copies, mb))
print("  cdnpipe minify            %.3f s  %6.1f MB/s" % (c, mb / c))
print("  esbuild --minify-whitespace %.3f s  %6.1f MB/s" % (e, mb / e))
print("  esbuild --minify          %.3f s  %6.1f MB/s" % (m, mb / m))
print("throughput: cdnpipe / esbuild --minify = %.1fx, / esbuild --minify-whitespace = %.1fx (target >= 5x)"
      % (m / c, e / c))
PYEOF
exit $status
