"""synthlist: a ListObjectsV2 server for any object count, nothing stored.

Design.  Key i (0 <= i < count) is a pure function of (i, seed), built so
that key(i) < key(j) in UTF-8 byte order exactly when i < j: every path
segment starts with a fixed-width number unique among its siblings, so the
words after it (spaces, '-', non-ASCII) never decide the order.  A page is
then generated on the fly: the first key >= prefix / start-after / token is
found by binary search over i (O(log count) keys made), and the page is the
next max-keys indexes.  Memory is constant whatever the count (10,000,000
keys cost nothing more than 1,000), so the server can list more keys than a
test machine could store, and the client is the only thing measured.

    srv = SynthList(count=1_000_000, seed=7).start()
    run(["cdnpipe", "sync", "s3://bkt/m/", dst, "--dry-run"], env=srv.env(tmp))
    srv.count("ListObjectsV2"), srv.keys(0, 10), srv.stop()

Layout (folders=True, the default): m/dNNN/NN-<album>/NN <name>.<ext>,
10,000 keys per top folder, 100 per album: realistic media names with
folders, sizes (1 KiB .. 4 MiB), ETags (MD5-shaped, from the seed) and
LastModified.  folders=False gives a flat key space (m/fNNNNNNNN_<name>.jpg),
where delimiter=/ finds no prefix to list in parallel.

ListObjectsV2 is complete: prefix, delimiter=/ (CommonPrefixes, each counted
as one of max-keys, as S3 does), continuation-token, start-after, max-keys
(at most 1000), KeyCount, IsTruncated.  HEAD of a key answers its size and
ETag; GET of a key answers 501 (no bodies: this server is for listings, and
`--dry-run` runs).  No signature is checked.

Trade-offs: Python makes a 1000-key page in a few ms, so the server, not
the client, may bound a listing past ~200k keys/s; the benchmark prints the
server's own CPU time so that a client figure can be read against it.  The
order property is checked by `selfcheck()` (run by the test suite) over a
sample, since it is what every merge-based client relies on.

Run alone:  synthlist.py --count N [--seed S] [--flat] [--port P]
            prints "http://127.0.0.1:PORT" on its first line, serves until killed.
"""
import argparse
import http.server
import sys
import threading
import time
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

import loopback

NS = "http://s3.amazonaws.com/doc/2006-03-01/"
WORDS = ["sunset", "beach", "Équipe", "naïve", "café", "München", "東京", "фото", "a-b",
         "a.b", "A", "b", "holiday 2019", "x+y", "z_z", "ğ", "~tilde", "Über"]
EXTS = ["jpg", "png", "mp4", "webp", "JPG", "mov", "txt"]


_M = (1 << 64) - 1


def _h(seed, i, salt):
    """splitmix64 of (seed, i, salt): cheap, deterministic, well mixed."""
    z = (seed * 0x9E3779B97F4A7C15 + i * 0xBF58476D1CE4E5B9 + salt) & _M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
    return z ^ (z >> 31)


class SynthList:
    def __init__(self, count, seed=1, root="m/", folders=True, bucket="bkt"):
        self.n = int(count)
        self.seed = int(seed)
        self.root = root
        self.folders = folders
        self.bucket = bucket
        self.log = []  # (op, query) of every request
        self.lock = threading.Lock()
        self.server = None

    # ---- the key space
    def key(self, i):
        s = self.seed
        if not self.folders:
            return "%sf%08d_%s.jpg" % (self.root, i, WORDS[_h(s, i, 1) % len(WORDS)])
        top, album, f = i // 10000, (i // 100) % 100, i % 100
        aw = WORDS[_h(s, i // 100, 2) % len(WORDS)]
        fw = WORDS[_h(s, i, 1) % len(WORDS)]
        ext = EXTS[_h(s, i, 3) % len(EXTS)]
        return "%sd%03d/%02d-%s/%02d %s.%s" % (self.root, top, album, aw, f, fw, ext)

    def size(self, i):
        return 1024 + _h(self.seed, i, 4) % (4 << 20)

    def etag(self, i):
        return "%016x%016x" % (_h(self.seed, i, 6), _h(self.seed, i, 7))

    def mtime(self, i):
        return 1600000000 + _h(self.seed, i, 5) % 100000000

    def keys(self, a, b):
        return [self.key(i) for i in range(a, min(b, self.n))]

    def lower_bound(self, target):
        """First i with key(i) >= target (bytes)."""
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.key(mid).encode() < target:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def after(self, target):
        """First i with key(i) > target (bytes)."""
        i = self.lower_bound(target)
        return i + 1 if i < self.n and self.key(i).encode() == target else i

    def index_of(self, key):
        i = self.lower_bound(key.encode())
        return i if i < self.n and self.key(i) == key else None

    def selfcheck(self, step=None):
        """The order property, over every key (small n) or a sample."""
        step = step or max(1, self.n // 20000)
        for i in range(0, self.n - 1, step):
            a, b = self.key(i).encode(), self.key(i + 1).encode()
            assert a < b, (a, b)
            if i + step < self.n:
                assert b <= self.key(i + step).encode()
        return True

    # ---- one ListObjectsV2 page
    def list_page(self, prefix="", delimiter="", token=None, start_after="", max_keys=1000):
        """(keys as indexes, common prefixes, next token or None)."""
        p = prefix.encode()
        start = self.lower_bound(p)
        if token:
            start = max(start, int(token[1:]))
        if start_after:
            start = max(start, self.after(start_after.encode()))
        end = self.lower_bound(_upper(p)) if p else self.n
        max_keys = max(0, min(int(max_keys), 1000))
        keys, cps, i = [], [], start
        while i < end and len(keys) + len(cps) < max_keys:
            k = self.key(i)
            rest = k[len(prefix):]
            cut = rest.find(delimiter) if delimiter else -1
            if cut < 0:
                keys.append(i)
                i += 1
                continue
            cp = prefix + rest[:cut + len(delimiter)]
            cps.append(cp)
            i = self.lower_bound(_upper(cp.encode()))
        return keys, cps, ("t%d" % i if i < end else None)

    def list_xml(self, q):
        prefix, delim = q.get("prefix", ""), q.get("delimiter", "")
        keys, cps, nxt = self.list_page(prefix, delim, q.get("continuation-token"),
                                        q.get("start-after", ""), q.get("max-keys", 1000))
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="%s">' % NS,
               "<Name>%s</Name><Prefix>%s</Prefix>" % (escape(self.bucket), escape(prefix)),
               "<KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys>" % (len(keys) + len(cps))]
        if delim:
            out.append("<Delimiter>%s</Delimiter>" % escape(delim))
        out.append("<IsTruncated>%s</IsTruncated>" % ("true" if nxt else "false"))
        for i in keys:
            out.append("<Contents><Key>%s</Key><LastModified>%s</LastModified>"
                       "<ETag>&quot;%s&quot;</ETag><Size>%d</Size>"
                       "<StorageClass>STANDARD</StorageClass></Contents>"
                       % (escape(self.key(i)),
                          _iso(self.mtime(i)),
                          self.etag(i), self.size(i)))
        for cp in cps:
            out.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % escape(cp))
        if nxt:
            out.append("<NextContinuationToken>%s</NextContinuationToken>" % nxt)
        out.append("</ListBucketResult>")
        return "".join(out).encode()

    # ---- serving
    def start(self, port=0):
        handler = type("H", (_Handler,), {"synth": self})
        self.server, self.url = loopback.serve(handler, port)
        return self

    def stop(self):
        loopback.shutdown(self.server)
        self.server = None

    def count(self, op=None):
        with self.lock:
            return sum(1 for e in self.log if op is None or e[0] == op)

    def env(self, cache_dir, base=None):
        return synth_env(self.url, cache_dir, base)


def synth_env(url, cache_dir, base=None):
    """Environment for cdnpipe against url, no host AWS_* leaking in."""
    return loopback.env(url, cache_dir, "SYNTH", "SYNTHSECRET", base)


_ISO = {}


def _iso(t):
    """LastModified of t, at a day's resolution cached (the seconds vary)."""
    day, sec = divmod(t, 86400)
    d = _ISO.get(day)
    if d is None:
        d = _ISO[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86400))
    return "%s%02d:%02d:%02d.000Z" % (d, sec // 3600, sec // 60 % 60, sec % 60)


def _upper(p):
    """The smallest byte string greater than every string starting with p."""
    b = bytearray(p)
    while b and b[-1] == 0xFF:
        b.pop()
    if not b:
        return b"\xff" * 8
    b[-1] += 1
    return bytes(b)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    synth = None

    def log_message(self, *a):
        pass

    def _parse(self):
        u = urlsplit(self.path)
        bucket, _, key = unquote(u.path).lstrip("/").partition("/")
        q = {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        return bucket, key, q

    def _send(self, op, status, body=b"", headers=None, q=None):
        with self.synth.lock:
            self.synth.log.append((op, q))
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, op, status, code):
        body = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
                "<Message>%s</Message></Error>" % (code, code)).encode()
        self._send(op, status, body, {"Content-Type": "application/xml"})

    def do_GET(self):
        bucket, key, q = self._parse()
        if bucket != self.synth.bucket:
            return self._error("GetObject", 404, "NoSuchBucket")
        if not key:
            return self._send("ListObjectsV2", 200, self.synth.list_xml(q),
                              {"Content-Type": "application/xml"}, q)
        if self.synth.index_of(key) is None:
            return self._error("GetObject", 404, "NoSuchKey")
        self._error("GetObject", 501, "NotImplemented")

    def do_HEAD(self):
        bucket, key, q = self._parse()
        i = self.synth.index_of(key) if bucket == self.synth.bucket else None
        if i is None:
            return self._send("HeadObject", 404)
        self._send("HeadObject", 200, b"", {"ETag": '"%s"' % self.synth.etag(i),
                                            "Content-Type": "application/octet-stream",
                                            "X-Size": str(self.synth.size(i))})

    def _refuse(self):
        self._parse()
        n = int(self.headers.get("content-length") or 0)
        if n:
            self.rfile.read(n)
        self._error(self.command, 501, "NotImplemented")

    do_PUT = do_POST = do_DELETE = _refuse


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flat", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    s = SynthList(a.count, a.seed, folders=not a.flat).start(a.port)
    print(s.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
