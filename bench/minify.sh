#!/bin/sh
# bench/minify.sh - the CSS minifier against esbuild and lightningcss, side by side.
#
# On every CSS file of ../shared/corpus/static (relative to the repo root;
# CDNPIPE_CORPUS overrides): bytes raw and after gzip -9 for cdnpipe,
# `esbuild --minify` and `lightningcss --minify`; the Chromium CSSOM oracle
# (tests/integration/test_css_oracle.py) on every file for each tool; and the
# CPU time (user+sys, one core via taskset) of one process minifying the whole
# corpus, cdnpipe against esbuild, median of RUNS runs.
# Issue 16's 20 framework stylesheets are another corpus (CDNPIPE_CORPUS=DIR):
# the unminified CSS of the npm packages animate.css, bootstrap (bootstrap,
# -grid, -reboot), bulma, @fortawesome/fontawesome-free (all, v4-shims),
# foundation-sites, materialize-css, milligram, normalize.css, @picocss/pico,
# @primer/css (primer), purecss (pure), spectre.css (spectre, -icons),
# tachyons, tailwindcss (index, preflight) and uikit.
# Targets (issue 4): total gzip <= 1.02x lightningcss; throughput >= 5x esbuild.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CDNPIPE_CORPUS:-$here/../shared/corpus/static}
runs=${RUNS:-7}
bin=$here/tools/node/node_modules/.bin
cdnpipe=$here/build/cdnpipe
py=/usr/bin/python3

if [ ! -d "$corpus" ]; then
	echo "bench/minify.sh: no corpus at $corpus; skipped"
	exit 0
fi
for t in "$cdnpipe" "$bin/esbuild" "$bin/lightningcss"; do
	[ -x "$t" ] || { echo "bench/minify.sh: $t missing (make; scripts/install-deps.sh bench)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$corpus" -name '*.css' -type f | LC_ALL=C sort >"$work/files"
nfiles=$(wc -l <"$work/files")
[ "$nfiles" -gt 0 ] || { echo "bench/minify.sh: no CSS under $corpus; skipped"; exit 0; }
mkdir -p "$work/cdnpipe" "$work/esbuild" "$work/lightningcss"

# Outputs, one file per input (flattened names keep them apart).
k=0
while read -r f; do
	k=$((k + 1))
	n=$(printf '%03d' $k)
	"$cdnpipe" minify "$f" -o "$work/cdnpipe/$n.css"
	"$bin/esbuild" --minify --log-level=error --loader=css <"$f" >"$work/esbuild/$n.css"
	# a parse error stops lightningcss (Foundation, Tachyons): recovering as
	# browsers do is the fair comparison; refused even then, count it unminified
	"$bin/lightningcss" --minify "$f" -o "$work/lightningcss/$n.css" 2>/dev/null ||
		"$bin/lightningcss" --minify --error-recovery "$f" -o "$work/lightningcss/$n.css" 2>/dev/null ||
		cp "$f" "$work/lightningcss/$n.css"
done <"$work/files"

# Sizes table.
echo "CSS minify, corpus $corpus ($nfiles files); bytes raw / gzip -9"
printf '%-44s %9s %9s %9s %9s | %7s %7s %7s %7s | %6s\n' file input cdnpipe esbuild lightning \
	input cdnpipe esbuild lightning gz/lcss
k=0
: >"$work/sizes"
while read -r f; do
	k=$((k + 1))
	n=$(printf '%03d' $k)
	set -- "$f" "$work/cdnpipe/$n.css" "$work/esbuild/$n.css" "$work/lightningcss/$n.css"
	line=""
	for x in "$@"; do line="$line $(wc -c <"$x")"; done
	for x in "$@"; do line="$line $(gzip -9 <"$x" | wc -c)"; done
	echo "$line" >>"$work/sizes"
	rel=${f#"$corpus"/}
	# shellcheck disable=SC2086
	ratio=$(echo $line | awk '{printf "%.3f", $6 / $8}')
	# shellcheck disable=SC2086
	printf '%-44.44s %9d %9d %9d %9d | %7d %7d %7d %7d | %6s\n' "$rel" $line "$ratio"
done <"$work/files"
awk '{for (i = 1; i <= 8; i++) s[i] += $i}
END {
	printf "%-44s %9d %9d %9d %9d | %7d %7d %7d %7d\n", "TOTAL", s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]
	printf "raw  size ratio cdnpipe/lightningcss %.4f   cdnpipe/esbuild %.4f\n", s[2] / s[4], s[2] / s[3]
	printf "gzip size ratio cdnpipe/lightningcss %.4f   cdnpipe/esbuild %.4f   (target <= 1.02 vs lightningcss)\n", s[6] / s[8], s[6] / s[7]
}' "$work/sizes"

# Oracle: every corpus file, each tool's output against the original.
echo
echo "Chromium CSSOM oracle (original vs minified, every file):"
for tool in cdnpipe esbuild lightningcss; do
	set --
	k=0
	while read -r f; do
		k=$((k + 1))
		set -- "$@" "$f" "$work/$tool/$(printf '%03d' $k).css"
	done <"$work/files"
	if out=$($py "$here/tests/integration/test_css_oracle.py" "$@" 2>&1); then
		echo "  $tool: all $nfiles files equal"
	else
		bad=$(printf '%s\n' "$out" | grep -c ': .* triples lost' || true)
		echo "  $tool: $bad of $nfiles files differ"
		printf '%s\n' "$out" | sed 's/^/    /' | cut -c1-300
	fi
done

# CPU time, one core, whole corpus per process.
echo
echo "CPU time (user+sys, taskset -c 0), whole corpus in one process, median of $runs:"
mkdir -p "$work/t-cdnpipe" "$work/t-esbuild"
$py - "$runs" "$work" "$cdnpipe" "$bin/esbuild" <<'EOF'
import os, resource, statistics, subprocess, sys
runs, work, cdnpipe, esbuild = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
files = open(os.path.join(work, "files")).read().split("\n")[:-1]
total = sum(os.path.getsize(f) for f in files)
cmds = {
    "cdnpipe": ["taskset", "-c", "0", cdnpipe, "minify", *files, "-o", os.path.join(work, "t-cdnpipe") + "/"],
    "esbuild": ["taskset", "-c", "0", esbuild, "--minify", "--log-level=error", *files,
                "--outdir=" + os.path.join(work, "t-esbuild")],
}
times = {k: [] for k in cmds}
for _ in range(runs):
    for name, cmd in cmds.items():  # interleaved: both see the same machine load
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
med = {k: statistics.median(v) for k, v in times.items()}
for k, v in med.items():
    print("  %-8s %8.1f ms  %7.1f MB/s" % (k, v * 1000, total / v / 1e6 if v else float("inf")))
print("  throughput ratio cdnpipe/esbuild: %.1fx   (target >= 5x)" % (med["esbuild"] / med["cdnpipe"]))
EOF

if [ -f "$here/bench/minify_js.sh" ]; then
	echo
	sh "$here/bench/minify_js.sh"
fi
