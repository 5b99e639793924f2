"""`cdnpipe sync` against s3rver behind the SigV4-verifying proxy.

Every result is read back with boto3 straight from s3rver (s3_check), never
with cdnpipe; what cdnpipe sent is counted at the proxy.  s3rver's faults are
respected: listings are compared as sets, bodies are read once their size
settled (s3.get_bytes), and its multipart ETags are plain MD5s.
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BINARY
from filetree import tree

pytest_plugins = ["s3fixtures"]

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "fixtures", "sync", "media")


def sync(env, *args, check=0, timeout=300):
    p = subprocess.run([BINARY, "sync", *map(str, args), "--no-progress"], env=env,
                       capture_output=True, text=True, timeout=timeout)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p




def write(root, rel, data):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    return p


def make_media(root, sub_delims=True):
    """The fixture tree plus generated files: spaces, UTF-8, nesting, and
    (sub_delims) a key with '+', '&', '=' that needs encoding."""
    files = {}
    for d, _, names in os.walk(FIXTURE):
        for n in names:
            p = os.path.join(d, n)
            files[os.path.relpath(p, FIXTURE)] = open(p, "rb").read()
    files["avatars/jean dupont.png"] = os.urandom(5000)
    files["docs/naïve résumé 履歴書.pdf"] = os.urandom(20000)
    files["a/b/c/deep+plus&amp=(x)~y.txt" if sub_delims else "a/b/c/deep(x)~y.txt"] = b"deep\n"
    files["empty.txt"] = b""
    for rel, data in files.items():
        write(root, rel, data)
    return files


def bucket_tree(s3, bucket, prefix):
    keys = s3.list_keys(bucket, prefix)
    return {k[len(prefix):]: s3.get_bytes(bucket, k, size=n) for k, n in keys.items()}


def body_ops(s3):
    """Requests that move object bodies."""
    return [(r.op, r.key) for r in s3.proxy.log()
            if r.op in ("PutObject", "GetObject", "UploadPart", "CopyObject",
                        "CreateMultipartUpload")]


def test_local_to_s3_then_no_change(s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    src = tmp_path / "media"
    files = make_media(src)
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/media")
    assert bucket_tree(s3, s3_bucket, "media/") == files
    # Content-Type from the extension, our metadata on every object.
    for rel, data in files.items():
        h = s3_check.head_object(Bucket=s3_bucket, Key="media/" + rel)
        assert h["Metadata"]["md5"] == hashlib.md5(data).hexdigest()
        st = os.stat(src / rel)
        assert h["Metadata"]["mtime"] == f"{st.st_mtime_ns // 10**9}.{st.st_mtime_ns % 10**9:09d}"
    h = s3_check.head_object(Bucket=s3_bucket, Key="media/avatars/jean dupont.png")
    assert h["ContentType"] == "image/png"

    # A no-change re-run lists and moves no body; it does not even hash.
    s3.reset()
    p = sync(cdnpipe_env, src, f"s3://{s3_bucket}/media", "--json")
    assert body_ops(s3) == []
    assert s3.proxy.count(op="ListObjectsV2") >= 1
    rep = json.loads(p.stdout)
    assert rep["copied"] == 0 and rep["skipped"] == len(files) and rep["hashed"] == 0

    # Same size, new content and mtime: that file only is sent again.
    time.sleep(0.01)
    write(src, "avatars/jean dupont.png", os.urandom(5000))
    s3.reset()
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/media")
    assert body_ops(s3) == [("PutObject", "media/avatars/jean dupont.png")]
    assert s3.get_bytes(s3_bucket, "media/avatars/jean dupont.png", size=5000) == \
        open(src / "avatars/jean dupont.png", "rb").read()


def test_checksum_and_size_only(s3, s3_bucket, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    write(src, "a.txt", b"aaaa")
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/p")
    # Same size and mtime but other bytes (the state cache would miss it):
    # --size-only keeps the old object, --checksum sees the change.
    st = os.stat(src / "a.txt")
    write(src, "a.txt", b"bbbb")
    os.utime(src / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    s3.reset()
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/p", "--size-only")
    assert body_ops(s3) == []
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/p", "--checksum")
    assert body_ops(s3) == [("PutObject", "p/a.txt")]
    assert s3.get_bytes(s3_bucket, "p/a.txt", size=4) == b"bbbb"


def test_s3_to_local(s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    files = {"x/one.txt": b"one", "two words.txt": b"two" * 1000, "ü/é.bin": os.urandom(7000)}
    for k, v in files.items():
        s3_check.put_object(Bucket=s3_bucket, Key="up/" + k, Body=v,
                            Metadata={"mtime": "1600000000.250000000"} if k == "x/one.txt" else {})
    for k, v in files.items():
        s3.wait_settled(s3_bucket, "up/" + k, size=len(v))
    dst = tmp_path / "down"
    sync(cdnpipe_env, f"s3://{s3_bucket}/up", dst)
    assert tree(dst) == files
    # mtime from x-amz-meta-mtime when the object has it.
    assert os.stat(dst / "x/one.txt").st_mtime_ns == 1600000000250000000
    # No temporary file is left beside the downloads.
    assert not [f for f in os.listdir(dst) if ".tmp." in f]

    s3.reset()
    p = sync(cdnpipe_env, f"s3://{s3_bucket}/up", dst, "--json")
    assert body_ops(s3) == []
    assert json.loads(p.stdout)["hashed"] == 0

    # --delete on a local destination removes what the bucket lacks, and
    # leaves excluded files alone.
    write(dst, "stray/old.txt", b"old")
    write(dst, "keep.log", b"log")
    sync(cdnpipe_env, f"s3://{s3_bucket}/up", dst, "--delete", "--exclude", "*.log")
    assert tree(dst) == {**files, "keep.log": b"log"}
    assert not os.path.exists(dst / "stray")


def test_download_is_verified(s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    # An object whose x-amz-meta-md5 does not match its bytes (corruption
    # somewhere on the way): not put in place, named, exit 1.
    s3_check.put_object(Bucket=s3_bucket, Key="v/good.txt", Body=b"good")
    s3_check.put_object(Bucket=s3_bucket, Key="v/bad.txt", Body=b"bad!",
                        Metadata={"md5": hashlib.md5(b"else").hexdigest()})
    s3.wait_settled(s3_bucket, "v/good.txt", size=4)
    s3.wait_settled(s3_bucket, "v/bad.txt", size=4)
    dst = tmp_path / "d"
    p = sync(cdnpipe_env, f"s3://{s3_bucket}/v", dst, check=1)
    assert "bad.txt" in p.stderr and "MD5" in p.stderr
    assert sorted(os.listdir(dst)) == ["good.txt"]


def test_s3_to_s3_server_side(s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    # s3rver 3.7.1 answers NoSuchKey to any CopyObject whose source key holds
    # '+', '&' or '=' (boto3's copy_object fails the same way; it decodes
    # x-amz-copy-source with decodeURI), so this tree leaves them out.
    files = make_media(src, sub_delims=False)
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/media")
    for k, v in files.items():
        s3.wait_settled(s3_bucket, "media/" + k, size=len(v))
    other = s3.new_bucket("sync-copy-target")
    s3.reset()
    sync(cdnpipe_env, f"s3://{s3_bucket}/media", f"s3://{other}/backup/")
    assert bucket_tree(s3, other, "backup/") == files
    # Server-side: CopyObject only, no byte through the client.
    ops = body_ops(s3)
    assert ops and all(op == "CopyObject" for op, _ in ops)
    h = s3_check.head_object(Bucket=other, Key="backup/avatars/jean dupont.png")
    assert h["ContentType"] == "image/png"
    assert h["Metadata"]["md5"] == hashlib.md5(files["avatars/jean dupont.png"]).hexdigest()
    s3.reset()
    sync(cdnpipe_env, f"s3://{s3_bucket}/media", f"s3://{other}/backup/")
    assert body_ops(s3) == []


def test_delete_guards_and_prefix(s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    for i in range(10):
        write(src, f"f{i}.txt", b"x%d" % i)
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/media")
    for k in ["media/extra1.txt", "media/sub/extra2.txt", "media2/outside.txt",
              "mediafile.txt", "other/x.txt", "media/skip.tmp"]:
        s3_check.put_object(Bucket=s3_bucket, Key=k, Body=b"e")
        s3.wait_settled(s3_bucket, k, size=1)
    # Without --delete nothing goes.
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/media")
    assert len(s3.list_keys(s3_bucket)) == 16
    # --max-delete 1 refuses (two to delete): exit 1, nothing deleted.
    s3.reset()
    p = sync(cdnpipe_env, src, f"s3://{s3_bucket}/media", "--delete", "--max-delete", "1",
             "--exclude", "*.tmp", check=1)
    assert "max-delete" in p.stderr
    assert s3.proxy.count(op="DeleteObjects") == 0
    # Within the guards: exactly the two extras go, in DeleteObjects; keys
    # beside the prefix and excluded keys stay.
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/media", "--delete", "--exclude", "*.tmp")
    assert s3.proxy.count(op="DeleteObjects") == 1
    assert s3.proxy.count(op="DeleteObject") == 0
    assert set(s3.list_keys(s3_bucket)) == {f"media/f{i}.txt" for i in range(10)} | {
        "media2/outside.txt", "mediafile.txt", "other/x.txt", "media/skip.tmp"}
    # An almost empty source would delete most of the destination: refused
    # unless --force.
    for i in range(2, 10):
        os.unlink(src / f"f{i}.txt")
    p = sync(cdnpipe_env, src, f"s3://{s3_bucket}/media", "--delete", check=1)
    assert "more than half" in p.stderr
    assert len(s3.list_keys(s3_bucket, "media/")) == 11
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/media", "--delete", "--force")
    assert set(s3.list_keys(s3_bucket, "media")) == {"media/f0.txt", "media/f1.txt",
                                                     "media2/outside.txt", "mediafile.txt"}


def test_dry_run_changes_nothing(s3, s3_bucket, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    write(src, "a.txt", b"a")
    write(src, "b.txt", b"b")
    p = sync(cdnpipe_env, src, f"s3://{s3_bucket}/p", "--dry-run")
    assert "copy a.txt (missing)" in p.stdout and "copy b.txt (missing)" in p.stdout
    assert s3.list_keys(s3_bucket) == {}
    assert s3.proxy.count(method="PUT") == 0


def test_excludes(s3, s3_bucket, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    write(src, "a.jpg", b"a")
    write(src, "thumbs/b.jpg", b"b")
    write(src, "c.tmp", b"c")
    write(src, ".DS_Store", b"d")
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/p", "--exclude", "*.tmp", "--exclude",
         ".DS_Store", "--exclude", "thumbs/**")
    assert set(s3.list_keys(s3_bucket)) == {"p/a.jpg"}
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/q", "--include", "*.jpg")
    assert set(s3.list_keys(s3_bucket, "q/")) == {"q/a.jpg", "q/thumbs/b.jpg"}


def test_shards_cover_every_key_once(s3, s3_bucket, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    keys = {f"d{i % 7}/file {i}.txt" for i in range(120)}
    for k in keys:
        write(src, k, k.encode())
    n = 3
    per_shard = []
    for i in range(1, n + 1):
        s3.reset()
        sync(cdnpipe_env, src, f"s3://{s3_bucket}/s", "--shard", f"{i}/{n}")
        per_shard.append({k[2:] for op, k in body_ops(s3) if op == "PutObject"})
    assert all(per_shard)
    assert sum(len(s) for s in per_shard) == len(keys)
    assert set().union(*per_shard) == keys
    assert {k[2:] for k in s3.list_keys(s3_bucket, "s/")} == keys
    p = sync(cdnpipe_env, src, f"s3://{s3_bucket}/s", "--shard", "0/3", check=2)
    assert "--shard" in p.stderr


def peak_rss_kib(stderr):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    assert m, stderr
    return int(m.group(1))


def big_file(path, mib):
    """A file of `mib` MiB that is not all one byte (so parts differ)."""
    block = hashlib.sha256(b"seed").digest() * (1 << 15)  # 1 MiB
    with open(path, "wb") as f:
        for i in range(mib):
            f.write(i.to_bytes(4, "little") + block[4:])
    return path


def file_md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@pytest.mark.skipif(not os.path.exists("/usr/bin/time"), reason="needs /usr/bin/time")
def test_large_file_multipart_bounded_memory(s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    src.mkdir()
    big_file(src / "video.mp4", 200)
    p = subprocess.run(["/usr/bin/time", "-v", BINARY, "sync", str(src),
                        f"s3://{s3_bucket}/v", "--no-progress"],
                       env=cdnpipe_env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert peak_rss_kib(p.stderr) < 64 * 1024
    # Multipart: 200 MiB in 8 MiB parts.
    assert s3.proxy.count(op="CreateMultipartUpload") == 1
    assert s3.proxy.count(op="UploadPart", status=200) == 25
    assert s3.proxy.count(op="PutObject") == 0
    s3.wait_settled(s3_bucket, "v/video.mp4", size=200 << 20)
    h = hashlib.md5()
    body = s3_check.get_object(Bucket=s3_bucket, Key="v/video.mp4")["Body"]
    for chunk in iter(lambda: body.read(1 << 20), b""):
        h.update(chunk)
    assert h.hexdigest() == file_md5(src / "video.mp4")
    meta = s3_check.head_object(Bucket=s3_bucket, Key="v/video.mp4")["Metadata"]
    assert meta["md5"] == h.hexdigest()

    # Downloading it back is bounded too, and lands whole.
    dst = tmp_path / "down"
    p = subprocess.run(["/usr/bin/time", "-v", BINARY, "sync", f"s3://{s3_bucket}/v", str(dst),
                        "--no-progress"], env=cdnpipe_env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    assert peak_rss_kib(p.stderr) < 64 * 1024
    assert file_md5(dst / "video.mp4") == h.hexdigest()

    # No-change re-run: the multipart object (s3rver gives it a plain-MD5
    # ETag) compares equal without sending anything.
    s3.reset()
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/v")
    assert body_ops(s3) == []


def test_resume_after_kill(s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    src.mkdir()
    big_file(src / "big.bin", 60)  # 12 parts of 5 MiB
    args = [BINARY, "sync", str(src), f"s3://{s3_bucket}/r", "--no-progress",
            "--multipart-threshold", "16M", "--part-size", "5M", "--concurrency", "2"]
    s3.proxy.inject("delay", op="UploadPart", delay=0.4)
    proc = subprocess.Popen(args, env=cdnpipe_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while s3.proxy.count(op="UploadPart", status=200) < 5:
        assert proc.poll() is None, "finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = s3.proxy.count(op="UploadPart", status=200)
    assert first < 12
    s3.proxy.clear_faults()
    s3.reset()
    p = sync(cdnpipe_env, *args[2:], "--json")
    rep = json.loads(p.stdout)
    # Resumed: the same upload, only the missing parts sent (a part in
    # flight at the kill may go twice).
    assert s3.proxy.count(op="CreateMultipartUpload") == 0
    again = s3.proxy.count(op="UploadPart", status=200)
    # The proxy may have answered a part or two (-j 2) the killed client
    # never saw, so never journalled.
    assert rep["resumed_parts"] >= first - 2 and rep["resumed_parts"] >= 3
    assert again == 12 - rep["resumed_parts"]
    assert s3.proxy.count(op="CompleteMultipartUpload") == 1
    s3.wait_settled(s3_bucket, "r/big.bin", size=60 << 20)
    body = s3_check.get_object(Bucket=s3_bucket, Key="r/big.bin")["Body"].read()
    assert hashlib.md5(body).hexdigest() == file_md5(src / "big.bin")


def killed_multipart_sync(s3, bucket, env, tmp_path):
    """Starts syncing a 30 MiB file as 5 MiB parts, one at a time (each slowed
    down at the proxy), and kills cdnpipe once two parts are in.  Returns the
    source folder and the sync's arguments, for the run that follows."""
    src = tmp_path / "m"
    src.mkdir()
    big_file(src / "big.bin", 30)
    args = [src, f"s3://{bucket}/r", "--multipart-threshold", "16M", "--part-size", "5M",
            "--concurrency", "1"]
    s3.proxy.inject("delay", op="UploadPart", delay=0.4)
    proc = subprocess.Popen([BINARY, "sync", *map(str, args), "--no-progress"],
                            env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    # "In" as cdnpipe knows it: two parts in its journal, part 1 among them.
    # (The proxy's count alone races a retried part: the server may have
    # answered it while cdnpipe has not yet written its line.)
    jdir = os.path.join(env["XDG_CACHE_HOME"], "cdnpipe", "journal")

    def journaled():
        try:
            text = "".join(open(os.path.join(jdir, f), encoding="utf-8").read()
                           for f in os.listdir(jdir))
        except OSError:
            return []
        return re.findall(r"^part (\d+) \S+$", text, re.M)

    deadline = time.monotonic() + 60
    while not ("1" in journaled() and len(journaled()) >= 2):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    s3.proxy.clear_faults()
    return src, args


def test_changed_file_aborts_old_upload(s3, s3_bucket, cdnpipe_env, tmp_path):
    src, args = killed_multipart_sync(s3, s3_bucket, cdnpipe_env, tmp_path)
    with open(src / "big.bin", "r+b") as f:
        f.write(b"changed!")
    s3.reset()
    sync(cdnpipe_env, *args)
    # The old upload is aborted, a new one started and completed.
    assert s3.proxy.count(op="AbortMultipartUpload") == 1
    assert s3.proxy.count(op="CreateMultipartUpload") == 1
    assert s3.get_bytes(s3_bucket, "r/big.bin", size=30 << 20)[:8] == b"changed!"


def test_failure_is_named_and_exit_1(s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    write(src, "ok.txt", b"fine")
    write(src, "bad.txt", b"doomed")
    s3_check.put_object(Bucket=s3_bucket, Key="p/stale.txt", Body=b"old")
    s3.wait_settled(s3_bucket, "p/stale.txt", size=3)
    s3.proxy.inject(403, key="p/bad.txt")
    p = sync(cdnpipe_env, src, f"s3://{s3_bucket}/p", "--retries", "1", "--delete", "--force",
             "--json", check=1)
    rep = json.loads(p.stdout)
    failed = [i for i in rep["items"] if i["failed"]]
    assert [i["key"] for i in failed] == ["bad.txt"] and failed[0]["error"]
    assert "bad.txt" in p.stderr
    # A failed copy withholds every delete: the destination keeps more,
    # never less.
    assert s3.proxy.count(op="DeleteObjects") == 0
    assert set(s3.list_keys(s3_bucket)) == {"p/ok.txt", "p/stale.txt"}


def test_transient_faults_are_retried(s3, s3_bucket, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    files = {f"f{i}.bin": os.urandom(1000 + i) for i in range(40)}
    for k, v in files.items():
        write(src, k, v)
    big_file(src / "big.bin", 20)
    s3.proxy.inject(503, rate=0.2, seed=3)
    s3.proxy.inject("drop", rate=0.05, seed=4, op="UploadPart")
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/t", "--multipart-threshold", "8M",
         "--part-size", "5M")
    s3.proxy.clear_faults()
    assert s3.proxy.count(status=503) > 0
    files["big.bin"] = open(src / "big.bin", "rb").read()
    assert bucket_tree(s3, s3_bucket, "t/") == files


def test_abort_incomplete(s3, s3_bucket, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    src.mkdir()
    big_file(src / "big.bin", 30)
    args = [src, f"s3://{s3_bucket}/r", "--multipart-threshold", "16M", "--part-size", "5M",
            "--concurrency", "1"]
    s3.proxy.inject("delay", op="UploadPart", delay=0.4)
    proc = subprocess.Popen([BINARY, "sync", *map(str, args), "--no-progress"],
                            env=cdnpipe_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while s3.proxy.count(op="CreateMultipartUpload") < 1 or \
            s3.proxy.count(op="UploadPart", status=200) < 1:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    s3.proxy.clear_faults()
    s3.reset()
    # --dry-run never aborts; --abort-incomplete aborts the journalled upload
    # (s3rver has no ListMultipartUploads: the journal is what we know),
    # then the sync itself starts afresh.
    sync(cdnpipe_env, *args, "--abort-incomplete", "--dry-run")
    assert s3.proxy.count(op="AbortMultipartUpload") == 0
    sync(cdnpipe_env, *args, "--abort-incomplete")
    assert s3.proxy.count(op="AbortMultipartUpload") == 1
    assert s3.proxy.aborted[0][1] == "r/big.bin"
    assert s3.proxy.count(op="CreateMultipartUpload") == 1
    s3.wait_settled(s3_bucket, "r/big.bin", size=30 << 20)


def test_s3_to_s3_across_endpoints_streams(s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    # Same server, two endpoint URLs (proxy and s3rver direct): cdnpipe must
    # treat them as different services and stream the bytes through.
    src = tmp_path / "m"
    files = {"a.txt": b"alpha", "dir/b c.bin": os.urandom(100000)}
    for k, v in files.items():
        write(src, k, v)
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/from")
    for k, v in files.items():
        s3.wait_settled(s3_bucket, "from/" + k, size=len(v))
    other = s3.new_bucket("cross-target")
    s3.reset()
    sync(cdnpipe_env, f"s3://{s3_bucket}/from", f"s3://{other}/to", "--dst-endpoint",
         s3.direct_url)
    ops = body_ops(s3)  # only the source side goes through the proxy
    assert sorted(op for op, _ in ops) == ["GetObject", "GetObject"]
    assert bucket_tree(s3, other, "to/") == files
    h = s3_check.head_object(Bucket=other, Key="to/dir/b c.bin")
    assert h["Metadata"]["md5"] == hashlib.md5(files["dir/b c.bin"]).hexdigest()


def test_config_section(s3, s3_bucket, cdnpipe_env, tmp_path):
    src = tmp_path / "m"
    write(src, "a.jpg", b"a")
    write(src, "b.tmp", b"b")
    ini = tmp_path / "cdnpipe.ini"
    ini.write_text("[sync]\nexclude = *.tmp\n")
    p = subprocess.run([BINARY, "sync", str(src), f"s3://{s3_bucket}/c", "--no-progress"],
                       env=cdnpipe_env, cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert set(s3.list_keys(s3_bucket)) == {"c/a.jpg"}
    ini.write_text("[sync]\nno-such-option = 1\n")
    p = subprocess.run([BINARY, "sync", str(src), f"s3://{s3_bucket}/c"], env=cdnpipe_env,
                       cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 2 and "no-such-option" in p.stderr


def test_resume_of_forgotten_upload_starts_again(s3, s3_bucket, s3_check, cdnpipe_env,
                                                 tmp_path):
    src, args = killed_multipart_sync(s3, s3_bucket, cdnpipe_env, tmp_path)
    # The journal names the upload; the server then forgets it (as after a
    # bucket lifecycle rule): the next run gets NoSuchUpload and starts over.
    jdir = os.path.join(cdnpipe_env["XDG_CACHE_HOME"], "cdnpipe", "journal")
    (jfile,) = os.listdir(jdir)
    text = open(os.path.join(jdir, jfile), encoding="utf-8").read()
    upload_id = re.search(r"^upload (.+)$", text, re.M).group(1)
    assert re.search(r"^part 1 \S+$", text, re.M)
    s3.client().abort_multipart_upload(Bucket=s3_bucket, Key="r/big.bin", UploadId=upload_id)
    s3.reset()
    sync(cdnpipe_env, *args)
    assert s3.proxy.count(op="CreateMultipartUpload") == 1
    assert s3.proxy.count(op="CompleteMultipartUpload", status=200) == 1
    body = s3.get_bytes(s3_bucket, "r/big.bin", size=30 << 20)
    assert hashlib.md5(body).hexdigest() == file_md5(src / "big.bin")
    assert os.listdir(jdir) == []  # journal removed once complete


def test_empty_header_value_is_neither_signed_nor_sent(s3, s3_bucket, s3_check, cdnpipe_env,
                                                       tmp_path):
    """--cache-control "" once put cache-control in SignedHeaders while curl
    dropped the empty header: every PUT failed the proxy's SigV4 check."""
    src = tmp_path / "src"
    write(src, "a.txt", b"alpha")
    sync(cdnpipe_env, src, f"s3://{s3_bucket}/e", "--cache-control", "")
    h = s3_check.head_object(Bucket=s3_bucket, Key="e/a.txt")
    assert "CacheControl" not in h
    assert s3_check.get_object(Bucket=s3_bucket, Key="e/a.txt")["Body"].read() == b"alpha"
