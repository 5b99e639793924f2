"""fakes3: a small S3 server on loopback that misbehaves on purpose.

s3rver answers like a healthy server.  The answers that make a client lose
data are the rare ones: a listing page that says it is truncated but gives no
token, a proxy's HTML page with status 200, an <Error> inside a 200, a server
that hands back the same continuation token forever, an SSE-KMS ETag that is
not an MD5, a body cut half-way.  This server gives them on demand.

    fake = FakeS3({"page_size": 10, "pages": {2: "no-token"}}).start()
    fake.put("bkt", "m/a.txt", b"AAAA", meta={"mtime": "1700000000.000000000"})
    run(["cdnpipe", "sync", "s3://bkt/m", dst], env=fake.env(tmp_path))
    fake.count("ListObjectsV2"), fake.objects("bkt"), fake.stop()

A scenario is data, so a new case costs a line:
    page_size   keys per ListObjectsV2 page (default 1000)
    pages       {page number (1-based): fault} for listings, where a fault is
                "no-token"       IsTruncated true, no NextContinuationToken
                "repeat-token"   the token of the page before (page 1: its own)
                "no-truncated"   no IsTruncated element at all
                "html"           200 with an HTML body (a proxy's 502 page)
                "error-200"      200 with <Error><Code>InternalError</Code>...
                "cut"            Content-Length of the whole page, half sent
                "key-count"      KeyCount one more than the keys it holds
    order       "reverse": listings in descending key order (a server that does
                not list in UTF-8 byte order, as s3rver's file-system order)
    get         {key: "cut" | "html" | "wrong-bytes"} faults of GetObject
    sse         "aws:kms": objects PUT or copied get a random 32-hex ETag and
                x-amz-server-side-encryption: aws:kms (as AWS answers them)
    delay       seconds to wait before every answer (slow server)
    hostile     {op: kind | (kind, status)}: the answer of op ("ListObjectsV2",
                "InitiateMultipartUpload", "CompleteMultipartUpload",
                "DeleteObjects") replaced by a hostile body (HOSTILE), with
                status 200 or, as an error body, status (root <Error>); a
                DeleteObjects answered so deletes nothing.  Kinds:
                "html"      a proxy's HTML page
                "truncated" the document cut half-way, Content-Length honest
                "huge"      20 MiB of valid-looking XML, streamed
                "garbage"   20 MiB of bytes that are no XML, streamed
                "laughs"    billion laughs: a DOCTYPE of nested <!ENTITY>s
                "xxe"       an external entity: SYSTEM "file:///etc/passwd"
                "deep"      100,000 nested elements
                "big-key"   a Key (UploadId, ETag, Message) of 10 MB text
                "bad-utf8"  invalid UTF-8 bytes in a Key (or other value)

It checks no signature (the SigV4 proxy in front of s3rver does that) and
implements only what cdnpipe's sync and upload send: ListObjectsV2,
Head/Get/Put/Delete/CopyObject, DeleteObjects, and multipart uploads
(Create, UploadPart, Complete, Abort, ListMultipartUploads; the open ones in
fake.uploads).  Faults repeat on every attempt, so a client's retries cannot
hide them.  A client that hangs up in the middle of a body is no error here.
"""
import hashlib
import http.server
import itertools
import os
import re
import threading
import time
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

import pytest

import loopback

NS = "http://s3.amazonaws.com/doc/2006-03-01/"


class Obj:
    def __init__(self, body, etag=None, meta=None, headers=None, mtime=None):
        self.body = body
        self.etag = etag or hashlib.md5(body).hexdigest()
        self.meta = dict(meta or {})  # x-amz-meta-NAME -> value, by NAME
        self.headers = dict(headers or {})  # content-type, sse, cache-control...
        self.mtime = time.time() if mtime is None else mtime


class FakeS3:
    def __init__(self, scenario=None):
        self.scenario = dict(scenario or {})
        self.buckets = {}
        self.log = []  # (op, method, bucket, key, status)
        self.lock = threading.Lock()
        self.server = None
        self.uploads = {}  # upload id -> (bucket, key, {part number: bytes})
        self._ids = itertools.count(1)

    # ---- set-up and reading back (no HTTP: the store itself)
    def start(self):
        handler = type("H", (_Handler,), {"fake": self})
        self.server, self.url = loopback.serve(handler)
        return self

    def stop(self):
        loopback.shutdown(self.server)
        self.server = None

    def put(self, bucket, key, body, **kw):
        with self.lock:
            self.buckets.setdefault(bucket, {})[key] = Obj(body, **kw)

    def objects(self, bucket):
        with self.lock:
            return dict(self.buckets.get(bucket, {}))

    def count(self, op=None):
        with self.lock:
            return sum(1 for e in self.log if op is None or e[0] == op)

    def env(self, cache_dir, base=None):
        """Environment for cdnpipe against this server, no host AWS_* leaking in."""
        return loopback.env(self.url, cache_dir, "FAKE", "FAKESECRET", base)


def _list_xml(bucket, prefix, keys, objs, token, more, fault):
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="%s">' % NS,
             "<Name>%s</Name><Prefix>%s</Prefix>" % (escape(bucket), escape(prefix))]
    count = len(keys) + (1 if fault == "key-count" else 0)
    parts.append("<KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys>" % count)
    if fault != "no-truncated":
        parts.append("<IsTruncated>%s</IsTruncated>" % ("true" if more else "false"))
    for k in keys:
        o = objs[k]
        parts.append("<Contents><Key>%s</Key><LastModified>%s</LastModified>"
                     "<ETag>&quot;%s&quot;</ETag><Size>%d</Size>"
                     "<StorageClass>STANDARD</StorageClass></Contents>"
                     % (escape(k), time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(o.mtime)),
                        o.etag, len(o.body)))
    if more and fault != "no-token":
        parts.append("<NextContinuationToken>%s</NextContinuationToken>" % token)
    parts.append("</ListBucketResult>")
    return "".join(parts).encode()


HOSTILE = ("html", "truncated", "huge", "garbage", "laughs", "xxe", "deep", "big-key", "bad-utf8")
MiB = 1 << 20
PASSWD = "file:///etc/passwd"


def _good_doc(root, bucket, key, prefix=""):
    """The answer S3 gives, with one value marked @V@ for the faults to poison."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    k = escape(key)
    docs = {
        "ListBucketResult": "<ListBucketResult xmlns=\"%s\"><Name>%s</Name><Prefix></Prefix>"
                            "<KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false"
                            "</IsTruncated><Contents><Key>%s@V@</Key><LastModified>"
                            "2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;"
                            "0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>1</Size>"
                            "<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"
                            % (NS, escape(bucket), escape(prefix)),
        "InitiateMultipartUploadResult": "<InitiateMultipartUploadResult xmlns=\"%s\"><Bucket>%s"
                                         "</Bucket><Key>%s</Key><UploadId>@V@</UploadId>"
                                         "</InitiateMultipartUploadResult>" % (NS, escape(bucket), k),
        "CompleteMultipartUploadResult": "<CompleteMultipartUploadResult xmlns=\"%s\"><Location>"
                                         "http://x/%s/%s</Location><Bucket>%s</Bucket><Key>%s</Key>"
                                         "<ETag>@V@</ETag></CompleteMultipartUploadResult>"
                                         % (NS, escape(bucket), k, escape(bucket), k),
        "DeleteResult": "<DeleteResult xmlns=\"%s\"><Error><Key>@V@</Key><Code>AccessDenied"
                        "</Code><Message>Access Denied</Message></Error></DeleteResult>" % NS,
        "Error": "<Error><Code>AccessDenied</Code><Message>@V@</Message><Resource>/%s/%s"
                 "</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>"
                 % (escape(bucket), k),
    }
    return head + docs[root]


def _repeat(piece, total):
    """piece repeated to about total bytes, in chunks of about 1 MiB."""
    n = max(1, total // len(piece))
    per = max(1, MiB // len(piece))
    chunk = piece * per
    for _ in range(n // per):
        yield chunk
    if n % per:
        yield piece * (n % per)


def hostile_body(kind, root, bucket, key, prefix=""):
    """(chunks, length) of a hostile answer whose document should be root;
    a listing's poisoned key is under prefix."""
    doc = _good_doc(root, bucket, key, prefix)
    value = {"ListBucketResult": "k", "Error": "Access Denied",
             "DeleteResult": escape(key)}.get(root, "2b3f00d5c0ffee")
    good = doc.replace("@V@", value)
    pre, _, post = doc.partition("@V@")
    head, _, body = good.partition("\n")
    if kind == "html":
        parts = [b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway"
                 b"</h1><hr><center>nginx</center></body></html>"]
    elif kind == "truncated":
        parts = [good[: len(good) // 2].encode()]
    elif kind == "huge":  # the document, its value 20 MiB of harmless padding
        if root == "ListBucketResult":
            one = ("<Contents><Key>%spad</Key><LastModified>2024-01-01T00:00:00.000Z"
                   "</LastModified><ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag>"
                   "<Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>" % escape(prefix))
            i = pre.index("<Contents>")
            parts = [good[:i].encode(), _repeat(one.encode(), 20 * MiB), good[i:].encode()]
        else:
            parts = [pre.encode(), _repeat(b"0123456789abcdef", 20 * MiB), post.encode()]
    elif kind == "garbage":
        parts = [_repeat(bytes(range(256)) + b"<<&&]]>", 20 * MiB)]
    elif kind == "laughs":
        ents = ['<!ENTITY lol0 "lol">'] + ['<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10)
                                           for i in range(1, 10)]
        dt = "<!DOCTYPE %s [%s]>" % (root, "".join(ents))
        parts = [(head + "\n" + dt + pre + "&lol9;" + post).encode()]
    elif kind == "xxe":
        dt = '<!DOCTYPE %s [<!ENTITY xxe SYSTEM "%s">]>' % (root, PASSWD)
        parts = [(head + "\n" + dt + pre + "&xxe;" + post).encode()]
    elif kind == "deep":
        i = body.index(">") + 1
        parts = [(head + "\n" + body[:i]).encode(), b"<a>" * 100000, b"</a>" * 100000,
                 body[i:].encode()]
    elif kind == "big-key":
        parts = [pre.encode(), _repeat(b"k", 10 * 1000 * 1000), post.encode()]
    elif kind == "bad-utf8":
        parts = [pre.encode() + (value + "-").encode() + b"\xff\xfe\xc3\x28\xed\xa0\x80"
                 + post.encode()]
    else:
        raise ValueError(kind)
    # lengths first (the generators are consumed only once, when sent)
    chunks = [list(p) if not isinstance(p, bytes) else [p] for p in parts]
    flat = [c for p in chunks for c in p]
    return flat, sum(len(c) for c in flat)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake = None

    def log_message(self, *a):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # a client that hung up (on a body it would not take whole)

    # ---- plumbing
    def _parse(self):
        u = urlsplit(self.path)
        path = unquote(u.path)
        bucket, _, key = path.lstrip("/").partition("/")
        q = {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        return bucket, key, q

    def _body_in(self):
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, op, status, body=b"", headers=None, cut=False):
        f = self.fake
        delay = f.scenario.get("delay")
        if delay:
            time.sleep(delay)
        with f.lock:
            f.log.append((op, self.command, self.bucket, self.key, status))
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if cut:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body[: len(body) // 2] if cut else body)
        if cut:
            self.wfile.flush()
            self.close_connection = True

    def _hostile(self, op, root, prefix=""):
        """True when the scenario replaces op's answer: sent here."""
        h = self.fake.scenario.get("hostile", {}).get(op)
        if not h:
            return False
        kind, status = (h, 200) if isinstance(h, str) else h
        chunks, n = hostile_body(kind, "Error" if status >= 300 else root, self.bucket,
                                 self.key or prefix + "k", prefix)
        with self.fake.lock:
            self.fake.log.append((op, self.command, self.bucket, self.key, status))
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if kind == "html" else "application/xml")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        try:
            for c in chunks:
                self.wfile.write(c)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: its right
            self.close_connection = True
        return True

    def _error(self, op, status, code, msg=""):
        body = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
                "<Message>%s</Message></Error>" % (code, escape(msg))).encode()
        self._send(op, status, body, {"Content-Type": "application/xml"})

    def _obj_headers(self, o):
        h = {"ETag": '"%s"' % o.etag, "Last-Modified": formatdate(o.mtime, usegmt=True),
             "Content-Type": o.headers.get("content-type", "application/octet-stream")}
        for k, v in o.headers.items():
            if k != "content-type":
                h[k] = v
        for k, v in o.meta.items():
            h["x-amz-meta-" + k] = v
        return h

    def _new_obj(self, body, src=None):
        """An object as a PUT or copy stores it, with the request's headers."""
        sse = self.fake.scenario.get("sse")
        directive = self.headers.get("x-amz-metadata-directive", "COPY").upper()
        if src is not None and directive == "COPY":
            meta, headers = dict(src.meta), dict(src.headers)
        else:
            meta = {k[11:]: v for k, v in self.headers.items() if k.lower().startswith("x-amz-meta-")}
            headers = {k.lower(): v for k, v in self.headers.items()
                       if k.lower() in ("content-type", "cache-control", "content-encoding")}
        etag = None
        if sse == "aws:kms":
            headers["x-amz-server-side-encryption"] = "aws:kms"
            etag = os.urandom(16).hex()
        return Obj(body, etag=etag, meta=meta, headers=headers)

    # ---- operations
    def do_GET(self):
        self.bucket, self.key, q = self._parse()
        if not self.key:
            return self._list(q)
        o = self.fake.objects(self.bucket).get(self.key)
        if o is None:
            return self._error("GetObject", 404, "NoSuchKey")
        fault = self.fake.scenario.get("get", {}).get(self.key)
        if fault == "html":
            return self._send("GetObject", 200, b"<html>oops</html>", {"Content-Type": "text/html"})
        body = o.body if fault != "wrong-bytes" else bytes(len(o.body))
        self._send("GetObject", 200, body, self._obj_headers(o), cut=fault == "cut")

    def do_HEAD(self):
        self.bucket, self.key, q = self._parse()
        o = self.fake.objects(self.bucket).get(self.key)
        if o is None:
            return self._send("HeadObject", 404)
        h = self._obj_headers(o)
        self.send_response(200)
        for k, v in h.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(o.body)))
        self.end_headers()
        with self.fake.lock:
            self.fake.log.append(("HeadObject", "HEAD", self.bucket, self.key, 200))

    def _list(self, q):
        f = self.fake
        if "uploads" in q:
            return self._list_uploads(q)
        if self._hostile("ListObjectsV2", "ListBucketResult", q.get("prefix", "")):
            return
        page_size = int(f.scenario.get("page_size", 1000))
        prefix = q.get("prefix", "")
        objs = f.objects(self.bucket)
        keys = sorted((k for k in objs if k.startswith(prefix)),
                      reverse=f.scenario.get("order") == "reverse")
        start = int(q.get("continuation-token", "p0")[1:] or 0)
        page = start // page_size + 1
        chunk = keys[start:start + page_size]
        more = start + page_size < len(keys)
        token = "p%d" % (start + page_size)
        fault = f.scenario.get("pages", {}).get(page)
        if fault == "repeat-token":
            token = "p%d" % max(start - page_size, 0) if page > 1 else "p0"
        if fault == "html":
            return self._send("ListObjectsV2", 200, b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                              {"Content-Type": "text/html"})
        if fault == "error-200":
            return self._error_200("ListObjectsV2")
        body = _list_xml(self.bucket, prefix, chunk, objs, token, more or fault in ("repeat-token", "no-token"), fault)
        self._send("ListObjectsV2", 200, body, {"Content-Type": "application/xml"}, cut=fault == "cut")

    def _error_200(self, op):
        body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
                b"<Message>We encountered an internal error. Please try again.</Message></Error>")
        self._send(op, 200, body, {"Content-Type": "application/xml"})

    def do_PUT(self):
        self.bucket, self.key, q = self._parse()
        body = self._body_in()
        if "uploadId" in q:
            return self._part(q, body)
        src = self.headers.get("x-amz-copy-source")
        if src:
            sb, _, sk = unquote(src).lstrip("/").partition("/")
            so = self.fake.objects(sb).get(sk)
            if so is None:
                return self._error("CopyObject", 404, "NoSuchKey")
            o = self._new_obj(so.body, src=so)
            self.fake.put(self.bucket, self.key, o.body, etag=o.etag, meta=o.meta, headers=o.headers)
            xml = ('<CopyObjectResult><ETag>"%s"</ETag><LastModified>%s</LastModified>'
                   "</CopyObjectResult>" % (o.etag, time.strftime("%Y-%m-%dT%H:%M:%S.000Z")))
            return self._send("CopyObject", 200, xml.encode(), {"Content-Type": "application/xml"})
        o = self._new_obj(body)
        self.fake.put(self.bucket, self.key, body, etag=o.etag, meta=o.meta, headers=o.headers)
        self._send("PutObject", 200, b"", {"ETag": '"%s"' % o.etag})

    def do_POST(self):
        self.bucket, self.key, q = self._parse()
        body = self._body_in()
        if "uploads" in q:
            return self._create()
        if "uploadId" in q:
            return self._complete(q, body)
        if "delete" not in q:
            return self._error("POST", 501, "NotImplemented")
        if self._hostile("DeleteObjects", "DeleteResult"):
            return
        keys = [k.decode() for k in re.findall(rb"<Key>(.*?)</Key>", body, re.S)]
        with self.fake.lock:
            b = self.fake.buckets.setdefault(self.bucket, {})
            for k in keys:
                b.pop(_xml_unescape(k), None)
        self._send("DeleteObjects", 200, b'<DeleteResult xmlns="%s"></DeleteResult>' % NS.encode(),
                   {"Content-Type": "application/xml"})

    def do_DELETE(self):
        self.bucket, self.key, q = self._parse()
        if "uploadId" in q:
            with self.fake.lock:
                gone = self.fake.uploads.pop(q["uploadId"], None) is None
            if gone:
                return self._error("AbortMultipartUpload", 404, "NoSuchUpload")
            return self._send("AbortMultipartUpload", 204)
        with self.fake.lock:
            self.fake.buckets.get(self.bucket, {}).pop(self.key, None)
        self._send("DeleteObject", 204)


    # ---- multipart uploads
    def _create(self):
        if self._hostile("InitiateMultipartUpload", "InitiateMultipartUploadResult"):
            return
        with self.fake.lock:
            uid = "up%d" % next(self.fake._ids)
            self.fake.uploads[uid] = (self.bucket, self.key, {})
        xml = ('<InitiateMultipartUploadResult xmlns="%s"><Bucket>%s</Bucket><Key>%s</Key>'
               "<UploadId>%s</UploadId></InitiateMultipartUploadResult>"
               % (NS, escape(self.bucket), escape(self.key), uid))
        self._send("InitiateMultipartUpload", 200, xml.encode(), {"Content-Type": "application/xml"})

    def _part(self, q, body):
        with self.fake.lock:
            up = self.fake.uploads.get(q["uploadId"])
            if up:
                up[2][int(q.get("partNumber", 0))] = body
        if not up:
            return self._error("UploadPart", 404, "NoSuchUpload")
        self._send("UploadPart", 200, b"", {"ETag": '"%s"' % hashlib.md5(body).hexdigest()})

    def _complete(self, q, body):
        if self._hostile("CompleteMultipartUpload", "CompleteMultipartUploadResult"):
            return  # the upload stays open: a client that believes it done leaves it
        with self.fake.lock:
            up = self.fake.uploads.pop(q["uploadId"], None)
        if not up:
            return self._error("CompleteMultipartUpload", 404, "NoSuchUpload")
        nums = [int(n) for n in re.findall(rb"<PartNumber>(\d+)</PartNumber>", body)]
        data = b"".join(up[2][n] for n in nums)
        md5s = b"".join(hashlib.md5(up[2][n]).digest() for n in nums)
        etag = "%s-%d" % (hashlib.md5(md5s).hexdigest(), len(nums))
        self.fake.put(self.bucket, self.key, data, etag=etag)
        xml = ('<CompleteMultipartUploadResult xmlns="%s"><Bucket>%s</Bucket><Key>%s</Key>'
               "<ETag>&quot;%s&quot;</ETag></CompleteMultipartUploadResult>"
               % (NS, escape(self.bucket), escape(self.key), etag))
        self._send("CompleteMultipartUpload", 200, xml.encode(), {"Content-Type": "application/xml"})

    def _list_uploads(self, q):
        with self.fake.lock:
            ups = [(u, k) for u, (b, k, _) in sorted(self.fake.uploads.items())
                   if b == self.bucket and k.startswith(q.get("prefix", ""))]
        xml = ('<ListMultipartUploadsResult xmlns="%s"><Bucket>%s</Bucket><IsTruncated>false'
               "</IsTruncated>%s</ListMultipartUploadsResult>"
               % (NS, escape(self.bucket), "".join(
                   "<Upload><Key>%s</Key><UploadId>%s</UploadId><Initiated>"
                   "2024-01-01T00:00:00.000Z</Initiated></Upload>" % (escape(k), u)
                   for u, k in ups)))
        self._send("ListMultipartUploads", 200, xml.encode(), {"Content-Type": "application/xml"})


def _xml_unescape(s):
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


@pytest.fixture
def fake():
    """start(scenario=None) -> a running FakeS3, stopped after the test.  A
    test module uses it with `from fakes3 import fake`."""
    servers = []

    def start(scenario=None):
        f = FakeS3(scenario).start()
        servers.append(f)
        return f

    yield start
    for f in servers:
        f.stop()
