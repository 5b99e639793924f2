"""The upload state (issue 14): each successful upload leaves what it knew was
at the target in the cache folder; `--trust-state` plans from it instead of
listing, so a no-change deploy sends no request at all and a small change
sends only what changed.  Against s3rver behind the SigV4-verifying proxy,
which counts every request.
"""
import json
import os
import time

import pytest

pytest_plugins = ["s3fixtures"]


@pytest.fixture
def site(tmp_path):
    src = tmp_path / "src"
    (src / "css").mkdir(parents=True)
    (src / "css" / "app.css").write_text("body { color: red }\n" * 40)
    (src / "robots.txt").write_text("User-agent: *\n")
    return src


def deploy(cdnpipe, env, src, target, *extra):
    p = cdnpipe("deploy", "--json", *extra, src, target, env=env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["upload"], p.stderr


def states(env):
    d = os.path.join(env["XDG_CACHE_HOME"], "cdnpipe", "targets")
    return [os.path.join(d, f) for f in os.listdir(d)] if os.path.isdir(d) else []


def test_trust_state_skips_the_listing(cdnpipe, s3, s3_bucket, cdnpipe_env, site):
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target)
    assert len(states(cdnpipe_env)) == 1

    # no change: one HEAD (the target's generation is the one the state saw)
    s3.reset()
    r, err = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert r["uploaded"] == 0 and r["listed"] is False
    assert [q.op for q in s3.proxy.log()] == ["HeadObject"]

    # one change: only what changed, still no listing
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n")
    s3.reset()
    r, _ = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert s3.proxy.count(op="ListObjectsV2") == 0
    sent = sorted(i["key"] for i in r["items"] if i["action"] == "upload")
    assert "robots.txt" in sent and not any(k.startswith("css/") for k in sent)
    assert s3.get_bytes(s3_bucket, "static/robots.txt") == (site / "robots.txt").read_bytes()

    # what it cannot know: a key removed behind its back (the README's
    # warning); a run without --trust-state lists and puts it back
    s3.client(direct=True).delete_object(Bucket=s3_bucket, Key="static/robots.txt")
    s3.reset()
    r, _ = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert r["uploaded"] == 0
    r, _ = deploy(cdnpipe, cdnpipe_env, site, target)
    assert r["listed"] is True and "robots.txt" in [i["key"] for i in r["items"]
                                                     if i["action"] == "upload"]


def test_prune_forgets_the_state_and_a_bad_state_is_not_believed(cdnpipe, s3, s3_bucket,
                                                                cdnpipe_env, site):
    target = f"s3://{s3_bucket}/static"
    for colour in ("red", "green"):
        (site / "css" / "app.css").write_text("body { color: %s }\n" % colour * 40)
        deploy(cdnpipe, cdnpipe_env, site, target)
    p = cdnpipe("rollback", target, env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    assert states(cdnpipe_env) == []  # the live manifests changed: the state is gone
    # the next deploy of the current sources lists, and makes them live again
    r, _ = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert r["listed"] is True and "staticfiles.json" in [
        i["key"] for i in r["items"] if i["action"] == "upload"]
    p = cdnpipe("prune", target, "--keep", "1", "--min-age", "0s", env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    assert states(cdnpipe_env) == []  # prune deleted objects: the state is gone
    s3.reset()
    r, _ = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert r["listed"] is True and s3.proxy.count(op="ListObjectsV2") >= 1
    # a damaged state file: a warning, then the listing
    (path,) = states(cdnpipe_env)
    with open(path, "w") as f:
        f.write('{"target": "s3 elsewhere", "keys": []}')
    s3.reset()
    r, err = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert r["listed"] is True and "not usable" in err


def test_another_writer_or_a_failed_deploy_makes_the_next_run_list(cdnpipe, s3, s3_bucket,
                                                                  cdnpipe_env, site, tmp_path):
    """The generation key: a deploy from elsewhere (another machine, another
    spelling of the endpoint: another state file) or a deploy that failed
    half-way changes it, and a --trust-state run then lists."""
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target)
    elsewhere = dict(cdnpipe_env, XDG_CACHE_HOME=str(tmp_path / "other-machine"))
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /b/\n")
    deploy(cdnpipe, elsewhere, site, target)
    (site / "robots.txt").write_text("User-agent: *\n")
    s3.reset()
    r, err = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert r["listed"] is True and "changed since" in err
    assert s3.get_bytes(s3_bucket, "static/robots.txt") == b"User-agent: *\n"
    # a deploy that fails after its first change
    (site / "css" / "app.css").write_text("body { color: olive }\n" * 40)
    s3.proxy.inject("403", op="PutObject", match=lambda q: q.key.endswith(".css"))
    p = cdnpipe("deploy", "--retries", "0", site, target, env=cdnpipe_env)
    assert p.returncode == 1
    s3.proxy.clear_faults()
    r, err = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert r["listed"] is True
    m = json.loads(s3.get_bytes(s3_bucket, "static/staticfiles.json"))["paths"]
    assert s3.get_bytes(s3_bucket, "static/" + m["css/app.css"]) is not None


def test_trust_holds_across_changing_runs(cdnpipe, s3, s3_bucket, cdnpipe_env, site):
    """A --trust-state run that changes something makes a new generation and
    records it: the next no-change --trust-state run is still one HEAD."""
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target)
    deploy(cdnpipe, cdnpipe_env, site, target)  # a listed no-change run
    for text in ("one", "two"):
        (site / "robots.txt").write_text("User-agent: *\n# %s\n" % text)
        r, _ = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
        assert r["listed"] is False
        s3.reset()
        r, _ = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
        assert r["listed"] is False and [q.op for q in s3.proxy.log()] == ["HeadObject"]


def test_a_listing_taken_while_another_run_writes_is_not_saved(cdnpipe, s3, s3_bucket,
                                                               cdnpipe_env, site):
    """Run B has begun (its busy marker and new generation are there) and goes
    on writing after run A listed: a state A saved from that listing would be
    believed, with B's generation, long after B changed what it describes.
    Review finding, issue 14."""
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target)
    c = s3.client(direct=True)
    # B begins: its marker, a new generation, a first change of its own
    c.put_object(Bucket=s3_bucket, Key="static/.cdnpipe/busy/%d-b0b0" % time.time(), Body=b"")
    c.put_object(Bucket=s3_bucket, Key="static/.cdnpipe/generation", Body=b"B's")
    c.put_object(Bucket=s3_bucket, Key="static/b-only.txt", Body=b"B")
    r, err = deploy(cdnpipe, cdnpipe_env, site, target, "-v")  # A: lists, changes nothing
    assert r["listed"] is True and r["uploaded"] == 0
    assert "no upload state saved" in err
    # B's later write, then B is killed (no last generation)
    c.put_object(Bucket=s3_bucket, Key="static/robots.txt", Body=b"B was here\n")
    r, _ = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert r["listed"] is True
    assert s3.get_bytes(s3_bucket, "static/robots.txt") == (site / "robots.txt").read_bytes()


@pytest.mark.parametrize("where", ["at", "below", "above"])
def test_a_sync_into_a_deploy_target_makes_its_states_stale(cdnpipe, s3, s3_bucket,
                                                            cdnpipe_env, site, tmp_path, where):
    """`sync` changes a deploy target's objects like a deploy does, at the
    target's prefix, into a folder of it, or from the bucket's root: it
    replaces the target's generation before and after, and the next
    --trust-state deploy lists and puts the files back."""
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target)
    gen = s3.client(direct=True).head_object(Bucket=s3_bucket,
                                             Key="static/.cdnpipe/generation")["ETag"]
    media = tmp_path / "media"
    rel = {"at": "robots.txt", "below": "static/robots.txt", "above": "x.txt"}[where]
    dest = {"at": target, "below": f"s3://{s3_bucket}/",
            "above": f"s3://{s3_bucket}/static/img/"}[where]
    (media / rel).parent.mkdir(parents=True, exist_ok=True)
    (media / rel).write_text("Disallow: /\n")
    p = cdnpipe("sync", media, dest, env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    now = s3.client(direct=True).head_object(Bucket=s3_bucket,
                                             Key="static/.cdnpipe/generation")["ETag"]
    assert now != gen
    r, err = deploy(cdnpipe, cdnpipe_env, site, target, "--trust-state")
    assert r["listed"] is True and "changed since" in err
    assert s3.get_bytes(s3_bucket, "static/robots.txt") == (site / "robots.txt").read_bytes()
