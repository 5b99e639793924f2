"""s3env: a real, local S3 endpoint for cdnpipe's integration tests and benchmarks.

    env = S3Env(buckets=["site"]).start()    # s3rver + verifying proxy
    run(["build/cdnpipe", "upload", dist, "s3://site/static"], env=env.cdnpipe_env())
    env.client().get_object(Bucket="site", Key="static/app.css")   # boto3, independent
    env.proxy.count(op="PutObject")           # what the client under test sent
    env.proxy.inject(503, rate=0.3, seed=1)  # faults, at run time
    env.stop()                                # no process, no folder left behind

(pytest fixtures wrapping this are in s3fixtures.py.)

What runs:
  * s3rver 3.7.1 (tools/node/node_modules/.bin/s3rver, installed by
    scripts/install-deps.sh) on 127.0.0.1, a port the kernel picks (-p 0; the
    real port is read back from its "listening on" line, so there is no
    pick-a-free-port race), data in a fresh temporary folder, the buckets
    created at start-up, access key S3RVER / secret S3RVER.  It runs with
    NODE_OPTIONS=--openssl-legacy-provider: its ListObjectsV2 continuation
    tokens are DES-encrypted, and without the flag Node 20 answers 500 to
    every listing of more than 1000 keys.  Its own process group, killed
    (SIGTERM, then SIGKILL) at stop(), at interpreter exit, and by the
    kernel if this process dies (PR_SET_PDEATHSIG).
  * s3proxy.SigV4Proxy in front of it, in this process: it verifies SigV4
    with botocore, checks x-amz-content-sha256 and Content-MD5, answers
    AbortMultipartUpload, records every request and injects faults.  Every
    test talks to the proxy (`env.url`); `env.direct_url` is s3rver itself
    (for benchmarks, where the Python proxy would be the bottleneck, and for
    checks that must not be hit by injected faults).

Known faults of s3rver 3.7.1 (measured; tests and cdnpipe must not trip on them):
  * Listings come back in its file-system order, not in key order: never
    merge-join a listing against a sorted local list; look keys up by name.
  * Listings with a delimiter drop common prefixes whose objects are two or
    more levels down: list flat, without a delimiter.
  * A PUT is answered before the object is fully on disk (it resolves when
    its hashing stream ends, not when the file is written): a HEAD or GET
    right after an overwrite may see a short object.  Use wait_settled() /
    get_bytes() below instead of reading once.
  * The ETag of a multipart object is the plain MD5 of the whole object, not
    AWS's md5-of-part-md5s-N: ETag comparisons must accept both forms.
  * No AbortMultipartUpload, ListParts, ListMultipartUploads, UploadPartCopy
    (MethodNotAllowed / NotImplemented).  The proxy answers
    AbortMultipartUpload (204, recorded in proxy.aborted) and then answers
    NoSuchUpload for that upload id; ListParts/ListMultipartUploads/
    UploadPartCopy still fail as s3rver fails them.
  * It does not verify SigV4 signatures nor body digests: the proxy does.
  * Virtual-host addressing only works for "<bucket>.localhost" hosts; use
    path-style (the endpoint is an IP address).
"""

import atexit
import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import http.client
from pathlib import Path

from s3proxy import SigV4Proxy, FaultRule, Request, S3Error, classify  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
S3RVER_BIN = Path(os.environ.get("S3RVER_BIN", REPO / "tools/node/node_modules/.bin/s3rver"))
ACCESS_KEY = "S3RVER"
SECRET_KEY = "S3RVER"
REGION = "us-east-1"

_live = set()  # started S3Env / S3rver objects, stopped at exit
_live_lock = threading.Lock()


def _stop_all():
    with _live_lock:
        objs = list(_live)
    for o in objs:
        try:
            o.stop()
        except Exception:
            pass


atexit.register(_stop_all)


def _pdeathsig():
    # In the child before exec: die with the parent, so a killed test run
    # does not leave s3rver behind.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class S3rver:
    """The s3rver process.  start() returns once it answers HTTP."""

    def __init__(self, buckets=(), host="127.0.0.1", workdir=None, silent=True):
        self.buckets = list(buckets)
        self.host = host
        self.silent = silent
        self.proc = None
        self._own_dir = workdir is None
        self.workdir = Path(workdir) if workdir else None

    def start(self, timeout=30.0):
        if not S3RVER_BIN.exists():
            raise RuntimeError(f"{S3RVER_BIN} is missing: run scripts/install-deps.sh check")
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="cdnpipe-s3rver-"))
        self.data = self.workdir / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.logfile = self.workdir / "s3rver.log"
        cmd = [str(S3RVER_BIN), "-d", str(self.data), "-a", self.host, "-p", "0"]
        if self.silent:
            cmd.append("--silent")
        for b in self.buckets:
            cmd += ["--configure-bucket", b]
        env = dict(os.environ)
        env["NODE_OPTIONS"] = (env.get("NODE_OPTIONS", "") + " --openssl-legacy-provider").strip()
        with open(self.logfile, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env,
                                         start_new_session=True, preexec_fn=_pdeathsig)
        with _live_lock:
            _live.add(self)
        deadline = time.monotonic() + timeout
        pat = re.compile(rb"S3rver listening on \S+?:(\d+)")
        while True:
            m = pat.search(self.logfile.read_bytes())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out = self.logfile.read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"s3rver did not start: {out[-2000:]}")
            time.sleep(0.05)
        self.url = f"http://{self.host}:{self.port}"
        while True:  # wait until it answers a request
            try:
                c = http.client.HTTPConnection(self.host, self.port, timeout=2)
                c.request("GET", "/")
                c.getresponse().read()
                c.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("s3rver does not answer")
                time.sleep(0.05)
        return self

    def stop(self):
        p, self.proc = self.proc, None
        if p is not None and p.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if p is not None:
            try:
                p.wait(1)
            except subprocess.TimeoutExpired:
                pass
        with _live_lock:
            _live.discard(self)
        if self._own_dir and self.workdir is not None and self.workdir.exists():
            shutil.rmtree(self.workdir, ignore_errors=True)


def boto3_client(endpoint_url, region=REGION, attempts=3):
    """A boto3 S3 client (path-style) that reads nothing from the host's AWS
    configuration: credentials, region and endpoint are all given here.
    attempts: how many times a request is tried in all (1: no retry)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY,
                                    aws_secret_access_key=SECRET_KEY,
                                    region_name=region)
    return session.client("s3", endpoint_url=endpoint_url, config=Config(
        s3={"addressing_style": "path"}, retries={"total_max_attempts": attempts, "mode": "standard"},
        max_pool_connections=16))


class S3Env:
    """s3rver + SigV4Proxy + helpers.  One per test session is enough: give each
    test its own bucket (new_bucket()) and call reset() between tests."""

    def __init__(self, buckets=("cdnpipe-test",), region=REGION):
        self.buckets = list(buckets)
        self.region = region
        self.server = None
        self.proxy = None
        self._n = 0
        self._clients = {}

    def start(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="cdnpipe-s3env-"))
        try:
            self.server = S3rver(self.buckets, workdir=self.workdir / "s3rver").start()
            self.proxy = SigV4Proxy(("127.0.0.1", self.server.port),
                                    {ACCESS_KEY: SECRET_KEY}, region=self.region,
                                    spool_dir=str(self.workdir)).start()
        except BaseException:
            self.stop()
            raise
        with _live_lock:
            _live.add(self)
        # empty AWS config files so no host profile leaks into a client
        self.aws_config = self.workdir / "aws-config"
        self.aws_credentials = self.workdir / "aws-credentials"
        self.aws_config.write_text("")
        self.aws_credentials.write_text("")
        return self

    def stop(self):
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        with _live_lock:
            _live.discard(self)
        if getattr(self, "workdir", None) is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        """The endpoint clients under test use: the verifying proxy."""
        return self.proxy.url

    @property
    def direct_url(self):
        """s3rver itself: no verification, no faults, no recording."""
        return self.server.url

    def reset(self):
        """Between tests: no faults, empty request log, proxy clock right."""
        self.proxy.reset()

    # ---- clients and buckets
    def client(self, direct=False):
        """boto3 client through the proxy (direct=True: straight to s3rver,
        unaffected by injected faults and not recorded)."""
        c = self._clients.get(direct)
        if c is None:
            c = self._clients[direct] = boto3_client(self.direct_url if direct else self.url,
                                                     self.region)
        return c

    def new_bucket(self, hint="b"):
        """Create a bucket with a fresh, valid name and return the name."""
        self._n += 1
        hint = re.sub(r"[^a-z0-9-]+", "-", hint.lower()).strip("-") or "b"
        name = f"t{self._n:03d}-{hint}"[:63].rstrip("-")
        self.client(direct=True).create_bucket(Bucket=name)
        return name

    def cdnpipe_env(self, direct=False, cache_dir=None, base=None, **extra):
        """Environment for running cdnpipe (or any AWS tool) against this server.

        Every AWS_* variable of the host is dropped (no AWS_PROFILE, no
        AWS_CA_BUNDLE, no real endpoint); config and credentials files point
        at empty files; XDG_CACHE_HOME is `cache_dir` if given (sync keeps
        its state file there: give each test its own)."""
        env = {k: v for k, v in (base if base is not None else os.environ).items()
               if not k.startswith("AWS_")}
        env.update({
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_ENDPOINT_URL": self.direct_url if direct else self.url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_CONFIG_FILE": str(self.aws_config),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.aws_credentials),
        })
        if cache_dir is not None:
            env["XDG_CACHE_HOME"] = str(cache_dir)
        env.update({k: str(v) for k, v in extra.items()})
        return env

    # ---- reading back (independent of cdnpipe; direct, so faults do not hit it)
    def wait_settled(self, bucket, key, size=None, timeout=15.0, quiet=0.3):
        """HEAD an object until it is complete: until its size is `size` when
        given, else until the size has not changed for `quiet` seconds (and
        the metadata's size matches the file s3rver streams).  Returns the
        head_object answer; raises AssertionError on timeout."""
        c = self.client(direct=True)
        deadline = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while True:
            try:
                h = c.head_object(Bucket=bucket, Key=key)
                n = h["ContentLength"]
            except c.exceptions.ClientError as e:
                if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
                    raise
                h, n = None, None
            now = time.monotonic()
            if n is not None and size is not None and n == size:
                return h
            if size is None and n is not None:
                if n != last:
                    last, since = n, now
                elif now - since >= quiet:
                    return h
            if now > deadline:
                raise AssertionError(f"s3://{bucket}/{key}: size {n} did not settle"
                                     + (f" at {size}" if size is not None else ""))
            time.sleep(0.05)

    def get_bytes(self, bucket, key, size=None, timeout=15.0):
        """The object's body, read once it is complete (see wait_settled); a
        short read (s3rver still writing) is retried."""
        c = self.client(direct=True)
        deadline = time.monotonic() + timeout
        while True:
            h = self.wait_settled(bucket, key, size, timeout=max(0.1, deadline - time.monotonic()))
            r = c.get_object(Bucket=bucket, Key=key)
            body = r["Body"].read()
            if len(body) == h["ContentLength"] and (size is None or len(body) == size):
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"s3://{bucket}/{key}: short read {len(body)}")
            time.sleep(0.05)

    def list_keys(self, bucket, prefix=""):
        """{key: size} of a flat, paginated listing (never a delimiter listing)."""
        c = self.client(direct=True)
        out = {}
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                out[o["Key"]] = o["Size"]
        return out

    def head(self, bucket, key):
        """head_object (direct), after the object settled."""
        return self.wait_settled(bucket, key)
