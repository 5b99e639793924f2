"""A small DIST folder, as `cdnpipe build` lays it out, written by the test
itself (so upload tests do not depend on the build), and the headers a
user expects for each of its keys, spelled out independently of cdnpipe."""

import gzip
import hashlib
import json
import os

IMMUTABLE = "public, max-age=31536000, immutable"
UNHASHED = "public, max-age=300"

TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
}


def h12(data):
    return hashlib.md5(data).hexdigest()[:12]


def hashed_name(name, data):
    base, ext = os.path.splitext(name)
    return f"{base}.{h12(data)}{ext}"


def make_dist(root, extra=None, odd_names=False):
    """Writes DIST under root; returns {key: bytes}.  extra: {logical: bytes}
    added as fingerprinted files (with the unhashed original)."""
    logical = {
        "css/app.css": b"body{color:red;background:url(../img/logo.png)}\n" * 20,
        "js/app.js": b"console.log('hello');\n" * 30,
        "img/logo.png": bytes(range(256)) * 8,
        "robots.txt": b"User-agent: *\n",
    }
    if odd_names:
        logical["img/a b/caf\u00e9 +=&()~%.png"] = b"odd name\n" * 3
        logical["css/\u00fcber (1).css"] = b"p{margin:0}\n" * 10
    if extra:
        logical.update(extra)
    files, paths = {}, {}
    for name, data in logical.items():
        files[name] = data
        if name == "robots.txt":  # not in the manifest: an unhashed extra
            continue
        hn = hashed_name(name, data)
        files[hn] = data
        paths[name] = hn
        if name.endswith((".css", ".js")):
            files[hn + ".gz"] = gzip.compress(data, 9, mtime=0)
            files[hn + ".br"] = b"BR" + hashlib.sha256(data).digest()  # opaque to upload
            files[name + ".gz"] = gzip.compress(data, 9, mtime=0)
    files["staticfiles.json"] = json.dumps(
        {"paths": dict(sorted(paths.items())), "version": "1.0"}).encode()
    for key, data in files.items():
        p = os.path.join(root, key)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    return files


def expected_headers(key, files, mode="siblings"):
    """(Content-Type, Cache-Control, Content-Encoding or None) for a key."""
    manifest = json.loads(files["staticfiles.json"])["paths"]
    hashed = set(manifest.values())
    plain, enc = key, None
    for suffix, e in ((".gz", "gzip"), (".br", "br")):
        if key.endswith(suffix) and key[: -len(suffix)] in files:
            plain, enc = key[: -len(suffix)], e
    if mode == "gzip" and enc is None and key + ".gz" in files:
        enc = "gzip"
    ctype = TYPES.get(os.path.splitext(plain)[1], "application/octet-stream")
    if plain == "staticfiles.json":
        cache = "no-cache"
    elif plain in hashed:
        cache = IMMUTABLE
    else:
        cache = UNHASHED
    if mode == "gzip" and enc == "gzip" and plain != "staticfiles.json":
        cache += ", no-transform"  # else R2 and GCS may decompress it for some clients
    return ctype, cache, enc
