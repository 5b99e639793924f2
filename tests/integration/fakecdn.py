"""fakecdn: one small HTTP server per CDN purge API, on loopback.

Each server checks what the provider would check -- method, path, the
credential header, the body's shape -- records every request it accepted
(`requests`: dicts of method, path, query, headers, body) and what was purged
(`purged`: the URLs or paths, in order), and answers with the provider's
documented success and error bodies.  `fail` is a list of canned answers
(status, headers, body) given to the next requests before the normal ones, so
a test can make a provider busy (429 with Retry-After, CloudFront's
TooManyInvalidationsInProgress) or broken (500, a 403 for a bad key).

CloudFront requests are verified with botocore's SigV4 signer for service
"cloudfront" in us-east-1, over exactly the headers the request names in
SignedHeaders, and the x-amz-content-sha256 it sends must be the body's.
"""
import hashlib
import json
import re
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

CF_NS = "{http://cloudfront.amazonaws.com/doc/2020-05-31/}"


class _Signer(SigV4Auth):
    def __init__(self, creds, signed):
        super().__init__(creds, "cloudfront", "us-east-1")
        self._signed = signed

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self._signed:
            hm[name] = request.headers.get(name, "")
        return hm


class FakeCDN:
    """Base: a ThreadingHTTPServer on 127.0.0.1 with a recording handler."""

    def __init__(self):
        self.requests, self.purged, self.fail = [], [], []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _any(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                u = urlsplit(self.path)
                req = {"method": self.command, "path": u.path, "raw_path": self.path,
                       "query": parse_qs(u.query), "headers": dict(self.headers.items()),
                       "body": body}
                with fake.lock:
                    fake.requests.append(req)
                    canned = fake.fail.pop(0) if fake.fail else None
                if canned:
                    status, headers, out = canned
                else:
                    status, headers, out = fake.answer(req)
                data = out if isinstance(out, bytes) else out.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.purged.clear()
            self.fail.clear()


def _json(status, doc, **headers):
    return status, {"Content-Type": "application/json", **headers}, json.dumps(doc)


class CloudFront(FakeCDN):
    """CreateInvalidation / GetInvalidation (API 2020-05-31)."""

    def __init__(self, key="AKIDCF", secret="cf-secret", distribution="E2EXAMPLE"):
        self.key, self.secret, self.distribution = key, secret, distribution
        self.invalidations = {}  # id -> {"ref", "paths", "polls"}
        self.by_ref = {}
        self.complete_after = 1  # GETs answered InProgress before Completed
        super().__init__()

    @staticmethod
    def error(status, code, message):
        body = ('<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/'
                'doc/2020-05-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s'
                '</Message></Error><RequestId>r-1</RequestId></ErrorResponse>' % (code, message))
        return status, {"Content-Type": "text/xml"}, body

    def verify(self, req):
        h = {k.lower(): v for k, v in req["headers"].items()}
        auth = h.get("authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/us-east-1/cloudfront/"
                     r"aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$", auth)
        if not m:
            return "malformed Authorization: " + auth.split("Signature=")[0]
        akid, date, signed, sig = m.groups()
        if akid != self.key:
            return "unknown access key"
        if not {"host", "x-amz-date"} <= set(signed.split(";")):
            return "host and x-amz-date must be signed"
        if h.get("x-amz-content-sha256") != hashlib.sha256(req["body"]).hexdigest():
            return "x-amz-content-sha256 is not the body's SHA-256"
        r = AWSRequest(method=req["method"], url="http://%s%s" % (h["host"], req["raw_path"]),
                       data=req["body"], headers=h)
        r.context["timestamp"] = h["x-amz-date"]
        s = _Signer(Credentials(self.key, self.secret), signed.split(";"))
        want = s.signature(s.string_to_sign(r, s.canonical_request(r)), r)
        return None if want == sig else "SignatureDoesNotMatch"

    def answer(self, req):
        bad = self.verify(req)
        if bad:
            return self.error(403, "SignatureDoesNotMatch" if "Signature" in bad
                              else "InvalidClientTokenId", bad)
        base = "/2020-05-31/distribution/%s/invalidation" % self.distribution
        if req["method"] == "POST" and req["path"] == base:
            doc = ET.fromstring(req["body"])
            ref = doc.find(CF_NS + "CallerReference").text
            paths = [p.text for p in doc.iter(CF_NS + "Path")]
            qty = int(doc.find(CF_NS + "Paths/" + CF_NS + "Quantity").text)
            if qty != len(paths) or not paths:
                return self.error(400, "InconsistentQuantities", "Quantity != Items")
            if any(not p.startswith("/") for p in paths):
                return self.error(400, "InvalidArgument", "paths start with /")
            with self.lock:
                if ref in self.by_ref:  # a replay: the same invalidation
                    inv = self.by_ref[ref]
                else:
                    inv = "I%06d" % (len(self.invalidations) + 1)
                    self.invalidations[inv] = {"ref": ref, "paths": paths, "polls": 0}
                    self.by_ref[ref] = inv
                    self.purged.extend(paths)
            return 201, {"Content-Type": "text/xml", "Location": self.url + base + "/" + inv}, (
                '<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/'
                '2020-05-31/"><Id>%s</Id><Status>InProgress</Status><CreateTime>'
                '2026-12-03T00:00:00Z</CreateTime></Invalidation>' % inv)
        if req["method"] == "GET" and req["path"].startswith(base + "/"):
            inv = self.invalidations.get(req["path"].rsplit("/", 1)[1])
            if not inv:
                return self.error(404, "NoSuchInvalidation", "no such invalidation")
            inv["polls"] += 1
            status = "Completed" if inv["polls"] > self.complete_after else "InProgress"
            return 200, {"Content-Type": "text/xml"}, (
                '<?xml version="1.0"?><Invalidation><Id>x</Id><Status>%s</Status>'
                '</Invalidation>' % status)
        return self.error(404, "NoSuchDistribution", "no such distribution")


class Cloudflare(FakeCDN):
    LIMIT = 30

    def __init__(self, token="cf-token-123", zone="zone123"):
        self.token, self.zone = token, zone
        super().__init__()

    @staticmethod
    def error(status, code, message, **headers):
        return _json(status, {"success": False, "errors": [{"code": code, "message": message}],
                              "messages": [], "result": None}, **headers)

    @staticmethod
    def too_many():
        return Cloudflare.error(429, 971, "Please wait and consider throttling your request "
                                "speed", **{"Retry-After": "1"})

    def answer(self, req):
        h = {k.lower(): v for k, v in req["headers"].items()}
        if h.get("authorization") != "Bearer " + self.token:
            return self.error(403, 10000, "Authentication error")
        if req["method"] != "POST" or req["path"] != "/client/v4/zones/%s/purge_cache" % self.zone:
            return self.error(404, 7003, "Could not route to %s" % req["path"])
        if not h.get("content-type", "").startswith("application/json"):
            return self.error(400, 6003, "Invalid request headers")
        files = json.loads(req["body"]).get("files")
        if not isinstance(files, list) or not files or len(files) > self.LIMIT:
            return self.error(400, 1015, "files must be a list of 1 to 30 URLs")
        with self.lock:
            self.purged.extend(files)
        return _json(200, {"success": True, "errors": [], "messages": [],
                           "result": {"id": self.zone}})


class Fastly(FakeCDN):
    def __init__(self, token="fastly-token-456", service="SVC1"):
        self.token, self.service = token, service
        self.soft = []
        super().__init__()

    def reset(self):
        super().reset()
        self.soft.clear()

    def answer(self, req):
        h = {k.lower(): v for k, v in req["headers"].items()}
        if h.get("fastly-key") != self.token:
            return _json(401, {"msg": "Provided credentials are missing or invalid"})
        if req["method"] != "POST":
            return _json(405, {"msg": "Method not allowed"})
        with self.lock:
            self.soft.append(h.get("fastly-soft-purge") == "1")
        sk = re.match(r"^/service/([^/]+)/purge/([^/]+)$", req["path"])
        if sk:
            if sk.group(1) != self.service:
                return _json(404, {"msg": "Record not found", "detail": "no such service"})
            with self.lock:
                self.purged.append("key:" + unquote(sk.group(2)))
            return _json(200, {"status": "ok", "id": "108-1"})
        if req["path"].startswith("/purge/"):
            with self.lock:
                self.purged.append(req["raw_path"][len("/purge/"):])
            return _json(200, {"status": "ok", "id": "108-2"})
        return _json(404, {"msg": "Record not found"})


class Bunny(FakeCDN):
    def __init__(self, key="bunny-key-789"):
        self.key = key
        super().__init__()

    def answer(self, req):
        h = {k.lower(): v for k, v in req["headers"].items()}
        if h.get("accesskey") != self.key:
            return _json(401, {"Message": "Authorization has been denied for this request."})
        if req["method"] != "POST" or req["path"] != "/purge" or "url" not in req["query"]:
            return _json(400, {"Message": "The url parameter is required"})
        with self.lock:
            self.purged.append(req["query"]["url"][0])
        return 200, {}, b""
