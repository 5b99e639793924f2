"""cdnpipe url (issue 12), checked against its contract from the outside.

Every expected value is computed here, in Python, from what the build left
in DIST: the manifest is parsed with json, the URL is the base URL plus the
fingerprinted path percent-encoded by urllib (RFC 3986 unreserved and '/'
kept), the integrity is base64(sha384(bytes of the DIST file)).  Then:
errors and their exit codes; --target against a deploy to s3rver (behind
the verifying proxy) and to a file:// folder; and headless Chromium loading
a page made of `cdnpipe url --html` tags from the bucket: the CSS applies
and the JS runs, and once the JS object is altered in the bucket the
browser refuses it (Subresource Integrity).
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request

import pytest

pytest_plugins = ["s3fixtures"]

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]

AWKWARD = "css/café 100%+&.css"  # space, %, non-ASCII, and two reserved characters
SOURCES = {
    "css/site.css": "#probe { color: rgb(1, 2, 3) }\n",
    "css/other.css": "body { margin: 0 }\n",
    AWKWARD: "#awkward { color: rgb(4, 5, 6) }\n",
    "js/site.js": ("document.body.dataset.ran = 'yes';\n"
                   "document.getElementById('out').textContent ="
                   " getComputedStyle(document.getElementById('probe')).color;\n"),
    "js/mod.mjs": "export const x = 1;\n",
}
BINARY = {"img/logo.png": base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")}

# Each dialect: its file in DIST, and how to read {logical: fingerprinted path} from it.
DIALECTS = {
    "django": ("staticfiles.json", lambda m: m["paths"]),
    "vite": (".vite/manifest.json", lambda m: {k: v["file"] for k, v in m.items()}),
    "propshaft": (".manifest.json", lambda m: {k: v["digested_path"] for k, v in m.items()}),
    "symfony": ("manifest.json", lambda m: dict(m)),
    "mix": ("mix-manifest.json",
            lambda m: {k.lstrip("/"): v.lstrip("/") for k, v in m.items()}),
    "sprockets": (None, lambda m: dict(m["assets"])),
    "phoenix": ("cache_manifest.json", lambda m: dict(m["latest"])),
}


def make_src(root):
    for name, text in SOURCES.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    for name, data in BINARY.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def sri(data, alg="sha384"):
    return f"{alg}-" + base64.b64encode(hashlib.new(alg, data).digest()).decode()


def enc(path):
    return urllib.parse.quote(path, safe="/")  # RFC 3986 unreserved (always kept) and '/'


def manifest_file(dist, dialect):
    fname = DIALECTS[dialect][0]
    if fname is None:  # sprockets: .sprockets-manifest-<32 hex>.json
        found = sorted(dist.glob(".sprockets-manifest-*.json"))
        assert len(found) == 1, found
        return found[0]
    return dist / fname


def paths_of(dist, dialect):
    f = manifest_file(dist, dialect)
    return DIALECTS[dialect][1](json.loads(f.read_text(encoding="utf-8")))


@pytest.fixture
def built(cdnpipe, tmp_path):
    """build(dialect='django', *opts) -> DIST (sources from SOURCES/BINARY)."""
    src = make_src(tmp_path / "src")
    n = [0]

    def build(dialect="django", *opts):
        n[0] += 1
        dist = tmp_path / f"dist{n[0]}-{dialect}"
        cdnpipe("build", f"--manifest={dialect}", *opts, "--compress=none", src, "-o", dist,
                check=0)
        return dist

    return build


def lines(p):
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p.stdout.splitlines()


# ---------------------------------------------------------------- URLs

@pytest.mark.parametrize("dialect", ["django", "vite", "propshaft", "symfony", "mix",
                                     "sprockets", "phoenix"])
def test_url_from_each_dialect(cdnpipe, built, dialect):
    dist = built(dialect)
    paths = paths_of(dist, dialect)
    names = ["js/site.js", "css/site.css", "img/logo.png", AWKWARD]
    assert set(names) <= set(paths), sorted(paths)
    base = "https://cdn.example.com/assets/"
    want = [base + enc(paths[n]) for n in names]
    # --manifest FILE, for every dialect
    got = lines(cdnpipe("url", "--manifest", manifest_file(dist, dialect), "--base-url", base,
                        *names))
    assert got == want
    # --dist DIR finds the file, for the dialects in the contract's search list
    if DIALECTS[dialect][0] is not None:
        assert lines(cdnpipe("url", "--dist", dist, "--base-url", base, *names)) == want
    # --integrity: from the manifest or computed, always the DIST bytes' digest: SHA-384,
    # except Phoenix's manifest, whose value is a SHA-512 ("sha512": base64) - the
    # contract's "integrity comes from the manifest when it has one" read as covering it
    alg = "sha512" if dialect == "phoenix" else "sha384"
    got = lines(cdnpipe("url", "--manifest", manifest_file(dist, dialect), "--base-url", base,
                        "--integrity", *names))
    assert got == [f"{base}{enc(paths[n])} {sri((dist / paths[n]).read_bytes(), alg)}"
                   for n in names]


def test_percent_encoding_of_an_awkward_name(cdnpipe, built):
    dist = built()
    hashed = paths_of(dist, "django")[AWKWARD]
    (url,) = lines(cdnpipe("url", "--dist", dist, AWKWARD))
    assert url == "/static/" + enc(hashed)
    # spelled out, so the check does not rest on urllib alone
    stem = hashed[len("css/"):-len(".css")].split(".")[-1]
    assert url == f"/static/css/caf%C3%A9%20100%25%2B%26.{stem}.css"


def test_defaults_dist_is_the_current_folder_base_is_static(cdnpipe, built):
    dist = built()
    paths = paths_of(dist, "django")
    assert lines(cdnpipe("url", "css/site.css", cwd=dist)) == ["/static/" + paths["css/site.css"]]


def test_base_url_is_prefixed_as_given(cdnpipe, built):
    dist = built()
    h = paths_of(dist, "django")["css/site.css"]
    assert lines(cdnpipe("url", "--dist", dist, "--base-url", "http://127.0.0.1:9/b/static/",
                         "css/site.css")) == ["http://127.0.0.1:9/b/static/" + h]


def test_integrity_values_from_a_vite_manifest(cdnpipe, built):
    # the manifest's own values are printed, and they are the DIST bytes' digests
    dist = built("vite")
    m = json.loads((dist / ".vite/manifest.json").read_text(encoding="utf-8"))
    got = lines(cdnpipe("url", "--dist", dist, "--integrity", "css/site.css", "js/site.js"))
    for line, n in zip(got, ["css/site.css", "js/site.js"]):
        assert line == f"/static/{m[n]['file']} {m[n]['integrity']}"
        assert m[n]["integrity"] == sri((dist / m[n]["file"]).read_bytes())


def test_sri_list_when_the_manifest_has_none(cdnpipe, built):
    dist = built("django")
    h = paths_of(dist, "django")["js/site.js"]
    data = (dist / h).read_bytes()
    (line,) = lines(cdnpipe("url", "--dist", dist, "--integrity", "--sri", "sha256,sha512",
                            "js/site.js"))
    assert line == f"/static/{h} {sri(data, 'sha256')} {sri(data, 'sha512')}"
    (line,) = lines(cdnpipe("url", "--dist", dist, "--integrity", "--sri", "sha512,sha256",
                            "js/site.js"))
    assert line == f"/static/{h} {sri(data, 'sha512')} {sri(data, 'sha256')}"


def test_a_manifests_integrity_wins_over_sri(cdnpipe, built):
    # "Integrity comes from the manifest when it has one": --sri does not change it
    dist = built("propshaft", "--sri=sha256,sha512")
    m = json.loads((dist / ".manifest.json").read_text(encoding="utf-8"))
    e = m["js/site.js"]
    data = (dist / e["digested_path"]).read_bytes()
    assert e["integrity"] == f"{sri(data, 'sha256')} {sri(data, 'sha512')}"
    (line,) = lines(cdnpipe("url", "--dist", dist, "--integrity", "--sri", "sha384",
                            "js/site.js"))
    assert line == f"/static/{e['digested_path']} {e['integrity']}"


def test_html_tags(cdnpipe, built):
    dist = built()
    paths = paths_of(dist, "django")
    base = "https://cdn.example.com/s/"
    names = ["js/site.js", "img/logo.png", "css/site.css", "js/mod.mjs", AWKWARD]
    got = lines(cdnpipe("url", "--dist", dist, "--base-url", base, "--html", *names))

    def tag(n):
        url = base + enc(paths[n])
        i = sri((dist / paths[n]).read_bytes())
        if n.endswith(".css"):
            return f'<link rel="stylesheet" href="{url}" integrity="{i}" crossorigin="anonymous">'
        if n.endswith(".mjs"):  # an ES module runs only as type="module" (deferred anyway)
            return (f'<script type="module" src="{url}" integrity="{i}" '
                    f'crossorigin="anonymous"></script>')
        if n.endswith(".js"):
            return f'<script src="{url}" integrity="{i}" crossorigin="anonymous" defer></script>'
        return url

    assert got == [tag(n) for n in names]
    # --html with --integrity: still the tag (the tag carries the integrity)
    got = lines(cdnpipe("url", "--dist", dist, "--base-url", base, "--html", "--integrity",
                        "css/site.css"))
    assert got == [tag("css/site.css")]


def test_names_keep_their_order_and_repeat(cdnpipe, built):
    dist = built()
    paths = paths_of(dist, "django")
    names = ["img/logo.png", "css/site.css", "js/site.js", "css/other.css", "css/site.css"]
    assert lines(cdnpipe("url", "--dist", dist, *names)) == ["/static/" + paths[n] for n in names]


# ---------------------------------------------------------------- errors

def test_unknown_name_suggests_the_closest(cdnpipe, built):
    dist = built()
    p = cdnpipe("url", "--dist", dist, "css/sight.css")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "css/sight.css" in p.stderr
    assert "staticfiles.json" in p.stderr
    assert "did you mean css/site.css?" in p.stderr
    assert f"cdnpipe url: css/sight.css: not in {dist / 'staticfiles.json'}" \
        " (did you mean css/site.css?)" in p.stderr
    # among known names: still exit 1 and the unknown one is named
    p = cdnpipe("url", "--dist", dist, "css/site.css", "js/sit.js")
    assert p.returncode == 1
    assert "js/sit.js" in p.stderr and "did you mean js/site.js?" in p.stderr


def test_missing_manifest(cdnpipe, tmp_path):
    missing = tmp_path / "nowhere" / "staticfiles.json"
    p = cdnpipe("url", "--manifest", missing, "css/site.css")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert str(missing) in p.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    p = cdnpipe("url", "--dist", empty, "css/site.css")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert str(empty) in p.stderr and "staticfiles.json" in p.stderr
    p = cdnpipe("url", "--target", f"file://{empty}", "css/site.css")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "staticfiles.json" in p.stderr


@pytest.mark.parametrize("args", [
    [],                                               # no NAME
    ["--no-such-option", "css/site.css"],
    ["--manifest"],                                   # option without its value
    ["--sri", "md5", "--integrity", "css/site.css"],  # not an SRI algorithm
    ["--target", "ftp://host/x", "css/site.css"],     # not s3:// or file://
    ["--target", "file://relative/x", "css/site.css"],
], ids=["no-name", "unknown-option", "no-value", "bad-sri", "bad-scheme", "relative-file"])
def test_usage_errors(cdnpipe, built, args):
    dist = built()
    p = cdnpipe("url", *args, cwd=dist)
    assert p.returncode == 2, (args, p.returncode, p.stdout, p.stderr)
    assert p.stderr.strip()
    assert p.stdout == ""


def test_manifest_and_dist_together_is_a_usage_error(cdnpipe, built):
    dist = built()
    p = cdnpipe("url", "--manifest", dist / "staticfiles.json", "--dist", dist, "css/site.css")
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)


# ---------------------------------------------------------------- --target

def test_target_s3_reads_the_live_manifest(cdnpipe, built, s3, s3_bucket, cdnpipe_env):
    dist = built()
    cdnpipe("upload", dist, f"s3://{s3_bucket}/static", env=cdnpipe_env, check=0)
    base = f"{s3.direct_url}/{s3_bucket}/static/"
    names = ["css/site.css", AWKWARD, "js/site.js", "img/logo.png"]
    want = lines(cdnpipe("url", "--dist", dist, "--base-url", base, "--integrity", *names))
    s3.reset()
    got = lines(cdnpipe("url", "--target", f"s3://{s3_bucket}/static", "--base-url", base,
                        "--integrity", *names, env=cdnpipe_env))
    assert got == want
    # it read the live manifest from the bucket
    assert any(r.key == "static/staticfiles.json" for r in s3.proxy.log(method="GET"))
    # and the URLs it prints are served by the bucket, with those bytes
    for line in got:
        url, integrity = line.split(" ", 1)
        with urllib.request.urlopen(url, timeout=10) as r:
            assert sri(r.read()) == integrity, url


def test_target_s3_after_a_rebuild_follows_the_manifest(cdnpipe, tmp_path, s3, s3_bucket,
                                                        cdnpipe_env):
    src = make_src(tmp_path / "src")
    target = f"s3://{s3_bucket}/static"
    cdnpipe("deploy", "--compress=none", src, target, env=cdnpipe_env, check=0)
    (first,) = lines(cdnpipe("url", "--target", target, "css/site.css", env=cdnpipe_env))
    (src / "css/site.css").write_text("#probe { color: rgb(7, 8, 9) }\n")
    cdnpipe("deploy", "--compress=none", src, target, env=cdnpipe_env, check=0)
    (second,) = lines(cdnpipe("url", "--target", target, "css/site.css", env=cdnpipe_env))
    assert first != second
    live = json.loads(s3.get_bytes(s3_bucket, "static/staticfiles.json"))["paths"]
    assert second == "/static/" + live["css/site.css"]


def test_target_file_url(cdnpipe, built, tmp_path):
    dist = built()
    out = tmp_path / "published"
    cdnpipe("upload", dist, f"file://{out}", check=0)
    base = "https://cdn.example.com/"
    names = ["js/site.js", AWKWARD, "css/site.css"]
    want = lines(cdnpipe("url", "--dist", dist, "--base-url", base, "--integrity", *names))
    got = lines(cdnpipe("url", "--target", f"file://{out}", "--base-url", base, "--integrity",
                        *names))
    assert got == want
    paths = paths_of(out, "django")
    assert got[0] == f"{base}{paths['js/site.js']} {sri((out / paths['js/site.js']).read_bytes())}"


# ---------------------------------------------------------------- in a browser

needs_chromium = pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                                    reason=f"chromium not found ({CHROMIUM}): the browser "
                                    "tests of cdnpipe url --html need it (apt-get install chromium)")

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
{tags}
<script>
window.addEventListener('load', function () {{
  document.getElementById('inline').textContent =
    getComputedStyle(document.getElementById('probe')).color + '|' +
    getComputedStyle(document.getElementById('awkward')).color;
}});
</script>
</head><body>
<div id="probe">probe</div><div id="awkward">awkward</div>
<pre id="out">not run</pre><pre id="inline">no load</pre>
</body></html>
"""


def chromium_dom(url):
    """(dumped DOM, chromium's log) of one page load in a fresh profile."""
    with tempfile.TemporaryDirectory(prefix="cdnpipe-chromium-") as prof:
        p = subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={prof}", "--dump-dom",
                            url], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout, p.stderr


def text_of(dom, elem_id):
    start = dom.index(f'id="{elem_id}">') + len(f'id="{elem_id}">')
    return dom[start:dom.index("<", start)]


def put_page(s3, bucket, key, html):
    s3.client().put_object(Bucket=bucket, Key=key, Body=html.encode(),
                           ContentType="text/html; charset=utf-8")
    s3.wait_settled(bucket, key, size=len(html.encode()))
    return f"{s3.direct_url}/{bucket}/{key}"


@needs_chromium
def test_html_tags_in_chromium_and_a_tampered_script_is_blocked(cdnpipe, built, s3, s3_bucket,
                                                                 cdnpipe_env):
    dist = built()
    cdnpipe("upload", dist, f"s3://{s3_bucket}/static", env=cdnpipe_env, check=0)
    # the page and its assets share one origin (s3rver, path-style): no CORS needed
    base = f"{s3.direct_url}/{s3_bucket}/static/"
    tags = lines(cdnpipe("url", "--html", "--base-url", base, "css/site.css", AWKWARD,
                         "js/site.js", cwd=dist))
    assert [t.split()[0] for t in tags] == ["<link", "<link", "<script"]
    url = put_page(s3, s3_bucket, "page.html", PAGE.format(tags="\n".join(tags)))

    dom, log = chromium_dom(url)
    assert 'data-ran="yes"' in dom, (dom, log[-3000:])
    assert text_of(dom, "out") == "rgb(1, 2, 3)", dom           # the JS read the CSS rule
    assert text_of(dom, "inline") == "rgb(1, 2, 3)|rgb(4, 5, 6)", dom  # the awkward URL too
    for bad in ("net::ERR", "Failed to find a valid digest", "Refused to", "blocked by CORS"):
        assert bad not in log, (bad, log[-3000:])

    # alter the JS object after the build, under its fingerprinted key
    hashed = paths_of(dist, "django")["js/site.js"]
    evil = b"document.body.dataset.ran = 'tampered';\n"
    s3.client().put_object(Bucket=s3_bucket, Key=f"static/{hashed}", Body=evil,
                           ContentType="text/javascript")
    assert s3.get_bytes(s3_bucket, f"static/{hashed}", size=len(evil)) == evil
    url2 = put_page(s3, s3_bucket, "page2.html", PAGE.format(tags="\n".join(tags)))

    dom, log = chromium_dom(url2)
    assert "data-ran" not in dom, dom                            # the script did not run
    assert text_of(dom, "out") == "not run", dom
    assert text_of(dom, "inline") == "rgb(1, 2, 3)|rgb(4, 5, 6)", dom  # the CSS still applies
    assert "Failed to find a valid digest in the 'integrity' attribute" in log, log[-3000:]
    assert enc(hashed) in log or hashed in log, log[-3000:]
