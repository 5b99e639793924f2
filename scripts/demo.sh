#!/bin/sh
# make demo: build the bundled example site and publish it to a local-folder
# target, then show what a template and a CDN would see.
set -eu
cd "$(dirname "$0")/.."
bin=build/cdnpipe
out=demo-out
rm -rf "$out"
mkdir -p "$out"
echo "== cdnpipe deploy examples/site file://$PWD/$out/bucket"
"$bin" deploy examples/site "file://$PWD/$out/bucket" --dist "$out/dist"
echo
echo "== the bucket (what the CDN serves)"
(cd "$out/bucket" && find . -type f | sort | sed 's|^\./|  |')
echo
echo "== staticfiles.json (what templates read)"
if [ -x /usr/bin/python3 ]; then
	/usr/bin/python3 -m json.tool "$out/bucket/staticfiles.json"
else
	cat "$out/bucket/staticfiles.json"
	echo
fi
echo
echo "== css/site.css after fingerprinting"
# the manifest as Django writes it: "css/site.css": "css/site.<hash>.css"
hashed=$(sed -n 's|.*"css/site.css": "\([^"]*\)".*|\1|p' "$out/bucket/staticfiles.json")
cat "$out/bucket/$hashed"
echo
echo
echo "== a second deploy changes nothing"
"$bin" deploy examples/site "file://$PWD/$out/bucket" --dist "$out/dist"
