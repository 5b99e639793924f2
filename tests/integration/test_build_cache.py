"""The build cache (issue 14): minified outputs, source maps and compressed
siblings of content seen before come from $XDG_CACHE_HOME/cdnpipe/build (or
--cache-dir), in any DIST.  What is checked: every byte of DIST is the same
cold, warm, after a change, after damaging entries, with two builds sharing
one cache at once, and with --no-cache; a damaged entry is detected, rebuilt
and replaced; -v and --json say what came from the cache; eviction keeps the
cache under --cache-max.
"""
import json
import os
import shutil
import subprocess
import threading

import pytest

from filetree import tree


@pytest.fixture
def site(tmp_path):
    src = tmp_path / "src"
    (src / "css").mkdir(parents=True)
    (src / "js").mkdir()
    (src / "img").mkdir()
    (src / "img" / "dot.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'>" +
                                         "<circle r='1'/>" * 200 + "</svg>")
    for i in range(6):
        (src / "css" / f"s{i}.css").write_text(
            f"/* sheet {i} */\n.a{i} {{ color: #ff0000; background: url(../img/dot.svg) }}\n" * 60)
        (src / "js" / f"m{i}.js").write_text(
            f"// module {i}\nfunction f{i}(a, b) {{\n  return a + b + {i};\n}}\n" * 80)
    (src / "robots.txt").write_text("User-agent: *\n")
    return src


def build(cdnpipe, src, dist, *extra, env=None):
    p = cdnpipe("build", "--json", "--source-map", *extra, src, "-o", dist, env=env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout), p.stderr


def cache_files(cache):
    return [os.path.join(r, f) for r, _, fs in os.walk(cache) for f in fs]


def test_cold_warm_changed_damaged_and_no_cache_are_identical(cdnpipe, site, tmp_path):
    cache = tmp_path / "cache"
    ref, _ = build(cdnpipe, site, tmp_path / "ref", "--no-cache")
    assert "cache" not in ref and not cache.exists()
    want = tree(tmp_path / "ref")

    cold, _ = build(cdnpipe, site, tmp_path / "d1", "--cache-dir", cache)
    assert cold["cache"]["minified_from_cache"] == 0 and cold["cache"]["compressed"] > 0
    assert tree(tmp_path / "d1") == want

    # warm, into a fresh DIST: nothing minified or compressed again
    warm, err = build(cdnpipe, site, tmp_path / "d2", "--cache-dir", cache, "-v")
    assert warm["cache"]["minified_from_cache"] == warm["minified"] == 12
    assert warm["cache"]["compressed"] == 0 and warm["cache"]["compressed_from_cache"] > 0
    assert "from cache: css/s0.css (minified)" in err
    assert tree(tmp_path / "d2") == want

    # one changed file: that one minified again, the rest from the cache
    (site / "css" / "s3.css").write_text(".changed { color: blue }\n" * 50)
    ch, _ = build(cdnpipe, site, tmp_path / "d3", "--cache-dir", cache)
    assert ch["cache"]["minified_from_cache"] == ch["minified"] - 1
    ref2, _ = build(cdnpipe, site, tmp_path / "ref2", "--no-cache")
    assert tree(tmp_path / "d3") == tree(tmp_path / "ref2")

    # damage entries: truncate some, flip a byte in others, empty one
    entries = sorted(cache_files(cache))
    assert len(entries) > 10
    for i, e in enumerate(entries[:9]):
        data = open(e, "rb").read()
        if i % 3 == 0:
            data = data[: len(data) // 2]
        elif i % 3 == 1:
            data = data[:-1] + bytes([data[-1] ^ 1])
        else:
            data = b""
        open(e, "wb").write(data)
    dm, err = build(cdnpipe, site, tmp_path / "d4", "--cache-dir", cache, "-v")
    assert dm["cache"]["damaged"] >= 1 and "is damaged: rebuilt and replaced" in err
    assert tree(tmp_path / "d4") == tree(tmp_path / "ref2")
    again, _ = build(cdnpipe, site, tmp_path / "d5", "--cache-dir", cache)
    assert again["cache"]["damaged"] == 0  # replaced by the build before
    assert again["cache"]["compressed"] == 0
    assert tree(tmp_path / "d5") == tree(tmp_path / "ref2")
    # compressed siblings are hard links to the cache's blobs...
    assert again["cache"]["linked"] > 0
    assert os.stat(tmp_path / "d5" / "css" / "s0.css.br").st_nlink > 1
    # ...which are checked too: damage every blob
    blobs = [f for f in cache_files(cache) if "/blobs/" in f]
    assert blobs
    for b in blobs:
        os.unlink(b)  # a link of DIST files: replace, never write into it
        open(b, "wb").write(b"not the blob")
    dm, _ = build(cdnpipe, site, tmp_path / "d6", "--cache-dir", cache)
    assert dm["cache"]["damaged"] >= len(blobs) // 2
    assert tree(tmp_path / "d6") == tree(tmp_path / "ref2")
    assert tree(tmp_path / "d5") == tree(tmp_path / "ref2")  # earlier DISTs untouched


def test_default_folder_config_key_and_a_cache_that_cannot_be_made(cdnpipe, site, tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    build(cdnpipe, site, tmp_path / "d1", env=env)
    assert cache_files(tmp_path / "xdg" / "cdnpipe" / "build")
    # cache-dir in [build]
    (tmp_path / "cdnpipe.ini").write_text("[build]\ncache-dir = %s\n" % (tmp_path / "ini"))
    build(cdnpipe, site, tmp_path / "d2", env=env)
    assert cache_files(tmp_path / "ini")
    # a folder that cannot be made: a warning, the build goes on
    (tmp_path / "cdnpipe.ini").unlink()
    (tmp_path / "afile").write_text("x")
    r, err = build(cdnpipe, site, tmp_path / "d3", "--cache-dir", tmp_path / "afile" / "c")
    assert "no build cache" in err and "cache" not in r
    assert tree(tmp_path / "d3") == tree(tmp_path / "d1")


def test_two_builds_share_one_cache_at_once(cdnpipe_bin, site, tmp_path):
    cache = tmp_path / "cache"
    ref = tmp_path / "ref"
    subprocess.run([cdnpipe_bin, "build", "--no-cache", str(site), "-o", str(ref)], check=True,
                   capture_output=True)
    results = {}

    def one(name):
        results[name] = subprocess.run(
            [cdnpipe_bin, "build", "--cache-dir", str(cache), "-j", "2", str(site), "-o",
             str(tmp_path / name)], capture_output=True, text=True)

    for _ in range(3):  # cold, then warm, racing each time
        ts = [threading.Thread(target=one, args=(n,)) for n in ("a", "b")]
        [t.start() for t in ts]
        [t.join() for t in ts]
        for n in ("a", "b"):
            assert results[n].returncode == 0, results[n].stderr
            assert tree(tmp_path / n) == tree(ref)
    assert not [f for f in cache_files(cache) if ".tmp." in f]


def test_eviction_keeps_the_cache_under_its_limit(cdnpipe, site, tmp_path):
    cache = tmp_path / "cache"
    r, _ = build(cdnpipe, site, tmp_path / "d1", "--cache-dir", cache, "--cache-max", "20K")
    total = sum(os.path.getsize(f) for f in cache_files(cache))
    assert r["cache"]["evicted"] > 0 and total <= 20 * 1024
    # what is left still serves a correct build
    build(cdnpipe, site, tmp_path / "d2", "--cache-dir", cache, "--cache-max", "20K")
    assert tree(tmp_path / "d2") == tree(tmp_path / "d1")


def test_a_changed_image_costs_the_image_and_the_css_that_names_it(cdnpipe, tmp_path):
    """-v names what was minified or compressed again and why; everything else
    comes from the cache."""
    src = tmp_path / "src"
    (src / "css").mkdir(parents=True)
    (src / "img").mkdir()
    (src / "img" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'>" +
                                          "<rect width='1' height='1'/>" * 100 + "</svg>")
    (src / "css" / "site.css").write_text(".logo { background: url(../img/logo.svg) }\n" * 30)
    (src / "css" / "other.css").write_text(".x { color: red }\n" * 60)
    (src / "app.js").write_text("function hello(n) { return 'hi ' + n; }\n" * 60)
    cache = tmp_path / "cache"
    build(cdnpipe, src, tmp_path / "d1", "--cache-dir", cache)
    (src / "img" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'>" +
                                          "<circle r='2'/>" * 100 + "</svg>")
    r, err = build(cdnpipe, src, tmp_path / "d2", "--cache-dir", cache, "-v")
    again = sorted(l.split(": ", 1)[1].split(" (")[0] for l in err.splitlines()
                   if l.startswith(("minified: ", "compressed: ")))
    d2 = str(tmp_path / "d2")
    hashed = {k: v for k, v in json.loads((tmp_path / "d2" / "staticfiles.json").read_text())
              ["paths"].items()}
    # the new image is compressed once (its unhashed copy has the same bytes:
    # linked), and the CSS that names it (its unhashed copy keeps the
    # unhashed reference, so its bytes did not change); nothing else
    want = sorted(f"{d2}/{name}{ext}" for name in
                  (hashed["img/logo.svg"], hashed["css/site.css"]) for ext in (".gz", ".br"))
    assert again == want, err
    assert r["cache"]["minified_from_cache"] == r["minified"]  # site.css's text is unchanged
    assert "minified: " not in err


def test_unchanged_files_keep_their_hash_unread(cdnpipe, site, tmp_path):
    """The file-state record: an image whose path, inode, size, mtime and ctime
    are unchanged is not read to be named; a rewrite that keeps size and mtime
    is still seen (ctime), and --no-trust-mtime hashes everything."""
    import hashlib
    import time
    cache = tmp_path / "cache"
    build(cdnpipe, site, tmp_path / "d1", "--cache-dir", cache)
    r, _ = build(cdnpipe, site, tmp_path / "d1b", "--cache-dir", cache)
    assert r["cache"]["hashed_from_record"] == 0  # just written: "racy", not recorded
    time.sleep(2.1)
    build(cdnpipe, site, tmp_path / "d1", "--cache-dir", cache)
    r, _ = build(cdnpipe, site, tmp_path / "d2", "--cache-dir", cache)
    assert r["cache"]["hashed_from_record"] == 2  # img/dot.svg, robots.txt: not parsed
    for off in ("--no-trust-mtime", "--trust-mtime=no"):
        r, _ = build(cdnpipe, site, tmp_path / "d3", "--cache-dir", cache, off)
        assert r["cache"]["hashed_from_record"] == 0
    assert tree(tmp_path / "d3") == tree(tmp_path / "d1")
    p = cdnpipe("build", "--trust-mtime=maybe", site, "-o", tmp_path / "d9")
    assert p.returncode == 2 and "yes|no" in p.stderr
    # touched, not changed: read again, and the same DIST
    os.utime(site / "robots.txt")
    r, _ = build(cdnpipe, site, tmp_path / "d5", "--cache-dir", cache)
    assert r["cache"]["hashed_from_record"] == 1  # dot.svg; robots.txt was read
    assert tree(tmp_path / "d5") == tree(tmp_path / "d1")
    # same size, mtime put back: the bytes differ, and so must the name
    svg = site / "img" / "dot.svg"
    st = svg.stat()
    old = svg.read_bytes()
    new = old.replace(b"r='1'", b"r='2'")
    assert len(new) == len(old)
    svg.write_bytes(new)
    os.utime(svg, ns=(st.st_atime_ns, st.st_mtime_ns))
    r, _ = build(cdnpipe, site, tmp_path / "d4", "--cache-dir", cache)
    # neither: dot.svg changed, robots.txt was touched a moment ago (racy)
    assert r["cache"]["hashed_from_record"] == 0
    m = json.loads((tmp_path / "d4" / "staticfiles.json").read_text())["paths"]
    assert hashlib.md5(new).hexdigest()[:12] in m["img/dot.svg"]


def test_source_maps_with_an_input_map_are_the_same_with_and_without_the_cache(cdnpipe,
                                                                              tmp_path):
    """A script with its own map: the generated map replaces it, once, and the
    manifest names each file once - cold, warm and without the cache."""
    src = tmp_path / "src"
    (src / "js").mkdir(parents=True)
    for i in range(5):
        (src / "js" / f"a{i}.js").write_text(f"var a{i} = 1;\n" * 50)
    (src / "js" / "lib.js").write_text("function lib(x) { return x + 1; }\n"
                                       "//# sourceMappingURL=lib.js.map\n")
    (src / "js" / "lib.js.map").write_text(
        '{"version":3,"file":"lib.js","sources":["lib.ts"],"names":[],'
        '"mappings":"AAAA"}')
    cache = tmp_path / "cache"
    ref, _ = build(cdnpipe, src, tmp_path / "ref", "--no-cache")
    for d in ("d1", "d2"):
        build(cdnpipe, src, tmp_path / d, "--cache-dir", cache)
        assert tree(tmp_path / d) == tree(tmp_path / "ref")
    pairs = json.loads((tmp_path / "ref" / "staticfiles.json").read_text(),
                       object_pairs_hook=lambda p: p)
    paths = dict(pairs)["paths"]
    names = [k for k, _ in paths]
    assert len(names) == len(set(names)) and "js/lib.js.map" in names


def test_eviction_removes_only_entries_and_never_follows_a_link(cdnpipe, site, tmp_path):
    """--cache-dir pointed at a folder of other files, and links planted in a
    cache: eviction deletes what cdnpipe wrote, nothing else (review, issue 14)."""
    cache = tmp_path / "cache"
    victim = tmp_path / "victim"
    victim.mkdir()
    hexname = "ab" * 31  # named like an entry, behind a link
    (victim / hexname).write_text("thesis")
    (cache / "js").mkdir(parents=True)
    (cache / "js" / "app.js").write_text("mine")
    (cache / "ab").mkdir()
    (cache / "ab" / "notes.txt").write_text("mine too")
    os.symlink(victim, cache / "cd")
    (cache / "blobs").mkdir()
    os.symlink(victim, cache / "blobs" / "ef")
    r, _ = build(cdnpipe, site, tmp_path / "d1", "--cache-dir", cache, "--cache-max", "1K")
    assert r["cache"]["evicted"] > 0
    assert (cache / "js" / "app.js").read_text() == "mine"
    assert (cache / "ab" / "notes.txt").read_text() == "mine too"
    assert (victim / hexname).read_text() == "thesis"
    assert (cache / "CACHEDIR.TAG").read_text().startswith(
        "Signature: 8a477f597d28d172789f06886806bc55")


@pytest.mark.parametrize("how", ["world-writable", "another-owner"])
def test_a_cache_another_user_can_write_is_not_used(cdnpipe, site, tmp_path, how):
    """Keys are not secret: whoever can write into the cache could plant the
    bytes of any output, which the build would publish."""
    cache = tmp_path / "cache"
    cache.mkdir()
    if how == "world-writable":
        os.chmod(cache, 0o777)
        want = "writable by all users"
    else:
        if os.geteuid() != 0:
            pytest.skip("needs root to give the folder to another user")
        os.chown(cache, 65534, 65534)
        want = "belongs to another user"
    r, err = build(cdnpipe, site, tmp_path / "d1", "--cache-dir", cache)
    assert "no build cache" in err and want in err and "cache" not in r
    assert os.listdir(cache) == []


def test_a_cache_inside_a_source_root_or_dist_is_not_used(cdnpipe, site, tmp_path):
    ref = tmp_path / "ref"
    build(cdnpipe, site, ref, "--no-cache")
    for inside in (site / "build-cache", tmp_path / "dist" / ".cache"):
        r, err = build(cdnpipe, site, tmp_path / "dist", "--cache-dir", inside)
        assert "no build cache" in err and "would be published" in err, err
        assert not inside.exists()
        assert tree(tmp_path / "dist") == tree(ref)


def test_a_sibling_written_in_place_in_one_dist_is_mended_in_the_others(cdnpipe, site, tmp_path):
    """Compressed siblings are hard links to the cache's blobs: bytes written
    into one DIST's file in place are every linked DIST's.  The next build of
    another DIST takes such a file from the cache again, which checks it."""
    cache = tmp_path / "cache"
    ref = tmp_path / "ref"
    build(cdnpipe, site, ref, "--no-cache")
    for d in ("r1", "r2"):
        build(cdnpipe, site, tmp_path / d, "--cache-dir", cache)
    manifest = json.loads((tmp_path / "r1" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/s0.css"] + ".br"
    assert os.stat(tmp_path / "r1" / hashed).st_nlink > 1  # linked, not copied
    with open(tmp_path / "r2" / hashed, "r+b") as f:  # in place, as `>` does
        f.truncate(0)
        f.write(b"oops")
    assert (tmp_path / "r1" / hashed).read_bytes() == b"oops"  # what a link means
    r, err = build(cdnpipe, site, tmp_path / "r1", "--cache-dir", cache, "-v")
    assert r["cache"]["damaged"] >= 1 and "damaged" in err
    assert tree(tmp_path / "r1") == tree(ref)


def test_eviction_goes_by_use_for_compressed_files_too(cdnpipe, tmp_path):
    """A compressed sibling's blob is as recent as the newest entry naming it:
    a site built again a moment ago keeps its siblings when a third, newer site
    pushes the cache over its limit; the one built longest ago loses them."""
    cache = tmp_path / "cache"
    sites = {}
    for name in ("x", "y", "z"):
        src = tmp_path / ("src-" + name)
        src.mkdir()
        (src / "big.css").write_text("".join(
            f".{name}{i} {{ margin: {i}px; color: #{i:06x} }}\n" for i in range(3000)))
        sites[name] = src

    def run(name, *extra):
        r, _ = build(cdnpipe, sites[name], tmp_path / ("d-" + name), "--cache-dir", cache,
                     "--no-minify", *extra)
        return r["cache"]

    run("x"), run("y"), run("x")
    used = sum(os.stat(f).st_blocks * 512 for f in cache_files(cache))  # as eviction counts
    run("z", "--cache-max", str(int(used * 1.2)))
    for d in ("d-x", "d-y"):  # fresh DISTs: every sibling from the cache or made again
        shutil.rmtree(tmp_path / d)
    x = run("x", "--cache-max", "1G")
    y = run("y", "--cache-max", "1G")
    assert x["compressed"] == 0, x  # built again most recently of the two: kept whole
    assert y["compressed"] > 0, y  # the least recently used
