"""cdnpipe upload to S3: a real s3rver behind the SigV4-verifying proxy
(s3env.py).  Results are read back with boto3 straight from s3rver, never
with cdnpipe; what cdnpipe sent is counted at the proxy."""

import hashlib
import json
import os

import pytest

pytest_plugins = ["s3fixtures"]
from upload_dist import make_dist, expected_headers


def check_bucket(s3, bucket, prefix, files, mode="siblings"):
    """Every key: bytes, Content-Type, Cache-Control, Content-Encoding."""
    want = {}
    for k, v in files.items():
        if mode != "siblings" and (k.endswith((".gz", ".br")) and k[:-3] in files):
            continue
        body = files.get(k + ".gz", v) if mode == "gzip" else v
        want[k] = body
    listed = s3.list_keys(bucket, prefix)
    history = sorted(k for k in listed if k[len(prefix):].startswith(".cdnpipe/"))
    # the deploy history (issue 13): one release for the upload that went live
    # (a failed attempt removes its own), and the target's generation (issue 14)
    assert [k.rsplit("/", 1)[1] for k in history] == [
        "generation", "release.json", "staticfiles.json"]
    assert sorted(k for k in listed if k not in history) == sorted(prefix + k for k in want)
    c = s3.client(direct=True)
    for k, body in want.items():
        key = prefix + k
        assert s3.get_bytes(bucket, key, size=len(body)) == body, key
        h = c.head_object(Bucket=bucket, Key=key)
        ctype, cache, enc = expected_headers(k, files, mode)
        assert h.get("ContentType") == ctype, key
        assert h.get("CacheControl") == cache, key
        assert h.get("ContentEncoding") == enc, key


def assert_run_bookkeeping(s3, prefix):
    """A run that changed the target: its busy marker first, a new generation
    before its first change and after its last, and the marker removed
    (upload/publish/state.c)."""
    puts = [r.key for r in s3.proxy.log(method="PUT")]
    busy = puts[0]
    assert busy.startswith(prefix + ".cdnpipe/busy/"), puts
    assert puts[1] == puts[-1] == prefix + ".cdnpipe/generation", puts
    assert [r.key for r in s3.proxy.log(op="DeleteObject")] == [busy]


def upload(cdnpipe, env, *args, check=0):
    return cdnpipe("upload", *map(str, args), env=env, check=check)


def test_upload_then_no_change_makes_no_put(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist)
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/static")
    check_bucket(s3, s3_bucket, "static/", files)
    assert s3.proxy.count(status=403) == 0  # every signature verified
    # the manifest came after every asset; the run's bookkeeping around them
    puts = [r.key for r in s3.proxy.log(op="PutObject")]
    assert [k for k in puts if "/.cdnpipe/" not in k][-1] == "static/staticfiles.json"
    assert_run_bookkeeping(s3, "static/")
    s3.reset()
    p = upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/static/", "--json")
    rep = json.loads(p.stdout)
    assert rep["uploaded"] == 0 and rep["skipped"] == len(files)
    assert s3.proxy.count(method="PUT") == 0
    assert s3.proxy.count(method="POST") == 0
    assert {r.op for r in s3.proxy.log()} == {"ListObjectsV2"}


def test_changed_unhashed_file_is_resent(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist)
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}")
    s3.reset()
    files["robots.txt"] = b"User-agent: *\nDisallow: /y\n"  # another size
    (dist / "robots.txt").write_bytes(files["robots.txt"])
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}")
    # robots.txt, inside the run's busy marker and generations (issue 14)
    assert [r.key for r in s3.proxy.log(method="PUT")][1:] == [
        ".cdnpipe/generation", "robots.txt", ".cdnpipe/generation"]
    assert_run_bookkeeping(s3, "")
    check_bucket(s3, s3_bucket, "", files)
    # same size, other bytes: only the ETag can tell
    s3.reset()
    files["robots.txt"] = files["robots.txt"].replace(b"/y", b"/z")
    (dist / "robots.txt").write_bytes(files["robots.txt"])
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}")
    assert [r.key for r in s3.proxy.log(method="PUT")][1:] == [
        ".cdnpipe/generation", "robots.txt", ".cdnpipe/generation"]
    assert s3.get_bytes(s3_bucket, "robots.txt").endswith(b"/z\n")


def test_keys_that_need_encoding(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist, odd_names=True)
    assert any("%" in k and " " in k and "\u00e9" in k for k in files)
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/a b+c")
    assert s3.proxy.count(status=403) == 0
    check_bucket(s3, s3_bucket, "a b+c/", files)
    s3.reset()
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/a b+c")
    assert s3.proxy.count(method="PUT") == 0


def test_encoding_gzip_and_options(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist)
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/gz", "--encoding=gzip")
    check_bucket(s3, s3_bucket, "gz/", files, mode="gzip")
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/cc",
           "--cache-control-unhashed", "public, max-age=60", "--encoding", "none")
    h = s3.client(direct=True).head_object(Bucket=s3_bucket, Key="cc/robots.txt")
    assert h["CacheControl"] == "public, max-age=60"
    assert not [k for k in s3.list_keys(s3_bucket, "cc/") if k.endswith((".gz", ".br"))]
    # no ACL header unless asked
    assert not [r for r in s3.proxy.log(method="PUT") if "x-amz-acl" in r.headers]


def test_more_than_1000_files(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    extra = {f"icons/i{n:04d}.svg": b"<svg>%d</svg>" % n for n in range(1100)}
    files = make_dist(dist, extra=extra)
    assert len(files) > 2200
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/static")
    listed = s3.list_keys(s3_bucket, "static/")
    assert len([k for k in listed if not k.startswith("static/.cdnpipe/")]) == len(files)
    for k in ("icons/i0000.svg", "icons/i1099.svg", "staticfiles.json"):
        assert s3.get_bytes(s3_bucket, "static/" + k) == files[k]
    s3.reset()
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/static")
    assert s3.proxy.count(method="PUT") == 0
    assert s3.proxy.count(op="ListObjectsV2") >= 3  # paginated


def big_bytes(n):
    out, i = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(b"%d" % i).digest() * 64
        i += 1
    return bytes(out[:n])


def test_multipart_upload(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    big = big_bytes(12 * 1024 * 1024 + 777)
    files = make_dist(dist, extra={"media/big.bin": big})
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}", "--multipart-threshold", "5M")
    assert s3.proxy.count(op="CreateMultipartUpload") >= 1
    assert s3.proxy.count(op="UploadPart") >= 2
    assert s3.proxy.count(op="CompleteMultipartUpload") >= 1
    for k in [k for k in files if k.startswith("media/")]:
        assert s3.get_bytes(s3_bucket, k, size=len(big)) == big
    check_bucket(s3, s3_bucket, "", files)
    s3.reset()  # s3rver's multipart ETag is a plain MD5: must still match
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}", "--multipart-threshold", "5M")
    assert s3.proxy.count(method="PUT") == 0 and s3.proxy.count(method="POST") == 0


def test_failed_multipart_is_aborted(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    big = big_bytes(11 * 1024 * 1024)
    make_dist(dist, extra={"media/big.bin": big})
    s3.proxy.inject(500, op="UploadPart")  # never stops
    p = upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}", "--multipart-threshold",
               "5M", "--retries", "1", check=None)
    assert p.returncode == 1
    assert s3.proxy.aborted, "the failed multipart upload was not aborted"
    assert "media/big" in p.stderr
    keys = s3.list_keys(s3_bucket)
    assert "staticfiles.json" not in keys
    assert not [k for k in keys if k.startswith("media/big")]


def test_transient_faults_still_end_right(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist, extra={f"img/p{n}.png": bytes([n]) * 999 for n in range(40)})
    s3.proxy.inject(503, rate=0.2, method="PUT", seed=3)
    s3.proxy.inject(500, rate=0.1, method="PUT", seed=4)
    s3.proxy.inject("drop", rate=0.1, method="PUT", seed=5)
    s3.proxy.inject(503, rate=0.3, op="ListObjectsV2", seed=6)
    # 12 retries: the faults are drawn from the bucket's name, which depends on
    # how many tests ran before; with 8, one name (t012-...) fails a key 9
    # times in a row, and no name below t400 does 13 times
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/s", "--retries", "12")
    assert sum(r.hits for r in s3.proxy.faults) > 0  # faults did happen
    s3.proxy.clear_faults()
    check_bucket(s3, s3_bucket, "s/", files)


def test_persistent_failure_holds_back_manifest(cdnpipe, s3, s3_bucket, cdnpipe_env,
                                                tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist)
    bad = json.loads(files["staticfiles.json"])["paths"]["js/app.js"]
    s3.proxy.inject(503, key="st/" + bad)
    s3.proxy.inject("drop", key="st/robots.txt")
    p = upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/st", "--retries", "2",
               "--json", check=None)
    assert p.returncode == 1
    rep = json.loads(p.stdout)
    failed = {i["key"]: i["error"] for i in rep["items"] if i.get("status") == "failed"}
    assert set(failed) == {bad, "robots.txt"}
    assert all(failed.values())
    assert rep["manifest_uploaded"] is False
    keys = s3.list_keys(s3_bucket, "st/")
    assert "st/staticfiles.json" not in keys
    assert "st/css/app.css" in keys  # the other assets arrived
    # without --json: the summary names each failed key
    p = upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/st", "--retries", "1",
               check=None)
    assert p.returncode == 1 and bad in p.stderr and "robots.txt" in p.stderr
    assert "manifest" in p.stderr
    s3.proxy.clear_faults()
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}/st")
    check_bucket(s3, s3_bucket, "st/", files)


def test_dry_run_changes_nothing(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist)
    p = upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}", "--dry-run")
    assert s3.list_keys(s3_bucket) == {}
    assert {r.op for r in s3.proxy.log()} == {"ListObjectsV2"}
    lines = p.stdout.splitlines()
    assert len(lines) == len(files) and all(x.startswith("upload ") for x in lines)
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}")
    s3.reset()
    p = upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}", "--dry-run", "--json")
    rep = json.loads(p.stdout)
    assert rep["dry_run"] is True
    assert {i["action"] for i in rep["items"]} == {"skip"}
    assert s3.proxy.count(method="PUT") == 0


def test_verbose_output_has_no_secret(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    make_dist(dist)
    p = cdnpipe("upload", dist, f"s3://{s3_bucket}", "-v", "-v", env=cdnpipe_env)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "staticfiles.json" in out  # -v does log requests
    # the access key and the secret are both "S3RVER" on s3rver
    for secret in (cdnpipe_env["AWS_SECRET_ACCESS_KEY"], "Signature=", "Authorization",
                   "AWS4-HMAC"):
        assert secret not in out
    sig = s3.proxy.log(method="PUT")[0].headers["authorization"].split("Signature=")[1]
    assert sig not in out


def test_acl_only_when_asked(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    make_dist(dist)
    upload(cdnpipe, cdnpipe_env, dist, f"s3://{s3_bucket}", "--acl", "public-read")
    puts = [r for r in s3.proxy.log(method="PUT") if not r.key.startswith(".cdnpipe/")]
    assert puts and all(r.headers.get("x-amz-acl") == "public-read" for r in puts)


@pytest.mark.parametrize("env_change", ["no-credentials", "no-bucket"])
def test_clear_errors(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path, env_change):
    dist = tmp_path / "dist"
    make_dist(dist)
    env, bucket = dict(cdnpipe_env), s3_bucket
    if env_change == "no-credentials":
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    else:
        bucket = "no-such-bucket-here"
    p = cdnpipe("upload", dist, f"s3://{bucket}/x", env=env)
    assert p.returncode in (1, 2)
    assert p.stderr.strip() and len(p.stderr.strip().splitlines()) <= 3
    assert s3.proxy.count(method="PUT") == 0


def test_endpoint_and_region_flags(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist)
    env = {k: v for k, v in cdnpipe_env.items()
           if k not in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION")}
    upload(cdnpipe, env, dist, f"s3://{s3_bucket}/f", "--endpoint", s3.url, "--region",
           "us-east-1", "--path-style", "--concurrency", "3")
    assert s3.proxy.count(status=403) == 0
    check_bucket(s3, s3_bucket, "f/", files)
    # the flags beat the environment: a wrong region there is overridden
    env["AWS_REGION"] = "eu-west-3"
    s3.reset()
    upload(cdnpipe, env, dist, f"s3://{s3_bucket}/f", "--endpoint", s3.url, "--region",
           "us-east-1")
    assert s3.proxy.count(status=403) == 0 and s3.proxy.count(method="PUT") == 0
