"""A full disk under cdnpipe: `build` into a DIST on a small tmpfs, and `sync`
from S3 into a local folder on a small tmpfs (issue 15).

Each case runs in a private mount namespace (`unshare -m`): a tmpfs is
mounted on a folder of this test, and one shell script does everything that
must see it - a first run that fits, a second that does not, copies of the
folder after each (`cp -a` out to the test's own tree), then the same folder
remounted with space and the next run.  Checked from outside, against runs
made on the ordinary disk:

  * the run that fills the disk exits 1 with an error that names a path
    inside the full folder and says "No space left on device";
  * nothing corrupt is left: every file under a final name is either the
    earlier good version (unchanged) or a complete new one; no temporary
    file is left behind; compressed siblings decode to their plain file;
  * the next run with space exits 0 and leaves exactly what a clean run
    leaves.
"""
import gzip
import os
import random
import re
import shlex
import shutil
import subprocess
import time

import brotli
import pytest

from conftest import BINARY

pytest_plugins = ["s3fixtures"]

TMP_RE = re.compile(r"\.tmp\.\d+\.\d+$")


def _can_mount_tmpfs(where):
    os.makedirs(where, exist_ok=True)
    try:
        p = subprocess.run(["unshare", "-m", "sh", "-c",
                            f"mount -t tmpfs -o size=64k tmpfs {shlex.quote(str(where))}"],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    return None if p.returncode == 0 else (p.stderr.strip() or f"exit {p.returncode}")


@pytest.fixture
def mnt(tmp_path):
    d = tmp_path / "mnt"
    why = _can_mount_tmpfs(d)
    if why is not None:
        pytest.skip(f"cannot mount a tmpfs in a private mount namespace: {why}")
    return d


def in_namespace(script, env=None, timeout=120):
    """Runs a shell script (set -e off: it records exit codes itself) in a
    private mount namespace."""
    return subprocess.run(["unshare", "-m", "sh", "-c", script], env=env, capture_output=True,
                          text=True, timeout=timeout)


def snapshot(d):
    """{relative path: bytes} of every regular file under d."""
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, d)] = fh.read()
    return out


def du_kib(d):
    """Space the files under d take on a tmpfs: whole pages per inode."""
    seen, total = set(), 0
    for root, dirs, files in os.walk(d):
        total += 4 * len(dirs)
        for f in files:
            st = os.lstat(os.path.join(root, f))
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                total += (st.st_size + 4095) // 4096 * 4
    return total


def rcs(stdout):
    return dict(re.findall(r"^(\w+)=(\d+)$", stdout, re.M))


def assert_siblings_match(files, where):
    for rel, data in files.items():
        for suffix, dec in ((".gz", gzip.decompress), (".br", brotli.decompress)):
            if rel + suffix in files:
                assert dec(files[rel + suffix]) == data, f"{where}: {rel}{suffix} is stale"


def assert_enospc_error(stderr, folder):
    # build: "error: PATH: ..."; sync: "failed: KEY: ..." per key
    errors = [ln for ln in stderr.splitlines() if ln.startswith(("error:", "failed:"))]
    assert errors, stderr
    for ln in errors:
        assert "No space left on device" in ln, ln
        assert str(folder) + "/" in ln, f"the error names no path in {folder}: {ln}"


# ---------------------------------------------------------------- build


def make_site(root, seed):
    """CSS that references an image, JS, binaries."""
    r = random.Random(seed)
    os.makedirs(root / "css", exist_ok=True)
    os.makedirs(root / "js", exist_ok=True)
    os.makedirs(root / "img", exist_ok=True)
    (root / "css" / "app.css").write_text(
        "body{background:url(../img/logo.bin)}\n" +
        "".join(".c%d{color:#%06x;margin:%dpx}\n" % (i, r.randrange(1 << 24), i)
                for i in range(1500)))
    (root / "js" / "app.js").write_text(
        "".join("function f%d(a){return a*%d+%d}\n" % (i, r.randrange(1000), i)
                for i in range(800)))
    (root / "img" / "logo.bin").write_bytes(r.randbytes(30000))
    (root / "img" / "photo.bin").write_bytes(r.randbytes(30000))


def test_build_into_full_dist(mnt, tmp_path, cdnpipe_bin):
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    make_site(v1, 1)
    # v2: a changed script and image (written first: the biggest work goes
    # first), and a new file that does not fit
    shutil.copytree(v1, v2)
    with open(v2 / "js" / "app.js", "a") as f:
        f.write("function changed(){return 2}\n")
    (v2 / "img" / "photo.bin").write_bytes(random.Random(3).randbytes(30000))
    (v2 / "img" / "huge.bin").write_bytes(random.Random(4).randbytes(400 << 10))
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))

    # References, on the ordinary disk: v1 alone, and v2 over v1.
    ref = tmp_path / "ref"
    for src in (v1, v2):
        p = subprocess.run([cdnpipe_bin, "build", "-q", "--no-cache", str(src), "-o", str(ref)],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        if src == v1:
            ref_v1 = snapshot(ref)
            size = du_kib(ref) + 96  # v1 fits, v2's huge.bin does not
    ref_v2 = snapshot(ref)

    out = tmp_path / "out"
    out.mkdir()
    dist = mnt / "dist"
    q = shlex.quote
    build = f"{q(cdnpipe_bin)} build -q"
    script = f"""
mount -t tmpfs -o size={size}k tmpfs {q(str(mnt))} || exit 99
{build} {q(str(v1))} -o {q(str(dist))}; echo first=$?
cp -a {q(str(dist))} {q(str(out / "before"))}
{build} {q(str(v2))} -o {q(str(dist))}; echo full=$?
cp -a {q(str(dist))} {q(str(out / "after"))}
umount {q(str(mnt))}
mount -t tmpfs -o size=16m tmpfs {q(str(mnt))}
cp -a {q(str(out / "after"))} {q(str(dist))}
{build} {q(str(v2))} -o {q(str(dist))}; echo next=$?
cp -a {q(str(dist))} {q(str(out / "next"))}
"""
    p = in_namespace(script, env=env)
    got = rcs(p.stdout)
    assert got == {"first": "0", "full": "1", "next": "0"}, (p.stdout, p.stderr)
    assert_enospc_error(p.stderr, dist)

    before, after = snapshot(out / "before"), snapshot(out / "after")
    assert before == ref_v1
    for rel, data in before.items():  # the earlier good build is untouched
        assert after.get(rel) == data, f"{rel} changed by the failed build"
    for rel, data in after.items():  # anything new is whole
        assert not TMP_RE.search(rel), f"temporary file left: {rel}"
        if rel not in before:
            assert ref_v2.get(rel) == data, f"{rel}: not what a good build writes"
    assert_siblings_match(after, "after the full disk")
    assert snapshot(out / "next") == ref_v2


# ---------------------------------------------------------------- sync s3 -> local


def put(s3, s3_check, bucket, files):
    for key, data in files.items():
        s3_check.put_object(Bucket=bucket, Key=key, Body=data)
    for key, data in files.items():
        s3.wait_settled(bucket, key, size=len(data))


def test_download_into_full_folder(mnt, tmp_path, s3, s3_bucket, s3_check, cdnpipe_env):
    r = random.Random(7)
    v1 = {"m/keep.txt": b"keep me\n" * 100, "m/change.bin": r.randbytes(20000),
          "m/d/a.bin": r.randbytes(30000)}
    put(s3, s3_check, s3_bucket, v1)
    media = mnt / "media"
    out = tmp_path / "out"
    q = shlex.quote
    sync = (f"{q(BINARY)} sync --no-progress s3://{s3_bucket}/m {q(str(media))} "
            f"--concurrency 2")

    # The first sync fits; then the bucket gets a new version of one file and
    # one object bigger than what is left.
    v2 = dict(v1)
    v2["m/change.bin"] = r.randbytes(24000)
    v2["m/d/huge.bin"] = r.randbytes(300 << 10)
    script_1 = f"""
mount -t tmpfs -o size=160k tmpfs {q(str(mnt))} || exit 99
{sync}; echo first=$?
cp -a {q(str(media))} {q(str(out / "before"))}
touch {q(str(out / "ready"))}
"""
    # One namespace per phase would lose the tmpfs: the bucket is changed
    # from here while the script waits for a signal file.
    go = tmp_path / "go"
    script = script_1 + f"""
while [ ! -e {q(str(go))} ]; do sleep 0.05; done
{sync}; echo full=$?
cp -a {q(str(media))} {q(str(out / "after"))}
umount {q(str(mnt))}
mount -t tmpfs -o size=16m tmpfs {q(str(mnt))}
cp -a {q(str(out / "after"))} {q(str(media))}
{sync}; echo next=$?
cp -a {q(str(media))} {q(str(out / "next"))}
"""
    out.mkdir()
    proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script], env=cdnpipe_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / "ready").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        put(s3, s3_check, s3_bucket, {k: v for k, v in v2.items() if v1.get(k) != v})
        go.touch()
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    got = rcs(stdout)
    assert got == {"first": "0", "full": "1", "next": "0"}, (stdout, stderr)
    assert_enospc_error(stderr, media)

    strip = {k[2:]: v for k, v in v1.items()}
    want = {k[2:]: v for k, v in v2.items()}
    before, after = snapshot(out / "before"), snapshot(out / "after")
    assert before == strip
    for rel, data in after.items():
        assert not TMP_RE.search(rel), f"temporary file left: {rel}"
        # each file is the old version or the whole new one
        assert data in (strip.get(rel), want.get(rel)), f"{rel}: neither old nor new"
    for rel in before:
        assert rel in after, f"{rel} lost"
    assert snapshot(out / "next") == want

