"""cdnpipe url (issue 12): the CDN URL, integrity and HTML tag of logical names,
from a manifest in a file, a DIST folder or a published target; and a page made
of its --html output loaded in headless Chromium from s3rver, where the browser
itself checks the integrity values (an altered file is blocked).

Expected values are computed here: URLs from the manifests parsed in Python,
integrity as "sha384-" + base64(sha384(bytes of the DIST file)).
"""
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import pytest

pytest_plugins = ["s3fixtures"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=5000"]

SITE = {
    "css/site.css": b"#probe { color: rgb(1, 2, 3); }\nbody { background: url(../img/dot.png); }\n",
    "js/site.js": b'document.body.dataset.ran = "yes";\n'
                  b'var p = document.getElementById("probe");\n'
                  b'document.getElementById("out").textContent = '
                  b'getComputedStyle(p).color;\n',
    "img/dot.png": b"\x89PNG\r\n\x1a\n" + bytes(range(64)),
    "docs/a b%c+d\u00e9.txt": b"odd name\n",
}


def sri(data, alg="sha384"):
    return alg + "-" + base64.b64encode(hashlib.new(alg, data).digest()).decode()


@pytest.fixture
def built(cdnpipe, tmp_path):
    src = tmp_path / "src"
    for rel, body in SITE.items():
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(body)
    dist = tmp_path / "dist"
    cdnpipe("build", "--manifest=all", src, "-o", dist, check=0)
    paths = json.loads((dist / "staticfiles.json").read_text())["paths"]
    return src, dist, paths


def url_of(base, hashed):
    return base + urllib.parse.quote(hashed, safe="/-._~")


def test_dist_and_every_dialect_give_the_same_urls(cdnpipe, built):
    _, dist, paths = built
    names = ["css/site.css", "js/site.js", "img/dot.png"]
    base = "https://cdn.example.com/static/"
    want = [url_of(base, paths[n]) for n in names]
    p = cdnpipe("url", "--dist", dist, "--base-url", base, *names, check=0)
    assert p.stdout.splitlines() == want
    for m in ["staticfiles.json", ".vite/manifest.json", ".manifest.json", "manifest.json",
              "mix-manifest.json", "cache_manifest.json"]:
        p = cdnpipe("url", "--manifest", dist / m, "--base-url", base, *names, check=0)
        assert p.stdout.splitlines() == want, m
    # the default base URL is /static/, the default manifest the current folder's
    p = cdnpipe("url", "css/site.css", cwd=dist, check=0)
    assert p.stdout == "/static/" + paths["css/site.css"] + "\n"


def test_percent_encoding_of_an_awkward_name(cdnpipe, built):
    _, dist, paths = built
    name = [n for n in paths if n.startswith("docs/")][0]
    p = cdnpipe("url", "--dist", dist, "--base-url", "/s/", name, check=0)
    line = p.stdout.strip()
    assert line == url_of("/s/", paths[name])
    assert " " not in line and "%25" in line and "%2B" in line and "%C3%A9" in line


def test_integrity_from_the_manifest_and_computed(cdnpipe, built):
    _, dist, paths = built
    name = "js/site.js"
    body = (dist / paths[name]).read_bytes()
    # vite carries integrity; staticfiles.json does not: computed from the file
    for m in [".vite/manifest.json", "staticfiles.json"]:
        p = cdnpipe("url", "--manifest", dist / m, "--integrity", name, check=0)
        assert p.stdout.split() == ["/static/" + paths[name], sri(body)], m
    p = cdnpipe("url", "--dist", dist, "--integrity", "--sri", "sha256,sha512", name, check=0)
    assert p.stdout.split() == ["/static/" + paths[name], sri(body, "sha256"),
                                sri(body, "sha512")]


def test_html_tags(cdnpipe, built):
    _, dist, paths = built
    base = "https://cdn.example.com/static/"
    p = cdnpipe("url", "--dist", dist, "--html", "--base-url", base, "css/site.css",
                "js/site.js", "img/dot.png", check=0)
    css, js, png = p.stdout.splitlines()
    c = (dist / paths["css/site.css"]).read_bytes()
    j = (dist / paths["js/site.js"]).read_bytes()
    assert css == ('<link rel="stylesheet" href="%s" integrity="%s" crossorigin="anonymous">'
                   % (base + paths["css/site.css"], sri(c)))
    assert js == ('<script src="%s" integrity="%s" crossorigin="anonymous" defer></script>'
                  % (base + paths["js/site.js"], sri(j)))
    assert png == base + paths["img/dot.png"]


def test_unknown_name_and_missing_manifest(cdnpipe, built, tmp_path):
    _, dist, paths = built
    p = cdnpipe("url", "--dist", dist, "css/site.css", "css/sight.css")
    assert p.returncode == 1
    assert p.stdout.splitlines() == ["/static/" + paths["css/site.css"]]
    assert "css/sight.css" in p.stderr and "did you mean css/site.css" in p.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    p = cdnpipe("url", "--dist", empty, "css/site.css")
    assert p.returncode == 1 and str(empty / "staticfiles.json") in p.stderr
    p = cdnpipe("url", "--manifest", empty / "nope.json", "x")
    assert p.returncode == 1 and "nope.json" in p.stderr
    assert cdnpipe("url").returncode == 2
    assert cdnpipe("url", "--dist", dist, "--manifest", dist / "staticfiles.json",
                   "x").returncode == 2
    assert cdnpipe("url", "--dist", dist, "--sri", "md5", "x").returncode == 2


def test_target_folder_and_bucket(cdnpipe, built, s3, s3_bucket, cdnpipe_env, tmp_path):
    _, dist, paths = built
    names = ["css/site.css", "js/site.js"]
    want = cdnpipe("url", "--dist", dist, "--integrity", *names, check=0).stdout
    folder = tmp_path / "published"
    cdnpipe("upload", "-q", dist, "file://" + str(folder), check=0)
    p = cdnpipe("url", "--target", "file://" + str(folder), "--integrity", *names, check=0)
    assert p.stdout == want
    cdnpipe("upload", "-q", dist, f"s3://{s3_bucket}/static", env=cdnpipe_env, check=0)
    p = cdnpipe("url", "--target", f"s3://{s3_bucket}/static", "--integrity", *names,
                env=cdnpipe_env, check=0)
    assert p.stdout == want
    # the bucket's staticfiles.json has no SRI: the values came from fetched bytes
    assert not [f for f in os.listdir(os.environ.get("TMPDIR", "/tmp"))
                if f.startswith("cdnpipe-url.")]


# ---- Chromium: a page made of `cdnpipe url --html`, served by s3rver ----

def load(page_url):
    r = subprocess.run([CHROMIUM, *FLAGS, "--dump-dom", page_url], capture_output=True,
                       timeout=120, text=True, errors="replace")
    return r.stdout, r.stderr


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason="chromium absent: Debian package chromium (scripts/install-deps.sh check)")
def test_chromium_loads_the_page_and_blocks_an_altered_file(cdnpipe, built, s3, s3_bucket,
                                                           cdnpipe_env):
    _, dist, paths = built
    cdnpipe("upload", "-q", dist, f"s3://{s3_bucket}/static", env=cdnpipe_env, check=0)
    base = f"{s3.direct_url}/{s3_bucket}/static/"
    tags = cdnpipe("url", "--dist", dist, "--html", "--base-url", base, "css/site.css",
                   "js/site.js", check=0).stdout
    page = ('<!doctype html><html><head><meta charset="utf-8">%s</head><body>'
            '<p id="probe">x</p><pre id="out">not run</pre></body></html>' % tags)
    client = s3.client(direct=True)
    for k in paths.values():
        s3.wait_settled(s3_bucket, "static/" + k, size=(dist / k).stat().st_size)
    client.put_object(Bucket=s3_bucket, Key="static/page.html", Body=page.encode(),
                      ContentType="text/html; charset=utf-8")
    s3.wait_settled(s3_bucket, "static/page.html", size=len(page.encode()))
    dom, log = load(base + "page.html")
    assert 'data-ran="yes"' in dom, log[-2000:]
    assert '<pre id="out">rgb(1, 2, 3)</pre>' in dom, dom
    assert "Failed to find a valid digest" not in log and "net::ERR" not in log, log[-2000:]

    # the same page after the JS object was changed behind the manifest's back
    js_key = "static/" + paths["js/site.js"]
    evil = b'document.body.dataset.ran = "evil";\n'
    client.put_object(Bucket=s3_bucket, Key=js_key, Body=evil,
                      ContentType="text/javascript; charset=utf-8")
    s3.wait_settled(s3_bucket, js_key, size=len(evil))
    dom, log = load(base + "page.html")
    assert 'data-ran="evil"' not in dom and 'data-ran="yes"' not in dom, dom
    assert '<pre id="out">not run</pre>' in dom
    assert re.search(r"integrity|digest", log, re.I), log[-2000:]


# ---- what a hostile or untidy DIST must not do ----

def test_missing_file_without_sri_is_named_and_the_rest_printed(cdnpipe, built):
    _, dist, paths = built
    (dist / paths["css/site.css"]).unlink()
    p = cdnpipe("url", "--dist", dist, "--html", "css/site.css", "img/dot.png")
    assert p.returncode == 1
    assert "css/site.css" in p.stderr and "integrity" in p.stderr
    assert p.stdout.splitlines() == ["/static/" + paths["img/dot.png"]]


def test_unsafe_paths_in_a_manifest_are_refused(cdnpipe, tmp_path):
    m = tmp_path / "manifest.json"
    m.write_text(json.dumps({"a.css": "../../../../etc/passwd", "b.css": "/etc/hostname",
                             "c.css": "css/c.0123456789ab.css"}))
    p = cdnpipe("url", "--manifest", m, "--integrity", "a.css", "b.css", "c.css")
    assert p.returncode == 1
    assert "unsafe path" in p.stderr and "passwd" in p.stderr
    assert "root:" not in p.stdout and "sha384" not in p.stdout
    # c.css is fine but its file is absent: named, nothing printed for it
    assert "c.css" in p.stderr


def test_a_sites_own_manifest_json(cdnpipe, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "manifest.json").write_text('{"name": "app", "icons": [{"src": "i.png"}]}')
    (src / "a.css").write_text("a { color: red }")
    # a dialect that would overwrite it: refused before anything is written
    p = cdnpipe("build", "--manifest=symfony", src, "-o", tmp_path / "d1")
    assert p.returncode == 1 and "manifest.json" in p.stderr
    assert not (tmp_path / "d1" / "a.css").exists()
    # another dialect: the web app manifest stays an ordinary, briefly cached file,
    # and the hashed files are immutable without any staticfiles.json
    d2 = tmp_path / "d2"
    cdnpipe("build", "--manifest=vite", src, "-o", d2, check=0)
    p = cdnpipe("upload", "--dry-run", "--json", d2, "file://" + str(tmp_path / "t"), check=0)
    items = {i["key"]: i for i in json.loads(p.stdout)["items"]}
    assert items["manifest.json"]["cache_control"] == "public, max-age=300"
    assert items[".vite/manifest.json"]["cache_control"] == "no-cache"
    hashed = [k for k in items if re.fullmatch(r"a\.[0-9a-f]{12}\.css", k)][0]
    assert "immutable" in items[hashed]["cache_control"]
    # url reads the vite manifest, not the web app's
    p = cdnpipe("url", "--dist", d2, "a.css", check=0)
    assert p.stdout.strip() == "/static/" + hashed


def test_url_takes_the_newest_manifest_in_a_folder(cdnpipe, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.css").write_text("a { color: red }")
    dist = tmp_path / "dist"
    cdnpipe("build", src, "-o", dist, check=0)  # staticfiles.json
    (src / "a.css").write_text("a { color: blue }")
    os.utime(dist / "staticfiles.json", (1_000_000_000, 1_000_000_000))
    cdnpipe("build", "--manifest=vite", src, "-o", dist, check=0)  # the old one stays
    new = json.loads((dist / ".vite" / "manifest.json").read_text())["a.css"]["file"]
    p = cdnpipe("url", "--dist", dist, "a.css", check=0)
    assert p.stdout.strip() == "/static/" + new
