"""build --manifest=LIST (issue 12): each dialect's manifest read by its
framework's own reader where Debian ships one, else checked against the
reader's documented rules.

  django     Django's ManifestStaticFilesStorage renders {% static %} from the
             staticfiles.json of a deploy to s3rver; every URL is fetched back
             (bytes, Content-Type, Cache-Control).
  sprockets  Rails 6.1 (ActionView + sprockets-rails 3.4, compile = false,
             asset_host = a CDN) reads .sprockets-manifest-*.json in DIST
             (readers/rails_urls.rb): URLs and integrity.
  symfony    Symfony's Asset UrlPackage + JsonManifestVersionStrategy, strict
             (readers/symfony_urls.php), with and without --manifest-prefix.
  propshaft, phoenix, vite, mix: not in Debian (or no reader to run without a
             project): structural checks of the rules the readers document.

Integrity values are recomputed here from the fingerprinted files in DIST:
"sha384-" + base64(sha384(bytes)).  Readers absent on the machine skip, naming
the Debian packages (scripts/install-deps.sh check installs them).
"""
import base64
import datetime
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import urllib.request

import pytest

pytest_plugins = ["s3fixtures"]
from upload_dist import IMMUTABLE  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
READERS = os.path.join(HERE, "readers")
PYTHON = "/usr/bin/python3"
SYMFONY_AUTOLOAD = "/usr/share/php/Symfony/Component/Asset/autoload.php"
CDN = "https://cdn.example.com"
MTIME = 1796320800  # 2026-12-03T18:00:00Z
GREGORIAN = 62167219200  # seconds from 0000-01-01 to 1970-01-01 (Erlang's calendar)
HEX12 = re.compile(r"[0-9a-f]{12}")

SOURCES = {
    "css/app.css": b'@import url("print.css");\n'
                   b'@font-face { font-family: "i"; src: url("../fonts/icon.woff2") '
                   b'format("woff2"); }\n'
                   b"body { background: url(../img/logo.png) no-repeat; }\n"
                   b".arrow { background: url('../img/icons/arrow.svg'); }\n",
    "css/print.css": b"@media print { body { color: #000; } }\n",
    "js/app.js": b'import "./vendor/lib.js";\nconsole.log("app");\n',
    "js/vendor/lib.js": b"export const lib = 1;\n",
    "fonts/icon.woff2": b"wOF2" + bytes(range(256)) * 4,
    "img/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(255, -1, -1)) * 3,
    "img/icons/arrow.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1"/></svg>\n',
}
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".woff2": "font/woff2", ".png": "image/png", ".svg": "image/svg+xml"}
ALL_MANIFESTS = {"staticfiles.json", ".manifest.json", "cache_manifest.json",
                 ".vite/manifest.json", "mix-manifest.json", "manifest.json"}  # + sprockets
SPROCKETS_RE = re.compile(r"\.sprockets-manifest-[0-9a-f]{32}\.json")
FAST = ["--no-minify", "--compress=none"]


# ---- helpers

def sri(data, algo="sha384"):
    return algo + "-" + base64.b64encode(hashlib.new(algo, data).digest()).decode()


def make_src(root, files=SOURCES):
    """Writes the source tree; file i gets mtime MTIME + i.  Returns {logical: mtime}."""
    mtimes = {}
    for i, (name, data) in enumerate(sorted(files.items())):
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, (MTIME + i, MTIME + i))
        mtimes[name] = MTIME + i
    return mtimes


@pytest.fixture
def src(tmp_path):
    d = tmp_path / "src"
    make_src(d)
    return d


def build(cdnpipe, src, dist, *opts):
    p = cdnpipe("build", "-q", *opts, src, "-o", dist)
    assert p.returncode == 0, (p.returncode, p.stderr)
    return p


def load(path):
    """JSON, keeping key order (object_pairs_hook), so order can be checked."""
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"), object_pairs_hook=_pairs)


class _Obj(dict):
    pass


def _pairs(pairs):
    o = _Obj(pairs)
    o.order = [k for k, _ in pairs]
    return o


def assert_sorted(obj, what):
    keys = obj.order
    assert keys == sorted(keys, key=lambda k: k.encode("utf-8")), f"{what}: keys not sorted: {keys}"


def django_paths(dist):
    return load(dist / "staticfiles.json")["paths"]


def sprockets_manifest(dist):
    found = [n for n in os.listdir(dist) if SPROCKETS_RE.fullmatch(n)]
    assert len(found) == 1, f"{dist}: sprockets manifests {found} (want exactly one)"
    return dist / found[0]


def manifest_names(dist):
    """Every manifest file of --manifest=all in DIST (relative names)."""
    return ALL_MANIFESTS | {sprockets_manifest(dist).name}


def files_of(dist):
    return {str(p.relative_to(dist)) for p in dist.rglob("*") if p.is_file()}


def check_digested(dist, logical, digested):
    """digested is logical's Django name in DIST (name.<12 hex>.ext) and exists."""
    base, ext = os.path.splitext(logical)
    assert digested.startswith(base + ".") and digested.endswith(ext), (logical, digested)
    assert HEX12.fullmatch(digested[len(base) + 1:len(digested) - len(ext)]), digested
    assert (dist / digested).is_file(), f"{digested} (for {logical}) is not a file in DIST"


def have_python_module(mod):
    return subprocess.run([PYTHON, "-c", f"import {mod}"], capture_output=True).returncode == 0


def need(cmd, probe, packages):
    if shutil.which(cmd) is None:
        pytest.skip(f"{cmd} not found: Debian packages {packages} (scripts/install-deps.sh check)")
    p = subprocess.run(probe, capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"{' '.join(probe[:1])} cannot load the reader ({p.stderr.strip()[-200:]}): "
                    f"Debian packages {packages} (scripts/install-deps.sh check)")


# ---- all dialects at once

def test_all_writes_every_manifest_and_nothing_else(cdnpipe, src, tmp_path):
    dist = tmp_path / "dist"
    p = build(cdnpipe, src, dist, *FAST, "--manifest=all", "--json")
    names = manifest_names(dist)
    paths = django_paths(dist)
    assert set(paths) == set(SOURCES)
    for name, hashed in paths.items():
        check_digested(dist, name, hashed)
    # nothing else: the originals, the fingerprinted files, the manifests (no
    # temporary file left behind by the atomic writes)
    assert files_of(dist) == set(SOURCES) | set(paths.values()) | names
    rep = json.loads(p.stdout)
    assert set(rep["manifests"]) == names, rep["manifests"]
    assert rep["integrity"] == {n: sri((dist / h).read_bytes()) for n, h in paths.items()}


def test_default_is_django_only(cdnpipe, src, tmp_path):
    dist = tmp_path / "dist"
    build(cdnpipe, src, dist, *FAST)
    assert files_of(dist) == set(SOURCES) | set(django_paths(dist).values()) | {"staticfiles.json"}


def test_list_names_the_manifests_written(cdnpipe, src, tmp_path):
    dist = tmp_path / "dist"
    build(cdnpipe, src, dist, *FAST, "--manifest=mix,vite")
    assert files_of(dist) - set(SOURCES) - {n for n in files_of(dist) if HEX12.search(n)} \
        == {"mix-manifest.json", ".vite/manifest.json"}


def test_determinism_all_dialects(cdnpipe, src, tmp_path):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    build(cdnpipe, src, d1, "--manifest=all", "-j1")
    build(cdnpipe, src, d2, "--manifest=all", "-j2")
    names = manifest_names(d1)
    assert manifest_names(d2) == names  # the sprockets name is a constant
    for n in sorted(names):
        assert (d1 / n).read_bytes() == (d2 / n).read_bytes(), n
    # and a rebuild into the same DIST changes none of them
    before = {n: (d1 / n).read_bytes() for n in names}
    build(cdnpipe, src, d1, "--manifest=all")
    assert manifest_names(d1) == names
    assert {n: (d1 / n).read_bytes() for n in names} == before


# ---- 1. Django: {% static %} from a deploy to s3rver

DJANGO_RENDER = r"""
import json, sys
import django
from django.conf import settings
dist, static_url, names = sys.argv[1], sys.argv[2], sys.argv[3:]
storage = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
opts = dict(DEBUG=False, STATIC_URL=static_url, STATIC_ROOT=dist,
            INSTALLED_APPS=["django.contrib.staticfiles"],
            TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}])
if django.VERSION >= (4, 2):
    opts["STORAGES"] = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                        "staticfiles": {"BACKEND": storage}}
else:
    opts["STATICFILES_STORAGE"] = storage
settings.configure(**opts)
django.setup()
from django.template import engines
src = "{% load static %}" + "\n".join("{%% static '%s' %%}" % n for n in names)
print(json.dumps(dict(zip(names, engines["django"].from_string(src).render({}).split("\n")))))
"""


def django_version():
    p = subprocess.run([PYTHON, "-c", "import django; print(*django.VERSION[:2])"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip("Django not importable by /usr/bin/python3: Debian package python3-django "
                    "(scripts/install-deps.sh check)")
    return tuple(map(int, p.stdout.split()))


def test_django_static_urls_from_deploy_fetch_back(cdnpipe, s3, s3_bucket, cdnpipe_env, src,
                                                   tmp_path):
    # Django before 4.2 reads only staticfiles.json version 1.0
    version = ["--django-manifest-version=1.0"] if django_version() < (4, 2) else []
    dist = tmp_path / "dist"
    p = cdnpipe("deploy", "--manifest=all", *version, "--dist", dist, src,
                f"s3://{s3_bucket}/static", env=cdnpipe_env)
    assert p.returncode == 0, p.stderr
    assert s3.proxy.count(status=403) == 0
    paths = django_paths(dist)

    names = ["css/app.css", "js/app.js", "fonts/icon.woff2", "img/logo.png"]
    static_url = f"{s3.direct_url}/{s3_bucket}/static/"
    r = subprocess.run([PYTHON, "-c", DJANGO_RENDER, str(dist), static_url, *names],
                       capture_output=True, text=True, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    urls = json.loads(r.stdout)
    assert urls == {n: static_url + paths[n] for n in names}
    for name, url in urls.items():
        body = (dist / paths[name]).read_bytes()
        s3.wait_settled(s3_bucket, "static/" + paths[name], size=len(body))
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200, url
            assert resp.read() == body, url
            assert resp.headers["Content-Type"] == TYPES[os.path.splitext(name)[1]], url
            assert resp.headers["Cache-Control"] == IMMUTABLE, url
            assert resp.headers.get("Content-Encoding") is None, url

    # every manifest was published, with its DIST bytes, "no-cache", after every other file
    c = s3.client(direct=True)
    mnames = manifest_names(dist)
    for n in sorted(mnames):
        data = (dist / n).read_bytes()
        assert s3.get_bytes(s3_bucket, "static/" + n, size=len(data)) == data, n
        assert c.head_object(Bucket=s3_bucket, Key="static/" + n)["CacheControl"] == "no-cache", n
    puts = [r.key[len("static/"):] for r in s3.proxy.log(op="PutObject")
            if not r.key.startswith("static/.cdnpipe/")]  # the run's own bookkeeping
    tail = puts[-len(mnames):]
    assert set(tail) == mnames, f"last PUTs {tail}, manifests {sorted(mnames)}"


# ---- 2. Rails (sprockets-rails) and propshaft

def rails_urls(dist, *names):
    need("ruby", ["ruby", "-e", 'require "rails"; require "action_controller/railtie"; '
                  'require "sprockets/railtie"'], "ruby-rails ruby-sprockets-rails")
    p = subprocess.run(["ruby", os.path.join(READERS, "rails_urls.rb"), str(dist), CDN, *names],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def test_rails_sprockets_manifest(cdnpipe, tmp_path):
    srcdir = tmp_path / "src"
    mtimes = make_src(srcdir)
    dist = tmp_path / "public" / "static"  # Rails: public/ + config.assets.prefix
    build(cdnpipe, srcdir, dist, "--manifest=sprockets,django")
    mpath = sprockets_manifest(dist)
    m = load(mpath)
    assert set(m) == {"files", "assets"}
    assert_sorted(m["files"], "files")
    assert_sorted(m["assets"], "assets")
    paths = django_paths(dist)
    assert dict(m["assets"]) == paths
    assert set(m["files"]) == set(paths.values())
    for digested, meta in m["files"].items():
        logical = meta["logical_path"]
        assert m["assets"][logical] == digested
        check_digested(dist, logical, digested)
        data = (dist / digested).read_bytes()
        assert meta["size"] == len(data), digested
        assert meta["digest"] == hashlib.sha256(data).hexdigest(), digested
        assert meta["integrity"] == sri(data), digested
        # the source's mtime, UTC, ISO 8601 as the contract spells it
        t = mtimes[logical]
        want = datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
            .strftime("%Y-%m-%dT%H:%M:%S+00:00")
        assert meta["mtime"] == want, (digested, meta["mtime"], want)

    names = ["css/app.css", "js/app.js", "fonts/icon.woff2", "img/logo.png"]
    out = rails_urls(dist, *names)
    for n in names:
        r = out[n]
        assert r["manifest"] == str(mpath)  # Rails found cdnpipe's file by its own rule
        url = f"{CDN}/static/{paths[n]}"
        integrity = sri((dist / paths[n]).read_bytes())
        assert r["asset_path"] == url, n
        assert r["asset_url"] == url, n
        assert r["asset_integrity"] == integrity == m["files"][paths[n]]["integrity"], n
    css, js = out["css/app.css"]["tag"], out["js/app.js"]["tag"]
    assert re.search(r'<link [^>]*href="%s"' % re.escape(f"{CDN}/static/{paths['css/app.css']}"),
                     css), css
    assert f'integrity="{sri((dist / paths["css/app.css"]).read_bytes())}"' in css, css
    assert re.search(r'<script [^>]*src="%s"' % re.escape(f"{CDN}/static/{paths['js/app.js']}"),
                     js), js
    assert f'integrity="{sri((dist / paths["js/app.js"]).read_bytes())}"' in js, js


def test_rails_sprockets_unknown_asset_is_refused(cdnpipe, tmp_path):
    dist = tmp_path / "public" / "static"
    make_src(tmp_path / "src")
    build(cdnpipe, tmp_path / "src", dist, *FAST, "--manifest=sprockets,django")
    need("ruby", ["ruby", "-e", 'require "rails"; require "sprockets/railtie"'],
         "ruby-rails ruby-sprockets-rails")
    p = subprocess.run(["ruby", os.path.join(READERS, "rails_urls.rb"), str(dist), CDN,
                        "css/missing.css"], capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "css/missing.css" in p.stderr  # the reader is not vacuous


def test_propshaft_manifest_structure(cdnpipe, src, tmp_path):
    # propshaft is not in Debian: its reader (Propshaft::LoadPath#manifest /
    # Propshaft::Resolver::Static) maps logical path -> {digested_path, integrity}
    dist = tmp_path / "dist"
    build(cdnpipe, src, dist, *FAST, "--manifest=propshaft,django")
    m = load(dist / ".manifest.json")
    assert_sorted(m, ".manifest.json")
    paths = django_paths(dist)
    assert set(m) == set(SOURCES)
    for logical, entry in m.items():
        assert set(entry) == {"digested_path", "integrity"}, entry
        assert entry["digested_path"] == paths[logical]
        check_digested(dist, logical, entry["digested_path"])
        assert entry["integrity"] == sri((dist / entry["digested_path"]).read_bytes()), logical


def test_sri_list_in_the_order_given(cdnpipe, src, tmp_path):
    dist = tmp_path / "dist"
    build(cdnpipe, src, dist, *FAST, "--manifest=propshaft,vite,django", "--sri=sha512,sha256")
    prop, vite = load(dist / ".manifest.json"), load(dist / ".vite/manifest.json")
    for logical, entry in prop.items():
        data = (dist / entry["digested_path"]).read_bytes()
        want = sri(data, "sha512") + " " + sri(data, "sha256")
        assert entry["integrity"] == want, logical
        assert vite[logical]["integrity"] == want, logical


# ---- 3. Symfony

def symfony_urls(manifest, base, *names):
    need("php", ["php", "-r", f'require "{SYMFONY_AUTOLOAD}"; '
                 'exit(class_exists("Symfony\\\\Component\\\\Asset\\\\UrlPackage") ? 0 : 1);'],
         "php-cli php-symfony-asset")
    p = subprocess.run(["php", os.path.join(READERS, "symfony_urls.php"), str(manifest), base,
                        *names], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    return json.loads(p.stdout)


@pytest.mark.parametrize("dialect,prefix", [("symfony", ""), ("flat", ""),
                                            ("symfony", "build/")])
def test_symfony_json_manifest_strategy(cdnpipe, src, tmp_path, dialect, prefix):
    dist = tmp_path / "dist"
    opts = ["--manifest-prefix", prefix] if prefix else []
    build(cdnpipe, src, dist, *FAST, f"--manifest={dialect},django", *opts)
    paths = django_paths(dist)
    m = load(dist / "manifest.json")
    assert_sorted(m, "manifest.json")
    assert dict(m) == {prefix + k: prefix + v for k, v in paths.items()}
    names = [prefix + n for n in ("css/app.css", "js/app.js", "fonts/icon.woff2",
                                  "img/icons/arrow.svg")]
    urls = symfony_urls(dist / "manifest.json", CDN + "/static", *names)
    assert urls == {prefix + n: f"{CDN}/static/{prefix}{paths[n]}"
                    for n in ("css/app.css", "js/app.js", "fonts/icon.woff2",
                              "img/icons/arrow.svg")}
    for n in paths:
        check_digested(dist, n, paths[n])


def test_symfony_strict_mode_refuses_unknown(cdnpipe, src, tmp_path):
    dist = tmp_path / "dist"
    build(cdnpipe, src, dist, *FAST, "--manifest=symfony")
    need("php", ["php", "-r", f'require "{SYMFONY_AUTOLOAD}";'], "php-cli php-symfony-asset")
    p = subprocess.run(["php", os.path.join(READERS, "symfony_urls.php"),
                        str(dist / "manifest.json"), CDN, "css/apps.css"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "css/apps.css" in (p.stdout + p.stderr)


# ---- 4. Phoenix, Vite, mix (structural)

def check_phoenix(dist, mtimes):
    """Phoenix.Digester's cache_manifest.json rules; returns the manifest."""
    m = load(dist / "cache_manifest.json")
    assert m["version"] == 1 and type(m["version"]) is int
    assert set(m) == {"version", "latest", "digests"}
    assert_sorted(m["latest"], "latest")
    assert_sorted(m["digests"], "digests")
    for logical, digested in m["latest"].items():
        assert digested in m["digests"], (logical, digested)
        assert m["digests"][digested]["logical_path"] == logical
    for digested, meta in m["digests"].items():
        assert set(meta) == {"logical_path", "mtime", "size", "digest", "sha512"}, meta
        assert (dist / digested).is_file(), f"digests names {digested}, not in DIST"
        check_digested(dist, meta["logical_path"], digested)
        data = (dist / digested).read_bytes()
        assert meta["size"] == len(data), digested
        assert meta["digest"] == hashlib.md5(data).hexdigest(), digested
        assert meta["sha512"] == base64.b64encode(hashlib.sha512(data).digest()).decode()
        assert type(meta["mtime"]) is int, meta["mtime"]
        if m["latest"][meta["logical_path"]] == digested:
            assert meta["mtime"] == mtimes[meta["logical_path"]] + GREGORIAN, \
                (digested, meta["mtime"], mtimes[meta["logical_path"]] + GREGORIAN)
    return m


def test_phoenix_cache_manifest(cdnpipe, tmp_path):
    srcdir, dist = tmp_path / "src", tmp_path / "dist"
    mtimes = make_src(srcdir)
    build(cdnpipe, srcdir, dist, *FAST, "--manifest=phoenix,django")
    m = check_phoenix(dist, mtimes)
    paths = django_paths(dist)
    assert dict(m["latest"]) == paths
    assert set(m["digests"]) == set(paths.values())

    # change a file and rebuild: latest moves, the old digest (its file still
    # in DIST, kept for rolling deploys) stays with its own size and digest
    old = paths["js/vendor/lib.js"]
    old_meta = dict(m["digests"][old])
    p = srcdir / "js/vendor/lib.js"
    p.write_bytes(b"export const lib = 2;\n")
    os.utime(p, (MTIME + 1000, MTIME + 1000))
    mtimes["js/vendor/lib.js"] = MTIME + 1000
    build(cdnpipe, srcdir, dist, *FAST, "--manifest=phoenix,django")
    assert (dist / old).is_file()
    m2 = check_phoenix(dist, mtimes)
    new = django_paths(dist)["js/vendor/lib.js"]
    assert new != old and m2["latest"]["js/vendor/lib.js"] == new
    assert m2["digests"][old] == old_meta
    assert m2["digests"][new]["mtime"] == MTIME + 1000 + GREGORIAN
    # js/app.js's build-1 name is still listed (latest, or kept if its name changed)
    assert paths["js/app.js"] in m2["digests"] and new in m2["digests"]

    # an old file removed from DIST: the next build no longer lists it
    (dist / old).unlink()
    build(cdnpipe, srcdir, dist, *FAST, "--manifest=phoenix,django")
    m3 = check_phoenix(dist, mtimes)
    assert old not in m3["digests"]


def test_vite_manifest(cdnpipe, src, tmp_path):
    dist = tmp_path / "dist"
    entries = ["js/app.js", "css/*.css"]
    build(cdnpipe, src, dist, *FAST, "--manifest=vite,django",
          *[a for e in entries for a in ("--entry", e)])
    m = load(dist / ".vite/manifest.json")
    assert_sorted(m, ".vite/manifest.json")
    paths = django_paths(dist)
    assert set(m) == set(SOURCES)
    is_entry = {"js/app.js", "css/app.css", "css/print.css"}
    assert {n for n in SOURCES if any(fnmatch.fnmatchcase(n, e) for e in entries)} == is_entry
    for key, chunk in m.items():
        assert chunk["src"] == key and (src / key).is_file(), key  # a source path
        assert chunk["file"] == paths[key]
        check_digested(dist, key, chunk["file"])
        assert chunk["integrity"] == sri((dist / chunk["file"]).read_bytes()), key
        if key in is_entry:
            assert chunk.get("isEntry") is True, key
        else:
            assert "isEntry" not in chunk, key
        assert set(chunk) <= {"file", "src", "integrity", "isEntry"}, chunk


def test_vite_no_entry_without_entry_option(cdnpipe, src, tmp_path):
    dist = tmp_path / "dist"
    build(cdnpipe, src, dist, *FAST, "--manifest=vite")
    assert not [k for k, c in load(dist / ".vite/manifest.json").items() if "isEntry" in c]


def test_mix_manifest(cdnpipe, src, tmp_path):
    dist = tmp_path / "dist"
    build(cdnpipe, src, dist, *FAST, "--manifest=mix,django")
    m = load(dist / "mix-manifest.json")
    assert_sorted(m, "mix-manifest.json")
    paths = django_paths(dist)
    assert dict(m) == {"/" + k: "/" + v for k, v in paths.items()}
    for k, v in m.items():
        assert k.startswith("/") and not k.startswith("//") and v.startswith("/")
        check_digested(dist, k[1:], v[1:])
