#!/bin/sh
# Installs what cdnpipe needs to build, test and benchmark on Debian bookworm.
# Safe to run again: it installs only what is missing.
#
#   scripts/install-deps.sh build   compiler and -dev libraries
#   scripts/install-deps.sh check   + test tools (cmocka, pytest, Django, Rails, Symfony, boto3, s3rver, acorn, chromium)
#   scripts/install-deps.sh bench   + the peers the benchmarks compare against
set -eu
level=${1:-check}
here=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs="gcc make pkg-config libcurl4-openssl-dev libssl-dev zlib1g-dev libbrotli-dev libjansson-dev libinih-dev libsqlite3-dev"
# check: every package a test imports or runs (openssl: test_s3_client makes a
# certificate; ca-certificates: npm over TLS, Debian's Node trusting the system store).
# ruby-rails, ruby-sprockets-rails, php-cli, php-symfony-asset: the framework readers
# that test_manifest_readers.py checks the manifests with.
check_pkgs="libcmocka-dev python3-pytest python3-brotli python3-django python3-boto3 python3-botocore clang libclang-rt-14-dev nodejs chromium time openssl ca-certificates ruby-rails ruby-sprockets-rails php-cli php-symfony-asset"
bench_pkgs="python3-whitenoise awscli s3cmd rclone"

pkgs=$build_pkgs
case $level in
build) ;;
check) pkgs="$pkgs $check_pkgs" ;;
bench) pkgs="$pkgs $check_pkgs $bench_pkgs" ;;
*) echo "usage: $0 build|check|bench" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# Debian's nodejs comes without npm (a package of its own); other builds of
# Node carry it.  Ask for Debian's only where no npm is found.
if [ "$level" != build ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing Debian packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ "$level" = build ] && exit 0

# npm test tools, pinned, in a project-local folder (never global, never committed).
tools="$here/tools/node"
npm_pkgs="s3rver@3.7.1 acorn@8.14.0 test262-parser-tests@0.0.5"
[ "$level" = bench ] && npm_pkgs="$npm_pkgs esbuild@0.24.0 lightningcss-cli@1.28.2"
need=""
for spec in $npm_pkgs; do
	name=${spec%@*}
	want=${spec##*@}
	have=$(node -p "try{require('$tools/node_modules/$name/package.json').version}catch(e){''}" 2>/dev/null || true)
	[ "$have" = "$want" ] || need="$need $spec"
done
if [ -n "$need" ]; then
	command -v npm >/dev/null || { echo "install-deps: npm not found (Debian package nodejs)" >&2; exit 1; }
	echo "install-deps: npm installing$need"
	mkdir -p "$tools"
	# Every pinned package goes into package.json, so one install never prunes another's.
	deps=$(for spec in $npm_pkgs; do printf '"%s":"%s",' "${spec%@*}" "${spec##*@}"; done)
	printf '{"private":true,"dependencies":{%s}}\n' "${deps%,}" >"$tools/package.json"
	(cd "$tools" && npm install --no-package-lock --no-audit --no-fund --loglevel=error >/dev/null)
fi
