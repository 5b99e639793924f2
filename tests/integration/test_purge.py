"""CDN purge (issue 13): after the live manifest is published, deploy, upload
and rollback purge exactly the unhashed keys that changed or are new, as URLs
under --purge-base-url (CloudFront: their paths), against a local fake of each
provider's API (fakecdn.py) that checks the request as the provider would.
"""
import json
import os
import re

import pytest

import fakecdn

pytest_plugins = ["s3fixtures"]

BASE = "https://cdn.example.com/static/"
HASHED = re.compile(r"\.[0-9a-f]{12}\.")


@pytest.fixture
def site(tmp_path):
    src = tmp_path / "src"
    (src / "css").mkdir(parents=True)
    (src / "css" / "app.css").write_text("body { background: url(../img/dot.png) }\n" * 40)
    (src / "img").mkdir()
    (src / "img" / "dot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    (src / "robots.txt").write_text("User-agent: *\n")
    (src / "a b~\u00fc.txt").write_text("odd name\n")
    return src


@pytest.fixture
def cloudfront():
    s = fakecdn.CloudFront()
    yield s
    s.close()


@pytest.fixture
def env(tmp_path, cloudfront):
    """No S3 needed for folder targets; CloudFront's keys for its fake."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    cfg = tmp_path / "aws-empty"
    cfg.write_text("")
    e.update({"AWS_ACCESS_KEY_ID": cloudfront.key, "AWS_SECRET_ACCESS_KEY": cloudfront.secret,
              "AWS_CONFIG_FILE": str(cfg), "AWS_SHARED_CREDENTIALS_FILE": str(cfg),
              "AWS_EC2_METADATA_DISABLED": "true",
              "AWS_ENDPOINT_URL_CLOUDFRONT": cloudfront.url})
    return e


def unhashed_in(dist):
    """What a first deploy of dist must purge: every file without a fingerprint."""
    out = set()
    for root, _, files in os.walk(dist):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), dist)
            if not HASHED.search(f):
                out.add(rel)
    return out


def cf_path(key):
    # CloudFront's rule, written out independently: RFC 1738 unsafe and
    # non-ASCII bytes encoded, nothing else
    unsafe = set(' "#%<>[\\]^`{|}~?')
    return "/static/" + "".join(
        "%%%02X" % b if b < 0x21 or b > 0x7e or chr(b) in unsafe else chr(b)
        for b in key.encode())


def cf_args(cf):
    return ["--purge", "cloudfront", "--purge-distribution-id", cf.distribution,
            "--purge-base-url", BASE]


def test_deploy_purges_exactly_the_changed_unhashed_keys_cloudfront(
        cdnpipe, site, tmp_path, env, cloudfront):
    target = "file://" + str(tmp_path / "pub")
    dist = tmp_path / "dist"
    p = cdnpipe("deploy", "--dist", dist, *cf_args(cloudfront), "--json", site, target, env=env)
    assert p.returncode == 0, p.stderr
    want = unhashed_in(dist)
    assert {"staticfiles.json", "robots.txt", "css/app.css", "a b~\u00fc.txt"} <= want
    assert sorted(cloudfront.purged) == sorted(cf_path(k) for k in want)
    assert "/static/a%20b%7E%C3%BC.txt" in cloudfront.purged
    assert not any(".cdnpipe" in x or HASHED.search(x) for x in cloudfront.purged)
    report = json.loads(p.stdout)["upload"]
    assert report["purge"]["ok"] and report["purge"]["id"] == "I000001"
    assert sorted(report["purge"]["purged"]) == sorted(cloudfront.purged)
    # one CreateInvalidation, signed (the fake verified it with botocore)
    assert [r["method"] for r in cloudfront.requests] == ["POST"]

    # a change to app.css: its unhashed copy (and siblings) and the manifest
    cloudfront.reset()
    (site / "css" / "app.css").write_text("body { color: blue }\n" * 40)
    p = cdnpipe("deploy", "--dist", dist, *cf_args(cloudfront), site, target, env=env)
    assert p.returncode == 0, p.stderr
    got = set(cloudfront.purged)
    assert "/static/staticfiles.json" in got and "/static/css/app.css" in got
    assert "/static/robots.txt" not in got
    assert got <= {cf_path(k) for k in want}

    # nothing changed: nothing to purge, no request
    cloudfront.reset()
    p = cdnpipe("deploy", "--dist", dist, *cf_args(cloudfront), site, target, env=env)
    assert p.returncode == 0, p.stderr
    assert cloudfront.requests == []


def test_cloudfront_wildcard_retry_and_wait(cdnpipe, site, tmp_path, env, cloudfront):
    target = "file://" + str(tmp_path / "pub")
    # busy once: the same request again, one invalidation
    cloudfront.fail.append(cloudfront.error(400, "TooManyInvalidationsInProgress",
                                            "Processing your request will cause you to exceed "
                                            "the maximum number of in-progress invalidations"))
    p = cdnpipe("upload", "--help", env=env)  # (upload takes the purge options too)
    assert "--purge-max-paths" in p.stdout
    p = cdnpipe("deploy", *cf_args(cloudfront), "--purge-max-paths", "2", "--purge-wait",
                site, target, env=env)
    assert p.returncode == 0, p.stderr
    posts = [r for r in cloudfront.requests if r["method"] == "POST"]
    assert len(posts) == 2 and posts[0]["body"] == posts[1]["body"]  # same CallerReference
    assert len(cloudfront.invalidations) == 1
    assert cloudfront.purged == ["/static/*"]  # more than 2 paths: one wildcard
    gets = [r for r in cloudfront.requests if r["method"] == "GET"]
    assert len(gets) == 2  # InProgress, then Completed


def test_purge_failure_says_files_are_live_and_how_to_retry(cdnpipe, site, tmp_path, env,
                                                            cloudfront):
    target = "file://" + str(tmp_path / "pub")
    bad = dict(env, AWS_SECRET_ACCESS_KEY="not-the-secret")
    p = cdnpipe("deploy", "-v", *cf_args(cloudfront), site, target, env=bad)
    assert p.returncode == 1
    assert "files are live" in p.stderr and "SignatureDoesNotMatch" in p.stderr
    assert "not-the-secret" not in p.stderr + p.stdout
    assert "Signature=" not in p.stderr
    m = re.search(r"cdnpipe purge (\S+) --release (\S+)", p.stderr)
    assert m and m.group(1) == target
    assert (tmp_path / "pub" / "staticfiles.json").exists()  # the deploy itself is live
    assert cloudfront.purged == []
    # the printed command purges what the deploy would have
    p = cdnpipe("purge", *cf_args(cloudfront), target, "--release", m.group(2), env=env)
    assert p.returncode == 0, p.stderr
    assert "/static/staticfiles.json" in cloudfront.purged
    assert "/static/robots.txt" in cloudfront.purged
    assert not any(HASHED.search(x) for x in cloudfront.purged)
    # keys given by hand
    cloudfront.reset()
    p = cdnpipe("purge", *cf_args(cloudfront), target, "robots.txt", env=env)
    assert p.returncode == 0, p.stderr
    assert cloudfront.purged == ["/static/robots.txt"]


def test_missing_settings_fail_before_anything_is_published(cdnpipe, site, tmp_path, env):
    target = "file://" + str(tmp_path / "pub")
    cases = [(["--purge", "cloudflare", "--purge-zone", "z", "--purge-base-url", BASE],
              "CLOUDFLARE_API_TOKEN"),
             (["--purge", "cloudfront", "--purge-base-url", BASE], "--purge-distribution-id"),
             (["--purge", "bunny"], "--purge-base-url"),
             (["--purge", "akamai"], "unknown provider")]
    for args, says in cases:
        p = cdnpipe("deploy", *args, site, target, env=env)
        assert p.returncode == 2 and says in p.stderr, (args, p.stderr)
    assert not (tmp_path / "pub").exists()


def test_cloudflare_batches_and_waits_out_429(cdnpipe, tmp_path, env):
    cf = fakecdn.Cloudflare()
    try:
        src = tmp_path / "many"
        src.mkdir()
        for i in range(40):
            (src / ("page%02d.txt" % i)).write_text("page %d\n" % i)
        e = dict(env, CLOUDFLARE_API_TOKEN=cf.token, CLOUDFLARE_API_URL=cf.url)
        cf.fail.append(cf.too_many())
        target = "file://" + str(tmp_path / "pub")
        dist = tmp_path / "dist"
        p = cdnpipe("deploy", "--dist", dist, "--purge", "cloudflare", "--purge-zone", cf.zone,
                    "--purge-base-url", BASE, "-v", src, target, env=e)
        assert p.returncode == 0, p.stderr
        assert cf.token not in p.stderr + p.stdout
        want = sorted(BASE + k for k in unhashed_in(dist))
        assert sorted(cf.purged) == want and len(want) > 30
        bodies = [json.loads(r["body"])["files"] for r in cf.requests]
        # 429 first, then the same batch again, then the rest: 30 at most each
        assert bodies[0] == bodies[1] and all(len(b) <= 30 for b in bodies)
        assert len(cf.requests) == 1 + -(-len(want) // 30)
        # a smaller batch, from [purge] in cdnpipe.ini; the API base with /client/v4
        (tmp_path / "cdnpipe.ini").write_text(
            "[purge]\nprovider = cloudflare\nzone = %s\nbase-url = %s\nbatch = 10\n"
            % (cf.zone, BASE))
        cf.reset()
        e["CLOUDFLARE_API_URL"] = cf.url + "/client/v4/"
        p = cdnpipe("purge", target, *("page%02d.txt" % i for i in range(25)), env=e)
        assert p.returncode == 0, p.stderr
        assert [len(json.loads(r["body"])["files"]) for r in cf.requests] == [10, 10, 5]
        # Cloudflare's own error text, and exit 1
        cf.reset()
        e["CLOUDFLARE_API_TOKEN"] = "wrong"
        p = cdnpipe("purge", target, "robots.txt", env=e)
        assert p.returncode == 1 and "Authentication error" in p.stderr
        # a key in [purge] that is not a purge option is a typo
        (tmp_path / "cdnpipe.ini").write_text("[purge]\nendpoint = http://x\n")
        p = cdnpipe("purge", target, "robots.txt", env=e)
        assert p.returncode == 2 and "unknown key 'endpoint' in [purge]" in p.stderr
    finally:
        cf.close()


def deploy_purging(cdnpipe, site, tmp_path, env, provider, *extra):
    """Deploys site to a folder with --purge provider; the target, and the
    URLs the purge must name (every unhashed file, encoded as a URL)."""
    target = "file://" + str(tmp_path / "pub")
    dist = tmp_path / "dist"
    p = cdnpipe("deploy", "--dist", dist, "--purge", provider, "--purge-base-url", BASE, *extra,
                site, target, env=env)
    assert p.returncode == 0, p.stderr
    return target, sorted(BASE + k.replace(" ", "%20").replace("\u00fc", "%C3%BC")
                          for k in unhashed_in(dist))


def test_fastly_urls_soft_and_surrogate_key(cdnpipe, site, tmp_path, env):
    f = fakecdn.Fastly()
    try:
        e = dict(env, FASTLY_API_TOKEN=f.token, FASTLY_API_URL=f.url)
        target, want = deploy_purging(cdnpipe, site, tmp_path, e, "fastly", "--soft-purge")
        assert sorted(f.purged) == sorted(u[len("https://"):] for u in want)
        assert all(f.soft)
        f.reset()
        p = cdnpipe("purge", "--purge", "fastly", "--purge-base-url", BASE, "--surrogate-key",
                    "static-unhashed", "--purge-service-id", f.service, target, env=e)
        assert p.returncode == 0, p.stderr
        assert f.purged == ["key:static-unhashed"] and len(f.requests) == 1
        assert f.soft == [False]
        p = cdnpipe("purge", "--purge", "fastly", "--purge-base-url", BASE, "--surrogate-key",
                    "k", target, env=e)
        assert p.returncode == 2 and "--purge-service-id" in p.stderr
    finally:
        f.close()


def test_bunny_purges_each_url(cdnpipe, site, tmp_path, env):
    b = fakecdn.Bunny()
    try:
        e = dict(env, BUNNY_API_KEY=b.key, BUNNY_API_URL=b.url)
        target, want = deploy_purging(cdnpipe, site, tmp_path, e, "bunny")
        assert sorted(b.purged) == want
        assert all(r["query"]["async"] == ["false"] for r in b.requests)
        b.fail.append((500, {}, b"upstream"))  # one 5xx is retried
        p = cdnpipe("purge", "--purge", "bunny", "--purge-base-url", BASE, target,
                    "robots.txt", env=e)
        assert p.returncode == 0, p.stderr
        assert b.purged[-1] == BASE + "robots.txt"
        e["BUNNY_API_KEY"] = "nope"
        p = cdnpipe("purge", "--purge", "bunny", "--purge-base-url", BASE, target,
                    "robots.txt", env=e)
        assert p.returncode == 1 and "Authorization has been denied" in p.stderr
        assert "nope" not in p.stderr
    finally:
        b.close()


def test_s3_deploy_and_rollback_purge(cdnpipe, s3, s3_bucket, cdnpipe_env, site):
    """Against s3rver behind the verifying proxy: CloudFront's request signed with
    the same credentials chain as S3's; rollback purges the manifests it restores."""
    cf = fakecdn.CloudFront(key=cdnpipe_env["AWS_ACCESS_KEY_ID"],
                            secret=cdnpipe_env["AWS_SECRET_ACCESS_KEY"])
    try:
        e = dict(cdnpipe_env, AWS_ENDPOINT_URL_CLOUDFRONT=cf.url)
        target = f"s3://{s3_bucket}/static"
        p = cdnpipe("deploy", *cf_args(cf), site, target, env=e)
        assert p.returncode == 0, p.stderr
        puts = {r.key[len("static/"):] for r in s3.proxy.log(op="PutObject")}
        want = {k for k in puts if not k.startswith(".cdnpipe/") and not HASHED.search(k)}
        assert sorted(cf.purged) == sorted(cf_path(k) for k in want)
        (site / "css" / "app.css").write_text("body { color: teal }\n")
        p = cdnpipe("deploy", *cf_args(cf), site, target, env=e)
        assert p.returncode == 0, p.stderr
        cf.reset()
        p = cdnpipe("rollback", *cf_args(cf), "--json", target, env=e)
        assert p.returncode == 0, p.stderr
        assert cf.purged == ["/static/staticfiles.json"]
        assert json.loads(p.stdout)["purge"]["purged"] == cf.purged
    finally:
        cf.close()


def test_a_failed_deploy_purges_the_unhashed_files_that_arrived(cdnpipe, s3, s3_bucket,
                                                                 cdnpipe_env, site):
    """Unhashed keys are live the moment they arrive: when a fingerprinted file
    fails, the manifest stays old, but what arrived is purged all the same."""
    cf = fakecdn.CloudFront(key=cdnpipe_env["AWS_ACCESS_KEY_ID"],
                            secret=cdnpipe_env["AWS_SECRET_ACCESS_KEY"])
    try:
        e = dict(cdnpipe_env, AWS_ENDPOINT_URL_CLOUDFRONT=cf.url)
        target = f"s3://{s3_bucket}/static"
        s3.proxy.inject("403", op="PutObject", match=lambda r: HASHED.search(r.key or "")
                        and r.key.endswith(".png"))
        p = cdnpipe("deploy", *cf_args(cf), "--retries", "0", site, target, env=e)
        assert p.returncode == 1
        assert "arrived before the failure are live" in p.stderr
        arrived = {r.key[len("static/"):] for r in s3.proxy.log(op="PutObject", status=200)}
        assert "robots.txt" in arrived and "staticfiles.json" not in arrived
        assert sorted(cf.purged) == sorted(cf_path(k) for k in arrived
                                           if not HASHED.search(k) and ".cdnpipe/" not in k)
    finally:
        cf.close()


def test_urls_as_frameworks_and_browsers_spell_them(cdnpipe, tmp_path, env):
    """A key with sub-delimiters is requested differently by different pages:
    Cloudflare gets each spelling; CloudFront gets a key with '*' as a wildcard."""
    cf = fakecdn.Cloudflare()
    try:
        e = dict(env, CLOUDFLARE_API_TOKEN=cf.token, CLOUDFLARE_API_URL=cf.url)
        target = "file://" + str(tmp_path / "pub")
        p = cdnpipe("purge", "--purge", "cloudflare", "--purge-zone", cf.zone,
                    "--purge-base-url", BASE, target, "x+y(1).txt", env=e)
        assert p.returncode == 0, p.stderr
        assert sorted(cf.purged) == sorted(BASE + s for s in
                                           ("x%2By%281%29.txt", "x%2By(1).txt", "x+y(1).txt"))
    finally:
        cf.close()


def test_cloudfront_star_keys_become_wildcards(cdnpipe, tmp_path, env, cloudfront):
    target = "file://" + str(tmp_path / "pub")
    p = cdnpipe("purge", *cf_args(cloudfront), target, "a*b.txt", "plain.txt", env=env)
    assert p.returncode == 0, p.stderr
    assert sorted(cloudfront.purged) == ["/static/a*", "/static/plain.txt"]


def test_provider_words_are_scrubbed_and_retry_after_dates_are_waited(cdnpipe, tmp_path, env):
    cf = fakecdn.Cloudflare()
    try:
        e = dict(env, CLOUDFLARE_API_TOKEN=cf.token, CLOUDFLARE_API_URL=cf.url)
        target = "file://" + str(tmp_path / "pub")
        args = ["purge", "--purge", "cloudflare", "--purge-zone", cf.zone, "--purge-base-url",
                BASE, "--json", target, "robots.txt"]
        # an error that echoes the request's token, with a control character
        cf.fail.append(fakecdn.Cloudflare.error(
            400, 1012, "bad request: Authorization: Bearer %s\x1b[31m" % cf.token))
        p = cdnpipe(*args, env=e)
        assert p.returncode == 1
        assert cf.token not in p.stderr + p.stdout and "\x1b" not in p.stderr
        assert "bad request" in p.stderr
        # a token where the message is cut: not even its start shows
        cf.fail.append(fakecdn.Cloudflare.error(400, 1012, "x" * 228 + " " + cf.token))
        p = cdnpipe(*args, env=e)
        assert p.returncode == 1 and cf.token[:6] not in p.stderr + p.stdout
        # Retry-After as an HTTP date in the past, then 0: still at least 1 s apart
        import time
        from email.utils import formatdate
        cf.reset()
        cf.fail.extend([fakecdn.Cloudflare.error(429, 971, "slow down",
                                                 **{"Retry-After": formatdate(0, usegmt=True)}),
                        fakecdn.Cloudflare.error(429, 971, "slow down", **{"Retry-After": "0"})])
        t0 = time.monotonic()
        p = cdnpipe(*args, env=e)
        assert p.returncode == 0, p.stderr
        assert len(cf.requests) == 3 and time.monotonic() - t0 >= 2.0
    finally:
        cf.close()


def test_settings_of_another_provider_are_refused(cdnpipe, tmp_path, env, site):
    target = "file://" + str(tmp_path / "pub")
    p = cdnpipe("deploy", "--purge-zone", "z", "--purge-wait", site, target, env=env)
    assert p.returncode == 2 and "no provider" in p.stderr
    assert not (tmp_path / "pub").exists()
    e = dict(env, BUNNY_API_KEY="k")
    for extra, says in ((["--purge-zone", "z"], "--purge-zone is for --purge cloudflare"),
                        (["--purge-wait"], "--purge-wait is for --purge cloudfront"),
                        (["--soft-purge"], "--soft-purge is for --purge fastly")):
        p = cdnpipe("purge", "--purge", "bunny", "--purge-base-url", BASE, *extra, target,
                    "robots.txt", env=e)
        assert p.returncode == 2 and says in p.stderr, p.stderr


def test_cloudfront_wait_stops_on_an_answer_without_status(cdnpipe, tmp_path, env, cloudfront):
    target = "file://" + str(tmp_path / "pub")
    orig = cloudfront.answer

    def no_status(req):
        if req["method"] == "GET":
            return 200, {"Content-Type": "text/xml"}, "<Invalidation><Id>x</Id></Invalidation>"
        return orig(req)

    cloudfront.answer = no_status
    p = cdnpipe("purge", *cf_args(cloudfront), "--purge-wait", target, "robots.txt", env=env)
    assert p.returncode == 1 and "without a Status" in p.stderr


def test_a_header_change_and_a_changed_file_in_one_deploy(cdnpipe, s3, s3_bucket, cdnpipe_env,
                                                          site, tmp_path):
    """The CDN holds a fingerprinted file with its old (immutable) headers: a
    change of headers alone must reach it too.  Header copies and puts run in
    one phase: each item ends as its own request did, and every changed key
    is purged, exactly."""
    cf = fakecdn.CloudFront(key=cdnpipe_env["AWS_ACCESS_KEY_ID"],
                            secret=cdnpipe_env["AWS_SECRET_ACCESS_KEY"])
    try:
        e = dict(cdnpipe_env, AWS_ENDPOINT_URL_CLOUDFRONT=cf.url)
        target = f"s3://{s3_bucket}/static"
        ini = tmp_path / "cdnpipe.ini"
        ini.write_text('[headers "*.png"]\ncache-control = public, max-age=600\n')
        p = cdnpipe("deploy", *cf_args(cf), site, target, env=e, cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        m = json.loads(s3.get_bytes(s3_bucket, "static/staticfiles.json"))["paths"]
        cf.reset()
        ini.write_text('[headers "*.png"]\ncache-control = public, max-age=60\n')
        (site / "robots.txt").write_text("User-agent: *\nDisallow: /tmp/\n")
        p = cdnpipe("deploy", *cf_args(cf), "--json", site, target, env=e, cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        items = {i["key"]: i for i in json.loads(p.stdout)["upload"]["items"]}
        assert all(i["status"] == "done" for i in items.values() if i["action"] == "upload")
        assert sorted(cf.purged) == sorted(cf_path(k) for k in (
            "img/dot.png", m["img/dot.png"], "robots.txt", "staticfiles.json"))
    finally:
        cf.close()
