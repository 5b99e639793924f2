"""test262-parser-tests through the JS minifier, checked with acorn.

For every file of pass/ and pass-explicit/ the minified output must parse
(script or module as the file name says) to the same AST as the original,
positions and raw spellings aside; minifying the output again must change
nothing.  For fail/ and early/ the minifier must not crash or hang (an error
message is fine).  One minifier process (tests/integration/js/jsmin.c, built
against build/libcdnpipe.a) and one node process handle all files.
"""
import json
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
T262 = os.path.join(ROOT, "tools", "node", "node_modules", "test262-parser-tests")
JSDIR = os.path.join(ROOT, "tests", "integration", "js")

# Files whose output may differ from the original, each with its reason.
# (Empty: every pass/ and pass-explicit/ file currently round-trips.)
ALLOWED = {}

pytestmark = pytest.mark.skipif(not os.path.isdir(T262), reason="test262-parser-tests not installed")


@pytest.fixture(scope="module")
def jsmin(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("bin") / "jsmin")
    libs = subprocess.run(["pkg-config", "--libs", "jansson", "libcrypto", "zlib"],
                          capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["make", "-s", "-C", ROOT, "build/libcdnpipe.a"], check=True)
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-I", ROOT, "-o", out,
                    os.path.join(JSDIR, "jsmin.c"), os.path.join(ROOT, "build", "libcdnpipe.a")]
                   + libs + ["-pthread"], check=True)
    return out


def files(sub):
    d = os.path.join(T262, sub)
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".js"))


def run_jsmin(jsmin, outdir, paths):
    r = subprocess.run([jsmin, str(outdir)] + paths, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    status = {}
    for line in r.stdout.splitlines():
        kind, rest = line.split(" ", 1)
        status[rest.split(":", 1)[0]] = (kind, rest)
    assert len(status) == len(paths)
    return status


def test_pass_files_keep_their_ast(jsmin, tmp_path):
    listing, problems, total = [], {}, 0
    for sub in ("pass", "pass-explicit"):
        paths = files(sub)
        total += len(paths)
        outdir = tmp_path / sub
        outdir.mkdir()
        status = run_jsmin(jsmin, outdir, paths)
        for p in paths:
            name = os.path.basename(p)
            kind, rest = status[name]
            if kind != "ok":
                problems[sub + "/" + name] = rest
                continue
            goal = "module" if name.endswith(".module.js") else "script"
            listing.append("%s\t%s\t%s" % (p, outdir / name, goal))
    lst = tmp_path / "list.txt"
    lst.write_text("\n".join(listing) + "\n")
    r = subprocess.run(["node", os.path.join(JSDIR, "ast_compare.js"), str(lst)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    problems.update(res["fail"])
    print("test262 pass/ + pass-explicit/: %d of %d round-trip through acorn (%d skipped: %s)"
          % (len(res["ok"]), total, len(res["skip"]), sorted(res["skip"])[:5]))
    unexpected = {k: v for k, v in problems.items() if k.split("/")[-1] not in ALLOWED}
    assert not unexpected, unexpected
    assert len(res["ok"]) + len(problems) + len(res["skip"]) == total


def test_fail_and_early_files_do_not_crash(jsmin, tmp_path):
    n = errors = 0
    for sub in ("fail", "early"):
        paths = files(sub)
        (tmp_path / sub).mkdir()
        status = run_jsmin(jsmin, tmp_path / sub, paths)  # a crash or hang fails here
        n += len(paths)
        errors += sum(1 for k, _ in status.values() if k == "error")
    print("test262 fail/ + early/: %d files, %d lexical errors reported" % (n, errors))
