"""Per-pattern headers (issue 13): [headers "GLOB"] sections of cdnpipe.ini set
Cache-Control, Content-Type, Content-Disposition, x-amz-meta-* and whether a
pattern's compressed siblings are sent; the first matching rule wins; a change
of headers alone reaches the bucket as a metadata copy (no bytes re-sent).
Checked with boto3 against s3rver behind the SigV4-verifying proxy.
"""
import json

import pytest

pytest_plugins = ["s3fixtures"]

RULES = """
[headers "*.html"]
cache-control = no-cache
x-amz-meta-Surrogate-Key = pages

[headers "sw.js"]
cache-control = no-cache, no-store
content-type = text/javascript; charset=utf-8

[headers "*.js"]
cache-control = public, max-age=60

[headers "docs/*.txt"]
content-disposition = attachment
precompressed = false
"""


@pytest.fixture
def site(tmp_path):
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    (src / "index.html").write_text("<!doctype html><p>hello</p>\n" * 30)
    (src / "sw.js").write_text("self.addEventListener('fetch', function () {});\n" * 30)
    (src / "app.js").write_text("console.log('app');\n" * 30)
    (src / "docs" / "guide.txt").write_text("read me\n" * 200)
    (src / "robots.txt").write_text("User-agent: *\n")
    return src


def deploy(cdnpipe, env, src, target, cwd, *extra):
    p = cdnpipe("deploy", "--json", *extra, src, target, env=env, cwd=cwd)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["upload"]


def test_rules_set_headers_and_a_change_is_a_metadata_copy(cdnpipe, s3, s3_bucket, cdnpipe_env,
                                                           site, tmp_path):
    (tmp_path / "cdnpipe.ini").write_text(RULES)
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    c = s3.client(direct=True)

    def head(key):
        return c.head_object(Bucket=s3_bucket, Key="static/" + key)

    m = json.loads(c.get_object(Bucket=s3_bucket, Key="static/staticfiles.json")["Body"].read())
    paths = m["paths"]
    h = head("index.html")
    assert h["CacheControl"] == "no-cache"
    assert h["Metadata"] == {"surrogate-key": "pages", "cdnpipe-managed": "surrogate-key"}
    assert head(paths["index.html"])["CacheControl"] == "no-cache"  # hashed too: rule wins
    # first match wins: sw.js is not *.js's
    h = head("sw.js")
    assert h["CacheControl"] == "no-cache, no-store"
    assert h["ContentType"] == "text/javascript; charset=utf-8"
    assert head("app.js")["CacheControl"] == "public, max-age=60"
    # a sibling follows its plain file's rule
    keys = set(s3.list_keys(s3_bucket, "static/"))
    assert "static/app.js.gz" in keys
    assert head("app.js.gz")["CacheControl"] == "public, max-age=60"
    # no rule: cdnpipe's defaults; manifests keep theirs
    assert head("robots.txt")["CacheControl"] == "public, max-age=300"
    assert head("staticfiles.json")["CacheControl"] == "no-cache"
    # precompressed = false: the plain bytes only
    assert head("docs/guide.txt")["ContentDisposition"] == "attachment"
    assert not any(k.startswith("static/docs/guide") and k.endswith((".gz", ".br"))
                   for k in keys)
    etag_before = head("index.html")["ETag"]

    # the same config again: the marker of these rules is listed, so no
    # HEAD and nothing sent
    marks = [k for k in keys if k.startswith("static/.cdnpipe/headers/")]
    assert len(marks) == 1
    s3.reset()
    r = deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    assert r["uploaded"] == 0
    assert s3.proxy.count(method="PUT") == 0 and s3.proxy.count(op="HeadObject") == 0

    # a header change alone: a copy onto itself, no PutObject of bytes
    (tmp_path / "cdnpipe.ini").write_text(RULES.replace("x-amz-meta-Surrogate-Key = pages",
                                                        "x-amz-meta-Surrogate-Key = html"))
    s3.reset()
    r = deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    changed = sorted(i["key"] for i in r["items"] if i["action"] == "upload")
    assert changed == sorted(["index.html", paths["index.html"]] +
                             [k for k in ("index.html.gz", "index.html.br",
                                          paths["index.html"] + ".gz",
                                          paths["index.html"] + ".br")
                              if "static/" + k in keys])
    assert all(i["reason"] == "headers differ (metadata copy)" for i in r["items"]
               if i["action"] == "upload")
    # no bytes: the new marker and the run's bookkeeping only (its busy
    # marker, the target's generation before and after)
    puts = sorted(r.key for r in s3.proxy.log(op="PutObject"))
    assert len(puts) == 4 and puts[0].startswith("static/.cdnpipe/busy/")
    assert puts[1] == puts[2] == "static/.cdnpipe/generation"
    puts = puts[2:]
    assert puts[1].startswith("static/.cdnpipe/headers/")
    assert s3.proxy.count(op="CopyObject") == len(changed)
    assert set(s3.list_keys(s3_bucket, "static/.cdnpipe/headers/")) == {puts[1]}  # old one gone
    h = head("index.html")
    assert h["Metadata"] == {"surrogate-key": "html", "cdnpipe-managed": "surrogate-key"}
    assert h["CacheControl"] == "no-cache"
    assert h["ETag"] == etag_before
    assert c.get_object(Bucket=s3_bucket, Key="static/index.html")["Body"].read() == \
        (site / "index.html").read_bytes()

    # verify reads the same rules: what they set is right, not a problem
    p = cdnpipe("verify", "--json", target, env=cdnpipe_env, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    # without them, the rules' Cache-Control on fingerprinted files is one
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = cdnpipe("verify", "--json", target, env=cdnpipe_env, cwd=elsewhere)
    assert p.returncode == 1
    problems = json.loads(p.stdout)["problems"]
    assert any(paths["index.html"] in x and "Cache-Control is 'no-cache'" in x
               for x in problems), problems


def test_bad_rules_are_refused_with_the_line(cdnpipe, site, tmp_path):
    cases = [('[headers "*.html"]\ncache-controll = no-cache\n', "cdnpipe.ini:2",
              "unknown key 'cache-controll'"),
             ('[headers *.html]\ncache-control = no-cache\n', "cdnpipe.ini:2",
              'write the section as [headers "GLOB"]'),
             ('[headers "*.txt"]\nprecompressed = maybe\n', "cdnpipe.ini:2", "true or false")]
    for ini, where, says in cases:
        (tmp_path / "cdnpipe.ini").write_text(ini)
        p = cdnpipe("deploy", site, "file://" + str(tmp_path / "pub"))
        assert p.returncode == 2 and where in p.stderr and says in p.stderr, p.stderr
    assert not (tmp_path / "pub").exists()
    # build does not read [headers]: the same file is no error for it
    (tmp_path / "cdnpipe.ini").write_text('[headers "*.html"]\ncache-control = no-cache\n')
    p = cdnpipe("build", site, "-o", tmp_path / "dist")
    assert p.returncode == 0, p.stderr


def test_a_copy_keeps_what_others_set_and_does_not_repeat(cdnpipe, s3, s3_bucket, cdnpipe_env,
                                                          site, tmp_path):
    """Metadata another tool put on an object survives a header copy; only
    the names a rule sets are compared, so the next runs copy nothing."""
    (tmp_path / "cdnpipe.ini").write_text(RULES)
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    c = s3.client(direct=True)
    key = "static/index.html"
    h = c.head_object(Bucket=s3_bucket, Key=key)
    c.copy_object(Bucket=s3_bucket, Key=key, CopySource={"Bucket": s3_bucket, "Key": key},
                  MetadataDirective="REPLACE", ContentType=h["ContentType"],
                  CacheControl=h["CacheControl"], ContentDisposition="inline",
                  Metadata={"surrogate-key": "pages", "owner": "media-team"})
    (tmp_path / "cdnpipe.ini").write_text(RULES.replace("no-cache\nx-amz", "no-cache, max-age=0\nx-amz"))
    s3.reset()
    r = deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    assert "index.html" in [i["key"] for i in r["items"] if i["action"] == "upload"]
    h = c.head_object(Bucket=s3_bucket, Key=key)
    assert h["CacheControl"] == "no-cache, max-age=0"
    assert h["Metadata"] == {"surrogate-key": "pages", "owner": "media-team",
                             "cdnpipe-managed": "surrogate-key"}
    assert h["ContentDisposition"] == "inline"
    # settled: nothing copied again, with or without the marker
    for k in s3.list_keys(s3_bucket, "static/.cdnpipe/headers/"):
        c.delete_object(Bucket=s3_bucket, Key=k)
    s3.reset()
    r = deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    assert r["uploaded"] == 0 and s3.proxy.count(op="CopyObject") == 0
    assert s3.proxy.count(op="HeadObject") > 0  # no marker: checked again


def test_rule_values_that_s3_cannot_keep_are_refused(cdnpipe, site, tmp_path):
    cases = [('[headers "*.html"]\nx-amz-meta-note = caf\u00e9\n', "printable ASCII"),
             ('[headers "*.html"]\nx-amz-meta-a = 1\nx-amz-meta-A = 2\n', "set twice"),
             ('[headers "*.html"]\ncache-control = a\ncache-control = b\n', "set twice"),
             ('[headers "*.html"]\n' + "".join("x-amz-meta-k%02d = %s\n" % (i, "v" * 170)
                                              for i in range(13)), "2048 bytes")]
    for ini, says in cases:
        (tmp_path / "cdnpipe.ini").write_text(ini, encoding="utf-8")
        p = cdnpipe("deploy", site, "file://" + str(tmp_path / "pub"))
        assert p.returncode == 2 and says in p.stderr and "cdnpipe.ini:" in p.stderr, p.stderr


def test_what_a_rule_stops_setting_goes_and_the_marker_follows_the_settings(
        cdnpipe, s3, s3_bucket, cdnpipe_env, site, tmp_path):
    """A name a rule set once and no longer sets is removed by the next copy
    (cdnpipe-managed says which were cdnpipe's); a run with other settings
    (no rules at all) removes the marker, so going back checks again."""
    ini = tmp_path / "cdnpipe.ini"
    ini.write_text('[headers "*.txt"]\nx-amz-meta-a = 1\nx-amz-meta-b = 2\n'
                   'content-disposition = attachment\n')
    target = f"s3://{s3_bucket}/static"
    deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    c = s3.client(direct=True)
    head = lambda k: c.head_object(Bucket=s3_bucket, Key="static/" + k)
    assert head("robots.txt")["Metadata"] == {
        "a": "1", "b": "2", "cdnpipe-managed": "a,b,content-disposition"}
    ini.write_text('[headers "*.txt"]\nx-amz-meta-a = 1\n')
    deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    h = head("robots.txt")
    assert h["Metadata"] == {"a": "1", "cdnpipe-managed": "a"}
    assert "ContentDisposition" not in h

    # rules, then a run without them that changes robots.txt, then the rules
    # again: the rules' marker went with the run without them
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /x\n")
    ini.unlink()
    deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    assert s3.list_keys(s3_bucket, "static/.cdnpipe/headers/") == {}
    assert head("robots.txt")["Metadata"] == {}
    ini.write_text('[headers "*.txt"]\nx-amz-meta-a = 1\n')
    s3.reset()
    r = deploy(cdnpipe, cdnpipe_env, site, target, tmp_path)
    assert s3.proxy.count(op="HeadObject") > 0
    assert head("robots.txt")["Metadata"] == {"a": "1", "cdnpipe-managed": "a"}
