#!/bin/sh
# bench/sync.sh (issue 6): cdnpipe sync against aws s3 sync, s3cmd sync and
# rclone sync on one local s3rver, for the media tree that
# ../shared/corpus/make_media.py writes (about 840 MB: 2000 files of 1 KiB to
# 2 MiB, plus 64 MiB and 200 MiB files; written once into a temporary folder
# and removed afterwards): first run and no-change re-run, wall time, client
# CPU, peak memory, medians and ratios to awscli.  The work is done by
# bench/s3bench.py (see its header for the method and the BENCH_* knobs).
# Targets: first run <= 0.8x awscli wall, no-change <= 0.5x, peak RSS <= 64 MiB.
# Skips with a message when the generator is absent or the disk is too full.
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/s3bench.py" sync "$@"
