"""cdnpipe build vs Django's own collectstatic (ManifestStaticFilesStorage).

The fixture tree tests/fixtures/parity/static covers nested @import chains
(print -> base -> buttons -> shadow), absolute /static/ URLs (with a query),
relative ../ paths, fonts with ?#iefix and #fragments, data:, https:, //host
and non-static absolute URLs, a fragment-only url("#id"), source maps in CSS
and JS (and an external one), an @import with a media tail, and a file
(img/shared.png) referenced from three CSS files.

Django 3.2 (Debian) predates source-map rewriting, so its storage is given
Django 4.x's two source-map patterns (django_collect.py), and behaves as
Django 4.2+ does on this tree.

Exceptions (files whose bytes are expected to differ), each checked to differ
for exactly its stated reason:
  css/quirks.css  Django's regular expressions rewrite a url() inside a CSS
                  comment and inside a string (content: "url(...)"); cdnpipe's
                  tokenizer leaves both alone, as the browser sees no reference
                  there.  Its one real url() is rewritten identically.
"""
import json
import os
import subprocess
import sys

import pytest

from conftest import FIXTURES

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(FIXTURES, "parity", "static")
EXCEPTIONS = {"css/quirks.css"}


def django_collect(storage, dest, *srcs):
    subprocess.run(["/usr/bin/python3", os.path.join(HERE, "django_collect.py"), storage,
                    str(dest), *map(str, srcs)], check=True, cwd=HERE)


@pytest.fixture(scope="module")
def both(tmp_path_factory, cdnpipe_bin):
    base = tmp_path_factory.mktemp("parity")
    dj, cd = base / "django", base / "cdnpipe"
    django_collect("parity", dj, SRC)
    subprocess.run([cdnpipe_bin, "build", "-q", "--no-minify", "--compress=none", SRC, "-o",
                    str(cd)], check=True)
    return dj, cd


def paths(dist):
    with open(os.path.join(dist, "staticfiles.json"), encoding="utf-8") as f:
        return json.load(f)["paths"]


def test_same_paths_map(both):
    dj, cd = both
    ours, theirs = paths(cd), paths(dj)
    assert set(ours) == set(theirs)
    # an exception's hashed name differs as its bytes do
    assert {k: v for k, v in ours.items() if k not in EXCEPTIONS} == \
        {k: v for k, v in theirs.items() if k not in EXCEPTIONS}
    # every source file is in the map
    n = sum(len(files) for _, _, files in os.walk(SRC))
    assert len(paths(cd)) == n


def test_hashed_files_byte_identical(both):
    dj, cd = both
    theirs, ours = paths(dj), paths(cd)
    compared = 0
    for name, hashed in theirs.items():
        if name in EXCEPTIONS:
            continue
        with open(dj / hashed, "rb") as a, open(cd / ours[name], "rb") as b:
            assert a.read() == b.read(), name
        compared += 1
    assert compared == len(theirs) - len(EXCEPTIONS)


def test_references_were_really_rewritten(both):
    # guard against a vacuous pass (both sides copying files unchanged)
    dj, cd = both
    ours = paths(cd)
    base = (cd / ours["css/base.css"]).read_text()
    assert 'url("../fonts/' + os.path.basename(ours["fonts/icons.eot"]) + '?#iefix")' in base
    assert '@import url("components/' + os.path.basename(ours["css/components/buttons.css"]) in base
    assert "/*# sourceMappingURL=" + os.path.basename(ours["css/base.css.map"]) + " */" in base
    assert "url(data:image/png;base64," in base
    assert 'url("/static/' + ours["img/logo.png"] + '?v=3")' in base
    js = (cd / ours["js/app.js"]).read_text()
    assert js.rstrip().endswith("//# sourceMappingURL=" + os.path.basename(ours["js/app.js.map"]))


def test_exception_differs_only_inside_comment_and_string(both):
    dj, cd = both
    theirs, ours = paths(dj), paths(cd)
    name = "css/quirks.css"
    mine = (cd / ours[name]).read_text().splitlines()
    django = (dj / theirs[name]).read_text().splitlines()
    src = open(os.path.join(SRC, name)).read().splitlines()
    assert mine[0] == src[0] and django[0] != src[0]  # the comment
    assert mine[1] == src[1] and django[1] != src[1]  # the string
    assert mine[2] == django[2] != src[2]             # the real reference


def test_unhashed_originals_kept_like_django(both):
    dj, cd = both
    for name in paths(dj):
        with open(os.path.join(SRC, name), "rb") as s, open(cd / name, "rb") as c:
            assert s.read() == c.read(), name


RENDER = r"""
import json, sys
import django
from django.conf import settings
settings.configure(DEBUG=False, STATIC_URL="/static/", STATIC_ROOT=sys.argv[1],
    INSTALLED_APPS=["django.contrib.staticfiles"],
    STATICFILES_STORAGE=sys.argv[2],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}])
django.setup()
from django.template import engines
t = engines["django"].from_string(
    "{% load static %}{% static 'css/base.css' %} {% static 'fonts/icons.eot' %} "
    "{% static 'js/app.js.map' %}")
print(t.render({}))
"""

ACCEPT_11 = r"""
import json
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
class Storage11(ManifestStaticFilesStorage):
    # Django 4.2's load_manifest: versions 1.0 and 1.1
    def load_manifest(self):
        content = self.read_manifest()
        if content is None:
            return {}
        stored = json.loads(content)
        if stored.get("version") in ("1.0", "1.1"):
            return stored.get("paths", {})
        raise ValueError("bad manifest")
"""


def render(dist, storage, tmp_path):
    (tmp_path / "storage11.py").write_text(ACCEPT_11)
    p = subprocess.run(["/usr/bin/python3", "-c", RENDER, str(dist), storage],
                       capture_output=True, text=True, cwd=str(tmp_path),
                       env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert p.returncode == 0, p.stderr
    return p.stdout.split()


@pytest.mark.parametrize("version,storage", [
    ("1.0", "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"),
    ("1.1", "storage11.Storage11"),
])
def test_django_templates_resolve_static_from_cdnpipe_manifest(cdnpipe, tmp_path, version,
                                                               storage):
    dist = tmp_path / "dist"
    cdnpipe("build", "-q", "--no-minify", "--compress=none", "--django-manifest-version=" +
            version, SRC, "-o", dist, check=0)
    manifest = json.loads((dist / "staticfiles.json").read_text())
    assert manifest["version"] == version
    assert ("hash" in manifest) == (version == "1.1")
    urls = render(dist, storage, tmp_path)
    p = manifest["paths"]
    assert urls == ["/static/" + p["css/base.css"], "/static/" + p["fonts/icons.eot"],
                    "/static/" + p["js/app.js.map"]]
    for u in urls:
        assert (dist / u[len("/static/"):]).is_file()


def test_manifest_hash_is_djangos(cdnpipe, tmp_path):
    # Django 4.2 save_manifest: file_hash of json.dumps(sorted(paths.items()))
    import hashlib
    dist = tmp_path / "dist"
    cdnpipe("build", "-q", "--no-minify", "--compress=none", SRC, "-o", dist, check=0)
    raw = (dist / "staticfiles.json").read_text()
    m = json.loads(raw)
    expect = hashlib.md5(json.dumps(sorted(m["paths"].items())).encode()).hexdigest()[:12]
    assert m["hash"] == expect
    assert list(m) == ["paths", "version", "hash"]
    assert list(m["paths"]) == sorted(m["paths"])
    assert raw == json.dumps({"paths": dict(sorted(m["paths"].items())), "version": "1.1",
                              "hash": expect})
