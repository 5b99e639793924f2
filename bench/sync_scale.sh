#!/bin/sh
# bench/sync_scale.sh (issue 17): `cdnpipe sync` at object counts no test
# bucket holds, against the synthetic listing server of the test suite
# (tests/integration/synthlist.py: ListObjectsV2 pages generated from a key
# count and a seed, nothing stored), measured with GNU time (-v): wall time
# and peak RSS of cdnpipe alone (the server is another process; its own CPU
# seconds are printed so a listing rate can be read against them).
#
#   s3->local   cdnpipe sync s3://bkt/m/ EMPTY --dry-run over SCALE_KEYS keys
#               (default 1,000,000)
#   local->s3   cdnpipe sync TREE s3://bkt/empty/ --dry-run, TREE holding
#               SCALE_FILES small files (default 300,000; written once into
#               a temporary folder, 1,000 per folder, removed afterwards)
#   10M         the first with 10,000,000 keys, only with SCALE_10M=1 (minutes)
#
# Targets (issue 17): peak RSS <= 64 MiB for each, and the 1M listing at least
# twice as fast as before issue 17 (370 MiB / 13 s and 124 MiB then).
# Knobs: SCALE_KEYS, SCALE_FILES, SCALE_10M, SCALE_ARGS (extra sync options),
# BENCH_CDNPIPE (the binary; default build/cdnpipe), BENCH_TMP.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_CDNPIPE:-$REPO/build/cdnpipe}
KEYS=${SCALE_KEYS:-1000000}
FILES=${SCALE_FILES:-300000}
PY=/usr/bin/python3
[ -x /usr/bin/time ] || { echo "sync_scale: GNU time (/usr/bin/time) is missing: skipped"; exit 0; }
[ -x "$BIN" ] || { echo "sync_scale: no $BIN (make first)"; exit 1; }
work=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/cdnpipe-scale.XXXXXX")
srv_pid=
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# start_server COUNT: the server on a free port; sets srv_pid and url.
start_server() {
	[ -n "$srv_pid" ] && { kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; }
	$PY "$REPO/tests/integration/synthlist.py" --count "$1" --seed 17 >"$work/url" &
	srv_pid=$!
	i=0
	while [ ! -s "$work/url" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	url=$(head -1 "$work/url")
}

server_cpu() { # user+system seconds of the server so far
	awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$srv_pid/stat"
}

# measure NAME ARGS...: one run of cdnpipe, its wall time and peak RSS.
measure() {
	name=$1; shift
	mkdir -p "$work/cache"
	env -i PATH="$PATH" HOME="$work" XDG_CACHE_HOME="$work/cache" \
		AWS_ACCESS_KEY_ID=SYNTH AWS_SECRET_ACCESS_KEY=SYNTHSECRET AWS_REGION=us-east-1 \
		AWS_ENDPOINT_URL="$url" AWS_EC2_METADATA_DISABLED=true \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		/usr/bin/time -v -o "$work/time" "$BIN" sync "$@" --dry-run --no-progress ${SCALE_ARGS:-} \
		>"$work/out" 2>"$work/err" || { echo "$name: cdnpipe failed:"; tail -5 "$work/err"; return 1; }
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
	lines=$(wc -l <"$work/out")
	printf '%-10s wall %8s  peak RSS %6.1f MiB  %8d plan lines  (server CPU %ss)\n' \
		"$name" "$wall" "$(echo "$rss" | awk '{print $1 / 1024}')" "$lines" "$(server_cpu)"
	tail -1 "$work/err"
}

echo "sync_scale: $BIN; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$work/empty"
start_server "$KEYS"
measure "s3->local" "s3://bkt/m/" "$work/empty"

$PY - "$work/tree" "$FILES" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d.txt" % i), "w") as f:
        f.write("x%d\n" % i)
EOF
measure "local->s3" "$work/tree" "s3://bkt/empty/"
rm -rf "$work/tree"

if [ "${SCALE_10M:-0}" = 1 ]; then
	start_server 10000000
	measure "10M" "s3://bkt/m/" "$work/empty"
fi
