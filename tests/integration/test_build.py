"""`cdnpipe build` end to end, checked independently of cdnpipe's own code:
outputs are read back, the manifest parsed with json, .gz/.br siblings
decompressed with Python's gzip and brotli and compared byte for byte,
references resolved back to files as a browser would (percent-decoding,
relative to the stylesheet).
"""
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse

import brotli
import pytest

from conftest import FIXTURES

SITE = os.path.join(FIXTURES, "build", "site")
BASE = ["build", "-q", "--no-minify"]


def snapshot(d):
    """Every file under d with its bytes and mtime (None if d is absent)."""
    if not os.path.exists(d):
        return None
    out = {}
    for root, dirs, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            st = os.stat(p)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = (fh.read(), st.st_mtime_ns)
    return out


def manifest(dist):
    with open(os.path.join(dist, "staticfiles.json"), encoding="utf-8") as f:
        return json.load(f)["paths"]


def css_urls(text):
    return re.findall(r'url\("([^"]*)"\)', text)


def resolve(css_logical, url):
    """What a browser fetches for url() in css_logical, as a logical path."""
    path = urllib.parse.unquote(url.split("#")[0].split("?")[0])
    return os.path.normpath(os.path.join(os.path.dirname(css_logical), path))


@pytest.fixture
def site(tmp_path):
    dst = tmp_path / "site"
    shutil.copytree(SITE, dst, symlinks=True)
    return dst


# ---- outputs ----

def test_outputs_manifest_and_siblings(cdnpipe, site, tmp_path):
    dist = tmp_path / "dist"
    cdnpipe(*BASE, site, "-o", dist, check=0)
    paths = manifest(dist)
    # dotfiles skipped by default; everything else collected
    assert ".DS_Store" not in paths and ".hidden/secret.txt" not in paths
    assert "scss/x.scss" in paths and "css/app.css" in paths
    for name, hashed in paths.items():
        src = (site / name).read_bytes()
        out = (dist / hashed).read_bytes()
        assert (dist / name).read_bytes() == src  # unhashed original as Django keeps it
        digest = hashlib.md5(out).hexdigest()[:12]
        if not name.startswith("css/cycle-"):
            assert hashed == re.sub(r"(\.[^./]+)?$", "." + digest + r"\1", name, count=1)
        for suffix, decomp in ((".gz", gzip.decompress), (".br", brotli.decompress)):
            for f in (dist / hashed, dist / name):
                sib = f.with_name(f.name + suffix)
                if sib.exists():
                    assert decomp(sib.read_bytes()) == f.read_bytes()
                    assert len(sib.read_bytes()) <= 0.95 * len(f.read_bytes())
    # compressible and worth it: siblings exist; already compressed: never
    assert (dist / (paths["img/bg.svg"] + ".gz")).exists()
    assert (dist / (paths["img/bg.svg"] + ".br")).exists()
    assert not (dist / (paths["img/logo.png"] + ".gz")).exists()
    assert not (dist / (paths["fonts/f.woff2"] + ".br")).exists()


def test_references_rewritten_transitively(cdnpipe, site, tmp_path):
    dist = tmp_path / "dist"
    cdnpipe(*BASE, site, "-o", dist, check=0)
    paths = manifest(dist)
    app = (dist / paths["css/app.css"]).read_text()
    assert '@import url("' + os.path.basename(paths["css/theme.css"]) + '");' in app
    assert "/* a comment mentioning url(../img/missing.png) is not a reference */" in app
    assert 'content: "url(nothing.png)"' in app
    assert "url(https://example.com/a.png)" in app
    assert 'url("../fonts/' + os.path.basename(paths["fonts/f.woff2"]) + '?v=2#x")' in app
    assert app.rstrip().endswith("/*# sourceMappingURL=" +
                                 os.path.basename(paths["css/app.css.map"]) + " */")
    # change the svg: theme.css's name changes, and app.css's (which imports it) too
    old = dict(paths)
    with open(site / "img" / "bg.svg", "a") as f:
        f.write("<!-- changed -->\n")
    cdnpipe(*BASE, site, "-o", dist, check=0)
    new = manifest(dist)
    for n in ("img/bg.svg", "css/theme.css", "css/app.css"):
        assert new[n] != old[n], n
    assert new["img/logo.png"] == old["img/logo.png"]
    # earlier fingerprinted files are kept for rolling deploys
    for n in ("img/bg.svg", "css/theme.css", "css/app.css"):
        assert (dist / old[n]).exists()


def test_cycle_members_name_each_other(cdnpipe, site, tmp_path):
    dist = tmp_path / "dist"
    cdnpipe(*BASE, site, "-o", dist, check=0)
    paths = manifest(dist)
    a, b = paths["css/cycle-a.css"], paths["css/cycle-b.css"]
    ha, hb = a.split(".")[-2], b.split(".")[-2]
    assert ha == hb and re.fullmatch(r"[0-9a-f]{12}", ha)
    assert '@import url("' + os.path.basename(b) + '")' in (dist / a).read_text()
    assert '@import url("' + os.path.basename(a) + '")' in (dist / b).read_text()
    # the combined hash follows a change in any member
    with open(site / "css" / "cycle-b.css", "a") as f:
        f.write(".c { color: blue; }\n")
    cdnpipe(*BASE, site, "-o", dist, check=0)
    assert manifest(dist)["css/cycle-a.css"] != a


@pytest.mark.parametrize("extra", [[], ["--only-hashed"], ["--minify-default"]])
def test_deterministic_across_jobs(cdnpipe, site, tmp_path, extra):
    for i in range(40):  # enough files for threads to interleave
        (site / "css" / f"gen{i:02}.css").write_text(
            f'@import "gen{(i + 1) % 40:02}.css";\n' if i % 7 == 0 else
            f'.g{i} {{ background: url("../img/logo.png"); }}\n' * (i + 1))
    snaps = []
    base = BASE
    if extra == ["--minify-default"]:  # the default pipeline, with source maps
        base, extra = ["build", "-q"], ["--source-map"]
    for jobs in (1, 2, 8):
        dist = tmp_path / f"dist{jobs}"
        cdnpipe(*base, *extra, "--jobs", jobs, site, "-o", dist, check=0)
        snaps.append({k: v[0] for k, v in snapshot(dist).items()})
    assert snaps[0] == snaps[1] == snaps[2]
    if extra == ["--only-hashed"]:
        assert "css/app.css" not in snaps[0]


def test_compress_choices(cdnpipe, site, tmp_path):
    for spec, gz, br in (("none", 0, 0), ("gzip", 1, 0), ("br", 0, 1), ("gzip,br", 1, 1)):
        dist = tmp_path / spec
        cdnpipe(*BASE, "--compress", spec, site, "-o", dist, check=0)
        names = list(snapshot(dist))
        assert any(n.endswith(".gz") for n in names) == bool(gz), spec
        assert any(n.endswith(".br") for n in names) == bool(br), spec


def test_multiple_roots_first_wins_and_warns(cdnpipe, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    (a / "css").mkdir(parents=True)
    (b / "css").mkdir(parents=True)
    (a / "css" / "x.css").write_text(".a{}\n")
    (b / "css" / "x.css").write_text(".b{}\n")
    (b / "css" / "y.css").write_text('@import "x.css";\n')
    dist = tmp_path / "dist"
    p = cdnpipe("build", "--no-minify", a, b, "-o", dist, check=0)
    assert (dist / "css" / "x.css").read_text() == ".a{}\n"
    assert "y.css" in " ".join(manifest(dist))
    assert "warning" in p.stderr and str(b / "css" / "x.css") in p.stderr


def test_include_exclude_dotfiles(cdnpipe, site, tmp_path):
    dist = tmp_path / "d1"
    cdnpipe(*BASE, "--exclude", "*.scss", "--exclude", "js/**", site, "-o", dist, check=0)
    paths = manifest(dist)
    assert "scss/x.scss" not in paths and not any(n.startswith("js/") for n in paths)
    dist = tmp_path / "d2"
    cdnpipe(*BASE, "--include", "img/*", site, "-o", dist, check=0)
    assert set(manifest(dist)) == {"img/bg.svg", "img/logo.png"}
    dist = tmp_path / "d3"
    cdnpipe(*BASE, "--dotfiles", site, "-o", dist, check=0)
    assert ".hidden/secret.txt" in manifest(dist)


def test_summary_and_json(cdnpipe, site, tmp_path):
    p = cdnpipe("build", "--no-minify", site, "-o", tmp_path / "d1", check=0)
    assert re.search(r"\d+ files, .* in, .* out, .*savings.*\d+\.\d+ s", p.stderr)
    p = cdnpipe("build", "--no-minify", "--json", site, "-o", tmp_path / "d2", check=0)
    r = json.loads(p.stdout)
    assert r["ok"] is True and r["files"] == len(manifest(tmp_path / "d2"))
    assert r["bytes_in"] == sum(os.path.getsize(os.path.join(site, n)) for n in
                                manifest(tmp_path / "d2"))
    assert r["gzip"]["files"] > 0 and r["gzip"]["bytes"] < r["gzip"]["original_bytes"]


def test_static_url_option(cdnpipe, tmp_path):
    src = tmp_path / "s"
    (src / "css").mkdir(parents=True)
    (src / "img").mkdir()
    (src / "img" / "a.png").write_bytes(b"A")
    (src / "css" / "x.css").write_text(
        ".a{background:url(/assets/img/a.png)}\n.b{background:url(/static/img/a.png)}\n")
    dist = tmp_path / "dist"
    cdnpipe(*BASE, "--static-url", "/assets/", src, "-o", dist, check=0)
    paths = manifest(dist)
    out = (dist / paths["css/x.css"]).read_text()
    assert 'url("/assets/' + paths["img/a.png"] + '")' in out
    assert "url(/static/img/a.png)" in out  # not under --static-url: left alone


def test_source_map_missing_is_a_warning_and_removed(cdnpipe, tmp_path):
    src = tmp_path / "s"
    src.mkdir()
    (src / "a.js").write_text("var a;\n//# sourceMappingURL=a.js.map\nvar b;\n")
    (src / "a.css").write_text(".a{}\n/*# sourceMappingURL=a.css.map */\n")
    dist = tmp_path / "dist"
    p = cdnpipe("build", "--no-minify", src, "-o", dist, check=0)
    assert "a.js.map" in p.stderr and "a.css.map" in p.stderr
    paths = manifest(dist)
    assert "sourceMappingURL" not in (dist / paths["a.js"]).read_text()
    assert "var b;" in (dist / paths["a.js"]).read_text()
    assert "sourceMappingURL" not in (dist / paths["a.css"]).read_text()


# ---- missing references ----

MISSING_CSS = ".a{background:url(../img/nope.png)}\n.b{background:url('gone.png')}\n"


def test_missing_references_all_listed_nothing_written(cdnpipe, tmp_path):
    src = tmp_path / "s"
    (src / "css").mkdir(parents=True)
    (src / "css" / "x.css").write_text(MISSING_CSS)
    dist = tmp_path / "dist"
    p = cdnpipe("build", "--no-minify", src, "-o", dist)
    assert p.returncode == 1
    assert f"{src}/css/x.css:1:15: missing 'img/nope.png'" in p.stderr
    assert f"{src}/css/x.css:2:15: missing 'css/gone.png'" in p.stderr
    assert not dist.exists()


def test_missing_warn_keeps_text(cdnpipe, tmp_path):
    src = tmp_path / "s"
    (src / "css").mkdir(parents=True)
    (src / "css" / "x.css").write_text(MISSING_CSS)
    dist = tmp_path / "dist"
    p = cdnpipe("build", "--no-minify", "--missing=warn", src, "-o", dist, check=0)
    assert "warning" in p.stderr and "nope.png" in p.stderr
    assert (dist / manifest(dist)["css/x.css"]).read_text() == MISSING_CSS


# ---- bad input: one message naming the path, exit 1, DIST unchanged ----

def make_dist(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir(exist_ok=True)
    (dist / "old.1234567890ab.css").write_text(".old{}\n")
    (dist / "staticfiles.json").write_text('{"paths": {}, "version": "1.0"}')
    return dist


def assert_failed_cleanly(p, dist, before, needle):
    assert p.returncode == 1, (p.returncode, p.stderr)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, p.stderr
    assert needle in lines[0], (needle, lines[0])
    assert snapshot(dist) == before


def test_bad_missing_root(cdnpipe, site, tmp_path):
    dist = make_dist(tmp_path)
    before = snapshot(dist)
    p = cdnpipe(*BASE, site, tmp_path / "nope", "-o", dist)
    assert_failed_cleanly(p, dist, before, str(tmp_path / "nope"))


def test_bad_dotdot_escapes_roots(cdnpipe, tmp_path):
    src = tmp_path / "s"
    (src / "css").mkdir(parents=True)
    (tmp_path / "secret.png").write_bytes(b"x")
    (src / "css" / "x.css").write_text("\n  .a { background: url(../../secret.png) }\n")
    dist = make_dist(tmp_path)
    before = snapshot(dist)
    p = cdnpipe(*BASE, src, "-o", dist)
    assert_failed_cleanly(p, dist, before, f"{src}/css/x.css:2:20:")
    assert "climbs out" in p.stderr


def test_bad_dist_inside_root(cdnpipe, site, tmp_path):
    dist = site / "out"
    dist.mkdir()
    before = snapshot(dist)
    p = cdnpipe(*BASE, site, "-o", dist)
    assert_failed_cleanly(p, dist, before, str(dist))
    p = cdnpipe(*BASE, site, "-o", site / "new" / "dist")
    assert p.returncode == 1 and not (site / "new").exists()


def test_bad_symlink_loop(cdnpipe, site, tmp_path):
    os.symlink("..", site / "css" / "loop")
    dist = make_dist(tmp_path)
    before = snapshot(dist)
    p = cdnpipe(*BASE, site, "-o", dist)
    assert_failed_cleanly(p, dist, before, str(site / "css" / "loop"))
    assert "loop" in p.stderr


def test_bad_symlink_outside_roots(cdnpipe, site, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.png").write_bytes(b"x")
    os.symlink(tmp_path / "elsewhere" / "x.png", site / "img" / "x.png")
    dist = make_dist(tmp_path)
    before = snapshot(dist)
    p = cdnpipe(*BASE, site, "-o", dist)
    assert_failed_cleanly(p, dist, before, str(site / "img" / "x.png"))


def test_bad_unreadable_file(cdnpipe_bin):
    # root reads anything: run the build as nobody when the tests run as root
    work = tempfile.mkdtemp(prefix="cdnpipe-unreadable-")
    try:
        os.chmod(work, 0o755)
        src = os.path.join(work, "s")
        shutil.copytree(SITE, src)
        for root, dirs, files in os.walk(work):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        dist = os.path.join(work, "dist")
        os.mkdir(dist)
        os.chmod(dist, 0o777)
        with open(os.path.join(dist, "keep.txt"), "w") as f:
            f.write("old\n")
        for name in ("img/logo.png", "css/theme.css"):
            os.chmod(os.path.join(src, name), 0)
            before = snapshot(dist)
            cmd = [cdnpipe_bin, *BASE, src, "-o", dist]
            if os.geteuid() == 0:
                cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
            p = subprocess.run(cmd, capture_output=True, text=True)
            assert_failed_cleanly(p, dist, before, os.path.join(src, name))
            os.chmod(os.path.join(src, name), 0o644)
    finally:
        shutil.rmtree(work)


# ---- not errors ----

def test_unterminated_constructs_and_empty_files(cdnpipe, tmp_path):
    src = tmp_path / "s"
    (src / "img").mkdir(parents=True)
    (src / "img" / "a.png").write_bytes(b"A")
    cases = {
        "comment.css": ".a{background:url(img/a.png)}\n/* never closed url(img/a.png)",
        "string.css": '.a{background:url(img/a.png)}\n.b{content:"never closed',
        "url.css": ".a{background:url(img/a.png)}\n.b{background:url(img/a.png",
        "empty.css": "",
        "empty-url.css": '.a{background:url(img/a.png)}\n.e{background:url("")}\n.f{b:url()}\n',
        "empty.js": "",
    }
    for n, text in cases.items():
        (src / n).write_text(text)
    (src / "empty.png").write_bytes(b"")
    dist = tmp_path / "dist"
    cdnpipe(*BASE, src, "-o", dist, check=0)
    paths = manifest(dist)
    logo = paths["img/a.png"]
    for n in ("comment.css", "string.css", "url.css", "empty-url.css"):
        out = (dist / paths[n]).read_text()
        assert out.startswith('.a{background:url("' + logo + '")}'), (n, out)
    assert "/* never closed url(img/a.png)" in (dist / paths["comment.css"]).read_text()
    assert '.e{background:url("")}\n.f{b:url()}' in (dist / paths["empty-url.css"]).read_text()
    assert (dist / paths["empty.css"]).read_bytes() == b""
    assert paths["empty.png"] == "empty.d41d8cd98f00.png"  # MD5 of nothing


def test_latin1_css(cdnpipe, tmp_path):
    src = tmp_path / "s"
    (src / "img").mkdir(parents=True)
    (src / "img" / "a.png").write_bytes(b"A")
    text = '@charset "ISO-8859-1";\n.x:after{content:"caf\xe9"}\n.y{background:url(img/a.png)}\n'
    (src / "l1.css").write_bytes(text.encode("latin-1"))
    dist = tmp_path / "dist"
    cdnpipe(*BASE, src, "-o", dist, check=0)
    paths = manifest(dist)
    out = (dist / paths["l1.css"]).read_bytes()
    assert b'content:"caf\xe9"' in out
    assert b'url("' + paths["img/a.png"].encode() + b'")' in out


def test_awkward_file_names(cdnpipe, tmp_path):
    src = tmp_path / "s"
    (src / "img").mkdir(parents=True)
    (src / "css").mkdir()
    names = ["my logo.png", "100%.png", "a#1.png", "caf\u00e9.png", "q?.png"]
    for n in names:
        (src / "img" / n).write_bytes(n.encode())
    css = "".join(f'.i{i}{{background:url("../img/{urllib.parse.quote(n)}")}}\n'
                  for i, n in enumerate(names))
    css += '.lit{background:url("../img/caf\u00e9.png")}\n'
    css += ".sp{background:url('../img/my logo.png')}\n"
    (src / "css" / "x.css").write_text(css, encoding="utf-8")
    dist = tmp_path / "dist"
    cdnpipe(*BASE, src, "-o", dist, check=0)
    paths = manifest(dist)
    out = (dist / paths["css/x.css"]).read_text(encoding="utf-8")
    urls = css_urls(out)
    assert len(urls) == len(names) + 2
    for u in urls:
        assert u.isascii() and " " not in u, u
        target = resolve("css/x.css", u)
        assert target in paths.values(), (u, target)
        assert (dist / target).exists()
    wanted = {paths["img/" + n] for n in names}
    assert {resolve("css/x.css", u) for u in urls} == wanted


# ---- config file ----

def test_config_file_and_unknown_key(cdnpipe, site, tmp_path):
    (tmp_path / "cdnpipe.ini").write_text(
        "[build]\nno-minify = true\ncompress = none\nexclude = *.scss *.map\n")
    dist = tmp_path / "dist"
    cdnpipe("build", "-q", site, "-o", dist, check=0, cwd=tmp_path)
    names = snapshot(dist)
    assert not any(n.endswith((".gz", ".br", ".scss", ".map")) for n in names)
    # a flag overrides the file
    dist2 = tmp_path / "dist2"
    cdnpipe("build", "-q", "--compress=gzip", site, "-o", dist2, check=0, cwd=tmp_path)
    assert any(n.endswith(".gz") for n in snapshot(dist2))
    (tmp_path / "cdnpipe.ini").write_text("[build]\nno-minify = true\ncompresss = none\n")
    p = cdnpipe("build", site, "-o", tmp_path / "dist3", cwd=tmp_path)
    assert p.returncode == 2
    assert "cdnpipe.ini:3" in p.stderr and "compresss" in p.stderr
    assert not (tmp_path / "dist3").exists()


def test_usage_errors(cdnpipe, site, tmp_path):
    for args in (["--missing=maybe"], ["--compress=zip"], ["--django-manifest-version=2"],
                 ["--bogus"]):
        p = cdnpipe("build", *args, site, "-o", tmp_path / "d")
        assert p.returncode == 2, args
        assert p.stderr.strip()
    assert cdnpipe("build", site).returncode == 2
    assert not (tmp_path / "d").exists()


# ---- the default pipeline: minified ----

def test_minified_build(cdnpipe, site, tmp_path):
    dist = tmp_path / "dist"
    cdnpipe("build", "-q", site, "-o", dist, check=0)
    paths = manifest(dist)
    app = (dist / paths["css/app.css"]).read_bytes()
    src = (site / "css" / "app.css").read_bytes()
    assert len(app) < len(src)
    assert hashlib.md5(app).hexdigest()[:12] in paths["css/app.css"]
    text = app.decode()
    # minified CSS gets the shortest url() form; references still resolve
    assert "url(../img/" + os.path.basename(paths["img/logo.png"]) + ")" in text
    assert os.path.basename(paths["css/theme.css"]) in text
    assert 'content:"url(nothing.png)"' in text.replace(" ", "")
    # *.min.js is not minified again
    assert (dist / paths["js/vendor.min.js"]).read_bytes() == \
        (site / "js" / "vendor.min.js").read_bytes()
    js = (dist / paths["js/app.js"]).read_text()
    assert "greet" in js and len(js) < len((site / "js" / "app.js").read_text())


def test_minified_errors_point_at_the_authors_text(cdnpipe, tmp_path):
    src = tmp_path / "s"
    (src / "css").mkdir(parents=True)
    (src / "css" / "x.css").write_text(".a {\n  color: red;\n  background: url(../img/nope.png);\n}\n")
    p = cdnpipe("build", src, "-o", tmp_path / "dist")
    assert p.returncode == 1
    assert f"{src}/css/x.css:3:15: missing 'img/nope.png'" in p.stderr
    assert not (tmp_path / "dist").exists()


def test_source_maps_generated(cdnpipe, site, tmp_path):
    dist = tmp_path / "dist"
    cdnpipe("build", "-q", "--source-map", site, "-o", dist, check=0)
    paths = manifest(dist)
    js = (dist / paths["js/app.js"]).read_text()
    m = re.search(r"//# sourceMappingURL=(\S+)\s*$", js)
    assert m and m.group(1) == os.path.basename(paths["js/app.js.map"])
    smap = json.loads((dist / paths["js/app.js.map"]).read_text())
    assert smap["version"] == 3 and smap["mappings"]
    # the author's own map was composed in: its sources survive
    assert smap["sources"] == ["app.ts"]
    css = (dist / paths["css/theme.css"]).read_text()
    assert css.rstrip().endswith("/*# sourceMappingURL=" +
                                 os.path.basename(paths["css/theme.css.map"]) + " */")


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def decode_mappings(mappings):
    """Source Map v3 mappings -> [(gen_line, gen_col, src_line, src_col)]."""
    out, src_line, src_col = [], 0, 0
    for gl, line in enumerate(mappings.split(";")):
        gc = 0
        for seg in filter(None, line.split(",")):
            vals, v, shift = [], 0, 0
            for ch in seg:
                d = B64.index(ch)
                v |= (d & 31) << shift
                shift += 5
                if not d & 32:
                    vals.append(-(v >> 1) if v & 1 else v >> 1)
                    v, shift = 0, 0
            gc += vals[0]
            if len(vals) >= 4:
                src_line += vals[2]
                src_col += vals[3]
                out.append((gl, gc, src_line, src_col))
    return out


def test_generated_css_map_survives_rewriting(cdnpipe, tmp_path):
    # rewriting lengthens url(img/a.png); the map's later columns must follow
    src = tmp_path / "s"
    (src / "img").mkdir(parents=True)
    (src / "img" / "a.png").write_bytes(b"A")
    (src / "x.css").write_text(
        ".a {\n  background: url(img/a.png);\n}\n.after {\n  color: red;\n}\n")
    dist = tmp_path / "dist"
    cdnpipe("build", "-q", "--source-map", "--compress=none", src, "-o", dist, check=0)
    paths = manifest(dist)
    out = (dist / paths["x.css"]).read_text()
    assert paths["img/a.png"] in out
    line0 = out.split("\n")[0]
    col = line0.index(".after")
    segs = decode_mappings(json.loads((dist / paths["x.css.map"]).read_text())["mappings"])
    hits = [s for s in segs if s[0] == 0 and s[1] == col]
    assert hits and hits[0][2:] == (3, 0), (col, segs)


def test_bad_output_path_blocked(cdnpipe, site, tmp_path):
    # a folder where an output file goes, a file where an output folder goes:
    # found before the first write
    dist = make_dist(tmp_path)
    (dist / "css" / "app.css").mkdir(parents=True)
    before = snapshot(dist)
    p = cdnpipe(*BASE, site, "-o", dist)
    assert_failed_cleanly(p, dist, before, str(dist / "css" / "app.css"))
    assert sorted(os.listdir(dist / "css")) == ["app.css"]
    shutil.rmtree(dist / "css")
    (dist / "img").write_text("x")
    before = snapshot(dist)
    p = cdnpipe(*BASE, site, "-o", dist)
    assert_failed_cleanly(p, dist, before, str(dist / "img"))


def test_default_ignores_and_folder_excludes(cdnpipe, tmp_path):
    """collectstatic's default ignores (CVS folders, *~ backups) apply unless
    --no-default-ignore; an --exclude without '/' takes a whole folder."""
    src = tmp_path / "src"
    (src / "CVS").mkdir(parents=True)
    (src / "CVS" / "Entries").write_text("x")
    (src / "node_modules" / "pkg").mkdir(parents=True)
    (src / "node_modules" / "pkg" / "index.js").write_text("var a=1;")
    (src / "app.css~").write_text("old")
    (src / "app.css").write_text("a{color:red}")
    cdnpipe(*BASE, "--exclude", "node_modules", src, "-o", tmp_path / "d", check=0)
    assert sorted(manifest(str(tmp_path / "d"))) == ["app.css"]
    cdnpipe(*BASE, "--no-default-ignore", src, "-o", tmp_path / "d2", check=0)
    assert sorted(manifest(str(tmp_path / "d2"))) == [
        "CVS/Entries", "app.css", "app.css~", "node_modules/pkg/index.js"]


def test_identical_bytes_of_two_types_each_get_their_own_siblings(cdnpipe, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    data = b"hello world " * 400
    (src / "a.png").write_bytes(data)
    (src / "b.txt").write_bytes(data)
    cdnpipe("build", "-q", src, "-o", tmp_path / "d", check=0)
    d = tmp_path / "d"
    assert gzip.decompress((d / "b.txt.gz").read_bytes()) == data
    assert brotli.decompress((d / "b.txt.br").read_bytes()) == data
    assert not (d / "a.png.gz").exists()


def test_rebuild_into_the_same_dist_leaves_no_temporary_files(cdnpipe, site, tmp_path):
    dist = tmp_path / "dist"
    cdnpipe(*BASE, site, "-o", dist, check=0)
    first = sorted(p.relative_to(dist) for p in dist.rglob("*"))
    cdnpipe(*BASE, site, "-o", dist, check=0)
    again = sorted(p.relative_to(dist) for p in dist.rglob("*"))
    assert [p for p in again if ".tmp." in p.name] == []
    assert again == first
