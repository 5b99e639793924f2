"""Injected faults between cdnpipe and s3rver (issue 15, "Faults", first point).

The fault-injecting proxy (s3proxy.py, FaultRule) sits between cdnpipe and
s3rver.  Modes: 503 SlowDown, 500 InternalError, 429, a TCP reset before the
request body is read ("reset") and after it ("reset-after-body": never
forwarded; "reset-after": forwarded, so s3rver made the change), a response
cut mid-body, a stall longer than cdnpipe's stall timeout
(CDNPIPE_STALL_TIMEOUT, made short here), a 1 KB/s trickle of the answer, a
Content-Length that claims more or fewer bytes than the body, and a 200 whose
body is S3's <Error> for CompleteMultipartUpload and CopyObject.

1. Every command (deploy, upload, sync local -> S3, S3 -> local, S3 -> S3) x
   every mode at 20% (seeded: the same requests fail on every run): exit 0,
   and every key is exactly the expected bytes, read back with boto3 straight
   from s3rver (or from disk for a download).  The trees hold a multipart
   file (the threshold set to 5M, S3's smallest part) and, for upload and
   S3 -> S3, CopyObject requests (a header-only change, a copy).
2. At 100%, per mode on a representative command: exit 1, nothing
   half-published (a live manifest names only keys that are there - the one
   of the previous good run -, no multipart upload left open: s3rver has no
   ListMultipartUploads, so the proxy's record of created, completed and
   aborted upload ids is what is listed), and stderr names the fault and the
   key.  A trickle is slow, not broken: at 100% it still ends right.

Buckets have fixed names (not the fixture's counter), so the seeded draws do
not depend on which tests ran before.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest

pytest_plugins = ["s3fixtures"]
from conftest import BINARY  # noqa: E402
from filetree import tree as local_files  # noqa: E402
from upload_dist import make_dist  # noqa: E402

SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "upload",
                    "site")
STALL = 2  # seconds: cdnpipe's stall timeout in these tests
STALL_FOR = 3 * STALL  # the proxy's stall: longer than the timeout
MP = ["--multipart-threshold", "5M"]
BIG = 5 * 1024 * 1024 + 300 * 1024  # two parts: 5 MiB and 300 KiB
SEED = 15

MODES = ["503", "500", "429", "reset", "reset-after-body", "reset-after", "cut", "stall",
         "trickle", "length-long", "length-short", "error-200"]
COMMANDS = ["deploy", "upload", "sync-up", "sync-down", "sync-s3"]


def big_bytes(n, salt=b""):
    out, i = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(salt + b"%d" % i).digest() * 32
        i += 1
    return bytes(out[:n])


@pytest.fixture(scope="module", autouse=True)
def binary(tmp_path_factory):
    """A copy of build/cdnpipe taken once: a rebuild during the module's
    minutes (make in the same checkout) must not fail a run halfway."""
    global _BIN
    _BIN = str(tmp_path_factory.mktemp("bin") / "cdnpipe")
    shutil.copy2(BINARY, _BIN)
    yield _BIN


_BIN = BINARY


def run(env, *args, cwd=None, timeout=150):
    return subprocess.run([_BIN, *map(str, args)], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def bucket_for(s3, name):
    """A fresh bucket with a fixed name (the seeded draws hash the bucket)."""
    name = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63]
    c = s3.client(direct=True)
    try:
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=name):
            for o in page.get("Contents", []):
                c.delete_object(Bucket=name, Key=o["Key"])
    except c.exceptions.NoSuchBucket:
        c.create_bucket(Bucket=name)
    return name


# Faults that reach s3rver and then lose or garble its answer.  On
# CompleteMultipartUpload they are left out of the 20% runs: the retried
# Complete finds the upload gone (NoSuchUpload, as S3 answers), and cdnpipe
# then proves the object is its own by its ETag, MD5-of-part-MD5s "-N" on
# S3 - s3rver gives the plain MD5 instead (a known fault of s3rver's, see
# s3env.py), which proves nothing, so the run fails there and would not on S3.
ANSWER_LOST = {"reset-after", "cut", "length-long", "length-short"}


def inject(s3, mode, rate, **kw):
    """The rule of one mode.  error-200 is S3's answer on CompleteMultipartUpload
    and CopyObject only; a trickle of a multi-MiB GET would take hours, so it
    leaves those alone (1 KB/s of everything else).  At a rate below 1 the
    first matching request is always hit, so each run sees the fault."""
    if "op" not in kw and "match" not in kw:
        if mode == "error-200":
            kw["match"] = lambda r: r.op in ("CompleteMultipartUpload", "CopyObject")
        elif mode == "trickle":
            kw["match"] = lambda r: not (r.op == "GetObject" and "big" in r.key)
        elif mode in ANSWER_LOST:
            kw["match"] = lambda r: r.op != "CompleteMultipartUpload"
    return s3.proxy.inject(mode, rate=rate, seed=SEED, delay=STALL_FOR, bps=1024,
                           first=1 if rate < 1 else 0, **kw)


def fault_env(cdnpipe_env):
    return dict(cdnpipe_env, CDNPIPE_STALL_TIMEOUT=str(STALL))


def check_keys(s3, bucket, prefix, want, exact=True):
    """Every key of want holds exactly its bytes (boto3, straight from s3rver)."""
    listed = s3.list_keys(bucket, prefix)
    if exact:
        got = {k for k in listed if not k[len(prefix):].startswith(".cdnpipe/")}
        assert got == {prefix + k for k in want}, sorted(got ^ {prefix + k for k in want})
    for k, body in want.items():
        assert listed.get(prefix + k) == len(body), (k, listed.get(prefix + k), len(body))
        assert s3.get_bytes(bucket, prefix + k, size=len(body)) == body, k


def no_open_uploads(s3):
    left = s3.proxy.open_uploads()
    assert left == [], f"multipart uploads left open: {left}"


def live_manifest_complete(s3, bucket, prefix):
    """The live staticfiles.json (if any) names only keys that are there,
    with the bytes its fingerprints say.  Returns its paths (or None)."""
    listed = s3.list_keys(bucket, prefix)
    if prefix + "staticfiles.json" not in listed:
        return None
    m = json.loads(s3.get_bytes(bucket, prefix + "staticfiles.json"))
    for name, hashed in m["paths"].items():
        assert prefix + hashed in listed, f"live manifest names missing {hashed}"
        body = s3.get_bytes(bucket, prefix + hashed, size=listed[prefix + hashed])
        assert hashed.split(".")[-2] == hashlib.md5(body).hexdigest()[:12], hashed
    return m["paths"]


# ------------------------------------------------------------------ the five commands


class Case:
    """One command on one bucket: prepare() (fault-free), go() (the run under
    faults), check() (the exact expected content), and a key a 100% fault
    can be aimed at."""

    def __init__(self, s3, env, tmp_path, bucket):
        self.s3, self.env, self.tmp, self.bucket = s3, env, tmp_path, bucket


class Upload(Case):
    """upload: new and changed files, a multipart file, and a header-only
    change of robots.txt and the logo (a metadata CopyObject each)."""

    prefix = "up/"
    rules = '[headers "robots.txt"]\nx-amz-meta-note = {}\n[headers "img/*"]\nx-amz-meta-note = {}\n'

    def prepare(self):
        self.dist = self.tmp / "dist"
        make_dist(self.dist)
        (self.tmp / "cdnpipe.ini").write_text(self.rules.format("one", "one"))
        p = run(self.env, "upload", self.dist, f"s3://{self.bucket}/up", *MP, cwd=self.tmp)
        assert p.returncode == 0, p.stderr
        self.s3.reset()
        shutil.rmtree(self.dist)
        self.files = make_dist(self.dist, extra={
            "media/big.bin": big_bytes(BIG, b"u"),
            "js/more.js": b"var more = 1;\n" * 50,
        })
        (self.tmp / "cdnpipe.ini").write_text(self.rules.format("two", "two"))
        self.target_key = "up/" + json.loads(self.files["staticfiles.json"])["paths"]["js/more.js"]

    def go(self, *extra):
        return run(self.env, "upload", self.dist, f"s3://{self.bucket}/up", *MP, *extra,
                   cwd=self.tmp)

    def check(self):
        want = dict(self.files)
        # the first run's files stay (upload deletes nothing): the old big one
        # was not there, the old hashed names of unchanged files are the same
        check_keys(self.s3, self.bucket, self.prefix, want, exact=False)
        c = self.s3.client(direct=True)
        for k in ("robots.txt", json.loads(self.files["staticfiles.json"])["paths"]["img/logo.png"]):
            assert c.head_object(Bucket=self.bucket, Key="up/" + k)["Metadata"].get("note") \
                == "two", k
        live_manifest_complete(self.s3, self.bucket, self.prefix)


class Deploy(Case):
    """deploy: a build of the fixture site plus a multipart file, over an
    earlier deploy of the site as it was."""

    prefix = "static/"

    def prepare(self):
        self.src = self.tmp / "site"
        shutil.copytree(SITE, self.src)
        p = run(self.env, "deploy", "--exclude", "*.scss", self.src,
                f"s3://{self.bucket}/static", *MP, cwd=self.tmp)
        assert p.returncode == 0, p.stderr
        self.s3.reset()
        with open(self.src / "css" / "app.css", "a") as f:
            f.write("\n.faults { color: blue; }\n")
        (self.src / "media").mkdir()
        self.big = big_bytes(BIG, b"d")
        (self.src / "media" / "big.bin").write_bytes(self.big)

    def go(self, *extra):
        return run(self.env, "deploy", "--exclude", "*.scss", self.src,
                   f"s3://{self.bucket}/static", *MP, *extra, cwd=self.tmp)

    def check(self):
        paths = live_manifest_complete(self.s3, self.bucket, self.prefix)
        assert paths is not None
        assert set(paths) == {"css/app.css", "css/base.css", "js/app.js", "img/logo.png",
                              "img/paper.png", "media/big.bin"}
        assert b".faults" in self.s3.get_bytes(self.bucket, self.prefix + paths["css/app.css"])
        # every key exactly as the same deploy without faults writes it to a folder
        ref = self.tmp / "ref"
        p = run(self.env, "deploy", "--exclude", "*.scss", self.src, f"file://{ref}",
                cwd=self.tmp)
        assert p.returncode == 0, p.stderr
        want = {k: v for k, v in local_files(ref).items() if not k.startswith(".cdnpipe/")}
        assert len(want) > 10 and want["media/big.bin"] == self.big
        check_keys(self.s3, self.bucket, self.prefix, want, exact=False)

    @property
    def target_key(self):
        return None  # the fingerprinted name is known after the build: aimed by match


def sync_tree(root, salt):
    files = {f"f{i:02d}.txt": b"file %d %s\n" % (i, salt) * (20 + i) for i in range(8)}
    files["deep/er/x.css"] = b"a{color:red}" * 40
    files["media/big.bin"] = big_bytes(BIG, salt)
    for k, v in files.items():
        p = root / k
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(v)
    return files


def put_tree(s3, bucket, prefix, files):
    c = s3.client(direct=True)
    for k, v in files.items():
        c.put_object(Bucket=bucket, Key=prefix + k, Body=v)
    for k, v in files.items():
        s3.wait_settled(bucket, prefix + k, size=len(v))


class SyncUp(Case):
    """sync local -> S3: new files, a changed one, a multipart file, and a
    stale object deleted (--delete)."""

    prefix = "m/"
    target_key = "m/f03.txt"

    def prepare(self):
        self.src = self.tmp / "src"
        self.files = sync_tree(self.src, b"up")
        put_tree(self.s3, self.bucket, "m/", {"f01.txt": b"old", "gone.txt": b"stale"})

    def go(self, *extra):
        return run(self.env, "sync", self.src, f"s3://{self.bucket}/m", "--delete", "--force",
                   *MP, "--part-size", "5M", "--no-progress", *extra)

    def check(self):
        check_keys(self.s3, self.bucket, self.prefix, self.files)


class SyncDown(Case):
    """sync S3 -> local: new files, a changed one, a multipart-sized object,
    and a stale file deleted."""

    target_key = "m/f03.txt"

    def prepare(self):
        self.files = sync_tree(self.tmp / "tree", b"down")
        put_tree(self.s3, self.bucket, "m/", self.files)
        self.dst = self.tmp / "dst"
        self.dst.mkdir()
        (self.dst / "f01.txt").write_bytes(b"old")
        (self.dst / "gone.txt").write_bytes(b"stale")

    def go(self, *extra):
        return run(self.env, "sync", f"s3://{self.bucket}/m", self.dst, "--delete", "--force",
                   *MP, "--part-size", "5M", "--no-progress", *extra)

    def check(self):
        assert local_files(self.dst) == self.files


class SyncS3(Case):
    """sync S3 -> S3 on one endpoint: CopyObject of each key, the multipart-
    sized one included, and a stale object deleted."""

    prefix = "b/"
    target_key = "b/f03.txt"

    def prepare(self):
        self.files = sync_tree(self.tmp / "tree", b"s3")
        put_tree(self.s3, self.bucket, "a/", self.files)
        put_tree(self.s3, self.bucket, "b/", {"f01.txt": b"old", "gone.txt": b"stale"})

    def go(self, *extra):
        return run(self.env, "sync", f"s3://{self.bucket}/a", f"s3://{self.bucket}/b",
                   "--delete", "--force", *MP, "--part-size", "5M", "--no-progress", *extra)

    def check(self):
        check_keys(self.s3, self.bucket, self.prefix, self.files)
        assert self.s3.proxy.count(op="CopyObject") + self.s3.proxy.count(op="UploadPartCopy") \
            >= len(self.files)


CASES = {"deploy": Deploy, "upload": Upload, "sync-up": SyncUp, "sync-down": SyncDown,
         "sync-s3": SyncS3}


def make_case(cmd, s3, cdnpipe_env, tmp_path, tag):
    case = CASES[cmd](s3, fault_env(cdnpipe_env), tmp_path, bucket_for(s3, f"f-{tag}"))
    case.prepare()
    s3.reset()
    return case


# ------------------------------------------------------------------ 1. 20%: ends right


# a download sends no CompleteMultipartUpload and no CopyObject: no error-200 there
MATRIX = [(c, m) for c in COMMANDS for m in MODES if (c, m) != ("sync-down", "error-200")]


@pytest.mark.parametrize("cmd,mode", MATRIX)
def test_faults_at_20_percent_end_right(s3, cdnpipe_env, tmp_path, cmd, mode):
    case = make_case(cmd, s3, cdnpipe_env, tmp_path, f"{cmd}-{mode}")
    rule = inject(s3, mode, 0.2)
    p = case.go("--retries", "8", "--concurrency", "4")
    s3.proxy.clear_faults()
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr[-3000:])
    assert rule.hits > 0, "no fault was injected"
    case.check()
    no_open_uploads(s3)


# ------------------------------------------------------------------ 2. 100%: fails cleanly

# what stderr must say for each mode (beside the key)
SAYS = {
    "503": r"SlowDown|503", "500": r"InternalError|500", "429": r"429|SlowDown",
    "reset": r"[Cc]onnection reset", "reset-after-body": r"[Cc]onnection reset",
    "reset-after": r"[Cc]onnection reset",
    "cut": r"transfer closed|partial|[Cc]onnection closed|cut short",
    "stall": r"[Tt]imeout|timed out|too slow",
    "length-long": r"transfer closed|bytes remaining|partial",
    "length-short": r"incomplete|short|[Ss]ize|MD5|mismatch|not a \w+ document|InvalidResponse",
    "error-200": r"InternalError",
}


def fails_cleanly(case, p, mode, key, resumable=False):
    s3 = case.s3
    s3.proxy.clear_faults()
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr[-3000:])
    assert re.search(SAYS[mode], p.stderr), (mode, p.stderr[-3000:])
    assert key in p.stderr, (key, p.stderr[-3000:])
    if not resumable:
        no_open_uploads(s3)


def aimed_at(key):
    return lambda r: r.key == key


def deploy_asset(name):
    """A deploy's fingerprinted key of `name` (not known before the build)."""
    stem, ext = os.path.splitext(name)
    pat = re.compile(re.escape("static/" + stem) + r"\.[0-9a-f]{12}" + re.escape(ext) + "$")
    return lambda r: bool(pat.match(r.key))


def persistent(case, mode, **kw):
    return inject(case.s3, mode, 1.0, **kw)


@pytest.mark.parametrize("mode,op", [("503", "PutObject"), ("reset-after-body", "PutObject"),
                                     ("stall", "PutObject"), ("429", "UploadPart")])
def test_deploy_persistent_fault_keeps_the_old_release_live(s3, cdnpipe_env, tmp_path, mode, op):
    case = make_case("deploy", s3, cdnpipe_env, tmp_path, f"p-deploy-{mode}")
    before = live_manifest_complete(s3, case.bucket, "static/")
    name = "media/big.bin" if op == "UploadPart" else "css/app.css"
    persistent(case, mode, op=op, match=deploy_asset(name))
    p = case.go("--retries", "1")
    fails_cleanly(case, p, mode, os.path.splitext(name)[0] + ".")  # css/app.<hash>.css
    # the previous release is still the live one, and complete
    assert live_manifest_complete(s3, case.bucket, "static/") == before
    if op == "UploadPart":
        assert s3.proxy.aborted


@pytest.mark.parametrize("mode,op", [("500", "UploadPart"), ("error-200", "CompleteMultipartUpload"),
                                     ("error-200", "CopyObject"), ("cut", "CopyObject"),
                                     ("length-long", "PutObject"), ("reset", "PutObject")])
def test_upload_persistent_fault_publishes_no_manifest(s3, cdnpipe_env, tmp_path, mode, op):
    case = make_case("upload", s3, cdnpipe_env, tmp_path, f"p-upload-{mode}-{op}")
    before = live_manifest_complete(s3, case.bucket, "up/")
    key = {"UploadPart": "up/media/big.bin", "CompleteMultipartUpload": "up/media/big.bin",
           "CopyObject": "up/robots.txt", "PutObject": case.target_key}[op]
    persistent(case, mode, op=op, match=lambda r: r.key.startswith(key))
    p = case.go("--retries", "1")
    fails_cleanly(case, p, mode, key[len("up/"):])
    assert live_manifest_complete(s3, case.bucket, "up/") == before
    if op in ("UploadPart", "CompleteMultipartUpload"):
        assert s3.proxy.aborted


@pytest.mark.parametrize("mode,op", [("503", "CompleteMultipartUpload"),
                                     ("reset-after-body", "UploadPart"),
                                     ("stall", "UploadPart"), ("reset", "PutObject"),
                                     ("length-long", "PutObject")])
def test_sync_up_persistent_fault(s3, cdnpipe_env, tmp_path, mode, op):
    case = make_case("sync-up", s3, cdnpipe_env, tmp_path, f"p-up-{mode}-{op}")
    key = "m/media/big.bin" if "Upload" in op else case.target_key
    persistent(case, mode, op=op, key=key)
    p = case.go("--retries", "1")
    # sync names the key under the prefix; it keeps a multipart upload it
    # could not finish in its journal, to resume it on the next run
    fails_cleanly(case, p, mode, key[len("m/"):], resumable=True)
    left = s3.proxy.open_uploads()
    assert all(k == "m/media/big.bin" for _, k, _ in left), left
    # nothing deleted on a failed run
    assert "m/gone.txt" in s3.list_keys(case.bucket, "m/")
    # the next run, without faults, resumes (or aborts) it: nothing is left
    # open to accumulate, and the content is right
    s3.reset()
    p = case.go()
    assert p.returncode == 0, p.stderr
    assert [u for _, _, u in left if u not in s3.proxy.completed | s3.proxy.aborted_ids] == []
    if left:
        assert s3.proxy.count(op="CreateMultipartUpload") == 0  # resumed, not restarted
    no_open_uploads(s3)
    case.check()


@pytest.mark.parametrize("mode", ["cut", "length-short", "length-long", "reset-after-body",
                                  "500"])
def test_sync_down_persistent_fault(s3, cdnpipe_env, tmp_path, mode):
    case = make_case("sync-down", s3, cdnpipe_env, tmp_path, f"p-down-{mode}")
    persistent(case, mode, op="GetObject", key=case.target_key)
    p = case.go("--retries", "1")
    fails_cleanly(case, p, mode, case.target_key[len("m/"):])
    got = local_files(case.dst)
    assert "f03.txt" not in got  # no partial file under the key's name
    assert not [k for k in got if k not in case.files and k not in ("f01.txt", "gone.txt")], \
        sorted(got)  # no temporary left
    assert got["gone.txt"] == b"stale"  # nothing deleted on a failed run


@pytest.mark.parametrize("mode", ["error-200", "503", "cut", "length-short"])
def test_sync_s3_persistent_copy_fault(s3, cdnpipe_env, tmp_path, mode):
    case = make_case("sync-s3", s3, cdnpipe_env, tmp_path, f"p-s3-{mode}")
    persistent(case, mode, op="CopyObject", key=case.target_key)
    p = case.go("--retries", "1")
    fails_cleanly(case, p, mode, case.target_key[len("b/"):])
    assert "b/gone.txt" in s3.list_keys(case.bucket, "b/")


def test_trickle_everywhere_is_slow_not_broken(s3, cdnpipe_env, tmp_path):
    """1 KB/s on every answer (the big object's GET aside): still exit 0."""
    case = make_case("sync-down", s3, cdnpipe_env, tmp_path, "p-trickle")
    rule = inject(s3, "trickle", 1.0)
    p = case.go("--retries", "1")
    s3.proxy.clear_faults()
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr[-3000:])
    assert rule.hits >= len(case.files)
    case.check()
