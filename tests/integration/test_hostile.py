"""Hostile answers and hostile names (issue 15, "Hostile and broken input").

1. S3 answers that are malformed, truncated, huge (20 MiB, streamed by
   fakes3.py), billion laughs, XXE, 100,000 deep, a 10 MB Key or invalid
   UTF-8, for a ListObjectsV2 page (sync and upload), an error body, an
   InitiateMultipartUpload / CompleteMultipartUpload answer and a
   DeleteObjects answer: cdnpipe exits 1 within 30 s with a message naming
   the bucket, is not killed by a signal, reports nothing under ASan
   (CDNPIPE_BUILD=build/asan), stays under a peak RSS bound (GNU time of that
   one child), never prints /etc/passwd, and deletes nothing.
2. Names: keys and files the README's "Names that cannot travel" rule skips
   with a warning, with the other files synced and nothing written outside
   the destination.
"""
import os
import re
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import BINARY, BUILD
from fakes3 import HOSTILE, fake  # noqa: F401 (the fixture)

TIMEOUT = 30
# Peak RSS of one run facing a 20 MiB answer.  The sanitizers' shadow memory
# and quarantine add their own (measured: about 3x).
RSS_MAX_MIB = 384 if "asan" in BUILD else 128
PASSWD = open("/etc/passwd").read().splitlines()[0]  # "root:x:0:0:..."


def run(env, *args):
    """(returncode, stdout, stderr, peak RSS in MiB) of one cdnpipe run.

    The peak comes from GNU time, not from this process's wait4: Linux keeps
    a process's high-water mark across exec, so a child forked from pytest
    (over 100 MiB after a long run) would report pytest's memory as its own.
    time is small, and cdnpipe is forked from it."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    with tempfile.NamedTemporaryFile("r") as rss:
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss.name, BINARY,
                              *map(str, args)], env=env, stdout=out, stderr=err)
        timer = threading.Timer(TIMEOUT, p.kill)
        timer.start()
        t0 = time.monotonic()
        p.wait()
        timer.cancel()
        assert time.monotonic() - t0 < TIMEOUT, "hung: killed after %d s" % TIMEOUT
        lines = rss.read().split()
    # "Command terminated by signal N" comes before the figure when it was
    m = re.search(r"terminated by signal (\d+)", " ".join(lines))
    rc = -int(m.group(1)) if m else p.returncode
    out.seek(0)
    err.seek(0)
    return (rc, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
            int(lines[-1]) / 1024)


def write(root, rel, data):
    p = os.path.join(os.fsencode(str(root)), os.fsencode(rel) if isinstance(rel, str) else rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)


def tree(root):
    """{relative path (bytes): content} of every file below root."""
    root = os.fsencode(str(root))
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            if not os.path.islink(p):
                out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


# ---- 1. hostile answers

# where: what the run does; the fake's op whose answer is replaced; words
# the message must hold (the bucket, and what was being done); and one of
# OP_WORDS[where], naming the answer that was refused
CASES = {
    "list": ("ListObjectsV2", 200, ("s3://bkt/m/", "listing")),
    "upload-list": ("ListObjectsV2", 200, ("s3://bkt/p/", "listing")),
    "error-body": ("ListObjectsV2", 403, ("s3://bkt", "listing")),
    "initiate": ("InitiateMultipartUpload", 200, ("bkt/p/",)),
    "complete": ("CompleteMultipartUpload", 200, ("bkt/p/",)),
    "delete": ("DeleteObjects", 200, ("bkt", "gone.txt")),
}

OP_WORDS = {"initiate": ("InitiateMultipartUpload", "CreateMultipartUpload", "over 16 MiB"),
            "complete": ("CompleteMultipartUpload", "over 16 MiB")}



def hostile_run(f, tmp_path, where):
    src = tmp_path / "src"
    for i in range(3):
        f.put("bkt", "m/f%d.txt" % i, b"x%d" % i)
        write(src, "f%d.txt" % i, b"x%d" % i)
    env = f.env(tmp_path)
    if where in ("list", "error-body"):
        return run(env, "sync", "s3://bkt/m", tmp_path / "dst", "--dry-run", "--retries", "1",
                   "--no-progress")
    if where == "upload-list":
        return run(env, "upload", src, "s3://bkt/p", "--retries", "1")
    if where in ("initiate", "complete"):  # every file (the markers too) in parts
        return run(env, "upload", src, "s3://bkt/p", "--retries", "1",
                   "--multipart-threshold", "1")
    f.put("bkt", "m/gone.txt", b"g")
    return run(env, "sync", src, "s3://bkt/m", "--delete", "--retries", "1", "--no-progress")


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("where", list(CASES))
def test_hostile_answer(fake, tmp_path, where, kind):
    op, status, words = CASES[where]
    f = fake({"hostile": {op: (kind, status)}})
    before = {k: o.body for k, o in f.objects("bkt").items()}
    rc, out, err, rss = hostile_run(f, tmp_path, where)
    assert rc > 0, (rc, out, err[-2000:])  # failed, and not by a signal
    assert "Sanitizer" not in err and "runtime error" not in err, err[-4000:]
    assert rss < RSS_MAX_MIB, "peak RSS %.0f MiB" % rss
    assert PASSWD not in out + err
    for w in words:
        assert w in err, (w, err[-2000:])
    if where in OP_WORDS:
        assert any(w in err for w in OP_WORDS[where]), err[-2000:]
    assert len(err) < 4000, err[:4000]  # a message, not the server's body
    # nothing deleted, nothing published half-way
    after = {k: o.body for k, o in f.objects("bkt").items()}
    for k, body in before.items():
        assert after.get(k) == body, k
    assert f.count("DeleteObject") == 0
    if where in ("list", "error-body", "upload-list"):
        assert f.count("PutObject") == 0 and not (tmp_path / "dst").exists()
    if where in ("initiate", "complete"):
        assert not f.uploads, "multipart uploads left open: %r" % f.uploads
        assert not any(k.startswith("p/f") for k in after), sorted(after)


def test_listing_bad_delete_local_side_keeps_everything(fake, tmp_path):
    """--delete --force into a folder: a hostile page is no listing to delete by."""
    for kind in ("laughs", "deep", "bad-utf8", "huge"):
        f = fake({"hostile": {"ListObjectsV2": kind}})
        dst = tmp_path / ("dst-" + kind)
        write(dst, "keep.txt", b"precious")
        rc, out, err, _ = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--delete", "--force",
                              "--retries", "1", "--no-progress")
        assert rc == 1, (kind, err)
        assert tree(dst) == {b"keep.txt": b"precious"}, kind


def test_nul_reference_in_a_key_is_no_shorter_key(fake, tmp_path, monkeypatch):
    """<Key>m/ok.txt&#0;x</Key> must not read as the key "m/ok.txt"."""
    import fakes3
    f = fake()
    f.put("bkt", "m/ok.txt", b"real")
    f.put("bkt", "m/ok.txt\x00x", b"shadow")
    esc = fakes3.escape
    monkeypatch.setattr(fakes3, "escape", lambda s: esc(s).replace("\x00", "&#0;"))
    dst = tmp_path / "dst"
    rc, out, err, _ = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--no-progress")
    assert rc == 0, err
    assert tree(dst) == {b"ok.txt": b"real"}
    assert "m/ok.txt\\xc0\\x80x" in err and "skipped" in err, err


# ---- 2. names that cannot travel (README, sync)

BAD_KEYS = ["/abs", "a/../../x", "a//b", "dir2/", "c\x01d", "a\nb", "tab\there", "del\x7f"]


def shown(name):
    return (name.replace("\n", "\\n").replace("\t", "\\t").replace("\x01", "\\x01")
            .replace("\x7f", "\\x7f"))


def test_unsafe_keys_are_skipped_downloading(fake, tmp_path):
    f = fake()
    f.put("bkt", "ok.txt", b"ok")
    f.put("bkt", "sub/p%00q", b"percent")  # a literal '%': a fine name
    f.put("bkt", "dir/", b"")  # a console's folder marker: nothing to say
    for k in BAD_KEYS:
        f.put("bkt", k, b"bad " + k.encode())
    dst = tmp_path / "work" / "dst"
    rc, out, err, _ = run(f.env(tmp_path), "sync", "s3://bkt", dst, "--no-progress")
    assert rc == 0, err
    for k in BAD_KEYS:
        assert "warning: %s: " % shown(k) in err and "skipped" in err, (k, err)
    assert "dir/" not in err.replace("dir2/", "")
    assert tree(dst) == {b"ok.txt": b"ok", b"sub/p%00q": b"percent"}
    # nothing anywhere else in the whole scratch tree holds a bad key's bytes
    for rel, data in tree(tmp_path).items():
        assert not data.startswith(b"bad "), rel
    # and a second run, --delete, keeps what is there and deletes nothing
    write(dst, "a\nb", b"local file of that name")
    rc, out, err, _ = run(f.env(tmp_path), "sync", "s3://bkt", dst, "--delete", "--no-progress")
    assert rc == 0, err
    assert (dst / "a\nb").read_bytes() == b"local file of that name"


def test_unsafe_local_names_are_skipped_uploading(fake, tmp_path):
    f = fake()
    src = tmp_path / "src"
    write(src, "ok.txt", b"ok")
    names = [b"a\nb.txt", b"bad\xff.txt", b"c\x01d.txt", b"dir\nx/in.txt"]
    for n in names:
        write(src, n, b"bad")
    f.put("bkt", "m/a\nb.txt", b"remote, kept")  # in the bucket: never deleted either
    env = f.env(tmp_path)
    rc, out, err, _ = run(env, "sync", src, "s3://bkt/m", "--delete", "--no-progress")
    assert rc == 0, err
    for s in ("a\\nb.txt", "bad\\xff.txt", "c\\x01d.txt", "dir\\nx"):
        assert s in err, (s, err)
    assert sorted(f.objects("bkt")) == ["m/a\nb.txt", "m/ok.txt"]
    rc, out, err, _ = run(env, "upload", src, "s3://bkt/u")
    assert rc == 0, err
    assert "bad\\xff.txt" in err and "skipped" in err, err
    assert {k for k in f.objects("bkt") if k.startswith("u/")} == {"u/ok.txt",
                                                                   "u/.cdnpipe/generation"}


def test_unsafe_source_names_are_skipped_building(tmp_path):
    src = tmp_path / "src"
    write(src, "ok.css", b"body{color:red}")
    write(src, b"a\nb.css", b"a{}")
    write(src, b"bad\xff.css", b"b{}")
    dist = tmp_path / "dist"
    rc, out, err, _ = run(dict(os.environ), "build", src, "-o", dist)
    assert rc == 0, err
    assert "a\\nb.css" in err and "bad\\xff.css" in err and "skipped" in err, err
    names = set(tree(dist))
    assert not any(b"\n" in n or b"\xff" in n for n in names), names
    manifest = open(dist / "staticfiles.json", "rb").read()
    manifest.decode("utf-8")  # still UTF-8, still JSON
    assert b"ok.css" in manifest and b"a\\nb" not in manifest
