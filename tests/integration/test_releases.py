"""Deploy history and rollback (issue 13, first part), against s3rver behind the
SigV4-verifying proxy: each deploy that makes a manifest live records a release
under <prefix>/.cdnpipe/releases/ before the live manifest is replaced;
`cdnpipe releases` lists them with the live one marked; `cdnpipe rollback`
puts an earlier release's manifests back, refusing when a file they name is gone.
"""
import json
import re

import pytest

pytest_plugins = ["s3fixtures"]

RELEASE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{12}$")


@pytest.fixture
def site(tmp_path):
    src = tmp_path / "src"
    (src / "css").mkdir(parents=True)
    (src / "css" / "app.css").write_text("body { color: red }\n")
    (src / "robots.txt").write_text("User-agent: *\n")
    return src


def deploy(cdnpipe, env, src, target, *extra):
    p = cdnpipe("deploy", "--manifest=django,vite", *extra, src, target, env=env)
    assert p.returncode == 0, p.stderr


def releases(cdnpipe, env, target):
    p = cdnpipe("releases", "--json", target, env=env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["releases"]


def live_manifest(s3, bucket):
    return json.loads(s3.get_bytes(bucket, "static/staticfiles.json"))["paths"]


def test_history_releases_and_rollback(cdnpipe, s3, s3_bucket, cdnpipe_env, site):
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target)
    a = live_manifest(s3, s3_bucket)
    s3.reset()
    (site / "css" / "app.css").write_text("body { color: blue }\n")
    deploy(cdnpipe, cdnpipe_env, site, target)
    b = live_manifest(s3, s3_bucket)
    assert a["css/app.css"] != b["css/app.css"]

    # the history went up after the assets and before the live manifests
    puts = [r.key for r in s3.proxy.log(op="PutObject")]
    hist = [i for i, k in enumerate(puts) if "/.cdnpipe/releases/" in k]
    live = [i for i, k in enumerate(puts) if k in ("static/staticfiles.json",
                                                     "static/.vite/manifest.json")]
    asset = [i for i, k in enumerate(puts) if k.startswith("static/css/")]
    assert asset and hist and live
    assert max(asset) < min(hist) and max(hist) < min(live)
    hist_keys = sorted(puts[i] for i in hist)
    name = hist_keys[0].split("/")[3]
    assert RELEASE.match(name)
    assert hist_keys == sorted(f"static/.cdnpipe/releases/{name}/{m}" for m in
                               (".vite/manifest.json", "release.json", "staticfiles.json"))
    c = s3.client(direct=True)
    record = json.loads(c.get_object(Bucket=s3_bucket,
                                     Key=f"static/.cdnpipe/releases/{name}/release.json")
                        ["Body"].read())
    assert record["release"] == name and record["cdnpipe"] and record["uploaded"] >= 1
    assert "immutable" in c.head_object(
        Bucket=s3_bucket, Key=f"static/.cdnpipe/releases/{name}/staticfiles.json")["CacheControl"]

    rs = releases(cdnpipe, cdnpipe_env, target)
    assert [r["release"] for r in rs] == sorted((r["release"] for r in rs), reverse=True)
    assert len(rs) == 2 and rs[0]["live"] and not rs[1]["live"]
    assert rs[0]["release"] == name

    # a deploy with no change records nothing
    deploy(cdnpipe, cdnpipe_env, site, target)
    assert len(releases(cdnpipe, cdnpipe_env, target)) == 2

    # rollback: the one before the live one
    p = cdnpipe("rollback", target, env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    assert live_manifest(s3, s3_bucket) == a
    rs = releases(cdnpipe, cdnpipe_env, target)
    assert [r["live"] for r in rs] == [False, True]
    assert c.head_object(Bucket=s3_bucket, Key="static/staticfiles.json")["CacheControl"] == \
        "no-cache"
    # and forward again by a unique prefix of its name
    p = cdnpipe("rollback", target, "--to", name[:20], env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    assert live_manifest(s3, s3_bucket) == b


def test_rollback_refuses_when_a_file_is_gone(cdnpipe, s3, s3_bucket, cdnpipe_env, site):
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target)
    a = live_manifest(s3, s3_bucket)
    (site / "css" / "app.css").write_text("body { color: green }\n")
    deploy(cdnpipe, cdnpipe_env, site, target)
    b = live_manifest(s3, s3_bucket)
    s3.client(direct=True).delete_object(Bucket=s3_bucket, Key="static/" + a["css/app.css"])
    p = cdnpipe("rollback", target, env=cdnpipe_env)
    assert p.returncode == 1
    assert a["css/app.css"] in p.stderr and "not rolled back" in p.stderr
    assert live_manifest(s3, s3_bucket) == b  # nothing changed
    p = cdnpipe("rollback", target, "--to", "1999", env=cdnpipe_env)
    assert p.returncode == 1 and "no such release" in p.stderr


def test_folder_target_history(cdnpipe, site, tmp_path):
    target = "file://" + str(tmp_path / "pub")
    p = cdnpipe("deploy", site, target)
    assert p.returncode == 0, p.stderr
    p = cdnpipe("releases", target)
    lines = p.stdout.splitlines()
    assert len(lines) == 1 and lines[0].endswith("  live") and RELEASE.match(lines[0].split()[0])
    # the oldest live release has nothing before it
    p = cdnpipe("rollback", target)
    assert p.returncode == 1 and "oldest" in p.stderr
