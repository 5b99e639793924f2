"""`kill -9` of cdnpipe at seeded random points (issue 15): during a build, a
deploy (to s3rver behind the SigV4 proxy), a sync up (local -> S3) and a
sync down (S3 -> local); then the state left is checked and the same
command run again, which must converge to exactly what a clean run leaves.

Kill points.  A build is killed after a seeded delay spread over the
duration of a clean build measured first.  Deploy and sync are killed at
the Nth request the proxy sees (N seeded, spread over a clean run's
request count), from the proxy's own fault hook, so the kill lands
while that request is in flight whatever the machine's speed; a
dedicated case kills a multipart upload after its first part is in.

What "not corrupt" means here:
  * DIST: every file under a final name is the earlier build's or the new
    build's version of it, whole; .gz/.br siblings decode to their plain
    file; a staticfiles.json names only files that are there; anything
    else is one of cdnpipe's temporary names (`name.tmp.PID.N`), which its
    own walk skips.
  * the bucket: a live manifest only names objects that are there, whole;
  * a local sync destination: every file under a final name is whole;
  * the sync state file and journals: the next run reads them and exits 0;
  * multipart: no upload is left on the server after the next run (s3rver
    keeps one folder per upload not completed; the proxy answers aborts and
    records them), whether the next run resumed or aborted it.
"""
import gzip
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time

import brotli

from conftest import BINARY

pytest_plugins = ["s3fixtures"]

SEEDS = [1, 2, 3, 4, 5]
TMP_RE = re.compile(r"\.tmp\.\d+\.\d+$")
MiB = 1 << 20


def snapshot(d, tmp=False):
    """{rel: bytes} of the files under d; cdnpipe's temporary names are left
    out unless tmp (then only they are returned)."""
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, d)
            if bool(TMP_RE.search(rel)) != tmp:
                continue
            with open(p, "rb") as fh:
                out[rel] = fh.read()
    return out


def run(env, *args, timeout=120):
    return subprocess.run([BINARY, *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=timeout)


def assert_siblings(files, where):
    for rel, data in files.items():
        for suffix, dec in ((".gz", gzip.decompress), (".br", brotli.decompress)):
            if rel + suffix in files:
                assert dec(files[rel + suffix]) == data, f"{where}: {rel}{suffix} is stale"


# ---------------------------------------------------------------- build


def write_site(root, version):
    r = random.Random(version)
    for d in ("css", "js", "img"):
        os.makedirs(root / d, exist_ok=True)
    (root / "css" / "app.css").write_text(
        "@import url(base.css);\nbody{background:url(../img/a.bin)}\n" +
        "".join(".c%d{color:#%06x;margin:%dpx}\n" % (i, r.randrange(1 << 24), i)
                for i in range(12000)))
    (root / "css" / "base.css").write_text(
        "".join(".b%d{padding:%dpx}\n" % (i, r.randrange(99)) for i in range(4000)))
    (root / "js" / "app.js").write_text(
        "".join("function f%d(a){return a*%d+%d}\n" % (i, r.randrange(1000), i)
                for i in range(9000)))
    for i in range(6):
        (root / "img" / f"{'ab'[i % 2]}{i}.bin").write_bytes(r.randbytes(20000))
    (root / "img" / "a.bin").write_bytes(r.randbytes(30000))


def check_dist(dist, ref_old, ref_new, where):
    files = snapshot(dist)
    for rel, data in files.items():
        assert data in (ref_old.get(rel), ref_new.get(rel)), \
            f"{where}: {rel} is neither the old nor the new build's"
    assert_siblings(files, where)
    if "staticfiles.json" in files:
        for hashed in json.loads(files["staticfiles.json"])["paths"].values():
            assert hashed in files, f"{where}: staticfiles.json names missing {hashed}"


def test_kill_build(tmp_path):
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    write_site(v1, 1)
    write_site(v2, 2)
    env = dict(os.environ)
    ref = tmp_path / "ref"
    env["XDG_CACHE_HOME"] = str(tmp_path / "refcache")
    assert run(env, "build", "-q", v1, "-o", ref).returncode == 0
    ref_v1 = snapshot(ref)
    base = tmp_path / "base"
    shutil.copytree(ref, base)
    t0 = time.monotonic()
    assert run(env, "build", "-q", v2, "-o", ref).returncode == 0
    took = time.monotonic() - t0
    ref_v2 = snapshot(ref)

    for seed in SEEDS:
        rng = random.Random(seed)
        dist = tmp_path / f"dist{seed}"
        shutil.copytree(base, dist)
        env["XDG_CACHE_HOME"] = str(tmp_path / f"cache{seed}")  # cold: compresses
        proc = subprocess.Popen([BINARY, "build", "-q", str(v2), "-o", str(dist)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.02, took * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        where = f"seed {seed}, killed build"
        check_dist(dist, ref_v1, ref_v2, where)
        p = run(env, "build", "-q", v2, "-o", dist)
        assert p.returncode == 0, (where, p.stderr)
        assert snapshot(dist) == ref_v2, f"seed {seed}: the next build did not converge"


# ---------------------------------------------------------------- S3 helpers


def leaked_uploads(s3, bucket):
    """Multipart uploads s3rver still holds that the proxy has not aborted
    and that cdnpipe knew of.  An upload whose CreateMultipartUpload answer
    never reached cdnpipe (killed while it was in flight) is one no client
    can name (S3 has no client-chosen upload ids): that is what
    `sync --abort-incomplete` and a bucket lifecycle rule are for, so it is
    not counted.  Known = named by a later request (a part, a complete, an
    abort), which is what the journal or the upload note lets the next run
    do."""
    d = s3.server.data / bucket / "._S3rver_uploads"
    ids = set(os.listdir(d)) if d.is_dir() else set()
    known = {r.query["uploadId"] for r in s3.proxy.log(bucket=bucket) if "uploadId" in r.query}
    return (ids & known) - {u for _, _, u in s3.proxy.aborted}


def bucket_files(s3, bucket, prefix, skip=".cdnpipe/"):
    keys = s3.list_keys(bucket, prefix)
    return {k[len(prefix):]: s3.get_bytes(bucket, k, size=n) for k, n in keys.items()
            if not k[len(prefix):].startswith(skip)}


class KillAt:
    """Kills proc when the proxy sees its Nth request (counted from arm())."""

    def __init__(self, s3, n):
        self.n, self.seen, self.proc, self.op = n, 0, None, None
        s3.proxy.inject("delay", delay=0.0, match=self._match)

    def _match(self, req):
        if self.proc is None:
            return False
        self.seen += 1
        if self.seen == self.n:
            self.op = req.op
            self.proc.send_signal(signal.SIGKILL)
            return True
        return False


def killed(s3, env, args, n, timeout=60):
    """Starts cdnpipe with args, kills it at request n; returns the op hit."""
    k = KillAt(s3, n)
    proc = subprocess.Popen([BINARY, *map(str, args)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    k.proc = proc
    try:
        proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    s3.proxy.clear_faults()
    return k.op if k.seen >= n else None


# ---------------------------------------------------------------- deploy


def write_deploy_site(root):
    write_site(root, 5)
    with open(root / "img" / "video.bin", "wb") as f:  # multipart: 11 MiB
        f.write(random.Random(6).randbytes(11 * MiB))


DEPLOY_OPTS = ["--multipart-threshold", "5M", "--concurrency", "4", "-q"]


def check_live(s3, bucket, prefix, ref, where):
    keys = s3.list_keys(bucket, prefix)
    if prefix + "staticfiles.json" not in keys:
        return
    live = json.loads(s3.get_bytes(bucket, prefix + "staticfiles.json"))
    for hashed in live["paths"].values():
        assert prefix + hashed in keys, f"{where}: live manifest names missing {hashed}"
        assert s3.get_bytes(bucket, prefix + hashed, size=len(ref[hashed])) == ref[hashed], \
            f"{where}: {hashed} is not whole"


def test_kill_deploy(s3, cdnpipe_env, tmp_path):
    src = tmp_path / "site"
    write_deploy_site(src)
    ref_dist = tmp_path / "ref"
    clean = s3.new_bucket("kill-deploy-clean")
    s3.reset()
    p = run(cdnpipe_env, "deploy", src, f"s3://{clean}/static", "--dist", ref_dist, *DEPLOY_OPTS)
    assert p.returncode == 0, p.stderr
    total = s3.proxy.count(bucket=clean)
    assert s3.proxy.count(op="UploadPart") >= 2
    ref = snapshot(ref_dist)
    want = bucket_files(s3, clean, "static/")
    assert want == ref

    ops = []
    for seed in SEEDS:
        rng = random.Random(seed)
        bucket = s3.new_bucket(f"kill-deploy-{seed}")
        s3.reset()
        n = rng.randint(1, total)
        args = ["deploy", src, f"s3://{bucket}/static", *DEPLOY_OPTS]
        ops.append(killed(s3, cdnpipe_env, args, n))
        where = f"seed {seed}: deploy killed at request {n} ({ops[-1]})"
        check_live(s3, bucket, "static/", ref, where)
        p = run(cdnpipe_env, *args)
        assert p.returncode == 0, (where, p.stderr)
        assert bucket_files(s3, bucket, "static/") == want, where
        assert leaked_uploads(s3, bucket) == set(), f"{where}: multipart upload left"
    assert any(ops), ops


def test_kill_deploy_during_multipart(s3, cdnpipe_env, tmp_path):
    src = tmp_path / "site"
    write_deploy_site(src)
    bucket = s3.new_bucket("kill-deploy-mpu")
    args = ["deploy", src, f"s3://{bucket}/static", *DEPLOY_OPTS]
    s3.proxy.inject("delay", op="UploadPart", delay=0.5)
    proc = subprocess.Popen([BINARY, *map(str, args)], env=cdnpipe_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while s3.proxy.count(op="UploadPart", status=200) < 1:
        assert proc.poll() is None, "finished before the kill"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    s3.proxy.clear_faults()
    assert s3.proxy.count(op="CompleteMultipartUpload") == 0
    assert leaked_uploads(s3, bucket), "the kill left no upload to clean"
    check_live(s3, bucket, "static/", {}, "killed mid-multipart")
    p = run(cdnpipe_env, *args)
    assert p.returncode == 0, p.stderr
    assert leaked_uploads(s3, bucket) == set(), "the killed multipart upload was left"
    dist = tmp_path / "ref"
    assert run(cdnpipe_env, "build", "-q", src, "-o", dist).returncode == 0
    assert bucket_files(s3, bucket, "static/") == snapshot(dist)


# ---------------------------------------------------------------- sync


def write_media(root):
    r = random.Random(11)
    files = {f"d{i % 4}/f{i}.bin": r.randbytes(r.randrange(100, 30000)) for i in range(40)}
    files["big/video.bin"] = r.randbytes(12 * MiB)  # 3 parts of 5 MiB
    for rel, data in files.items():
        os.makedirs(root / os.path.dirname(rel), exist_ok=True)
        (root / rel).write_bytes(data)
    return files


SYNC_OPTS = ["--multipart-threshold", "5M", "--part-size", "5M", "--concurrency", "4",
             "--no-progress"]


def test_kill_sync_up(s3, cdnpipe_env, tmp_path):
    src = tmp_path / "media"
    files = write_media(src)
    clean = s3.new_bucket("kill-up-clean")
    s3.reset()
    p = run(cdnpipe_env, "sync", src, f"s3://{clean}/m", *SYNC_OPTS)
    assert p.returncode == 0, p.stderr
    total = s3.proxy.count(bucket=clean)
    assert bucket_files(s3, clean, "m/") == files

    for seed in SEEDS:
        rng = random.Random(seed)
        bucket = s3.new_bucket(f"kill-up-{seed}")
        s3.reset()
        n = rng.randint(1, total)
        args = ["sync", src, f"s3://{bucket}/m", *SYNC_OPTS]
        op = killed(s3, cdnpipe_env, args, n)
        where = f"seed {seed}: sync up killed at request {n} ({op})"
        for rel, data in bucket_files(s3, bucket, "m/", skip="\0").items():
            assert files.get(rel) == data, f"{where}: {rel} is not whole"
        p = run(cdnpipe_env, *args)
        assert p.returncode == 0, (where, p.stderr)
        assert "state" not in p.stderr and "journal" not in p.stderr, (where, p.stderr)
        assert bucket_files(s3, bucket, "m/", skip="\0") == files, where
        assert leaked_uploads(s3, bucket) == set(), f"{where}: multipart upload left"


def test_kill_sync_down(s3, cdnpipe_env, tmp_path):
    src = tmp_path / "media"
    files = write_media(src)
    bucket = s3.new_bucket("kill-down")
    p = run(cdnpipe_env, "sync", src, f"s3://{bucket}/m", *SYNC_OPTS)
    assert p.returncode == 0, p.stderr
    for rel, data in files.items():
        s3.wait_settled(bucket, "m/" + rel, size=len(data))
    s3.reset()
    first = tmp_path / "first"
    p = run(cdnpipe_env, "sync", f"s3://{bucket}/m", first, *SYNC_OPTS)
    assert p.returncode == 0, p.stderr
    total = s3.proxy.count(bucket=bucket)
    assert snapshot(first) == files

    for seed in SEEDS:
        rng = random.Random(seed)
        dst = tmp_path / f"down{seed}"
        s3.reset()
        n = rng.randint(1, total)
        args = ["sync", f"s3://{bucket}/m", dst, *SYNC_OPTS]
        op = killed(s3, cdnpipe_env, args, n)
        where = f"seed {seed}: sync down killed at request {n} ({op})"
        for rel, data in snapshot(dst).items():
            assert files.get(rel) == data, f"{where}: {rel} is not whole"
        p = run(cdnpipe_env, *args)
        assert p.returncode == 0, (where, p.stderr)
        assert snapshot(dst) == files, where
        # a temporary file the kill left is skipped (with a warning), never
        # taken for content; the run after leaves nothing new of its own
        left = snapshot(dst, tmp=True)
        assert all(TMP_RE.search(k) for k in left)
        p = run(cdnpipe_env, *args)
        assert p.returncode == 0 and snapshot(dst, tmp=True).keys() == left.keys(), where
