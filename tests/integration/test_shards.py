"""`cdnpipe sync --shard auto`: the shard from the engine running it (issue 17).

A Kubernetes Indexed Job sets JOB_COMPLETION_INDEX (0-based); a GitHub
Actions matrix job passes strategy.job-index / job-total as
CDNPIPE_SHARD_INDEX / CDNPIPE_SHARDS.  Index K runs shard K + 1 of N (the
README's --shard I/N is 1-based).  Against fakes3, so every PUT and DELETE is
counted: the shards of 10,000 keys are disjoint and complete for N = 1..7 (from
the dry-run plans), one real N = 3 run puts every key exactly once, and an
auto shard keeps the delete guards of --shard I/N.
"""
import collections
import json
import os
import subprocess

import pytest

from conftest import BINARY
from fakes3 import fake  # noqa: F401 (the fixture)

SHARD_VARS = ("JOB_COMPLETION_INDEX", "CDNPIPE_SHARD_INDEX", "CDNPIPE_SHARDS")
NKEYS = 10000


def run(env, *args, cwd=None, check=None, timeout=300, **shard_env):
    """cdnpipe with env plus shard_env; no shard variable of the host leaks in."""
    e = {k: v for k, v in env.items() if k not in SHARD_VARS}
    e.update(shard_env)
    p = subprocess.run([BINARY, *map(str, args)], env=e, cwd=cwd, capture_output=True,
                       text=True, timeout=timeout)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    return p


def key(i):
    # Folders of different depths and sizes, spaces and non-ASCII.
    return f"media/{i % 13}/{i % 7}/photo {i} é.jpg" if i % 3 else f"top{i}.bin"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A local folder of NKEYS tiny files; {key: body}."""
    root = tmp_path_factory.mktemp("shards") / "src"
    files = {}
    for i in range(NKEYS):
        k, body = key(i), b"%d" % i
        p = root / k
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(body)
        files[k] = body
    return root, files


def fill_destination(f, files):
    """Half the source keys with another size (so they are copied without
    hashing) and 200 keys the source lacks (deleted): the plans hold every
    key of both kinds, and the deletes stay within the guards."""
    for i, k in enumerate(sorted(files)):
        if i % 2:
            f.put("bkt", "dst/" + k, b"old bytes " + files[k])
    gone = {f"gone/{i}.txt" for i in range(200)}
    for k in gone:
        f.put("bkt", "dst/" + k, b"gone")
    return gone


def plan(env, src, **shard_env):
    p = run(env, "sync", src, "s3://bkt/dst", "--delete", "--dry-run", "--json",
            "--no-progress", "--shard", shard_env.pop("spec", "auto"), check=0, **shard_env)
    rep = json.loads(p.stdout)
    out = collections.defaultdict(list)
    for it in rep["items"]:
        assert not it["failed"], it
        out[it["action"]].append(it["key"])
    return out


# ---- disjoint and complete ------------------------------------------------

def test_auto_shards_are_disjoint_and_complete(fake, tree, tmp_path):
    src, files = tree
    f = fake()
    gone = fill_destination(f, files)
    env = f.env(tmp_path)
    for n in range(1, 8):
        copies, deletes = collections.Counter(), collections.Counter()
        for k in range(n):
            # Kubernetes for the even shards, the GitHub variables for the odd
            # ones: the two engines split the keys alike.
            shard_env = ({"JOB_COMPLETION_INDEX": str(k), "spec": f"auto/{n}"} if k % 2 == 0
                         else {"CDNPIPE_SHARD_INDEX": str(k), "CDNPIPE_SHARDS": str(n)})
            p = plan(env, src, **shard_env)
            assert p["copy"], (n, k)  # no shard is empty
            assert set(p) <= {"copy", "delete"}, set(p)
            copies.update(p["copy"])
            deletes.update(p["delete"])
        assert set(copies) == set(files) and max(copies.values()) == 1, n
        assert set(deletes) == gone and max(deletes.values()) == 1, n
    assert f.count("PutObject") == 0 and f.count("DeleteObjects") == 0


def test_index_k_is_shard_k_plus_1(fake, tree, tmp_path):
    """The 0-based index of the engine maps onto the 1-based --shard I/N."""
    src, files = tree
    f = fake()
    env = f.env(tmp_path)
    for k in range(3):
        auto = plan(env, src, JOB_COMPLETION_INDEX=str(k), spec="auto/3")
        gh = plan(env, src, CDNPIPE_SHARD_INDEX=str(k), CDNPIPE_SHARDS="3")
        explicit = plan(env, src, spec=f"{k + 1}/3")
        assert set(auto["copy"]) and set(auto) == {"copy"}
        assert set(auto["copy"]) == set(gh["copy"]) == set(explicit["copy"])


def test_real_n3_run_puts_every_key_once(fake, tree, tmp_path):
    src, files = tree
    f = fake()
    gone = fill_destination(f, files)
    env = f.env(tmp_path)
    for k in range(3):
        p = run(env, "sync", src, "s3://bkt/dst", "--delete", "--shard", "auto/3",
                "--no-progress", "-v", check=0, JOB_COMPLETION_INDEX=str(k))
        assert f"shard {k + 1} of 3 (JOB_COMPLETION_INDEX={k}" in p.stderr, p.stderr[-2000:]
    puts = collections.Counter(e[3] for e in f.log if e[0] == "PutObject")
    assert set(puts) == {"dst/" + k for k in files} and max(puts.values()) == 1
    assert {k: o.body for k, o in f.objects("bkt").items()} == \
        {"dst/" + k: v for k, v in files.items()}
    assert not any(("dst/" + g) in f.objects("bkt") for g in gone)


# ---- the delete guards hold for auto shards ----------------------------------

@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize("engine", ["kubernetes", "github"])
def test_auto_shard_of_an_emptied_source_deletes_nothing(fake, tmp_path, index, engine):
    f = fake()
    for i in range(60):
        f.put("bkt", "big/o%03d.bin" % i, b"%d" % i)
    empty = tmp_path / "emptysrc"
    empty.mkdir()
    shard_env = ({"JOB_COMPLETION_INDEX": str(index)} if engine == "kubernetes"
                 else {"CDNPIPE_SHARD_INDEX": str(index), "CDNPIPE_SHARDS": "3"})
    spec = "auto/3" if engine == "kubernetes" else "auto"
    for extra in ([], ["--dry-run"]):
        p = run(f.env(tmp_path), "sync", empty, "s3://bkt/big", "--delete", "--shard", spec,
                "--no-progress", *extra, check=1, **shard_env)
        assert "more than half" in p.stderr and "3 shards" in p.stderr, p.stderr
    assert len(f.objects("bkt")) == 60
    assert f.count("DeleteObjects") == 0 and f.count("DeleteObject") == 0


# ---- usage errors (exit 2, nothing sent) ---------------------------------------

ERRORS = [
    ("no index", "auto/3", {}, "no shard index"),
    ("no index, GitHub count only", "auto", {"CDNPIPE_SHARDS": "3"}, "no shard index"),
    ("no count", "auto", {"JOB_COMPLETION_INDEX": "0"}, "no shard count"),
    ("no count, GitHub index only", "auto", {"CDNPIPE_SHARD_INDEX": "1"}, "no shard count"),
    ("index not a number", "auto/3", {"JOB_COMPLETION_INDEX": "one"}, "not a shard index"),
    ("index empty", "auto/3", {"CDNPIPE_SHARD_INDEX": ""}, "not a shard index"),
    ("index negative", "auto/3", {"JOB_COMPLETION_INDEX": "-1"}, "not a shard index"),
    ("index = count", "auto/3", {"JOB_COMPLETION_INDEX": "3"}, "not below the 3 shards"),
    ("index > count", "auto", {"CDNPIPE_SHARD_INDEX": "7", "CDNPIPE_SHARDS": "4"},
     "not below the 4 shards"),
    ("N and CDNPIPE_SHARDS disagree", "auto/3",
     {"JOB_COMPLETION_INDEX": "0", "CDNPIPE_SHARDS": "4"}, "disagree"),
    ("two indexes disagree", "auto/3",
     {"JOB_COMPLETION_INDEX": "0", "CDNPIPE_SHARD_INDEX": "1"}, "disagree"),
    ("count not a number", "auto", {"JOB_COMPLETION_INDEX": "0", "CDNPIPE_SHARDS": "x"},
     "CDNPIPE_SHARDS"),
    ("count zero", "auto/0", {"JOB_COMPLETION_INDEX": "0"}, "auto/N"),
    ("count not a number in the flag", "auto/three", {"JOB_COMPLETION_INDEX": "0"}, "auto/N"),
    ("a typo", "automatic", {"JOB_COMPLETION_INDEX": "0"}, "--shard wants"),
]


@pytest.mark.parametrize("spec,shard_env,says", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_auto_usage_errors(fake, tmp_path, spec, shard_env, says):
    f = fake()
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"a")
    p = run(f.env(tmp_path), "sync", src, "s3://bkt/p", "--shard", spec, "--no-progress",
            check=2, **shard_env)
    assert says in p.stderr and "--shard" in p.stderr, p.stderr
    assert f.count() == 0


# ---- from cdnpipe.ini ------------------------------------------------------

def test_shard_auto_from_the_config_file(fake, tmp_path):
    f = fake()
    src = tmp_path / "src"
    for i in range(40):
        (src / "d").mkdir(parents=True, exist_ok=True)
        (src / "d" / f"{i}.txt").write_bytes(b"%d" % i)
    (tmp_path / "cdnpipe.ini").write_text("[sync]\nshard = auto/2\n")
    env = f.env(tmp_path)
    seen = collections.Counter()
    for k in range(2):
        p = run(env, "sync", src, "s3://bkt/p", "--no-progress", "-v", cwd=tmp_path, check=0,
                JOB_COMPLETION_INDEX=str(k))
        assert f"shard {k + 1} of 2" in p.stderr, p.stderr
    seen.update(e[3] for e in f.log if e[0] == "PutObject")
    assert len(seen) == 40 and max(seen.values()) == 1
    p = run(env, "sync", src, "s3://bkt/p", "--no-progress", cwd=tmp_path, check=2)
    assert "no shard index" in p.stderr
