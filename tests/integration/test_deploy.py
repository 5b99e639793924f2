"""cdnpipe deploy = build + upload, end to end, to file:// and to S3 (s3rver
behind the verifying proxy).  The published result is checked on its own
terms: the manifest's hashed names are the MD5 of the published bytes (as
Django names them), CSS references point at published keys, the .gz
siblings decompress to their file, and the headers are right - read with
os and boto3, never with cdnpipe."""

import gzip
import hashlib
import json
import os
import re

pytest_plugins = ["s3fixtures"]
from upload_dist import IMMUTABLE, TYPES

SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "upload",
                    "site")
# Build options pass through deploy (the minifiers' output is their tests' concern).
BUILD_OPTS = ["--exclude", "*.scss"]  # css/theme.scss must not be published


def check_published(read):
    """read(key) -> bytes or None.  Returns the manifest's paths."""
    manifest = json.loads(read("staticfiles.json"))
    paths = manifest["paths"]
    assert set(paths) == {"css/app.css", "css/base.css", "js/app.js", "img/logo.png",
                          "img/paper.png"}
    for name, hashed in paths.items():
        body = read(hashed)
        assert body is not None, hashed
        # Django's name: name.<first 12 hex of the MD5 of the final bytes>.ext
        assert hashed.split(".")[-2] == hashlib.md5(body).hexdigest()[:12], hashed
        gz = read(hashed + ".gz")
        if gz is not None:
            assert gzip.decompress(gz) == body
    app = read(paths["css/app.css"]).decode()
    for ref in re.findall(r'url\("?([^")]+)"?\)', app):
        key = os.path.normpath(os.path.join("css", ref)) if not ref.startswith("/") \
            else ref[len("/static/"):]
        assert key in paths.values(), ref
    return paths


def test_deploy_to_folder(cdnpipe, tmp_path):
    out = tmp_path / "site"
    env = dict(os.environ, TMPDIR=str(tmp_path))
    p = cdnpipe("deploy", *BUILD_OPTS, SITE, f"file://{out}", env=env, check=0)
    assert "uploaded" in p.stderr

    def read(k):
        f = out / k
        return f.read_bytes() if f.is_file() else None

    check_published(read)
    # the temporary DIST is gone
    assert not [n for n in os.listdir(tmp_path) if n.startswith("cdnpipe-deploy")]
    # a second deploy of the same sources copies nothing
    before = {str(f): f.stat().st_mtime_ns for f in out.rglob("*") if f.is_file()}
    p = cdnpipe("deploy", *BUILD_OPTS, SITE, f"file://{out}", "--json", env=env, check=0)
    rep = json.loads(p.stdout)
    assert rep["ok"] and rep["build"]["ok"] and rep["upload"]["uploaded"] == 0
    assert {str(f): f.stat().st_mtime_ns for f in out.rglob("*") if f.is_file()} == before


def test_deploy_keeps_dist_when_asked(cdnpipe, tmp_path):
    out, dist = tmp_path / "site", tmp_path / "dist"
    cdnpipe("deploy", *BUILD_OPTS, SITE, f"file://{out}", "--dist", dist, check=0)
    assert (dist / "staticfiles.json").read_bytes() == (out / "staticfiles.json").read_bytes()


def test_deploy_build_error_uploads_nothing(cdnpipe, tmp_path):
    src = tmp_path / "src"
    (src / "css").mkdir(parents=True)
    (src / "css" / "a.css").write_text("a { background: url(missing.png); }\n")
    out = tmp_path / "site"
    p = cdnpipe("deploy", *BUILD_OPTS, src, f"file://{out}")
    assert p.returncode == 1
    assert "missing.png" in p.stderr
    assert not out.exists()


def test_deploy_bad_upload_option_before_building(cdnpipe, tmp_path):
    out = tmp_path / "site"
    p = cdnpipe("deploy", SITE, f"file://{out}", "--encoding", "zip")
    assert p.returncode == 2 and "encoding" in p.stderr
    assert not out.exists()


def test_deploy_to_s3(cdnpipe, s3, s3_bucket, cdnpipe_env, tmp_path):
    c = s3.client(direct=True)
    p = cdnpipe("deploy", *BUILD_OPTS, SITE, f"s3://{s3_bucket}/static", env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    assert s3.proxy.count(status=403) == 0

    def read(k):
        keys = s3.list_keys(s3_bucket, "static/")
        return s3.get_bytes(s3_bucket, "static/" + k) if "static/" + k in keys else None

    paths = check_published(read)
    for name, hashed in paths.items():
        h = c.head_object(Bucket=s3_bucket, Key="static/" + hashed)
        assert h["CacheControl"] == IMMUTABLE
        assert h["ContentType"] == TYPES[os.path.splitext(name)[1]]
        u = c.head_object(Bucket=s3_bucket, Key="static/" + name)
        assert u["CacheControl"] == "public, max-age=300"
    assert c.head_object(Bucket=s3_bucket, Key="static/staticfiles.json")["CacheControl"] \
        == "no-cache"
    puts = [r.key for r in s3.proxy.log(op="PutObject")]
    assert [k for k in puts if "/.cdnpipe/" not in k][-1] == "static/staticfiles.json"
    s3.reset()
    p = cdnpipe("deploy", *BUILD_OPTS, SITE, f"s3://{s3_bucket}/static", env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    assert s3.proxy.count(method="PUT") == 0


def test_deploy_refuses_a_folder_target_inside_a_source_root(cdnpipe, tmp_path):
    src = tmp_path / "static"
    src.mkdir()
    (src / "a.css").write_text("a{color:red}")
    p = cdnpipe("deploy", src, f"file://{src}/bucket")
    assert p.returncode == 2
    assert "inside the source root" in p.stderr
    assert not (src / "bucket").exists()


def test_relative_file_url_is_a_usage_error(cdnpipe, tmp_path):
    src = tmp_path / "static"
    src.mkdir()
    (src / "a.css").write_text("a{color:red}")
    p = cdnpipe("deploy", src, "file://relative/bucket", cwd=tmp_path)
    assert p.returncode == 2
    assert "absolute path" in p.stderr
    assert not (tmp_path / "relative").exists()
