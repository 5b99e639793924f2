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

RELEASE = re.compile(r"^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{12}$")


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

    # the history went up first, then the assets, then the live manifests
    puts = [r.key for r in s3.proxy.log(op="PutObject")]
    hist = [i for i, k in enumerate(puts) if "/.cdnpipe/releases/" in k]
    live = [i for i, k in enumerate(puts) if k in ("static/staticfiles.json",
                                                     "static/.vite/manifest.json")]
    asset = [i for i, k in enumerate(puts) if k.startswith("static/css/")]
    assert asset and hist and live
    assert max(hist) < min(asset) and max(asset) < min(live)
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


def test_rolling_deploys_prune_and_rollback(cdnpipe, s3, s3_bucket, cdnpipe_env, site):
    """deploy A, B, C; prune --keep 2 (A's own files go, B's and C's stay, nothing
    live breaks); rollback to B: every B URL is served."""
    target = f"s3://{s3_bucket}/static"
    paths = []
    for colour in ("red", "green", "blue"):
        (site / "css" / "app.css").write_text("body { color: %s }\n" % colour)
        deploy(cdnpipe, cdnpipe_env, site, target)
        paths.append(live_manifest(s3, s3_bucket))
    a, b, c = paths
    keys = set(s3.list_keys(s3_bucket, "static/"))
    for m in paths:
        assert "static/" + m["css/app.css"] in keys
    s3.reset()
    # a dry run names what would go, and changes nothing
    p = cdnpipe("prune", target, "--keep", "2", "--min-age", "0s", "--dry-run", env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    planned = {l.split(" ", 1)[1] for l in p.stdout.splitlines()}
    assert planned and all(k.startswith(a["css/app.css"]) for k in planned)
    assert set(s3.list_keys(s3_bucket, "static/")) == keys
    # the guard: more than --max-delete refuses, deleting nothing
    p = cdnpipe("prune", target, "--keep", "2", "--min-age", "0s", "--max-delete", "1",
                env=cdnpipe_env) if len(planned) > 1 else None
    if p is not None:
        assert p.returncode == 1 and "max-delete" in p.stderr
        assert set(s3.list_keys(s3_bucket, "static/")) == keys
    # too young: nothing goes
    p = cdnpipe("prune", target, "--keep", "2", env=cdnpipe_env)
    assert p.returncode == 0 and set(s3.list_keys(s3_bucket, "static/")) == keys
    s3.reset()
    p = cdnpipe("prune", target, "--keep", "2", "--min-age", "0s", env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    prune_requests = len(s3.proxy.log())
    left = set(s3.list_keys(s3_bucket, "static/"))
    assert keys - left == {"static/" + k for k in planned}
    for m in (b, c):  # kept releases: every file there
        assert all("static/" + h in left for h in m.values())
    assert "static/css/app.css" in left and "static/staticfiles.json" in left
    assert [k for k in keys if "/.cdnpipe/" in k] == [k for k in left if "/.cdnpipe/" in k]
    s3.reset()
    rs = releases(cdnpipe, cdnpipe_env, target)
    p = cdnpipe("rollback", target, "--to", rs[1]["release"], env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    rollback_requests = len(s3.proxy.log())
    assert live_manifest(s3, s3_bucket) == b
    for h in b.values():
        body = s3.get_bytes(s3_bucket, "static/" + h)
        assert body is not None
    # a's release can no longer be rolled back to: its file is gone
    p = cdnpipe("rollback", target, "--to", rs[2]["release"], env=cdnpipe_env)
    assert p.returncode == 1 and a["css/app.css"] in p.stderr
    # B is live and whole: verify passes; an object deleted by hand is named
    s3.reset()
    p = cdnpipe("verify", target, env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    verify_requests = len(s3.proxy.log())
    s3.client(direct=True).delete_object(Bucket=s3_bucket, Key="static/" + b["css/app.css"])
    p = cdnpipe("verify", "--json", target, env=cdnpipe_env)
    assert p.returncode == 1
    assert any(b["css/app.css"] in x and "missing" in x
               for x in json.loads(p.stdout)["problems"])
    print(f"\nrolling scenario: prune {prune_requests} requests, rollback {rollback_requests}, "
          f"verify {verify_requests}")


def test_verify(cdnpipe, s3, s3_bucket, cdnpipe_env, site):
    (site / "img").mkdir()
    (site / "img" / "dot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)) * 20)
    (site / "css" / "app.css").write_text("body { background: url(../img/dot.png) }\n" * 40)
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target)
    m = live_manifest(s3, s3_bucket)
    base = f"{s3.direct_url}/{s3_bucket}/static/"
    p = cdnpipe("verify", "--json", target, "--base-url", base, env=cdnpipe_env)
    assert p.returncode == 0, (p.stdout, p.stderr)
    rep = json.loads(p.stdout)
    assert rep["ok"] and rep["problems"] == [] and rep["checked"] >= len(m)
    c = s3.client(direct=True)
    css = "static/" + m["css/app.css"]
    png = "static/" + m["img/dot.png"]
    # a wrong header, altered bytes, a missing file: each named
    c.copy_object(Bucket=s3_bucket, Key=css, CopySource={"Bucket": s3_bucket, "Key": css},
                  MetadataDirective="REPLACE", ContentType="text/css; charset=utf-8",
                  CacheControl="no-store")
    c.put_object(Bucket=s3_bucket, Key=png, Body=b"not the png", ContentType="image/png",
                 CacheControl="public, max-age=31536000, immutable")
    c.delete_object(Bucket=s3_bucket, Key="static/" + m["robots.txt"])
    s3.wait_settled(s3_bucket, png, size=len(b"not the png"))
    p = cdnpipe("verify", target, "--base-url", base, env=cdnpipe_env)
    assert p.returncode == 1
    assert f"{m['css/app.css']}: Cache-Control is 'no-store'" in p.stderr
    assert f"{m['img/dot.png']}: its bytes are not the fingerprinted file's" in p.stderr
    assert f"{m['robots.txt']}: missing" in p.stderr
    assert "bytes served are not the file's" in p.stderr  # through the "CDN" too


# ---- what prune must never do (review findings) ----

def pub(tmp_path, name="pub"):
    return tmp_path / name, "file://" + str(tmp_path / name)


def test_prune_refuses_manifest_paths_that_match_no_key(cdnpipe, site, tmp_path):
    folder, target = pub(tmp_path)
    p = cdnpipe("deploy", "--manifest=symfony", "--manifest-prefix=build/", site, target)
    assert p.returncode == 0, p.stderr
    before = sorted(x.name for x in (folder / "css").iterdir())
    p = cdnpipe("prune", target, "--min-age", "0s")
    assert p.returncode == 1 and "not at the target" in p.stderr
    assert sorted(x.name for x in (folder / "css").iterdir()) == before


def test_prune_leaves_a_nested_site_alone(cdnpipe, site, tmp_path):
    folder, target = pub(tmp_path)
    cdnpipe("deploy", site, target + "/admin", check=0)
    cdnpipe("deploy", site, target, check=0)
    (site / "css" / "app.css").write_text("body { color: purple }\n")
    cdnpipe("deploy", site, target, check=0)
    nested = sorted(str(x) for x in (folder / "admin").rglob("*"))
    p = cdnpipe("prune", target, "--keep", "1", "--min-age", "0s", check=0)
    assert sorted(str(x) for x in (folder / "admin").rglob("*")) == nested
    assert "deleted" in p.stderr


def test_a_release_without_manifests_holds_no_keep_slot(cdnpipe, site, tmp_path):
    folder, target = pub(tmp_path)
    cdnpipe("deploy", site, target, check=0)
    first = json.loads((folder / "staticfiles.json").read_text())["paths"]["css/app.css"]
    (site / "css" / "app.css").write_text("body { color: teal }\n")
    cdnpipe("deploy", site, target, check=0)
    # a newer release whose copies never arrived (only its record)
    broken = folder / ".cdnpipe" / "releases" / "29991231T000000.000Z-000000000000"
    broken.mkdir(parents=True)
    (broken / "release.json").write_text("{}")
    cdnpipe("prune", target, "--keep", "2", "--min-age", "0s", check=0)
    assert (folder / first).exists()  # the release before the live one keeps its files


def test_dist_with_a_cdnpipe_folder_is_refused(cdnpipe, site, tmp_path):
    dist = tmp_path / "dist"
    cdnpipe("build", site, "-o", dist, check=0)
    (dist / ".cdnpipe").mkdir()
    (dist / ".cdnpipe" / "x").write_text("x")
    folder, target = pub(tmp_path)
    p = cdnpipe("upload", dist, target)
    assert p.returncode == 1 and ".cdnpipe" in p.stderr
    assert not folder.exists()


def test_prune_falls_back_to_single_deletes(cdnpipe, s3, s3_bucket, cdnpipe_env, site):
    """A store without DeleteObjects (501): prune deletes one key at a time, and
    deletes exactly what it planned."""
    target = f"s3://{s3_bucket}/static"
    for colour in ("red", "green", "blue"):
        (site / "css" / "app.css").write_text("body { color: %s }\n" % colour * 30)
        deploy(cdnpipe, cdnpipe_env, site, target)
    keys = set(s3.list_keys(s3_bucket, "static/"))
    p = cdnpipe("prune", target, "--keep", "1", "--min-age", "0s", "--dry-run", env=cdnpipe_env)
    planned = {"static/" + l.split(" ", 1)[1] for l in p.stdout.splitlines()}
    assert len(planned) >= 2
    s3.reset()
    s3.proxy.inject("501", op="DeleteObjects")
    p = cdnpipe("prune", target, "--keep", "1", "--min-age", "0s", "-v", env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    assert "one key at a time" in p.stderr
    assert s3.proxy.count(op="DeleteObjects") == 1
    # each planned key, and the run's busy marker (upload/publish/state.c)
    singles = [r.key for r in s3.proxy.log(op="DeleteObject")]
    assert len(singles) == len(planned) + 1 and "/.cdnpipe/busy/" in singles[-1]
    assert keys - set(s3.list_keys(s3_bucket, "static/")) == planned


def test_verify_checks_sizes_the_manifest_records(cdnpipe, s3, s3_bucket, cdnpipe_env, site):
    """Sprockets' manifest records each file's size: a file of another size is
    named as such (as well as by its MD5)."""
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target, "--manifest=django,sprockets")
    p = cdnpipe("verify", target, env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    m = live_manifest(s3, s3_bucket)
    key = "static/" + m["css/app.css"]
    c = s3.client(direct=True)
    c.put_object(Bucket=s3_bucket, Key=key, Body=b"short", ContentType="text/css",
                 CacheControl="public, max-age=31536000, immutable")
    s3.wait_settled(s3_bucket, key, size=5)
    p = cdnpipe("verify", "--json", target, env=cdnpipe_env)
    assert p.returncode == 1
    problems = json.loads(p.stdout)["problems"]
    assert any(m["css/app.css"] in x and "5 bytes, the manifest says" in x for x in problems), \
        problems
