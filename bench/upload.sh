#!/bin/sh
# bench/upload.sh (issue 3): cdnpipe upload against aws s3 sync, s3cmd sync and
# rclone sync on one local s3rver, for ../shared/corpus/static built with
# cdnpipe build: first upload and no-change re-run, wall time, client CPU,
# peak memory, medians and ratios to awscli.  The work is done by
# bench/s3bench.py (see its header for the method and the BENCH_* knobs).
# Targets: first upload <= 0.5x awscli wall, no-change <= 0.3x, CPU <= 0.1x.
# Skips with a message when the corpus is absent.
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/s3bench.py" upload "$@"
