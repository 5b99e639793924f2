"""Throttling at scale (issue 15): with 503 SlowDown on a share of requests,
the S3 client sends fewer requests at once, then recovers once the store
stops throttling, rather than retrying at full rate on top of the same load.

The timeline is the proxy's: each request's arrival and answer times, from
which the number in flight is read at every moment.
"""
import os

from conftest import BINARY

pytest_plugins = ["s3fixtures"]

import subprocess


def in_flight(reqs):
    """[(time, requests in flight from then on)] over the proxy's log."""
    ev = sorted([(r.time, 1) for r in reqs] + [(r.end, -1) for r in reqs])
    n, out = 0, []
    for t, d in ev:
        n += d
        out.append((t, n))
    return out


def peak(line, t0, t1):
    return max([n for t, n in line if t0 <= t < t1] or [0])


def test_throttling_halves_the_requests_in_flight_then_recovers(s3, s3_bucket, cdnpipe_env,
                                                                 tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    for i in range(900):
        (dist / f"f{i:04d}.txt").write_bytes(b"x" * 3000 + str(i).encode())
    # a phase of throttling in the middle: 20% of the PUTs of f0300..f0599
    # (seeded) answer SlowDown, at most 40 times, then none
    rule = s3.proxy.inject("slowdown", op="PutObject", rate=0.2, seed=7, times=40,
                           match=lambda q: "t/f0300" <= q.key < "t/f0600")
    p = subprocess.run([BINARY, "upload", "-v", "--concurrency", "16", str(dist),
                        f"s3://{s3_bucket}/t"], env=cdnpipe_env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert rule.hits == 40
    puts = [r for r in s3.proxy.log(op="PutObject") if r.key.startswith("t/f")]
    line = in_flight(puts)
    slow = sorted(r.end for r in puts if r.status == 503)
    first_cut, last_cut = slow[0], slow[-1]
    start, end = puts[0].time, max(r.end for r in puts)
    # full rate before the store said SlowDown ...
    assert peak(line, start, first_cut) >= 12, peak(line, start, first_cut)
    # ... at most half of it from a moment after the first SlowDown until the
    # last (one round for the answers already on their way) ...
    settle = first_cut + (first_cut - start) * 0.1 + 0.05
    assert peak(line, settle, last_cut) <= 8, (peak(line, settle, last_cut), line)
    # ... and back up once it stopped
    assert peak(line, last_cut, end) > peak(line, settle, last_cut)
    assert "throttled (SlowDown)" in p.stderr and "requests in flight went down to" in p.stderr
    # and everything arrived
    listed = s3.list_keys(s3_bucket, "t/")
    assert len([k for k in listed if k.startswith("t/f")]) == 900
