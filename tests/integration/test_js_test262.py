"""test262-parser-tests through `cdnpipe minify`, checked with acorn.

For every file of pass/ and pass-explicit/ the minified output must parse
(script or module as the file name says) to the same AST as the original,
positions and raw spellings aside, and minifying the output again must change
nothing.  For fail/ and early/ cdnpipe must not crash or hang (an error
message is fine).  One cdnpipe run per folder and one node process for all
the comparisons keep this to seconds.  Module tests (*.module.js) are given
to cdnpipe as .mjs, which is how it tells a module from a script.
"""
import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CDNPIPE = os.path.join(ROOT, "build", "cdnpipe")
T262 = os.path.join(ROOT, "tools", "node", "node_modules", "test262-parser-tests")
COMPARE = os.path.join(ROOT, "tests", "integration", "js", "ast_compare.js")

# Files whose output may differ from the original, each with its reason.
# Empty: every pass/ and pass-explicit/ file currently round-trips.
ALLOWED = {}


@pytest.fixture(autouse=True)
def _installed():
    # make check installs it first: missing means a broken install step, not a skip
    assert os.path.isdir(T262), "test262-parser-tests missing: run scripts/install-deps.sh check"


def stage(sub, dest):
    """Copies sub/*.js to dest (module tests as .mjs); returns [(orig, staged name, goal)]."""
    os.makedirs(dest)
    out = []
    src = os.path.join(T262, sub)
    for f in sorted(os.listdir(src)):
        if not f.endswith(".js"):
            continue
        module = f.endswith(".module.js")
        name = f[:-3] + ".mjs" if module else f
        shutil.copyfile(os.path.join(src, f), os.path.join(dest, name))
        out.append((os.path.join(src, f), name, "module" if module else "script"))
    return out


def minify_dir(src, dst, names, may_fail=False):
    r = subprocess.run([CDNPIPE, "minify", "-q"] + [os.path.join(src, n) for n in names]
                       + ["-o", dst + "/"], capture_output=True, text=True, timeout=300)
    assert r.returncode >= 0, "cdnpipe crashed (signal %d): %s" % (-r.returncode, r.stderr[-2000:])
    assert r.returncode in ((0, 1) if may_fail else (0,)), r.stderr[-2000:]
    return r


def test_pass_files_keep_their_ast(tmp_path):
    listing, problems, total = [], {}, 0
    for sub in ("pass", "pass-explicit"):
        files = stage(sub, str(tmp_path / sub / "in"))
        total += len(files)
        names = [n for _, n, _ in files]
        out, again = str(tmp_path / sub / "out"), str(tmp_path / sub / "again")
        minify_dir(str(tmp_path / sub / "in"), out, names)
        minify_dir(out, again, names)
        for orig, name, goal in files:
            a = open(os.path.join(out, name), "rb").read()
            if a != open(os.path.join(again, name), "rb").read():
                problems[sub + "/" + os.path.basename(orig)] = "not idempotent"
            listing.append("%s\t%s\t%s" % (orig, os.path.join(out, name), goal))
    lst = tmp_path / "list.txt"
    lst.write_text("\n".join(listing) + "\n")
    r = subprocess.run(["node", COMPARE, str(lst)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    problems.update(res["fail"])
    print("\ntest262 pass/ + pass-explicit/: %d of %d files round-trip through acorn "
          "(%d skipped because acorn rejects the original: %s)"
          % (len(res["ok"]), total, len(res["skip"]), sorted(res["skip"])[:5]))
    unexpected = {k: v for k, v in problems.items() if k.split("/")[-1] not in ALLOWED}
    assert not unexpected, unexpected
    assert len(res["ok"]) + len(res["fail"]) + len(res["skip"]) == total


def test_fail_and_early_files_do_not_crash(tmp_path):
    n = errors = 0
    for sub in ("fail", "early"):
        files = stage(sub, str(tmp_path / sub / "in"))
        r = minify_dir(str(tmp_path / sub / "in"), str(tmp_path / sub / "out"),
                       [nm for _, nm, _ in files], may_fail=True)
        n += len(files)
        errors += r.stderr.count("\n")
    print("\ntest262 fail/ + early/: %d files, none crashed or hung, %d error lines" % (n, errors))
