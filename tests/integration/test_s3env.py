"""Tests of the test S3 endpoint itself (s3env.py, s3proxy.py): the proxy must
pass correct clients through untouched, refuse what real S3 refuses, inject
exactly the faults it is told to, and leave nothing behind.  Every other S3
test trusts these properties, so each is checked here against boto3 (a
client known to sign correctly) and against requests signed by botocore and
then tampered with."""

import concurrent.futures
import hashlib
import base64
import http.client
import io
import os
import subprocess
import time

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

import s3env

pytest_plugins = ["s3fixtures"]


def raw_request(env, method, path, body=b"", headers=None, signed_body=None,
                secret=s3env.SECRET_KEY, akid=s3env.ACCESS_KEY, region="us-east-1",
                after_sign=None):
    """Sign with botocore (over `signed_body` if given), optionally tamper
    (after_sign(headers)), then send `body`.  Returns (status, headers, body)."""
    url = env.url + path
    req = AWSRequest(method=method, url=url,
                     data=signed_body if signed_body is not None else body,
                     headers=dict(headers or {}))
    S3SigV4Auth(Credentials(akid, secret), "s3", region).add_auth(req)
    hdrs = dict(req.headers.items())
    if after_sign:
        after_sign(hdrs)
    c = http.client.HTTPConnection("127.0.0.1", env.proxy.port, timeout=30)
    c.request(method, path, body=body, headers=hdrs)
    r = c.getresponse()
    out = (r.status, dict(r.getheaders()), r.read())
    c.close()
    return out


def error_code(body):
    import re

    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else None


def test_boto3_roundtrip_through_proxy(s3, s3_bucket, s3_client):
    keys = {"plain.txt": b"hello", "a b+c/\u00fc(1)~=&.txt": b"unicode key",
            "deep/er/still/x.css": b"body{}" * 1000, "empty": b""}
    for k, v in keys.items():
        s3_client.put_object(Bucket=s3_bucket, Key=k, Body=v, ContentType="text/css",
                             CacheControl="no-cache", Metadata={"md5": "m"})
    for k, v in keys.items():
        r = s3_client.get_object(Bucket=s3_bucket, Key=k)
        assert r["Body"].read() == v
        assert r["ContentType"] == "text/css"
        assert r["CacheControl"] == "no-cache"
    listed = {o["Key"]: o["Size"] for o in
              s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert listed == {k: len(v) for k, v in keys.items()}
    assert s3.proxy.count(op="PutObject", status=200) == len(keys)
    assert s3.proxy.count(op="GetObject", status=200) == len(keys)
    assert s3.proxy.count(op="ListObjectsV2") == 1
    assert s3.proxy.log(key="a b+c/\u00fc(1)~=&.txt", op="PutObject")[0].bytes_in == 11
    assert all(r.status < 300 for r in s3.proxy.log())


def test_multipart_and_large_body_streamed(s3, s3_bucket, s3_client):
    data = os.urandom(6 << 20) * 4  # 24 MiB: spooled to disk by the proxy
    cfg = __import__("boto3").s3.transfer.TransferConfig(multipart_threshold=8 << 20,
                                                         multipart_chunksize=8 << 20)
    s3_client.upload_fileobj(io.BytesIO(data), s3_bucket, "mp.bin", Config=cfg)
    assert s3.proxy.count(op="CreateMultipartUpload", status=200) == 1
    assert s3.proxy.count(op="UploadPart", status=200) == 3
    assert s3.proxy.count(op="CompleteMultipartUpload", status=200) == 1
    assert s3.get_bytes(s3_bucket, "mp.bin", size=len(data)) == data
    # a single PUT above the proxy's in-memory limit
    s3_client.put_object(Bucket=s3_bucket, Key="single.bin", Body=data)
    r = s3_client.get_object(Bucket=s3_bucket, Key="single.bin")
    assert hashlib.md5(r["Body"].read()).digest() == hashlib.md5(data).digest()
    assert s3.proxy.log(op="GetObject", key="single.bin")[0].bytes_out == len(data)


def test_abort_multipart_answered_and_recorded(s3, s3_bucket, s3_client):
    up = s3_client.create_multipart_upload(Bucket=s3_bucket, Key="x.bin")["UploadId"]
    s3_client.upload_part(Bucket=s3_bucket, Key="x.bin", UploadId=up, PartNumber=1,
                          Body=b"a" * (5 << 20))
    r = s3_client.abort_multipart_upload(Bucket=s3_bucket, Key="x.bin", UploadId=up)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.proxy.aborted == [(s3_bucket, "x.bin", up)]
    with pytest.raises(ClientError) as e:
        s3_client.upload_part(Bucket=s3_bucket, Key="x.bin", UploadId=up, PartNumber=2,
                              Body=b"b")
    assert e.value.response["Error"]["Code"] == "NoSuchUpload"
    assert "x.bin" not in s3.list_keys(s3_bucket)


def test_correct_raw_request_passes(s3, s3_bucket):
    st, _, body = raw_request(s3, "PUT", f"/{s3_bucket}/raw%20key.txt", b"abc",
                              headers={"Content-Type": "text/plain",
                                       "x-amz-meta-md5": "y"})
    assert st == 200, body
    assert s3.get_bytes(s3_bucket, "raw key.txt") == b"abc"


@pytest.mark.parametrize("tamper", ["signature", "secret", "path", "header", "date", "dropped"])
def test_bad_signature_is_refused(s3, s3_bucket, tamper):
    kw = {}
    path = f"/{s3_bucket}/k.txt"
    if tamper == "signature":
        def after(h):
            a = h["Authorization"]
            h["Authorization"] = a[:-1] + ("0" if a[-1] != "0" else "1")
        kw["after_sign"] = after
    elif tamper == "secret":
        kw["secret"] = "not-the-secret"
    elif tamper == "header":
        kw["headers"] = {"Content-Type": "text/plain"}
        kw["after_sign"] = lambda h: h.update({"Content-Type": "text/html"})
    elif tamper == "dropped":  # signed, then never sent (curl drops empty headers)
        kw["headers"] = {"Cache-Control": "max-age=60"}
        kw["after_sign"] = lambda h: h.pop("Cache-Control")
    elif tamper == "date":
        def after(h):
            d = h["X-Amz-Date"]
            h["X-Amz-Date"] = d[:-3] + ("%02dZ" % ((int(d[-3:-1]) + 1) % 60))
        kw["after_sign"] = after
    if tamper == "path":
        st, _, body = _signed_for_other_path(s3, f"/{s3_bucket}/other.txt", path)
    else:
        st, _, body = raw_request(s3, "PUT", path, b"data", **kw)
    assert st == 403, body
    assert error_code(body) == "SignatureDoesNotMatch"
    assert b"<CanonicalRequest>" in body
    assert s3.proxy.log(key="k.txt")[0].error == "SignatureDoesNotMatch"
    assert "k.txt" not in s3.list_keys(s3_bucket)


def _signed_for_other_path(env, signed_path, sent_path):
    req = AWSRequest(method="PUT", url=env.url + signed_path, data=b"data")
    S3SigV4Auth(Credentials(s3env.ACCESS_KEY, s3env.SECRET_KEY), "s3",
                "us-east-1").add_auth(req)
    c = http.client.HTTPConnection("127.0.0.1", env.proxy.port, timeout=30)
    c.request("PUT", sent_path, body=b"data", headers=dict(req.headers.items()))
    r = c.getresponse()
    return r.status, dict(r.getheaders()), r.read()


def test_other_auth_errors(s3, s3_bucket):
    path = f"/{s3_bucket}/k.txt"
    st, _, body = raw_request(s3, "PUT", path, b"x", akid="NOBODY")
    assert (st, error_code(body)) == (403, "InvalidAccessKeyId")
    st, _, body = raw_request(s3, "PUT", path, b"x", region="eu-west-1")
    assert (st, error_code(body)) == (400, "AuthorizationHeaderMalformed")
    assert b"<Region>us-east-1</Region>" in body
    st, _, body = raw_request(s3, "PUT", path, b"x",
                              after_sign=lambda h: h.update({"x-amz-meta-late": "1"}))
    assert (st, error_code(body)) == (403, "AccessDenied")
    assert b"<HeadersNotSigned>x-amz-meta-late</HeadersNotSigned>" in body
    st, _, body = raw_request(s3, "PUT", path, b"x",
                              after_sign=lambda h: h.pop("Authorization"))
    assert (st, error_code(body)) == (403, "AccessDenied")
    s3.proxy.clock_skew = 3600
    st, _, body = raw_request(s3, "PUT", path, b"x")
    assert (st, error_code(body)) == (403, "RequestTimeTooSkewed")
    assert b"<ServerTime>" in body
    s3.proxy.clock_skew = 0
    assert "k.txt" not in s3.list_keys(s3_bucket)


def test_body_digests_checked(s3, s3_bucket):
    path = f"/{s3_bucket}/d.txt"
    good = base64.b64encode(hashlib.md5(b"payload").digest()).decode()
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    st, _, body = raw_request(s3, "PUT", path, b"payload", headers={"Content-MD5": bad})
    assert (st, error_code(body)) == (400, "BadDigest")
    st, _, body = raw_request(s3, "PUT", path, b"payload", headers={"Content-MD5": "xx"})
    assert (st, error_code(body)) == (400, "InvalidDigest")
    # body changed after signing: x-amz-content-sha256 no longer matches
    st, _, body = raw_request(s3, "PUT", path, b"payloaX", signed_body=b"payload",
                              headers={"Content-MD5": good})
    assert (st, error_code(body)) == (400, "XAmzContentSHA256Mismatch")
    # a body large enough to be spooled: refused before s3rver sees any of it
    big = os.urandom(5 << 20)
    st, _, body = raw_request(s3, "PUT", path, big, headers={"Content-MD5": good})
    assert (st, error_code(body)) == (400, "BadDigest")
    assert "d.txt" not in s3.list_keys(s3_bucket)
    # UNSIGNED-PAYLOAD is accepted
    req = AWSRequest(method="PUT", url=s3.url + path, data=b"payload",
                     headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD",
                              "Content-MD5": good})
    signer = S3SigV4Auth(Credentials(s3env.ACCESS_KEY, s3env.SECRET_KEY), "s3", "us-east-1")
    signer.payload = lambda r: "UNSIGNED-PAYLOAD"
    signer.add_auth(req)
    assert req.headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    c = http.client.HTTPConnection("127.0.0.1", s3.proxy.port, timeout=30)
    c.request("PUT", path, body=b"payload", headers=dict(req.headers.items()))
    r = c.getresponse()
    assert r.status == 200, r.read()
    assert s3.get_bytes(s3_bucket, "d.txt") == b"payload"


def _raw_bytes(env, data):
    import socket

    with socket.create_connection(("127.0.0.1", env.proxy.port), timeout=10) as so:
        so.sendall(data)
        out = b""
        while True:  # the proxy closes after answering
            chunk = so.recv(65536)
            if not chunk:
                return out
            out += chunk


def test_put_needs_content_length(s3, s3_bucket):
    # S3 refuses a PUT without Content-Length, and chunked transfer-encoding
    head = f"PUT /{s3_bucket}/c.txt HTTP/1.1\r\nHost: x\r\n".encode()
    r = _raw_bytes(s3, head + b"Connection: close\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 411") and b"MissingContentLength" in r
    r = _raw_bytes(s3, head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   b"3\r\nabc\r\n0\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 501") and b"NotImplemented" in r
    assert "c.txt" not in s3.list_keys(s3_bucket)


def test_presigned_v4_get(s3, s3_bucket, s3_client):
    s3_client.put_object(Bucket=s3_bucket, Key="p.txt", Body=b"presigned")
    import boto3

    c4 = boto3.session.Session(aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER",
                               region_name="us-east-1").client(
        "s3", endpoint_url=s3.url, config=Config(signature_version="s3v4",
                                                 s3={"addressing_style": "path"}))
    url = c4.generate_presigned_url("get_object", Params={"Bucket": s3_bucket,
                                                          "Key": "p.txt"})
    import urllib.request
    import urllib.error

    assert urllib.request.urlopen(url).read() == b"presigned"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert e.value.code == 403


def _client(env, attempts):
    return s3env.boto3_client(env.url, attempts=attempts)


def test_fault_status_for_matching_requests(s3, s3_bucket):
    c = _client(s3, 1)  # no retry
    rule = s3.proxy.inject(503, method="PUT", key="bad.txt")
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket=s3_bucket, Key="bad.txt", Body=b"x")
    assert e.value.response["Error"]["Code"] == "SlowDown"
    c.put_object(Bucket=s3_bucket, Key="good.txt", Body=b"x")  # not matched
    assert rule.hits == 1
    assert [r.fault for r in s3.proxy.log(key="bad.txt")] == ["503"]
    assert s3.proxy.log(key="good.txt")[0].fault == ""
    s3.proxy.clear_faults()
    s3.proxy.inject(500, op="GetObject", times=2)
    c3 = _client(s3, 3)  # 3 attempts: two injected 500s then success
    assert c3.get_object(Bucket=s3_bucket, Key="good.txt")["Body"].read() == b"x"
    assert [r.status for r in s3.proxy.log(op="GetObject")] == [500, 500, 200]
    assert "bad.txt" not in s3.list_keys(s3_bucket)


def test_fault_drop_and_drop_after(s3, s3_bucket):
    c = _client(s3, 1)
    s3.proxy.inject("drop", key="d1")
    with pytest.raises((BotoConnectionError, HTTPClientError)):
        c.put_object(Bucket=s3_bucket, Key="d1", Body=b"x")
    s3.proxy.inject("drop-after", key="d2")
    with pytest.raises((BotoConnectionError, HTTPClientError)):
        c.put_object(Bucket=s3_bucket, Key="d2", Body=b"y")
    s3.proxy.inject("reset", key="d3")
    with pytest.raises((BotoConnectionError, HTTPClientError)):
        c.put_object(Bucket=s3_bucket, Key="d3", Body=b"z")
    keys = s3.list_keys(s3_bucket)
    assert "d1" not in keys and "d3" not in keys  # never reached s3rver
    assert s3.get_bytes(s3_bucket, "d2") == b"y"  # applied, answer lost
    assert [r.status for r in s3.proxy.log(method="PUT")] == [0, 0, 0]


def _run_share(env, bucket, seed, n=60):
    env.proxy.reset()
    env.proxy.inject(503, rate=0.3, seed=seed, method="PUT")
    c = _client(env, 1)
    failed = []
    for i in range(n):
        try:
            c.put_object(Bucket=bucket, Key=f"s/{i}", Body=b"v")
        except ClientError:
            failed.append(i)
    return failed


def test_fault_share_is_deterministic(s3, s3_bucket):
    a = _run_share(s3, s3_bucket, seed=7)
    b = _run_share(s3, s3_bucket, seed=7)
    c = _run_share(s3, s3_bucket, seed=8)
    assert a == b
    assert a != c
    assert 5 <= len(a) <= 35  # about 30% of 60
    # a retry is a fresh draw: retried, every object eventually lands
    s3.proxy.reset()
    s3.proxy.inject(503, rate=0.3, seed=7, method="PUT")
    c1 = _client(s3, 1)
    tries = 0
    for i in range(60):
        for attempt in range(10):
            tries += 1
            try:
                c1.put_object(Bucket=s3_bucket, Key=f"r/{i}", Body=b"v")
                break
            except ClientError:
                pass
    assert len(s3.list_keys(s3_bucket, "r/")) == 60
    assert s3.proxy.count(method="PUT", status=503) == tries - 60 > 0


def test_listing_more_than_1000_keys(s3, s3_bucket, s3_client):
    n = 1234  # written through the proxy by 16 threads at once
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda i: s3_client.put_object(Bucket=s3_bucket, Key=f"k/{i:05d}",
                                                Body=b"x"), range(n)))
    keys = []
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket):
        keys += [o["Key"] for o in page["Contents"]]
    assert sorted(keys) == [f"k/{i:05d}" for i in range(n)]
    assert s3.proxy.count(op="ListObjectsV2", status=200) == 2


def test_cdnpipe_env_has_no_host_leakage(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_CA_BUNDLE", "/nowhere")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "tok")
    env = s3.cdnpipe_env(cache_dir=tmp_path)
    assert "AWS_PROFILE" not in env and "AWS_CA_BUNDLE" not in env
    assert "AWS_SESSION_TOKEN" not in env
    assert env["AWS_ENDPOINT_URL"] == s3.url
    assert env["XDG_CACHE_HOME"] == str(tmp_path)
    assert os.path.getsize(env["AWS_CONFIG_FILE"]) == 0
    assert os.path.getsize(env["AWS_SHARED_CREDENTIALS_FILE"]) == 0
    # Debian's awscli (2.9: predates AWS_ENDPOINT_URL, so the endpoint is a
    # flag), run with exactly this environment, signs well enough for the proxy
    aws = "/usr/bin/aws"
    if not os.path.exists(aws):
        pytest.skip("no /usr/bin/aws")
    b = s3.new_bucket("cli")
    (tmp_path / "f.txt").write_text("cli")
    subprocess.run([aws, "--endpoint-url", s3.url, "s3", "cp", str(tmp_path / "f.txt"),
                    f"s3://{b}/f.txt"],
                   env=env, check=True, capture_output=True, timeout=60)
    assert s3.get_bytes(b, "f.txt") == b"cli"
    assert s3.proxy.count(op="PutObject", bucket=b, status=200) == 1


def test_stop_leaves_nothing_behind():
    env = s3env.S3Env(buckets=["one", "two"]).start()
    pid, workdir = env.server.proc.pid, env.workdir
    c = env.client()
    assert {b["Name"] for b in c.list_buckets()["Buckets"]} == {"one", "two"}
    env.stop()
    assert not workdir.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", env_port(c), timeout=2).request("GET", "/")


def env_port(client):
    return int(client.meta.endpoint_url.rsplit(":", 1)[1])


def test_overwrite_read_back_complete(s3, s3_bucket):
    # s3rver answers a PUT before the file is written: the helpers must only
    # return the new object, whole
    c = s3.client(direct=True)
    old, new = os.urandom(8 << 20), os.urandom(16 << 20)
    c.put_object(Bucket=s3_bucket, Key="o.bin", Body=old)
    c.put_object(Bucket=s3_bucket, Key="o.bin", Body=new)
    assert s3.wait_settled(s3_bucket, "o.bin", size=len(new))["ContentLength"] == len(new)
    assert s3.get_bytes(s3_bucket, "o.bin", size=len(new)) == new
    assert s3.get_bytes(s3_bucket, "o.bin") == new
    with pytest.raises(AssertionError):
        s3.wait_settled(s3_bucket, "o.bin", size=1, timeout=0.5)


def test_keepalive_connections_reused(s3, s3_bucket):
    c = http.client.HTTPConnection("127.0.0.1", s3.proxy.port, timeout=30)
    for i in range(3):
        req = AWSRequest(method="PUT", url=f"{s3.url}/{s3_bucket}/ka{i}", data=b"k")
        S3SigV4Auth(Credentials("S3RVER", "S3RVER"), "s3", "us-east-1").add_auth(req)
        c.request("PUT", f"/{s3_bucket}/ka{i}", body=b"k", headers=dict(req.headers.items()))
        r = c.getresponse()
        r.read()
        assert r.status == 200
        if i == 1:
            time.sleep(2.5)  # past the proxy's upstream idle limit
    assert len(s3.list_keys(s3_bucket, "ka")) == 3
