#!/bin/sh
# bench/identical.sh OLD_BINARY [NEW_BINARY] - the redesign's promise, checked:
# the same inputs give byte-identical DIST trees from two builds of cdnpipe.
#
# Builds ../shared/corpus/static (when present) and every test fixture tree
# with a few option sets, with each binary, then compares every file of DIST
# byte for byte (cmp) and the file lists.  Also compares `cdnpipe minify`
# output on each CSS/JS fixture.  Exit 0 when everything matches.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
OLD=$1
NEW=${2:-$REPO/build/cdnpipe}
CORPUS=${BENCH_CORPUS:-$REPO/../shared/corpus/static}
work=$(mktemp -d "${TMPDIR:-/tmp}/cdnpipe-identical.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0 n=0

run_pair() { # name, then the build arguments after "build -q"
	name=$1; shift
	for side in old new; do
		bin=$OLD; [ $side = new ] && bin=$NEW
		rc=0
		"$bin" build -q "$@" -o "$work/$side/$name" >"$work/$side.$name.out" 2>&1 || rc=$?
		echo "$rc" >"$work/$side.$name.rc"
	done
	if ! cmp -s "$work/old.$name.rc" "$work/new.$name.rc"; then
		echo "DIFFER $name: exit $(cat "$work/old.$name.rc") vs $(cat "$work/new.$name.rc")"; fail=1; return
	fi
	if ! diff -r -q "$work/old/$name" "$work/new/$name" >"$work/diff" 2>&1; then
		echo "DIFFER $name:"; head -20 "$work/diff"; fail=1; return
	fi
	files=$(find "$work/new/$name" -type f 2>/dev/null | wc -l)
	n=$((n + files))
	echo "same   $name ($files files, exit $(cat "$work/new.$name.rc"))"
}

for opts in "" "--no-minify" "--source-map" "--only-hashed --compress gzip" "--django-manifest-version 1.0 --compress none"; do
	tag=$(echo "x$opts" | tr -c 'a-z0-9\n' '_')
	[ -d "$CORPUS" ] && run_pair "corpus$tag" $opts "$CORPUS"
	for src in "$REPO"/tests/fixtures/build/site "$REPO"/tests/fixtures/parity/static "$REPO"/tests/fixtures/upload/site; do
		[ -d "$src" ] && run_pair "$(basename "$(dirname "$src")")$tag" $opts "$src"
	done
done

for f in "$REPO"/tests/fixtures/css/*.css "$REPO"/tests/fixtures/js/*.js; do
	[ -f "$f" ] || continue
	a=$("$OLD" minify "$f" 2>&1 | md5sum) || true
	b=$("$NEW" minify "$f" 2>&1 | md5sum) || true
	n=$((n + 1))
	[ "$a" = "$b" ] || { echo "DIFFER minify $f"; fail=1; }
done

[ $fail = 0 ] && echo "identical: $n files and minify outputs compared, all the same" || echo "identical: DIFFERENCES"
exit $fail
