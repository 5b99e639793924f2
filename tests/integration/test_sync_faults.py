"""sync and upload against a server that misbehaves on purpose (fakes3.py).

Each test is one answer a real server gives rarely: the property checked is
always what the user's data looks like afterwards (files still on disk, bytes
in the bucket), read back without cdnpipe.
"""
import hashlib
import os
import subprocess
import time

import pytest

from conftest import BINARY
from filetree import tree as files
from fakes3 import fake  # noqa: F401 (the fixture)


def run(env, *args, timeout=60):
    return subprocess.run([BINARY, *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=timeout)


def write(root, rel, data, mtime=None):
    p = os.path.join(str(root), rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(p, (mtime, mtime))
    return p


def both(fake_s3, root, rel, body, prefix="m/"):
    """The same file in the folder and in bkt/PREFIX."""
    fake_s3.put("bkt", prefix + rel, body)
    write(root, rel, body)


def media(fake_s3, dst, n=14):
    """n objects under bkt/m/ and the same n files in dst."""
    for i in range(n):
        body = b"file %d\n" % i
        fake_s3.put("bkt", "m/f%02d.txt" % i, body)
        write(dst, "f%02d.txt" % i, body)


# ---- 1. an incomplete listing is never taken as complete

@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("fault", ["no-token", "html", "error-200", "cut", "no-truncated",
                                   "key-count"])
def test_bad_listing_page_deletes_nothing(fake, tmp_path, fault, page):
    f = fake({"page_size": 10, "pages": {page: fault}})
    dst = tmp_path / "dst"
    media(f, dst)
    before = files(dst)
    # --force: not even an operator's override may delete on a broken listing
    p = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--delete", "--force", "--retries", "1",
            "--no-progress")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert files(dst) == before
    assert "listing" in p.stderr or "ListBucketResult" in p.stderr or "InternalError" in p.stderr, p.stderr
    assert "page %d" % page in p.stderr or fault in ("html", "error-200", "cut"), p.stderr


def test_bad_listing_page_deletes_nothing_remote(fake, tmp_path):
    """local -> S3 --delete: a bad destination page must not delete objects either."""
    f = fake({"page_size": 10, "pages": {2: "no-token"}})
    src = tmp_path / "src"
    media(f, src)
    os.remove(src / "f13.txt")
    p = run(f.env(tmp_path), "sync", src, "s3://bkt/m", "--delete", "--force", "--no-progress")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert len(f.objects("bkt")) == 14
    assert f.count("DeleteObjects") == 0


def test_repeated_token_fails_fast(fake, tmp_path):
    f = fake({"page_size": 10, "pages": {2: "repeat-token"}})
    dst = tmp_path / "dst"
    media(f, dst, n=30)
    t0 = time.monotonic()
    p = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--delete", "--no-progress", timeout=20)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert time.monotonic() - t0 < 10
    assert "continuation token" in p.stderr
    assert f.count("ListObjectsV2") <= 3
    assert len(files(dst)) == 30


@pytest.mark.parametrize("delay", [0, 0.2])  # 0.2: a slow server, listed in full all the same
def test_good_paged_listing_still_works(fake, tmp_path, delay):
    """The checks must not refuse a healthy paged listing (the control case)."""
    f = fake({"page_size": 10, "delay": delay})
    dst = tmp_path / "dst"
    media(f, dst, n=25)
    write(dst, "stale.txt", b"old")
    p = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--delete", "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert f.count("ListObjectsV2") == 3
    assert sorted(files(dst)) == ["f%02d.txt" % i for i in range(25)]


def test_upload_refuses_bad_listing(fake, tmp_path):
    """upload lists the target too: a broken listing must fail, not re-send or skip."""
    f = fake({"page_size": 2, "pages": {1: "html"}})
    dist = tmp_path / "dist"
    write(dist, "a.txt", b"a")
    p = run(f.env(tmp_path), "upload", dist, "s3://bkt/p", "--retries", "1")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert f.count("PutObject") == 0


# ---- 2. the delete guards count what is in scope, whichever shard runs

@pytest.mark.parametrize("shard", ["1/3", "2/3", "3/3"])
def test_shard_of_an_emptied_source_deletes_nothing(fake, tmp_path, shard):
    f = fake()
    for i in range(60):
        f.put("bkt", "big/o%03d.bin" % i, b"%d" % i)
    empty = tmp_path / "emptysrc"
    empty.mkdir()
    for extra in ([], ["--dry-run"]):
        p = run(f.env(tmp_path), "sync", empty, "s3://bkt/big", "--delete", "--shard", shard,
                "--no-progress", *extra)
        assert p.returncode == 1, (p.stdout, p.stderr)
        assert "more than half" in p.stderr and "3 shards" in p.stderr, p.stderr
    assert len(f.objects("bkt")) == 60
    assert f.count("DeleteObjects") == 0 and f.count("DeleteObject") == 0


def test_filter_scope_guards_the_deletes(fake, tmp_path):
    """A filter that selects 5 of 105 objects, all missing from the source:
    deleting all 5 is 'more than half' of what the job covers."""
    f = fake()
    src = tmp_path / "src"
    for i in range(100):
        both(f, src, "doc/%03d.txt" % i, b"d%d" % i)
    for i in range(5):
        f.put("bkt", "m/img/%d.png" % i, b"i%d" % i)
    p = run(f.env(tmp_path), "sync", src, "s3://bkt/m", "--delete", "--include", "img/*",
            "--no-progress")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "5 of the 5 objects in scope" in p.stderr, p.stderr
    assert len(f.objects("bkt")) == 105


# ---- 3, 4. links: never followed out of the root, dangling ones skipped

def test_delete_never_follows_a_link_out_of_the_destination(fake, tmp_path):
    f = fake()
    f.put("bkt", "t1/keep.txt", b"keep")
    dst = tmp_path / "dst"
    write(dst, "keep.txt", b"keep")
    outside = tmp_path / "outside"
    write(outside, "victim.txt", b"precious")
    os.symlink(outside, dst / "ext")
    for extra in (["--force"], []):
        p = run(f.env(tmp_path), "sync", "s3://bkt/t1", dst, "--delete", "--no-progress", *extra)
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert "ext" in p.stderr and "not followed" in p.stderr, p.stderr
    assert (outside / "victim.txt").read_bytes() == b"precious"
    assert os.path.islink(dst / "ext")


def test_download_never_writes_through_a_link_out(fake, tmp_path):
    """The key ext/victim.txt would land in the folder the link points at."""
    f = fake()
    f.put("bkt", "t1/ext/victim.txt", b"overwritten")
    dst = tmp_path / "dst"
    dst.mkdir()
    outside = tmp_path / "outside"
    write(outside, "victim.txt", b"precious")
    os.symlink(outside, dst / "ext")
    p = run(f.env(tmp_path), "sync", "s3://bkt/t1", dst, "--no-progress")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert (outside / "victim.txt").read_bytes() == b"precious"
    assert sorted(os.listdir(outside)) == ["victim.txt"]


def test_upload_refuses_a_link_out_of_dist(fake, tmp_path):
    f = fake()
    dist = tmp_path / "dist"
    write(dist, "app.css", b"body{}")
    os.symlink("/etc/passwd", dist / "passwd.txt")
    p = run(f.env(tmp_path), "upload", dist, "s3://bkt/p")
    assert p.returncode != 0, (p.stdout, p.stderr)
    assert "passwd.txt" in p.stderr and "outside" in p.stderr, p.stderr
    assert f.count("PutObject") == 0 and not f.objects("bkt")


def test_sync_source_link_out_refused_dangling_skipped(fake, tmp_path):
    f = fake()
    src = tmp_path / "src"
    write(src, "a.txt", b"a")
    os.symlink(tmp_path / "missing", src / "stale.txt")
    p = run(f.env(tmp_path), "sync", src, "s3://bkt/m", "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "stale.txt" in p.stderr and "dangling" in p.stderr, p.stderr
    assert set(f.objects("bkt")) == {"m/a.txt"}
    os.symlink("/etc", src / "etc")
    p = run(f.env(tmp_path), "sync", src, "s3://bkt/m", "--no-progress")
    assert p.returncode == 1 and "outside" in p.stderr, (p.stdout, p.stderr)
    assert set(f.objects("bkt")) == {"m/a.txt"}


# ---- 5, 6, 8. what an ETag can say, and SSE-KMS objects

KMS = {"x-amz-server-side-encryption": "aws:kms"}


def kms_put(f, key, body, meta=None):
    f.put("bkt", key, body, etag=os.urandom(16).hex(), headers=dict(KMS), meta=meta or {})


def test_kms_source_syncs_across_endpoints(fake, tmp_path):
    src, dst = fake({"sse": "aws:kms"}), fake()
    kms_put(src, "m/a.txt", b"alpha")
    kms_put(src, "m/b.txt", b"beta bytes")
    env = src.env(tmp_path)
    p = run(env, "sync", "s3://bkt/m", "s3://bkt/m", "--src-endpoint", src.url,
            "--dst-endpoint", dst.url, "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    got = dst.objects("bkt")
    assert {k: o.body for k, o in got.items()} == {"m/a.txt": b"alpha", "m/b.txt": b"beta bytes"}
    # the MD5 written along is that of the bytes, never the KMS ETag
    for k, o in got.items():
        assert o.meta.get("md5") == hashlib.md5(o.body).hexdigest(), (k, o.meta)


def test_kms_copy_with_new_headers_keeps_md5_honest(fake, tmp_path):
    f = fake({"sse": "aws:kms"})
    kms_put(f, "a/x.txt", b"x marks")
    p = run(f.env(tmp_path), "sync", "s3://bkt/a", "s3://bkt/b", "--cache-control",
            "max-age=60", "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    o = f.objects("bkt")["b/x.txt"]
    assert o.headers.get("cache-control") == "max-age=60"
    assert o.meta.get("md5") in (None, hashlib.md5(b"x marks").hexdigest()), o.meta
    # and a later download of the copy verifies
    out = tmp_path / "out"
    p = run(f.env(tmp_path), "sync", "s3://bkt/b", out, "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert (out / "x.txt").read_bytes() == b"x marks"


def test_mtime_metadata_never_overrules_a_plain_md5(fake, tmp_path):
    f = fake()
    src = tmp_path / "src"
    t = 1700000000
    write(src, "a.txt", b"AAAA", mtime=t)
    f.put("bkt", "m/a.txt", b"BBBB", meta={"mtime": "%d.000000000" % t})
    p = run(f.env(tmp_path), "sync", src, "s3://bkt/m", "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert f.objects("bkt")["m/a.txt"].body == b"AAAA"


def test_download_fetches_newer_content_of_the_same_size(fake, tmp_path):
    """A multipart ETag cdnpipe cannot reproduce, no md5 metadata: time decides,
    and for a download a newer object means copy."""
    f = fake()
    dst = tmp_path / "dst"
    write(dst, "a.bin", b"old content", mtime=time.time() - 7200)
    f.put("bkt", "m/a.bin", b"new content", etag="0123456789abcdef0123456789abcdef-2")
    p = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert (dst / "a.bin").read_bytes() == b"new content"
    # and the second run leaves it alone
    p = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--no-progress")
    assert p.returncode == 0 and "1 unchanged" in p.stderr, (p.stdout, p.stderr)


# ---- lower: keys no folder can hold are announced, not dropped in silence

@pytest.mark.parametrize("to_local", [False, True])
def test_dotdot_keys_are_skipped_with_a_warning(fake, tmp_path, to_local):
    f = fake()
    f.put("bkt", "m/ok.txt", b"ok")
    f.put("bkt", "m/a/../../escape.txt", b"climb")
    dst = tmp_path / "out" if to_local else "s3://bkt/copy"
    p = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "m/a/../../escape.txt" in p.stderr and "'..'" in p.stderr, p.stderr
    if to_local:
        assert files(tmp_path / "out") == {"ok.txt": b"ok"}
        assert not (tmp_path / "escape.txt").exists()
    else:
        assert "copy/ok.txt" in f.objects("bkt")
        assert not any("escape" in k and k.startswith("copy") for k in f.objects("bkt"))


def test_a_folder_reached_two_ways_in_the_destination_loses_nothing(fake, tmp_path):
    """current -> releases/v3: the delete of current/x would remove releases/v3/x."""
    f = fake()
    dst = tmp_path / "dst"
    for i in range(4):
        both(f, dst, "releases/v3/f%d.js" % i, b"f%d" % i)
    for i in range(6):
        both(f, dst, "o%d" % i, b"o")
    os.symlink("releases/v3", dst / "current")
    both(f, dst, "keep/precious.db", b"db")
    os.symlink("keep", dst / "alias")
    p = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--delete", "--exclude", "keep/*",
            "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "0 deleted" in p.stderr, p.stderr
    assert sorted(files(dst)) == sorted(
        ["o%d" % i for i in range(6)] + ["releases/v3/f%d.js" % i for i in range(4)]
        + ["keep/precious.db"])


def test_dangling_link_in_the_source_protects_what_is_behind_it(fake, tmp_path):
    """photos -> an unmounted NAS: its objects in the bucket are not deleted."""
    f = fake()
    src = tmp_path / "src"
    for i in range(10):
        both(f, src, "p%d.html" % i, b"page")
    for i in range(8):
        f.put("bkt", "m/photos/img%d.jpg" % i, b"jpeg")
    f.put("bkt", "m/gone.html", b"old")
    os.symlink("/nonexistent/nas/photos", src / "photos")
    p = run(f.env(tmp_path), "sync", src, "s3://bkt/m", "--delete", "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "photos" in p.stderr and "dangling" in p.stderr, p.stderr
    keys = set(f.objects("bkt"))
    assert {"m/photos/img%d.jpg" % i for i in range(8)} <= keys
    assert "m/gone.html" not in keys  # what the source really lacks still goes


@pytest.mark.parametrize("local_is_src", [True, False])
def test_a_file_named_like_a_temporary_is_never_deleted(fake, tmp_path, local_is_src):
    f = fake()
    d = tmp_path / "d"
    for i in range(5):
        both(f, d, "f%d" % i, b"x")
    both(f, d, "db/backup.tmp.20240101.1", b"backup")
    args = (d, "s3://bkt/m") if local_is_src else ("s3://bkt/m", d)
    p = run(f.env(tmp_path), "sync", *args, "--delete", "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "m/db/backup.tmp.20240101.1" in f.objects("bkt")
    assert (d / "db/backup.tmp.20240101.1").read_bytes() == b"backup"
    assert "backup.tmp.20240101.1" in p.stderr and "temporary" in p.stderr, p.stderr


def test_s3_to_s3_onto_kms_settles(fake, tmp_path):
    f = fake({"sse": "aws:kms"})
    for i in range(5):
        kms_put(f, "a/k%d.txt" % i, b"kms %d" % i)
    env = f.env(tmp_path)
    p = run(env, "sync", "s3://bkt/a", "s3://bkt/b", "--no-progress")
    assert p.returncode == 0, (p.stdout, p.stderr)
    before = f.count("CopyObject")
    assert before == 5
    p = run(env, "sync", "s3://bkt/a", "s3://bkt/b", "--no-progress")
    assert p.returncode == 0 and "5 unchanged" in p.stderr, (p.stdout, p.stderr)
    assert f.count("CopyObject") == before


# ---- downloads are verified before they replace anything

@pytest.mark.parametrize("fault", ["cut", "html", "wrong-bytes"])
def test_bad_download_leaves_the_old_file(fake, tmp_path, fault):
    f = fake({"get": {"m/a.txt": fault}})
    dst = tmp_path / "dst"
    write(dst, "a.txt", b"old bytes, kept", mtime=time.time() - 7200)
    f.put("bkt", "m/a.txt", b"new bytes of the object")
    p = run(f.env(tmp_path), "sync", "s3://bkt/m", dst, "--retries", "1", "--no-progress")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "a.txt" in p.stderr, p.stderr
    assert files(dst) == {"a.txt": b"old bytes, kept"}  # and no temporary file left


def test_bad_download_across_endpoints_writes_nothing(fake, tmp_path):
    src, dst = fake({"get": {"m/a.txt": "html"}}), fake()
    src.put("bkt", "m/a.txt", b"the real object bytes")
    p = run(src.env(tmp_path), "sync", "s3://bkt/m", "s3://bkt/m", "--src-endpoint", src.url,
            "--dst-endpoint", dst.url, "--retries", "1", "--no-progress")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert dst.objects("bkt") == {}
