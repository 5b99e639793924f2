"""`cdnpipe sync` at scale: the synthetic listing server (synthlist.py), the
order the planner relies on, and shards (issue 17).

The server is checked against a brute-force listing of the same key space
first: a benchmark against a wrong server would measure nothing.
"""
import json
import subprocess

import pytest

from conftest import BINARY
from synthlist import SynthList


def run(env, *args, timeout=120):
    return subprocess.run([BINARY, *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def synth():
    started = []

    def start(count, **kw):
        s = SynthList(count, **kw).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def brute(keys, prefix, delim):
    """What S3 answers for prefix/delimiter over keys, all pages together."""
    out, cps = [], []
    for k in sorted(keys, key=lambda k: k.encode()):
        if not k.startswith(prefix):
            continue
        rest = k[len(prefix):]
        if delim and delim in rest:
            cp = prefix + rest[:rest.index(delim) + 1]
            if not cps or cps[-1] != cp:
                cps.append(cp)
                out.append(("P", cp))
        else:
            out.append(("K", k))
    return out


def paged(s, prefix, delim, max_keys):
    out, token = [], None
    while True:
        keys, cps, token = s.list_page(prefix, delim, token, "", max_keys)
        # one page: its keys and prefixes, in key order together
        page = [("K", s.key(i)) for i in keys] + [("P", c) for c in cps]
        out += sorted(page, key=lambda e: e[1].encode())
        if not token:
            return out


@pytest.mark.parametrize("folders", [True, False])
def test_synthlist_pages_are_s3s_answer(folders):
    s = SynthList(25000, seed=3, folders=folders)
    s.selfcheck(step=1)
    keys = s.keys(0, s.n)
    assert len(set(keys)) == len(keys)
    for prefix in ["", "m/", "m/d001/", "m/d002/05-", "m/d000/00-", "m/f0000"]:
        for delim in ["", "/"]:
            for mk in [1000, 7]:
                if mk == 7 and prefix in ("", "m/") and not delim:
                    continue  # 3,500 pages: the 1000-key case says it
                assert paged(s, prefix, delim, mk) == brute(keys, prefix, delim), \
                    (prefix, delim, mk)


def test_dry_run_over_synthlist_lists_every_key(synth, tmp_path):
    s = synth(12345, seed=5)
    (tmp_path / "empty").mkdir()
    p = run(s.env(tmp_path), "sync", "s3://bkt/m/", tmp_path / "empty", "--dry-run",
            "--json", "--no-progress")
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)
    assert [i["key"] for i in rep["items"]] == [k[2:] for k in s.keys(0, s.n)]
    assert all(i["action"] == "copy" and i["why"] == "missing" for i in rep["items"])
    assert [i["size"] for i in rep["items"]] == [s.size(i) for i in range(s.n)]
    assert s.count("ListObjectsV2") >= 13


# Keys that differ only around '-', '.', '/', case and non-ASCII: the local
# walk must give S3's order (UTF-8 bytes of the full key), or a merge of the
# two would call a key missing on one side.
ORDER_KEYS = ["a-b", "a.b", "a/b-c", "a/b.c", "a/b/c", "a/b0", "a0", "a b", "a!", "A", "Z",
              "a~", "ab", "e\u0301", "\u00e9.txt", "\u65e5/x", "\u65e5-y", "\uff01", "b/a-b/x",
              "b/a/x", "b/a.b", "b/a0/x", "c-/x", "c/x", "c.", "\U0001f600/x", "\ufffd"]


def test_local_walk_and_s3_listing_agree_on_order(tmp_path):
    from fakes3 import FakeS3
    fake = FakeS3().start()
    try:
        src = tmp_path / "src"
        for k in ORDER_KEYS:
            p = src / k
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(b"x")
            fake.put("bkt", "m/" + k, b"x")
        want = sorted(ORDER_KEYS, key=lambda k: k.encode())
        env = fake.env(tmp_path)
        up = run(env, "sync", src, "s3://bkt/empty/", "--dry-run", "--json", "--no-progress")
        assert up.returncode == 0, up.stderr
        assert [i["key"] for i in json.loads(up.stdout)["items"]] == want
        (tmp_path / "dst").mkdir()
        down = run(env, "sync", "s3://bkt/m/", tmp_path / "dst", "--dry-run", "--json",
                   "--no-progress")
        assert down.returncode == 0, down.stderr
        assert [i["key"] for i in json.loads(down.stdout)["items"]] == want
    finally:
        fake.stop()


def test_state_database_cached_then_corrupt_rebuilt(tmp_path):
    """The MD5 cache (SQLite): a second run hashes nothing; a damaged database
    is named, rebuilt and the files hashed again, never trusted."""
    import glob
    from fakes3 import FakeS3
    fake = FakeS3().start()
    try:
        src = tmp_path / "src"
        for i in range(50):
            p = src / ("d%d" % (i % 5)) / ("f%02d.txt" % i)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(b"x%d" % i)
        env = fake.env(tmp_path)
        args = ("sync", src, "s3://bkt/m/", "--json", "--no-progress")
        first = run(env, *args)
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["copied"] == 50
        again = json.loads(run(env, *args).stdout)
        assert again["skipped"] == 50 and again["hashed"] == 0
        dbs = glob.glob(str(tmp_path / "cdnpipe" / "sync-*.db"))
        assert len(dbs) == 1
        with open(dbs[0], "r+b") as f:
            f.seek(0)
            f.write(b"garbage, not a database" * 200)
        p = run(env, *args)
        assert p.returncode == 0, p.stderr
        assert "rebuilt" in p.stderr and dbs[0] in p.stderr
        rep = json.loads(p.stdout)
        assert rep["skipped"] == 50 and rep["hashed"] == 50
        rep = json.loads(run(env, *args).stdout)
        assert rep["skipped"] == 50 and rep["hashed"] == 0
    finally:
        fake.stop()
