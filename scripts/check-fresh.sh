#!/bin/sh
# make check-fresh: prove the README's two set-up commands on a fresh Debian
# bookworm system, not on this (long since prepared) machine.
#
# A minimal root is made with `debootstrap --variant=minbase` from the Debian
# mirror this machine's apt uses; the bare root (before any project package)
# is cached as a tarball for a week, because building it is not what is being
# tested.  Into a fresh copy of it go the machine's network and package-client
# set-up (resolv.conf, the apt sources, npm's config files, extra CA
# certificates), copied and never read or printed here, and a clean
# `git archive` of the checkout.  Inside, as root, it runs what the README
# says a new user runs:
#
#     apt-get update && apt-get install -y make && make demo && make check
#
# and then the sanitizer run, `make check-asan` (issue 15), and fails when
# any of them fails.  Everything mounted is unmounted and
# the root removed on every way out (a trap).  Needs root and the mirror.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${CDNPIPE_CI_CACHE:-/var/cache/cdnpipe-ci}
work_base=${CDNPIPE_CI_WORK:-/var/tmp}
suite=bookworm
bare="$cache/$suite-minbase.tar"

say() { echo "check-fresh: $*"; }
die() { echo "check-fresh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts)"
if ! git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
	die "needs git and the git checkout (it tests a clean git archive of HEAD)"
fi

# The first non-security Debian mirror of the machine's apt set-up:
# deb822 files (URIs: / Suites:) first, then one-line sources.list entries.
mirror() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			uri = ""; suites = ""; types = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { uri = $i; sub(/^URIs:[ \t]*/, "", uri); sub(/[ \t].*/, "", uri) }
				if ($i ~ /^Suites:/) suites = $i
				if ($i ~ /^Types:/) types = $i
			}
			if (uri != "" && types ~ /(^|[ \t])deb([ \t]|$)/ && suites ~ /[ \t]bookworm([ \t]|$)/) { print uri; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) == "bookworm") { print $i; exit }
		}' "$f"
	done
}

ensure_bare() {
	if [ -f "$bare" ] && [ -n "$(find "$bare" -mtime -7 2>/dev/null)" ]; then
		say "bare root from the cache ($bare)"
		return
	fi
	url=$(mirror | head -n 1)
	[ -n "$url" ] || die "no Debian $suite mirror in /etc/apt/sources.list{,.d}"
	if ! command -v debootstrap >/dev/null; then
		say "installing debootstrap on this machine"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
	fi
	mkdir -p "$cache"
	tmp=$(mktemp -d "$work_base/cdnpipe-bare.XXXXXX")
	say "debootstrap --variant=minbase $suite from the configured mirror"
	if ! debootstrap --variant=minbase "$suite" "$tmp/root" "$url" >"$tmp/log" 2>&1; then
		tail -20 "$tmp/log" >&2
		rm -rf "$tmp"
		die "debootstrap failed"
	fi
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
	tar -C "$tmp/root" -cf "$bare.tmp" . && mv "$bare.tmp" "$bare"
	rm -rf "$tmp"
}

root=""
mounted=""
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	# Unmount in reverse order; a lazy unmount where a process still holds on.
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	if [ -n "$root" ]; then
		# Never recurse into anything still mounted below the root.
		if grep -q " $root/" /proc/mounts; then
			echo "check-fresh: $root still has mounts; left in place" >&2
		else
			rm -rf "$(dirname "$root")"
		fi
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount_in() { # type source target [options]
	mkdir -p "$root$3"
	if [ "$1" = bind ]; then
		mount --bind "$2" "$root$3"
		# nothing mounted below it inside the root may reach the host's tree
		mount --make-rslave "$root$3"
	else
		mount -t "$1" ${4:+-o "$4"} "$2" "$root$3"
	fi
	mounted="$root$3 $mounted"
}

# copy_in FILE: the file at the same path inside the root, unread.
copy_in() {
	[ -f "$1" ] || return 0
	mkdir -p "$root$(dirname "$1")"
	cp -p "$1" "$root$1"
}

t0=$(date +%s)
ensure_bare
dir=$(mktemp -d "$work_base/cdnpipe-ci.XXXXXX")
root="$dir/root"
mkdir -p "$root"
tar -C "$root" -xf "$bare"

mount_in proc proc /proc
mount_in sysfs sysfs /sys
mount_in bind /dev /dev
mount_in bind /dev/pts /dev/pts
mount_in tmpfs tmpfs /dev/shm mode=1777

# The machine's network and package-client set-up, as it is (a mirror that
# serves a snapshot needs its apt.conf.d settings as much as its sources).
copy_in /etc/resolv.conf
rm -f "$root/etc/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
	/etc/apt/apt.conf /etc/apt/apt.conf.d/*; do # sources, and how apt reaches them
	copy_in "$f"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do # keys the sources name
	[ -f "$f" ] || continue
	sed -n 's/.*[Ss]igned-[Bb]y[:=][ \t]*\([^] \t]*\).*/\1/p' "$f" | while read -r k; do
		[ -f "$root$k" ] || copy_in "$k"
	done
done
for f in /etc/npmrc /usr/etc/npmrc "$HOME/.npmrc"; do
	[ -f "$f" ] || continue
	case $f in
	"$HOME"/*) mkdir -p "$root/root" && cp -p "$f" "$root/root/${f#"$HOME"/}" ;;
	*) copy_in "$f" ;;
	esac
done
extra_ca=0
for f in /usr/local/share/ca-certificates/*; do
	[ -e "$f" ] || continue
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp -pr "$f" "$root/usr/local/share/ca-certificates/"
	extra_ca=1
done

mkdir -p "$root/src/cdnpipe"
git -C "$here" archive --format=tar HEAD | tar -C "$root/src/cdnpipe" -xf -

# Inside: what the README says, after the extra CAs are registered (that is
# the machine's network set-up: without them npm hangs on TLS).
cat >"$root/src/ci-inside.sh" <<'EOF'
set -eu
export DEBIAN_FRONTEND=noninteractive
cd /src/cdnpipe
step() { echo "check-fresh: == $* ($(date +%T))"; }
step apt-get update
apt-get update -qq
if [ "$1" = 1 ]; then
	step "ca-certificates + update-ca-certificates (the machine's extra CAs)"
	apt-get install -y -qq ca-certificates >/dev/null
	update-ca-certificates >/dev/null
fi
step apt-get install -y make
apt-get install -y make >/dev/null
step make demo
make demo
step make check
make check
step make check-asan
make check-asan
step done
EOF
say "running the README's commands in a fresh $suite root ($root)"
env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	LANG=C.UTF-8 TERM=dumb chroot "$root" /bin/sh /src/ci-inside.sh "$extra_ca"
say "passed in $(($(date +%s) - t0)) s"
