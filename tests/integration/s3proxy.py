"""s3proxy: a SigV4-verifying, recording, fault-injecting HTTP proxy for S3.

s3rver (the S3 server the integration tests run) accepts any SigV4 signature
from a known access key and checks neither x-amz-content-sha256 nor
Content-MD5, so a client that signs wrongly would pass every test and then
fail against AWS, R2 or MinIO.  This proxy sits between the client under test
and s3rver and does what a real S3 front end does before a request reaches
storage:

  * recomputes the signature with botocore's own S3 SigV4 implementation
    (S3SigV4Auth.canonical_request / string_to_sign / signature) over exactly
    the headers the request names in SignedHeaders, with the request's
    x-amz-date and credential scope (s3verify.py), and answers S3's XML errors
    (SignatureDoesNotMatch with the CanonicalRequest and StringToSign it
    expected, InvalidAccessKeyId, AuthorizationHeaderMalformed for a wrong
    region or date, RequestTimeTooSkewed, AccessDenied for x-amz-* headers
    that were sent but not signed);
  * hashes every body and checks x-amz-content-sha256 (unless
    UNSIGNED-PAYLOAD) and Content-MD5 (400 XAmzContentSHA256Mismatch,
    BadDigest, InvalidDigest);
  * answers AbortMultipartUpload itself (s3rver lacks it: 204, recorded in
    `aborted`), and afterwards answers NoSuchUpload for that upload id;
  * keeps the upload id of every CreateMultipartUpload s3rver answered
    (`created`, with whether the client got the answer intact) and of every
    CompleteMultipartUpload s3rver completed, so a test can list the uploads
    left open (open_uploads(): s3rver has no ListMultipartUploads); a
    completed upload id then gets NoSuchUpload too, as on S3 (s3rver answers
    a second Complete with a 500 InternalError);
  * records every request (operation, method, bucket, key, query, status,
    body bytes in and out) so tests can count, e.g., "no PutObject";
  * injects faults set at run time (see FaultRule).

Design and trade-offs:
  * ThreadingHTTPServer, HTTP/1.1 keep-alive, one thread per client
    connection, each with its own keep-alive connection to s3rver.
  * A body must be verified before s3rver sees it, because s3rver writes
    straight into the object's final file: forwarding first and checking
    later would leave a corrupt object behind a 400.  So bodies up to
    SPOOL_MEMORY are read into memory, larger ones are spooled once to a
    temporary file (hashed while being written) and then streamed to s3rver
    in 1 MiB blocks: a 200 MiB upload is never held in memory, at the price
    of one pass through the page cache.  Responses (GETs) are streamed.
  * "Expect: 100-continue" is honoured only after the signature has been
    checked, so a badly signed large PUT is refused without its body.
  * Fault decisions with rate < 1 are a hash of (seed, request identity,
    how many times that identity was seen), not a shared random stream: the
    same requests fail on every run however the client's concurrency orders
    them, and a retry is a fresh draw, so failures at a share < 1 eventually
    stop.  The upload id is left out of the identity (it is random).
  * Path-style addressing is what the proxy understands (the endpoint is an
    IP address); "bucket.localhost" hosts are classified too.
  * Response faults ("cut", "trickle", "length-long", "length-short",
    "reset-after", "drop-after") forward first, so s3rver has made the
    change when the client sees the fault; "reset-after-body", "stall" and
    "error-200" read the whole request body and then never forward it, as a
    front end that failed before storage would (a CompleteMultipartUpload
    that S3 answers 200 + <Error> has not completed; a CopyObject with one
    has not copied).  "length-long" and "length-short" close the connection
    after their body, so the bytes a lie leaves over never reach the next
    response on a kept-alive connection.
  * Aws-chunked streaming payloads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) are
    not verified: the proxy answers 501 for them (s3rver cannot store them).
"""

import base64
import binascii
import hashlib
import http.client
import http.server
import re
import select
import socket
import socketserver
import struct
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import quote, unquote_to_bytes
from xml.sax.saxutils import escape

from botocore.awsrequest import HTTPHeaders

from s3verify import S3Error, SigV4Checker, _HeaderView, canonical_path, parse_query  # noqa: F401

SPOOL_MEMORY = 4 << 20  # bodies above this go to a temporary file
BLOCK = 1 << 20  # forwarding block size
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
POST_BODY_FAULTS = {"reset-after-body", "stall", "error-200"}
RESPONSE_FAULTS = {"drop-after", "reset-after", "cut", "trickle", "length-long",
                   "length-short"}
UPLOAD_OPS = {"CreateMultipartUpload", "CompleteMultipartUpload"}
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade", "expect", "proxy-authorization",
}


@dataclass
class Request:
    """One request as the proxy saw it (and what it answered)."""

    method: str
    path: str  # raw request path, without the query
    bucket: str
    key: str  # decoded object key ("" for bucket/service requests)
    query: dict  # decoded query parameters
    headers: dict  # lower-case name -> value (last one wins)
    op: str = ""  # S3 operation name, e.g. "PutObject"
    status: int = 0  # 0: no response (dropped, client went away)
    bytes_in: int = 0  # request body bytes
    bytes_out: int = 0  # response body bytes
    fault: str = ""  # the injected fault, if any
    error: str = ""  # S3 error code the proxy itself answered, if any
    time: float = 0.0  # when its headers arrived
    end: float = 0.0  # when its answer was written (or the connection given up)

    @property
    def agent(self):
        return self.headers.get("user-agent", "")


@dataclass
class FaultRule:
    """Inject `action` into matching requests.

    action: an HTTP status as int or str ("500", "503", "429" ...; 503 answers
      S3's SlowDown), "slowdown" (= 503 SlowDown), "drop" (close the
      connection without an answer, the request never reaches s3rver),
      "drop-after" (forward to s3rver, so the change happens, then close
      without an answer), "reset" (TCP reset before the request body is
      read, not forwarded), "reset-after-body" (read the whole body, then
      a TCP reset instead of an answer; not forwarded), "reset-after"
      (forward, then a TCP reset instead of the answer), "delay" (sleep
      `delay` seconds, then forward normally), "stall" (read the body, never
      forward, send nothing for `delay` seconds - default 3600 - or until
      the client gives up, then close), "cut" (forward, send the headers
      with the true Content-Length and half the body - or, for an empty
      body, the status line and part of the headers - then close),
      "trickle" (forward, send the whole answer, headers included, at
      `bps` bytes per second, default 1024), "length-long" (forward, send
      the body under a Content-Length larger than it, then close),
      "length-short" (forward, send the body under a Content-Length of
      half of it, then close), "error-200" (read the body, never forward,
      answer 200 with S3's InternalError <Error> document, with whitespace
      after its XML declaration, as S3 does for CompleteMultipartUpload and
      CopyObject).
    rate: share of matching requests hit (deterministic with `seed`).
    first: the first `first` matching requests are hit whatever the rate
      (so a run with few matching requests sees the fault at all).
    match: predicate on Request (method/bucket/key/query/headers/op known);
      method/key/op/bucket are shortcuts for the common cases.
    times: stop after this many injections (None: never stop).
    """

    action: object
    rate: float = 1.0
    match: object = None
    method: str = None
    key: str = None
    op: str = None
    bucket: str = None
    times: int = None
    seed: int = 0
    delay: float = 0.0
    bps: int = 1024
    first: int = 0
    hits: int = 0
    _matched: int = 0
    _seen: dict = field(default_factory=dict, repr=False)

    def matches(self, req):
        if self.method and req.method != self.method.upper():
            return False
        if self.key is not None and req.key != self.key:
            return False
        if self.op and req.op != self.op:
            return False
        if self.bucket and req.bucket != self.bucket:
            return False
        return self.match is None or bool(self.match(req))

    def decide(self, req):
        """Called under the proxy lock; True if this request gets the fault."""
        if self.times is not None and self.hits >= self.times:
            return False
        if not self.matches(req):
            return False
        self._matched += 1
        if self.rate < 1.0 and self._matched > self.first:
            q = "&".join(f"{k}={v}" for k, v in sorted(req.query.items())
                         if k != "uploadId")
            ident = f"{req.method} {req.bucket}/{req.key}?{q}"
            n = self._seen.get(ident, 0)
            self._seen[ident] = n + 1
            h = hashlib.sha256(f"{self.seed}|{ident}|{n}".encode()).digest()
            if struct.unpack(">Q", h[:8])[0] / 2.0**64 >= self.rate:
                return False
        self.hits += 1
        return True


def classify(method, bucket, key, query, headers):
    """The S3 operation a request is (for counting in tests)."""
    q = query
    if not bucket:
        return "ListBuckets" if method == "GET" else method
    if not key:
        if method == "GET":
            if "list-type" in q:
                return "ListObjectsV2"
            if "uploads" in q:
                return "ListMultipartUploads"
            if "location" in q:
                return "GetBucketLocation"
            return "ListObjects" if len(q) == 0 or "prefix" in q or "marker" in q \
                or "delimiter" in q or "max-keys" in q else "GetBucket?" + ",".join(q)
        if method == "HEAD":
            return "HeadBucket"
        if method == "PUT":
            return "CreateBucket" if not q else "PutBucket?" + ",".join(q)
        if method == "POST" and "delete" in q:
            return "DeleteObjects"
        if method == "DELETE":
            return "DeleteBucket"
        return method + "Bucket"
    if "uploadId" in q:
        return {"PUT": "UploadPartCopy" if "x-amz-copy-source" in headers else "UploadPart",
                "POST": "CompleteMultipartUpload", "DELETE": "AbortMultipartUpload",
                "GET": "ListParts"}.get(method, method + "Multipart")
    if method == "POST" and "uploads" in q:
        return "CreateMultipartUpload"
    if method == "PUT":
        if "x-amz-copy-source" in headers:
            return "CopyObject"
        return "PutObject" if not q else "PutObject?" + ",".join(q)
    return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(
        method, method + "Object")


class SigV4Proxy(SigV4Checker):
    """The proxy server.  start() / stop(); `url` once started.

    From SigV4Checker (s3verify.py): credentials, region (None: accept any
    region in the scope), clock_skew (seconds added to the proxy's clock, to
    provoke RequestTimeTooSkewed), allow_anonymous, last_signature_error."""

    def __init__(self, upstream, credentials=None, region="us-east-1",
                 host="127.0.0.1", spool_dir=None):
        super().__init__(credentials, region)
        self.upstream = upstream  # (host, port) of s3rver
        self.spool_dir = spool_dir
        self.requests = []
        self.aborted = []  # (bucket, key, upload_id) in order
        self.aborted_ids = set()  # NoSuchUpload from then on
        self.created = {}  # upload id -> (bucket, key, answer reached the client intact)
        self.completed = set()  # upload ids s3rver completed
        self.faults = []
        self._lock = threading.Lock()
        self._host = host
        self._server = None
        self._thread = None
        self._conns = set()

    # ---- lifecycle
    def start(self):
        proxy = self

        class Handler(_Handler):
            pass

        Handler.proxy = proxy
        self._server = _Server((self._host, 0), Handler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        self.url = f"http://{self._host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="s3proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            conns = list(self._conns)
        for s in conns:  # end idle keep-alive connections
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(5)
        self._server = None

    # ---- faults
    def inject(self, action, **kw):
        """Add a FaultRule (see its doc); returns it (its .hits counts)."""
        rule = FaultRule(action=action, **kw)
        with self._lock:
            self.faults.append(rule)
        return rule

    def clear_faults(self):
        with self._lock:
            self.faults = []

    def _pick_fault(self, req):
        with self._lock:
            for rule in self.faults:
                if rule.decide(req):
                    return rule
        return None

    # ---- the request log
    def reset(self):
        """Forget recorded requests, created uploads and faults (aborted and
        completed upload ids stay known)."""
        with self._lock:
            self.requests = []
            self.aborted = []
            self.created = {}
            self.faults = []
            self.clock_skew = 0.0
            self.last_signature_error = None

    def log(self, method=None, op=None, bucket=None, key=None, status=None,
            agent=None, where=None):
        """Recorded requests filtered by the given fields (agent: substring
        of the User-Agent; where: predicate)."""
        with self._lock:
            reqs = list(self.requests)
        out = []
        for r in reqs:
            if method and r.method != method.upper():
                continue
            if op and r.op != op:
                continue
            if bucket and r.bucket != bucket:
                continue
            if key is not None and r.key != key:
                continue
            if status is not None and r.status != status:
                continue
            if agent and agent not in r.agent:
                continue
            if where and not where(r):
                continue
            out.append(r)
        return out

    def count(self, **kw):
        return len(self.log(**kw))

    def open_uploads(self, known_only=True):
        """[(bucket, key, upload_id)] of multipart uploads s3rver started and
        nobody completed or aborted.  known_only: only those whose
        CreateMultipartUpload answer reached the client intact (an upload
        whose id the client never got cannot be aborted by it)."""
        with self._lock:
            return sorted((b, k, u) for u, (b, k, seen) in self.created.items()
                          if u not in self.completed and u not in self.aborted_ids
                          and (seen or not known_only))

    def _record(self, req):
        with self._lock:
            self.requests.append(req)

    # ---- authentication
class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def _error_body(err, resource, request_id):
    extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in err.extra.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{err.code}</Code><Message>{escape(err.message)}</Message>"
            f"{extra}<Resource>{escape(resource)}</Resource>"
            f"<RequestId>{request_id}</RequestId></Error>").encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle client connection ends after this
    proxy = None  # set per server

    def setup(self):
        super().setup()
        self._upstream = None
        self._upstream_used = 0.0
        self._expect_flag = False
        with self.proxy._lock:
            self.proxy._conns.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.proxy._lock:
                self.proxy._conns.discard(self.connection)
            if self._upstream is not None:
                self._upstream.close()

    def log_message(self, fmt, *args):  # quiet: the request log is in .requests
        pass

    def handle_expect_100(self):
        self._expect_flag = True  # answered after authentication: _read_body
        return True

    def do_GET(self):
        self._handle()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # ---- one request
    def _handle(self):
        self._expect = self._expect_flag and \
            self.headers.get("expect", "").lower() == "100-continue"
        self._expect_flag = False
        raw = self.path
        if raw.startswith("http://") or raw.startswith("https://"):
            raw = "/" + raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
        raw_path, _, raw_query = raw.partition("?")
        headers = _HeaderView()
        allh = HTTPHeaders()
        for k, v in self.headers.items():
            headers[k.lower()] = v
            allh[k.lower()] = v
        headers.get_all = allh.get_all
        host = headers.get("host", "").rsplit(":", 1)[0]
        decoded = unquote_to_bytes(raw_path).decode("utf-8", "surrogateescape")
        if host.endswith(".localhost"):
            bucket, key = host[: -len(".localhost")], decoded.lstrip("/")
        else:
            bucket, _, key = decoded.lstrip("/").partition("/")
        query = dict(parse_query(raw_query))
        req = Request(self.command, raw_path, bucket, key, query, dict(headers),
                      time=time.time())
        req.op = classify(self.command, bucket, key, query, headers)
        # Recorded before the answer goes out, its fields filled in before
        # each byte of the answer is written: a test that has its response
        # already sees the request in the log.
        self.proxy._record(req)
        try:
            self._process(req, raw_path, raw_query, headers)
        except (ConnectionError, socket.timeout, BrokenPipeError):
            self.close_connection = True
        finally:
            req.end = time.time()

    def _process(self, req, raw_path, raw_query, headers):
        p = self.proxy
        self._length = 0
        te = headers.get("transfer-encoding", "").lower()
        if te and te != "identity":
            self.close_connection = True  # the chunked body is left unread
            return self._fail(req, S3Error(501, "NotImplemented", "A header you "
                                           "provided implies functionality that is "
                                           "not implemented", Header="Transfer-Encoding"),
                              body_unread=True)
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return self._fail(req, S3Error(400, "InvalidArgument", "bad Content-Length"),
                              body_unread=True)
        self._length = length
        if req.method == "PUT" and "content-length" not in headers:
            return self._fail(req, S3Error(411, "MissingContentLength", "You must "
                                           "provide the Content-Length HTTP header."),
                              body_unread=False)
        rule = p._pick_fault(req)
        if rule is not None:
            req.fault = str(rule.action)
            if self._apply_fault(req, rule):
                return
        try:
            p.verify(req.method, raw_path, raw_query, headers)
        except S3Error as e:
            return self._fail(req, e, body_unread=True)
        body = self._read_body(req, length)
        if body is None:
            return
        a = str(rule.action).lower() if rule is not None else ""
        try:
            self._check_digests(headers, body)
            if a in POST_BODY_FAULTS:
                if not isinstance(body, bytes):
                    body.close()
                return self._post_body_fault(req, a, rule)
            if "uploadId" in req.query:
                up = req.query["uploadId"]
                if up in p.aborted_ids or up in p.completed:
                    raise S3Error(404, "NoSuchUpload", "The specified upload does not "
                                  "exist. The upload ID may be invalid, or the upload "
                                  "may have been aborted or completed.", UploadId=up)
                if req.method == "DELETE":
                    with p._lock:
                        p.aborted.append((req.bucket, req.key, up))
                        p.aborted_ids.add(up)
                    return self._respond_local(req, 204)
        except S3Error as e:
            return self._fail(req, e, body_unread=False)
        self._forward(req, raw_path, raw_query, headers, body,
                      fault=a if a in RESPONSE_FAULTS else "", rule=rule)

    def _apply_fault(self, req, rule):
        """True when the fault answered (or ended) the request."""
        a = str(rule.action).lower()
        if a == "delay":
            time.sleep(rule.delay)
            return False
        if a in POST_BODY_FAULTS or a in RESPONSE_FAULTS:
            return False  # after the body (_post_body_fault) or in _forward
        if a in ("drop", "reset"):
            self._end_connection(reset=(a == "reset"))
            return True
        if a == "slowdown":
            a = "503"
        status = int(a)
        code, msg = {500: ("InternalError", "We encountered an internal error. "
                           "Please try again."),
                     503: ("SlowDown", "Please reduce your request rate."),
                     429: ("SlowDown", "Please reduce your request rate."),
                     502: ("BadGateway", "Bad gateway (injected)."),
                     504: ("GatewayTimeout", "Gateway timeout (injected)."),
                     }.get(status, ("InjectedFault", f"Injected status {status}."))
        self._fail(req, S3Error(status, code, msg), body_unread=True)
        return True

    def _end_connection(self, reset=False):
        """Close the client connection without (more of) an answer: a FIN,
        or with reset a TCP RST (SO_LINGER 0 and an immediate close, with no
        FIN before it, so the client reads ECONNRESET, not an end of file)."""
        self.close_connection = True
        self.wfile.flush()
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection._real_close()  # socketserver's shutdown after it is a no-op
            return
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _post_body_fault(self, req, a, rule):
        """The faults that come once the whole body was read (never forwarded)."""
        if a == "reset-after-body":
            return self._end_connection(reset=True)
        if a == "stall":
            req.status = 0
            conn = self.connection
            end = time.monotonic() + (rule.delay or 3600.0)
            while time.monotonic() < end:
                try:
                    ready, _, _ = select.select([conn], [], [], 0.2)
                    if ready and not conn.recv(65536):
                        break  # the client gave up (or the proxy stopped)
                except (OSError, ValueError):
                    break
            return self._end_connection()
        # error-200: S3's answer to a CompleteMultipartUpload or CopyObject
        # that failed after the 200 was sent: the XML declaration, the
        # whitespace S3 sends to keep the connection open, then <Error>
        err = S3Error(500, "InternalError", "We encountered an internal error. "
                      "Please try again.")
        decl, _, body = _error_body(err, req.path,
                                    uuid.uuid4().hex[:16].upper()).partition(b"\n")
        pieces = (decl + b"\n", b" " * 32, b"\n" + b" " * 31, body)
        req.status, req.error, req.bytes_out = 200, err.code, sum(map(len, pieces))
        self.send_response_only(200)
        self.send_header("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        self.send_header("Date", formatdate(usegmt=True))
        self.send_header("Server", "s3proxy")
        self.send_header("Content-Type", "application/xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in pieces:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _fail(self, req, err, body_unread):
        req.error = err.code
        if body_unread and self._length:
            if self._expect:
                self.close_connection = True  # the client holds the body back
            elif self._length <= 64 << 20:
                self._discard(self._length)
            else:
                self.close_connection = True
        self._respond_local(req, err.status, _error_body(
            err, req.path, uuid.uuid4().hex[:16].upper()))

    def _discard(self, n):
        while n > 0:
            chunk = self.rfile.read(min(n, BLOCK))
            if not chunk:
                raise ConnectionError("client went away")
            n -= len(chunk)

    def _respond_local(self, req, status, body=b""):
        req.status = status
        if req.method != "HEAD":
            req.bytes_out = len(body)
        self.send_response_only(status)
        self.send_header("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        self.send_header("Date", formatdate(usegmt=True))
        self.send_header("Server", "s3proxy")
        if body:
            self.send_header("Content-Type", "application/xml")
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and req.method != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _read_body(self, req, length):
        """Read the body once, hashing it: bytes, or a spooled file object."""
        if self._expect and length:
            self.send_response_only(100)
            self.end_headers()
            self.wfile.flush()
        md5, sha = hashlib.md5(), hashlib.sha256()
        spool = None if length <= SPOOL_MEMORY else tempfile.TemporaryFile(
            dir=self.proxy.spool_dir)
        parts = []
        left = length
        while left > 0:
            chunk = self.rfile.read(min(left, BLOCK))
            if not chunk:
                self.close_connection = True
                if spool:
                    spool.close()
                return None  # client went away mid-body
            md5.update(chunk)
            sha.update(chunk)
            if spool:
                spool.write(chunk)
            else:
                parts.append(chunk)
            left -= len(chunk)
        req.bytes_in = length
        self._md5, self._sha = md5, sha.hexdigest()
        if spool:
            spool.seek(0)
            return spool
        return b"".join(parts)

    def _check_digests(self, headers, body):
        sha = headers.get("x-amz-content-sha256")
        if sha and sha != "UNSIGNED-PAYLOAD" and not sha.startswith("STREAMING-") \
                and sha != self._sha:
            raise S3Error(400, "XAmzContentSHA256Mismatch", "The provided "
                          "'x-amz-content-sha256' header does not match what was "
                          "computed.", ClientComputedContentSHA256=sha,
                          S3ComputedContentSHA256=self._sha)
        cmd5 = headers.get("content-md5")
        if cmd5 is not None:
            try:
                want = base64.b64decode(cmd5, validate=True)
            except (binascii.Error, ValueError):
                want = b""
            if len(want) != 16:
                raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified "
                              "was invalid.", **{"Content-MD5": cmd5})
            if want != self._md5.digest():
                raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not "
                              "match what we received.", ExpectedDigest=cmd5,
                              CalculatedDigest=base64.b64encode(
                                  self._md5.digest()).decode())

    # ---- forwarding
    def _connect(self):
        up = self._upstream
        if up is not None and time.time() - self._upstream_used > 2.0:
            up.close()  # s3rver (node) drops idle connections after 5 s
            up = None
        if up is None:
            up = http.client.HTTPConnection(*self.proxy.upstream, timeout=300)
        self._upstream = up
        return up

    def _send_upstream(self, req, target, headers, body):
        for attempt in (0, 1):
            up = self._connect()
            fresh = up.sock is None
            try:
                up.putrequest(req.method, target, skip_host=True,
                              skip_accept_encoding=True)
                for k, v in self.headers.items():
                    if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                        up.putheader(k, v)
                n = len(body) if isinstance(body, bytes) else req.bytes_in
                if n or req.method in ("PUT", "POST"):
                    up.putheader("Content-Length", str(n))
                up.endheaders()
                if isinstance(body, bytes):
                    if body:
                        up.send(body)
                else:
                    body.seek(0)
                    while True:
                        chunk = body.read(BLOCK)
                        if not chunk:
                            break
                        up.send(chunk)
                resp = up.getresponse()
                self._upstream_used = time.time()
                return resp
            except (ConnectionError, http.client.HTTPException, OSError):
                up.close()
                self._upstream = None
                if fresh or attempt:
                    raise
        raise AssertionError("unreachable")

    def _forward(self, req, raw_path, raw_query, headers, body, fault="", rule=None):
        target = canonical_path(raw_path)
        if raw_query:
            target += "?" + quote(raw_query.encode("utf-8", "surrogateescape"),
                                  safe="=&%/+:,;@!$'()*~-_.")
        try:
            resp = self._send_upstream(req, target, headers, body)
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            return self._fail(req, S3Error(500, "InternalError",
                                           f"s3proxy: s3rver failed: {e}"), False)
        finally:
            if not isinstance(body, bytes):
                body.close()
        if fault:
            return self._shaped(req, resp, fault, rule)
        chunked = resp.getheader("content-length") is None and req.method != "HEAD" \
            and resp.status not in (204, 304) and resp.status >= 200
        req.status = resp.status
        cl = resp.getheader("content-length")
        if cl is not None and req.method != "HEAD":
            req.bytes_out = int(cl)
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        out = 0
        keep = [] if req.op in UPLOAD_OPS else None
        while True:
            chunk = resp.read(BLOCK // 4)
            if not chunk:
                break
            out += len(chunk)
            if keep is not None and out <= 1 << 20:
                keep.append(chunk)
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        if resp.will_close:
            self._upstream.close()
            self._upstream = None
        req.bytes_out = out
        if keep is not None:
            self._note_upload(req, resp.status, b"".join(keep), delivered=True)

    def _note_upload(self, req, status, data, delivered):
        """Keeps the upload ids s3rver created and completed (open_uploads)."""
        if status != 200 or b"<Error>" in data:
            return
        with self.proxy._lock:
            if req.op == "CreateMultipartUpload":
                m = re.search(rb"<UploadId>([^<]+)</UploadId>", data)
                if m:
                    self.proxy.created[m.group(1).decode()] = (req.bucket, req.key, delivered)
            elif req.op == "CompleteMultipartUpload":
                self.proxy.completed.add(req.query.get("uploadId", ""))

    def _shaped(self, req, resp, fault, rule):
        """The answer s3rver gave, delivered wrongly (see FaultRule)."""
        data = resp.read()
        if resp.will_close:
            self._upstream.close()
            self._upstream = None
        head = req.method == "HEAD" or resp.status in (204, 304)
        self._note_upload(req, resp.status, data, delivered=(fault == "trickle"))
        req.status = resp.status
        req.bytes_out = 0 if head else len(data)
        if fault in ("drop-after", "reset-after"):
            req.status = 0  # s3rver made the change; the client hears nothing
            return self._end_connection(reset=(fault == "reset-after"))
        lines = [f"HTTP/1.1 {resp.status} {resp.reason}"]
        length = None
        for k, v in resp.getheaders():
            if k.lower() in HOP_BY_HOP:
                continue
            if k.lower() == "content-length":
                if head:
                    lines.append(f"{k}: {v}")  # a HEAD's is the object's size
                continue
            lines.append(f"{k}: {v}")
        if not head:
            length = len(data)
            if fault == "length-long":
                length += max(16, len(data) // 2)
            elif fault == "length-short":
                length = len(data) // 2
            lines.append(f"Content-Length: {length}")
        raw_head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        out = raw_head + (b"" if head else data)
        if fault == "cut":
            if head or not data:  # no body to cut: cut the headers
                self.wfile.write(raw_head[: max(len(lines[0]) + 2, len(raw_head) // 2)])
            else:
                self.wfile.write(raw_head + data[: len(data) // 2])
            req.bytes_out = 0 if head else len(data) // 2
            return self._end_connection()
        if fault == "trickle":
            bps = max(64, int(rule.bps if rule is not None else 1024))
            step = max(1, bps // 8)
            for i in range(0, len(out), step):
                self.wfile.write(out[i:i + step])
                self.wfile.flush()
                time.sleep(step / bps)
            return
        self.wfile.write(out)  # length-long / length-short
        return self._end_connection()
