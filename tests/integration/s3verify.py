"""s3verify: S3's SigV4 checks, as a server makes them, on botocore's signer.

Used by s3proxy.SigV4Proxy (which inherits SigV4Checker).  The signature is
recomputed with botocore's S3SigV4Auth (canonical_request, string_to_sign,
signature) over exactly the headers the request names in SignedHeaders --
botocore's own signer leaves out user-agent and expect, a verifier must not --
with the request's x-amz-date and credential scope.  The canonical URI is the
decoded path encoded once (S3 neither double-encodes nor normalises), the
canonical query the decoded parameters re-encoded by botocore, so a client
that sends one encoding and signs another is caught, as S3 would catch it.
Besides the signature: unknown key (InvalidAccessKeyId), wrong region or
date in the scope (AuthorizationHeaderMalformed), clock skew over 15 minutes
(RequestTimeTooSkewed), x-amz-* headers sent but not signed (AccessDenied,
HeadersNotSigned), a missing or malformed x-amz-content-sha256, SigV2
(refused, as in regions opened since 2014).  Presigned (query) SigV4 URLs
are verified too.  Body digests are checked by the proxy once it has read
the body.
"""

import hmac
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, unquote_to_bytes

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

MAX_SKEW = 15 * 60  # seconds, as S3


class S3Error(Exception):
    def __init__(self, status, code, message, **extra):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _amz_time(s):
    try:
        return datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


class _Verifier(S3SigV4Auth):
    """botocore's S3 SigV4 signer, told exactly which headers were signed."""

    def __init__(self, credentials, region, signed):
        super().__init__(credentials, "s3", region)
        self._signed = signed

    def headers_to_sign(self, request):
        # botocore drops user-agent/expect from what it signs itself; a
        # verifier must use exactly the list the client named.
        hm = HTTPHeaders()
        for name in self._signed:
            vals = request.headers.get_all(name) or [""]
            for v in vals:
                hm[name] = v
        return hm


def canonical_path(raw_path):
    """S3's canonical URI: the decoded path, URI-encoded once, no normalising."""
    return quote(unquote_to_bytes(raw_path), safe="/~")


def parse_query(raw_query):
    """[(name, value)] decoded; a name without '=' has the value ''."""
    out = []
    if raw_query:
        for pair in raw_query.split("&"):
            if pair == "":
                continue
            k, _, v = pair.partition("=")
            out.append((unquote(k), unquote(v)))
    return out


class SigV4Checker:
    """Verification state: credentials {access key: secret}, the expected
    region (None: any), a clock skew to simulate (seconds added to "now"),
    and the expected vs provided signature of the last mismatch."""

    def __init__(self, credentials=None, region="us-east-1"):
        self.credentials = dict(credentials or {"S3RVER": "S3RVER"})
        self.region = region
        self.clock_skew = 0.0
        self.allow_anonymous = False
        self.last_signature_error = None

    def verify(self, method, raw_path, raw_query, headers):
        """Raise S3Error unless the request is correctly SigV4-signed."""
        query = parse_query(raw_query)
        qnames = {k for k, _ in query}
        auth = headers.get("authorization")
        if auth is None and "X-Amz-Algorithm" in qnames:
            return self._verify_presigned(method, raw_path, query, headers)
        if auth is None and "Signature" in qnames:
            raise S3Error(400, "InvalidRequest", "The authorization mechanism you "
                          "have provided is not supported. Please use AWS4-HMAC-SHA256.")
        if auth is None:
            if self.allow_anonymous or method == "OPTIONS":  # CORS preflight
                return
            raise S3Error(403, "AccessDenied", "Access Denied (anonymous request)")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            raise S3Error(400, "InvalidRequest", "The authorization mechanism you "
                          "have provided is not supported. Please use AWS4-HMAC-SHA256.")
        fields = {}
        for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
            k, _, v = part.strip().partition("=")
            fields[k] = v
        try:
            cred, signed, provided = (fields["Credential"], fields["SignedHeaders"],
                                      fields["Signature"])
            akid, date, region, service, term = cred.split("/")
        except (KeyError, ValueError):
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed: " + auth.split(
                              "Signature=")[0])
        amz_date = headers.get("x-amz-date")
        if amz_date is None and "date" in headers:
            try:
                amz_date = parsedate_to_datetime(headers["date"]).strftime("%Y%m%dT%H%M%SZ")
            except (TypeError, ValueError):
                amz_date = None
        sha = headers.get("x-amz-content-sha256")
        if sha is None:
            raise S3Error(400, "InvalidRequest", "Missing required header for this "
                          "request: x-amz-content-sha256")
        signed_list = signed.split(";")
        self._check_common(akid, date, region, service, term, amz_date, signed_list,
                           headers)
        if sha.startswith("STREAMING-"):
            raise S3Error(501, "NotImplemented", "s3proxy does not verify aws-chunked "
                          "streaming payloads (" + sha + ")")
        if sha != "UNSIGNED-PAYLOAD" and not (
                len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
            raise S3Error(400, "InvalidArgument", "x-amz-content-sha256 must be "
                          "UNSIGNED-PAYLOAD, STREAMING-... or a valid sha256 value.")
        self._check_signature(method, raw_path, query, headers, akid, region, amz_date,
                              signed_list, provided, sha)

    def _check_common(self, akid, date, region, service, term, amz_date, signed_list,
                      headers):
        if akid not in self.credentials:
            raise S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you "
                          "provided does not exist in our records.", AWSAccessKeyId=akid)
        if service != "s3" or term != "aws4_request":
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization "
                          f"header is malformed; incorrect service '{service}' or "
                          f"terminal '{term}'. This endpoint uses 's3'.")
        if self.region is not None and region != self.region:
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization "
                          f"header is malformed; the region '{region}' is wrong; "
                          f"expecting '{self.region}'", Region=self.region)
        if amz_date is None:
            raise S3Error(403, "AccessDenied", "AWS authentication requires a valid "
                          "Date or x-amz-date header")
        t = _amz_time(amz_date)
        if t is None:
            raise S3Error(403, "AccessDenied", "AWS authentication requires a valid "
                          "Date or x-amz-date header")
        if date != amz_date[:8]:
            raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization "
                          f"header is malformed; Invalid credential date. Date "
                          f"{date} is not the same as X-Amz-Date: {amz_date[:8]}.")
        now = time.time() + self.clock_skew
        if abs(now - t.timestamp()) > MAX_SKEW:
            raise S3Error(403, "RequestTimeTooSkewed", "The difference between the "
                          "request time and the current time is too large.",
                          RequestTime=amz_date,
                          ServerTime=datetime.fromtimestamp(now, timezone.utc).strftime(
                              "%Y-%m-%dT%H:%M:%SZ"),
                          MaxAllowedSkewMilliseconds="900000")
        if "host" not in signed_list:
            raise S3Error(403, "AccessDenied", "Host header is not signed")
        unsigned = sorted(h for h in headers if h.startswith("x-amz-")
                          and h not in signed_list)
        if unsigned:
            raise S3Error(403, "AccessDenied", "There were headers present in the "
                          "request which were not signed",
                          HeadersNotSigned=", ".join(unsigned))

    def _check_signature(self, method, raw_path, query, headers, akid, region,
                         amz_date, signed_list, provided, payload_hash):
        url = "http://" + headers.get("host", "") + canonical_path(raw_path)
        hdrs = HTTPHeaders()
        for name in signed_list:
            # A signed header that never arrived (get_all gives None) is
            # signed as empty, as AWS does: the signature then fails to match.
            for v in headers.get_all(name) or [""]:
                hdrs[name] = v
        if "x-amz-content-sha256" in hdrs:
            del hdrs["x-amz-content-sha256"]
        hdrs["X-Amz-Content-SHA256"] = payload_hash  # the payload line
        req = AWSRequest(method=method, url=url, headers=hdrs)
        req.params = query  # botocore encodes names and values itself
        req.context["timestamp"] = amz_date
        signer = _Verifier(Credentials(akid, self.credentials[akid]), region, signed_list)
        creq = signer.canonical_request(req)
        sts = signer.string_to_sign(req, creq)
        expected = signer.signature(sts, req)
        if not hmac.compare_digest(expected, provided):
            self.last_signature_error = {"canonical_request": creq,
                                         "string_to_sign": sts,
                                         "provided": provided, "expected": expected}
            raise S3Error(403, "SignatureDoesNotMatch", "The request signature we "
                          "calculated does not match the signature you provided. "
                          "Check your key and signing method.", AWSAccessKeyId=akid,
                          StringToSign=sts, SignatureProvided=provided,
                          CanonicalRequest=creq)

    def _verify_presigned(self, method, raw_path, query, headers):
        q = dict(query)
        try:
            akid, date, region, service, term = q["X-Amz-Credential"].split("/")
            amz_date, signed, provided = q["X-Amz-Date"], q["X-Amz-SignedHeaders"], \
                q["X-Amz-Signature"]
            expires = int(q.get("X-Amz-Expires", "604800"))
        except (KeyError, ValueError):
            raise S3Error(400, "AuthorizationQueryParametersError",
                          "Query-string authentication version 4 requires the "
                          "X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
                          "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires "
                          "parameters.")
        signed_list = signed.split(";")
        t = _amz_time(amz_date)
        if t is not None and time.time() + self.clock_skew > t.timestamp() + expires:
            raise S3Error(403, "AccessDenied", "Request has expired")
        saved, self.clock_skew = self.clock_skew, 0.0  # no skew rule for presigned
        try:
            hdr_view = _HeaderView({k: v for k, v in headers.items()
                                    if not k.startswith("x-amz-") or k in signed_list})
            self._check_common(akid, date, region, service, term, amz_date,
                               signed_list, hdr_view)
        finally:
            self.clock_skew = saved
        rest = [(k, v) for k, v in query if k != "X-Amz-Signature"]
        self._check_signature(method, raw_path, rest, headers, akid, region, amz_date,
                              signed_list, provided,
                              headers.get("x-amz-content-sha256", "UNSIGNED-PAYLOAD"))


class _HeaderView(dict):
    def get_all(self, name):
        return [self[name]] if name in self else []
