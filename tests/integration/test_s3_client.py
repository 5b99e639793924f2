"""The S3 client (upload/s3*.c) against a real server.

s3rver behind the SigV4-verifying proxy (s3env.py): every request the client
sends is re-signed with botocore and rejected on any difference, and its
Content-MD5 / x-amz-content-sha256 are checked against the body.  Results are
read back with boto3 straight from s3rver, never with the client under test.
The client is driven by tests/integration/s3drive.c, built here against
build/libcdnpipe.a.
"""

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

from conftest import BUILD, BUILD_CFLAGS

pytest_plugins = ["s3fixtures"]

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(BUILD) / "tests" / "s3drive"
LIBRARY = os.path.relpath(Path(BUILD) / "libcdnpipe.a", REPO)
PKGS = "libcurl libcrypto zlib libbrotlienc libbrotlidec jansson inih"

# keys that need encoding: spaces, unicode, + = & ( ) ~ % and friends
ODD_KEYS = [
    "dir/a b.txt",
    "dir/caf\u00e9 \u65e5\u672c.css",
    "p+q=r&s(t)~u%v.js",
    "x/y!z$@,;:'*.txt",
    "deep/er/est/[brackets] {braces}.png",
]


@pytest.fixture(scope="module")
def driver():
    subprocess.run(["make", "-s", "-j2", "B=" + os.path.relpath(BUILD, REPO), LIBRARY], cwd=REPO,
                   check=True)
    libs = subprocess.run(["pkg-config", "--libs"] + PKGS.split(), capture_output=True,
                          text=True, check=True).stdout.split()
    DRIVER.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror",
                    "-pthread", "-I.", *BUILD_CFLAGS, "-o", str(DRIVER),
                    "tests/integration/s3drive.c", LIBRARY] + libs,
                   cwd=REPO, check=True)
    return str(DRIVER)


def drive(driver, env, *args, opts=(), expect=0, timeout=120):
    p = subprocess.run([driver, *opts, *args], env=env, capture_output=True, text=True,
                       timeout=timeout)
    assert p.returncode == expect, (p.returncode, p.stdout, p.stderr)
    out = json.loads(p.stdout) if p.stdout.strip() else {}
    out["_stderr"] = p.stderr
    return out


def md5(b):
    return hashlib.md5(b).hexdigest()


# ---------------------------------------------------------------- SigV4 vs botocore

@pytest.mark.parametrize("key", ODD_KEYS + ["test$file.text", "a//b/../c"])
def test_sigv4_matches_botocore(driver, key):
    """Our canonical request and signature equal botocore's S3SigV4Auth for
    the same request, for keys that need encoding (computed now, not stored)."""
    path = "/" + key
    enc = percent_encode(path, safe="/~")  # botocore's S3 key serialisation
    date = "20130524T000000Z"
    payload = hashlib.sha256(b"body").hexdigest()
    headers = {"host": "examplebucket.s3.amazonaws.com", "x-amz-date": date,
               "x-amz-content-sha256": payload, "content-type": "text/css; charset=utf-8",
               "x-amz-meta-note": "  two   spaces "}
    query = "uploadId=a%2Bb%3D&partNumber=3"
    out = drive(driver, {}, "sign", "PUT", path, query, date, payload,
                *[f"{k}:{v}" for k, v in headers.items()])
    assert out["encoded_path"] == enc
    # the driver signs the path it is given: give it the encoded one
    out = drive(driver, {}, "sign", "PUT", enc, query, date, payload,
                *[f"{k}:{v}" for k, v in headers.items()])
    req = AWSRequest(method="PUT", url=f"https://examplebucket.s3.amazonaws.com{enc}?{query}",
                     headers=headers, data=b"body")
    auth = S3SigV4Auth(Credentials("AKIAIOSFODNN7EXAMPLE",
                                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                       "s3", "us-east-1")
    req.context["timestamp"] = date
    cr = auth.canonical_request(req)
    assert out["canonical_request"] == cr
    assert out["signature"] == auth.signature(auth.string_to_sign(req, cr), req)


# ---------------------------------------------------------------- objects

def test_put_head_get_odd_keys(driver, s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    for i, key in enumerate(ODD_KEYS):
        body = f"body {i} {key}\n".encode() * (i + 1)
        f = tmp_path / f"f{i}"
        f.write_bytes(body)
        r = drive(driver, cdnpipe_env, "put", s3_bucket, key, str(f),
                  "text/css; charset=utf-8", "public, max-age=31536000, immutable", "gzip")
        assert r["ok"] and r["etag"] == md5(body)
        assert s3.get_bytes(s3_bucket, key, size=len(body)) == body
        h = s3_check.head_object(Bucket=s3_bucket, Key=key)
        assert h["ContentType"] == "text/css; charset=utf-8"
        assert h["CacheControl"] == "public, max-age=31536000, immutable"
        assert h["ContentEncoding"] == "gzip"
        assert h["Metadata"]["note"] == "hello world"
        r = drive(driver, cdnpipe_env, "head", s3_bucket, key)
        assert r["size"] == len(body) and r["etag"] == md5(body)
        out = tmp_path / f"out{i}"
        r = drive(driver, cdnpipe_env, "get", s3_bucket, key, str(out))
        assert out.read_bytes() == body
    # every PUT carried a Content-MD5 (the proxy checked it against the body)
    puts = s3.proxy.log(op="PutObject")
    assert len(puts) == len(ODD_KEYS)
    assert all("content-md5" in p.headers for p in puts)
    # no temporary files left beside the downloads
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp." in p.name) == []


def test_head_missing_and_no_such_bucket(driver, s3, s3_bucket, cdnpipe_env):
    r = drive(driver, cdnpipe_env, "head", s3_bucket, "nope", expect=1)
    assert r["status"] == 404 and r["code"] == "NoSuchKey" and r["attempts"] == 1
    r = drive(driver, cdnpipe_env, "putmem", "no-such-bucket-here", "k", "x", expect=1)
    assert "bucket 'no-such-bucket-here' does not exist" in r["error"]
    assert r["attempts"] == 1


def test_list_paginates_past_1000(driver, s3, s3_bucket, s3_check, cdnpipe_env, tmp_path):
    d = tmp_path / "many"
    d.mkdir()
    for i in range(1100):
        (d / f"f{i:04d}.txt").write_bytes(b"x" * (i % 7))
    r = drive(driver, cdnpipe_env, "putdir", s3_bucket, "static/", str(d), timeout=300)
    assert r["ok"] == 1100 and r["failed"] == 0
    # another prefix that must not show up
    drive(driver, cdnpipe_env, "putmem", s3_bucket, "other/x", "y")
    want = s3.list_keys(s3_bucket, "static/")
    assert len(want) == 1100
    s3.reset()
    r = drive(driver, cdnpipe_env, "list", s3_bucket, "static/")
    got = {o["key"]: o["size"] for o in r["objects"]}
    assert got == want
    assert len(r["objects"]) == 1100  # each key once
    assert all(o["etag"] == md5(b"x" * o["size"]) for o in r["objects"])
    lists = s3.proxy.log(op="ListObjectsV2")
    assert len(lists) >= 2 and all("delimiter" not in q.query for q in lists)


def test_delete_batches(driver, s3, s3_bucket, cdnpipe_env, tmp_path):
    d = tmp_path / "many"
    d.mkdir()
    for i in range(1005):
        (d / f"k{i}").write_bytes(b"1")
    drive(driver, cdnpipe_env, "putdir", s3_bucket, "", str(d), timeout=300)
    keys = [f"k{i}" for i in range(1005)]
    s3.reset()
    r = drive(driver, cdnpipe_env, "delete", s3_bucket, *keys)
    assert r["failed"] == []
    batches = s3.proxy.log(op="DeleteObjects")
    assert len(batches) == 2 and all("content-md5" in b.headers for b in batches)
    assert s3.list_keys(s3_bucket) == {}


def test_copy(driver, s3, s3_bucket, cdnpipe_env, tmp_path):
    f = tmp_path / "src"
    f.write_bytes(b"copy me" * 100)
    # s3rver decodes x-amz-copy-source with decodeURI, which leaves %2B etc.
    # encoded: only keys without reserved characters are usable with it.
    src = "dir/a b caf\u00e9.txt"
    drive(driver, cdnpipe_env, "put", s3_bucket, src, str(f), "text/plain")
    s3.wait_settled(s3_bucket, src, size=700)
    r = drive(driver, cdnpipe_env, "copy", s3_bucket, src, s3_bucket, "copied/\u00e9 x.txt")
    assert r["ok"]
    assert s3.get_bytes(s3_bucket, "copied/\u00e9 x.txt", size=700) == b"copy me" * 100
    cp = s3.proxy.log(op="CopyObject")
    assert len(cp) == 1
    assert cp[0].headers["x-amz-copy-source"] == f"{s3_bucket}/dir/a%20b%20caf%C3%A9.txt"


# ---------------------------------------------------------------- multipart

def test_multipart_upload(driver, s3, s3_bucket, cdnpipe_env, tmp_path):
    body = os.urandom(5 << 20) * 2 + b"tail" * 1000
    f = tmp_path / "big.bin"
    f.write_bytes(body)
    part = 5 << 20
    r = drive(driver, cdnpipe_env, "putfile", s3_bucket, "media/big file.bin", str(f),
              str(6 << 20), str(part), opts=["-c", "4"])
    assert r["ok"], r
    assert s3.get_bytes(s3_bucket, "media/big file.bin", size=len(body)) == body
    assert s3.proxy.count(op="UploadPart") == 3
    assert s3.proxy.count(op="CompleteMultipartUpload") == 1
    assert s3.proxy.count(op="PutObject") == 0
    # the multipart ETag, computed independently
    parts = [body[i:i + part] for i in range(0, len(body), part)]
    want = md5(b"".join(hashlib.md5(p).digest() for p in parts)) + f"-{len(parts)}"
    assert drive(driver, {}, "etag", str(f), str(part))["etag"] == want
    # both forms match the file: AWS's and s3rver's plain MD5
    assert drive(driver, {}, "match", want, str(f))["match"] == 1
    assert drive(driver, {}, "match", f'"{md5(body)}"', str(f))["match"] == 1
    f2 = tmp_path / "other.bin"
    f2.write_bytes(body[:-1] + b"!")
    assert drive(driver, {}, "match", want, str(f2))["match"] == 0
    assert drive(driver, {}, "match", md5(body), str(f2))["match"] == 0


def test_failed_multipart_is_aborted(driver, s3, s3_bucket, cdnpipe_env, tmp_path):
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(11 << 20))
    s3.proxy.inject(500, op="UploadPart", match=lambda q: q.query.get("partNumber") == "2")
    r = drive(driver, cdnpipe_env, "putfile", s3_bucket, "big.bin", str(f), str(5 << 20),
              str(5 << 20), opts=["-r", "2"], expect=1)
    assert not r["ok"] and "part 2" in r["error"] and "upload aborted" in r["error"]
    assert len(s3.proxy.aborted) == 1
    assert s3.proxy.count(op="CompleteMultipartUpload") == 0
    assert "big.bin" not in s3.list_keys(s3_bucket)
    # part 2 was tried 1 + 2 times
    assert len([q for q in s3.proxy.log(op="UploadPart") if q.query.get("partNumber") == "2"]) == 3


def test_list_uploads_unsupported_is_an_error(driver, s3, s3_bucket, cdnpipe_env):
    r = drive(driver, cdnpipe_env, "uploads", s3_bucket, "", expect=1)
    assert r["error"]


# ---------------------------------------------------------------- retries and errors

@pytest.mark.parametrize("fault", ["503", "500", "502", "504", "429", "drop", "drop-after",
                                   "reset"])
def test_retries_recover(driver, s3, s3_bucket, cdnpipe_env, tmp_path, fault):
    d = tmp_path / "files"
    d.mkdir()
    bodies = {}
    for i in range(40):
        b = os.urandom(100 + i * 37)
        (d / f"f{i}").write_bytes(b)
        bodies[f"f{i}"] = b
    rule = s3.proxy.inject(fault, rate=0.3, seed=7, op="PutObject")
    r = drive(driver, cdnpipe_env, "putdir", s3_bucket, "r/", str(d), opts=["-r", "8"],
              timeout=300)
    assert r["failed"] == 0, r
    assert rule.hits > 0
    for k, b in bodies.items():
        assert s3.get_bytes(s3_bucket, "r/" + k, size=len(b)) == b


def test_persistent_failure_gives_up(driver, s3, s3_bucket, cdnpipe_env, tmp_path):
    s3.proxy.inject(503, key="k")
    r = drive(driver, cdnpipe_env, "putmem", s3_bucket, "k", "v", opts=["-r", "3"], expect=1)
    assert r["attempts"] == 4 and r["code"] == "SlowDown" and "503" in r["error"]
    assert s3.proxy.count(key="k") == 4


def test_no_retry_on_client_errors(driver, s3, s3_bucket, cdnpipe_env):
    env = dict(cdnpipe_env, AWS_SECRET_ACCESS_KEY="wrong-secret")
    r = drive(driver, env, "putmem", s3_bucket, "k", "v", expect=1)
    assert r["code"] == "SignatureDoesNotMatch" and r["attempts"] == 1
    assert "bad credentials" in r["error"] and "AWS_SECRET_ACCESS_KEY" in r["error"]
    env = dict(cdnpipe_env, AWS_ACCESS_KEY_ID="NOSUCHKEY")
    r = drive(driver, env, "putmem", s3_bucket, "k", "v", expect=1)
    assert r["code"] == "InvalidAccessKeyId" and "bad credentials" in r["error"]
    assert s3.proxy.count() == 2


def test_clock_skew_message(driver, s3, s3_bucket, cdnpipe_env):
    s3.proxy.clock_skew = 3600
    r = drive(driver, cdnpipe_env, "putmem", s3_bucket, "k", "v", expect=1)
    assert r["code"] == "RequestTimeTooSkewed" and r["attempts"] == 1
    assert "differs from the server's by -3600 seconds" in r["error"] or \
        "by -3599 seconds" in r["error"] or "by -3601 seconds" in r["error"], r["error"]


def test_verbose_log_has_no_secrets(driver, s3, s3_bucket, cdnpipe_env, tmp_path):
    env = dict(cdnpipe_env, AWS_SESSION_TOKEN="tok-very-secret-123")
    f = tmp_path / "f.txt"
    f.write_text("hello")
    r = drive(driver, env, "put", s3_bucket, "v/f.txt", str(f), opts=["-v"])
    err = r["_stderr"]
    assert "PUT" in err and "v/f.txt" in err and "200" in err and " ms" in err
    req = s3.proxy.log(op="PutObject")[0]
    sig = req.headers["authorization"].split("Signature=")[1]
    assert req.headers["x-amz-security-token"] == "tok-very-secret-123"
    for secret in (sig, "tok-very-secret-123", "Authorization", "Signature", "AWS4-HMAC"):
        assert secret not in err and secret not in json.dumps(r)


def test_bad_digest_retried_once_then_reported(driver, s3, s3_bucket, cdnpipe_env):
    r = drive(driver, cdnpipe_env, "putmem-badmd5", s3_bucket, "k", "body", expect=1)
    assert r["code"] == "BadDigest" and r["attempts"] == 2
    assert s3.proxy.count(op="PutObject") == 2
    assert "k" not in s3.list_keys(s3_bucket)


def test_upload_part_copy_request(driver, s3, s3_bucket, cdnpipe_env):
    """s3rver lacks UploadPartCopy: check the request as the proxy received
    (and SigV4-verified) it, then that the server's refusal is reported."""
    up = drive(driver, cdnpipe_env, "mpu-create", s3_bucket, "dst key")
    assert up["ok"] and up["upload_id"]
    r = drive(driver, cdnpipe_env, "partcopy", "src-bucket", "a b/c+d\u00e9.bin",
              str(5 << 20), str(5 << 20), s3_bucket, "dst key", up["upload_id"], "2",
              expect=1)
    reqs = s3.proxy.log(op="UploadPartCopy")
    assert len(reqs) == 1
    q = reqs[0]
    assert q.status not in (400, 403)  # signed correctly: the proxy let it through
    assert q.headers["x-amz-copy-source"] == "src-bucket/a%20b/c%2Bd%C3%A9.bin"
    assert q.headers["x-amz-copy-source-range"] == f"bytes={5 << 20}-{(10 << 20) - 1}"
    assert q.query["partNumber"] == "2" and q.query["uploadId"] == up["upload_id"]
    assert q.key == "dst key"
    assert r["status"] == q.status and r["error"]
    assert drive(driver, cdnpipe_env, "mpu-abort", s3_bucket, "dst key", up["upload_id"])["ok"]
    assert len(s3.proxy.aborted) == 1


def test_keep_alive_connections_are_reused(driver, s3, s3_bucket, cdnpipe_env, tmp_path):
    d = tmp_path / "files"
    d.mkdir()
    for i in range(200):
        (d / f"f{i}").write_bytes(b"%d" % i)
    r = drive(driver, cdnpipe_env, "putdir", s3_bucket, "", str(d), opts=["-c", "4"])
    assert r["ok"] == 200
    stats = dict(kv.split("=") for kv in r["_stderr"].split("stats: ")[1].split())
    assert int(stats["requests"]) == 200
    # at most 4 in flight: a handful of connections, not one per request
    assert 1 <= int(stats["connects"]) <= 8, stats


@pytest.mark.parametrize("cmd", ["get", "getfd"])
def test_download_retries_restart_cleanly(driver, s3, s3_bucket, s3_check, cdnpipe_env,
                                          tmp_path, cmd):
    body = os.urandom(3 << 20)
    s3_check.put_object(Bucket=s3_bucket, Key="dl/obj", Body=body)
    s3.wait_settled(s3_bucket, "dl/obj", size=len(body))
    rule = s3.proxy.inject("drop-after", rate=0.3, seed=11, op="GetObject")
    s3.proxy.inject("reset", rate=0.2, seed=12, op="GetObject")
    out = tmp_path / "out.bin"
    out.write_bytes(b"old contents that must be replaced" * 100000)
    r = drive(driver, cdnpipe_env, cmd, s3_bucket, "dl/obj", str(out), opts=["-r", "10"])
    assert r["ok"] and r["attempts"] >= 1 and r["size"] == len(body)
    assert out.read_bytes() == body
    assert rule.hits + s3.proxy.count(op="GetObject", status=200) >= 1
    if cmd == "get":
        assert [p.name for p in tmp_path.iterdir() if ".tmp." in p.name] == []
        assert int(out.stat().st_mtime) == r["mtime"]


def test_multipart_survives_transient_faults(driver, s3, s3_bucket, cdnpipe_env, tmp_path):
    body = os.urandom(16 << 20)
    f = tmp_path / "big.bin"
    f.write_bytes(body)
    rule = s3.proxy.inject("503", op="UploadPart", times=3)
    drop = s3.proxy.inject("drop", op="CompleteMultipartUpload", times=1)
    r = drive(driver, cdnpipe_env, "putfile", s3_bucket, "big.bin", str(f), str(5 << 20),
              str(5 << 20), opts=["-r", "10"])
    assert r["ok"], r
    assert rule.hits == 3 and drop.hits == 1 and s3.proxy.aborted == []
    assert s3.get_bytes(s3_bucket, "big.bin", size=len(body)) == body


# ---------------------------------------------------------------- TLS

class _TlsRelay:
    """A TLS front for the proxy: terminates TLS with a throwaway self-signed
    certificate and relays bytes both ways."""

    def __init__(self, upstream_port, certfile, keyfile):
        import socket
        import ssl
        import threading
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(certfile, keyfile)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.upstream = upstream_port
        self.handshake_errors = 0
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                t = self.ctx.wrap_socket(c, server_side=True)
            except OSError:
                self.handshake_errors += 1
                c.close()
                continue
            u = socket.create_connection(("127.0.0.1", self.upstream))
            for a, b in ((t, u), (u, t)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def stop(self):
        self._stop = True
        self.sock.close()


def test_tls_is_verified_and_ca_bundle_honoured(driver, s3, s3_bucket, cdnpipe_env, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    port = int(s3.url.rsplit(":", 1)[1].strip("/"))
    relay = _TlsRelay(port, str(cert), str(key))
    try:
        env = dict(cdnpipe_env, AWS_ENDPOINT_URL=f"https://127.0.0.1:{relay.port}")
        # an unknown CA is refused: verification is always on
        r = drive(driver, env, "putmem", s3_bucket, "tls.txt", "secure", expect=1)
        assert "TLS certificate verification failed" in r["error"], r
        assert "AWS_CA_BUNDLE" in r["error"] and r["attempts"] == 1
        assert "tls.txt" not in s3.list_keys(s3_bucket)
        # trusted through AWS_CA_BUNDLE: the request goes through, signed for this host
        env["AWS_CA_BUNDLE"] = str(cert)
        r = drive(driver, env, "putmem", s3_bucket, "tls.txt", "secure")
        assert r["ok"]
        assert s3.get_bytes(s3_bucket, "tls.txt", size=6) == b"secure"
    finally:
        relay.stop()


# ---------------------------------------------------------------- real-S3 behaviour s3rver lacks

class _Scripted:
    """A tiny HTTP server answering from a script, for S3 behaviour s3rver
    does not have (ListMultipartUploads pages, errors inside a 200, region
    redirects).  Records each request (method, path, query, headers)."""

    def __init__(self, script):
        import http.server
        import threading
        self.script = script  # list of (method, substring of path?query, status, body)
        self.requests = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                path, _, query = self.path.partition("?")
                outer.requests.append((self.command, path, query, dict(self.headers), body))
                extra = {}
                for i, entry in enumerate(outer.script):
                    m, q, status, out = entry[:4]
                    if m == self.command and q in self.path:
                        extra = entry[4] if len(entry) > 4 else {}
                        outer.script.pop(i)
                        break
                else:
                    status, out = 500, b"<Error><Code>Unscripted</Code></Error>"
                if status == 0:  # the answer is lost: close without one
                    self.close_connection = True
                    return
                self.send_response(status)
                if "Content-Length" not in extra:
                    self.send_header("Content-Length", str(len(out)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _scripted_env(url):
    return {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": "AK",
            "AWS_SECRET_ACCESS_KEY": "SK", "AWS_ENDPOINT_URL": url, "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


def test_list_multipart_uploads_pages(driver):
    page1 = (b'<?xml version="1.0"?><ListMultipartUploadsResult><Bucket>b</Bucket>'
             b'<IsTruncated>true</IsTruncated><NextKeyMarker>m/a &amp; b</NextKeyMarker>'
             b'<NextUploadIdMarker>id+2</NextUploadIdMarker>'
             b'<Upload><Key>m/x.bin</Key><UploadId>id1</UploadId>'
             b'<Initiated>2024-01-02T03:04:05.000Z</Initiated></Upload>'
             b'<Upload><Key>m/a &amp; b</Key><UploadId>id+2</UploadId></Upload>'
             b'</ListMultipartUploadsResult>')
    page2 = (b'<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>'
             b'<Upload><Key>m/z</Key><UploadId>id3</UploadId></Upload>'
             b'</ListMultipartUploadsResult>')
    srv = _Scripted([("GET", "key-marker", 200, page2), ("GET", "uploads", 200, page1)])
    try:
        r = drive(driver, _scripted_env(srv.url), "uploads", "b", "m/")
    finally:
        srv.stop()
    assert r["uploads"] == [{"key": "m/x.bin", "id": "id1"}, {"key": "m/a & b", "id": "id+2"},
                            {"key": "m/z", "id": "id3"}]
    (m1, p1, q1, _, _), (m2, p2, q2, _, _) = srv.requests
    assert (m1, p1, m2, p2) == ("GET", "/b", "GET", "/b")
    assert "uploads=" in q1 and "prefix=m%2F" in q1
    assert "key-marker=m%2Fa%20%26%20b" in q2 and "upload-id-marker=id%2B2" in q2


def test_error_inside_200_is_retried(driver, tmp_path):
    """CompleteMultipartUpload may answer 200 and put an <Error> in the body."""
    init = b"<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>"
    done = (b"<CompleteMultipartUploadResult><ETag>&quot;abc-2&quot;</ETag>"
            b"</CompleteMultipartUploadResult>")
    err = b"<Error><Code>InternalError</Code><Message>try again</Message></Error>"
    srv = _Scripted([("POST", "uploads", 200, init), ("PUT", "partNumber=1", 200, b""),
                     ("PUT", "partNumber=2", 200, b""), ("POST", "uploadId=U1", 200, err),
                     ("POST", "uploadId=U1", 200, done)])
    f = tmp_path / "f"
    f.write_bytes(os.urandom((5 << 20) + 10))
    try:
        r = drive(driver, _scripted_env(srv.url), "putfile", "b", "k", str(f), "1",
                  str(5 << 20))
    finally:
        srv.stop()
    assert r["ok"] and r["etag"] == "abc-2" and r["attempts"] == 2
    completes = [q for q in srv.requests if q[0] == "POST" and "uploadId=U1" in q[2]]
    assert len(completes) == 2
    body = completes[0][4].decode()
    assert body.index("<PartNumber>1</PartNumber>") < body.index("<PartNumber>2</PartNumber>")


def test_wrong_region_is_explained(driver):
    body = (b"<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting "
            b"to access must be addressed using the specified endpoint.</Message>"
            b"<Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>")
    srv = _Scripted([("PUT", "", 301, body)])
    try:
        r = drive(driver, _scripted_env(srv.url), "putmem", "b", "k", "v", expect=1)
    finally:
        srv.stop()
    assert "not in region us-east-1" in r["error"] and "--region" in r["error"]
    assert "b.s3.eu-west-1.amazonaws.com" in r["error"] and r["attempts"] == 1


@pytest.mark.parametrize("code,word", [("ExpiredToken", "expired"), ("InvalidToken", "invalid")])
def test_a_bad_session_token_is_named(driver, code, word):
    body = (b"<Error><Code>" + code.encode() + b"</Code><Message>The provided token has "
            b"expired.</Message></Error>")
    srv = _Scripted([("PUT", "", 400, body)])
    try:
        r = drive(driver, _scripted_env(srv.url), "putmem", "b", "k", "v", expect=1)
    finally:
        srv.stop()
    assert r["code"] == code and r["attempts"] == 1  # not retried: a new token is needed
    assert f"the session token is {word}" in r["error"] and "AWS_SESSION_TOKEN" in r["error"]


# ---------------------------------------------------------------- credentials from the machine

def _no_keys_env(**extra):
    env = {"PATH": os.environ.get("PATH", ""), "AWS_CONFIG_FILE": "/nonexistent",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "HOME": "/nonexistent"}
    env.update(extra)
    return env


def test_ec2_instance_metadata_credentials(driver):
    creds = json.dumps({"Code": "Success", "AccessKeyId": "ASIAEC2", "SecretAccessKey": "s3cr3t",
                        "Token": "ec2-session", "Expiration": "2099-01-01T00:00:00Z"}).encode()
    srv = _Scripted([("PUT", "/latest/api/token", 200, b"IMDS-TOKEN"),
                     ("GET", "security-credentials/deploy-role", 200, creds),
                     ("GET", "/latest/meta-data/iam/security-credentials/", 200, b"deploy-role\n")])
    try:
        r = drive(driver, _no_keys_env(AWS_EC2_METADATA_SERVICE_ENDPOINT=srv.url + "/"), "config")
    finally:
        srv.stop()
    assert r["access_key"] == "ASIAEC2" and r["secret_len"] == 6
    assert r["session_token"] == "ec2-session"
    put, lst, get = srv.requests
    assert put[3].get("X-aws-ec2-metadata-token-ttl-seconds") == "21600"
    assert lst[3].get("X-aws-ec2-metadata-token") == "IMDS-TOKEN"
    assert get[1].endswith("/deploy-role") and get[3].get("X-aws-ec2-metadata-token") == "IMDS-TOKEN"


def test_container_credentials(driver):
    creds = json.dumps({"AccessKeyId": "ASIAECS", "SecretAccessKey": "x" * 40,
                        "Token": "ecs-session"}).encode()
    srv = _Scripted([("GET", "/v2/credentials/abc", 200, creds)])
    try:
        r = drive(driver, _no_keys_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=srv.url + "/v2/credentials/abc",
                                       AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer t0k"), "config")
    finally:
        srv.stop()
    assert r["access_key"] == "ASIAECS" and r["session_token"] == "ecs-session"
    assert srv.requests[0][3].get("Authorization") == "Bearer t0k"


def test_no_credentials_anywhere(driver):
    r = drive(driver, _no_keys_env(AWS_EC2_METADATA_DISABLED="true"), "config", expect=1)
    assert "no S3 credentials" in r["error"] and "AWS_ACCESS_KEY_ID" in r["error"]


def test_async_failures_are_reported_on_the_engine_thread(driver, s3, s3_bucket, cdnpipe_env,
                                                          tmp_path):
    d = tmp_path / "files"
    d.mkdir()
    (d / "good.txt").write_text("ok")
    (d / "dangling.txt").symlink_to(tmp_path / "missing")
    r = drive(driver, cdnpipe_env, "putdir", s3_bucket, "", str(d), expect=1, timeout=60)
    assert r["ok"] == 1 and r["failed"] == 1 and r["on_caller"] == 0
    assert "dangling.txt" in r["errors"][0] and "cannot read" in r["errors"][0]


def test_access_denied_names_the_key(driver):
    body = (b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
            b"<RequestId>1</RequestId></Error>")
    srv = _Scripted([("PUT", "", 403, body)])
    try:
        r = drive(driver, _scripted_env(srv.url), "putmem", "b", "static/app.css", "v", expect=1)
    finally:
        srv.stop()
    assert r["code"] == "AccessDenied" and r["attempts"] == 1
    assert "access denied to s3://b/static/app.css" in r["error"]


def test_lost_answer_to_complete_is_not_a_failure(driver, tmp_path):
    """S3 completes the upload but the answer is lost; the retry meets
    NoSuchUpload.  A HEAD showing the ETag made of exactly our parts proves
    the object is ours: the upload counts as done."""
    p1, p2 = hashlib.md5(b"one").hexdigest(), hashlib.md5(b"two").hexdigest()
    final = md5(bytes.fromhex(p1) + bytes.fromhex(p2)) + "-2"
    size = (5 << 20) + 10
    init = b"<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>"
    gone = b"<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>"

    def script(head_etag):
        return [("POST", "uploads", 200, init),
                ("PUT", "partNumber=1", 200, b"", {"ETag": f'"{p1}"'}),
                ("PUT", "partNumber=2", 200, b"", {"ETag": f'"{p2}"'}),
                ("POST", "uploadId=U1", 0, b""),  # completed, answer lost
                ("POST", "uploadId=U1", 404, gone),
                ("HEAD", "/b/k", 200, b"", {"ETag": f'"{head_etag}"',
                                            "Content-Length": str(size)}),
                ("DELETE", "uploadId=U1", 204, b"")]

    f = tmp_path / "f"
    f.write_bytes(os.urandom(size))
    srv = _Scripted(script(final))
    try:
        r = drive(driver, _scripted_env(srv.url), "putfile", "b", "k", str(f), "1",
                  str(5 << 20))
        assert r["ok"] and r["etag"] == final, r
        # an object that is not ours (another ETag) leaves the failure standing
        srv.script[:] = script(p1)
        r = drive(driver, _scripted_env(srv.url), "putfile", "b", "k", str(f), "1",
                  str(5 << 20), expect=1)
        assert r["code"] == "NoSuchUpload" and "upload aborted" in r["error"]
        assert srv.requests[-1][0] == "DELETE" and "uploadId=U1" in srv.requests[-1][2]
    finally:
        srv.stop()
