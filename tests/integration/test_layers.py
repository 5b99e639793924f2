"""scripts/layers.py (make layers) can fail: on a prepared tree and prepared
`nm -A` text with a file cycle, a call into a higher folder and cmd/
including private headers; a clean tree passes.  One case compiles two tiny
objects with cc so the real `nm` path is covered too.  Hermetic: nothing here
reads the project's build/.
"""
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "layers.py")
ORDER = "lib syntax sourcemap asset minify fingerprint compress manifest pipeline upload"

_spec = importlib.util.spec_from_file_location("layers", SCRIPT)
layers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layers)

# A clean graph: cmd -> upload/publish -> upload/target -> upload/s3 -> lib,
# upload/sync -> upload/s3, syntax -> lib.
CLEAN_NM = """\
build/lib/buf.o:0000000000000000 T cp_buf_append
build/lib/buf.o:                 U malloc
build/syntax/js_lex.o:0000000000000000 T cp_js_next
build/syntax/js_lex.o:                 U cp_buf_append
build/syntax/js_lex_scan.o:0000000000000000 T cp_js__string
build/syntax/js_lex_scan.o:0000000000000010 t helper
build/upload/s3/s3_ops.o:0000000000000000 T cp_s3_put
build/upload/s3/s3_ops.o:                 U cp_buf_append
build/upload/target/target.o:0000000000000000 T cp_target_put
build/upload/target/target.o:                 U cp_s3_put
build/upload/publish/publish.o:0000000000000000 T cp_publish
build/upload/publish/publish.o:                 U cp_target_put
build/upload/sync/sync_run.o:0000000000000000 T cp_sync_run
build/upload/sync/sync_run.o:                 U cp_s3_put
build/cmd/main.o:0000000000000000 T main
build/cmd/main.o:                 U cp_publish
build/cmd/main.o:                 U cp_sync_run
build/cmd/main.o:                 U cp_js_next
"""

# The same plus: js_lex.c <-> js_lex_scan.c, and lib/ calling up into syntax/,
# and sync calling into target (siblings in upload/).
BAD_NM = CLEAN_NM + """\
build/syntax/js_lex.o:                 U cp_js__string
build/syntax/js_lex_scan.o:0000000000000020 T cp_js__fail
build/syntax/js_lex.o:0000000000000030 T cp_js__fail_helper
build/syntax/js_lex_scan.o:                 U cp_js__fail_helper
build/lib/log.o:0000000000000000 T cp_log
build/lib/log.o:                 U cp_js_next
build/upload/sync/sync_run.o:                 U cp_target_put
"""


def tree(tmp_path, cmd_includes):
    """A source tree: every public header (empty) and cmd/main.c."""
    for h in layers.PUBLIC.values():
        p = tmp_path / h
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    (tmp_path / "cmd").mkdir()
    (tmp_path / "cmd" / "cmd.h").write_text('#include "lib/cp.h"\n')
    (tmp_path / "cmd" / "main.c").write_text(
        "".join('#include "%s"\n' % h for h in cmd_includes) + "int main(void) { return 0; }\n")
    return tmp_path


def run(root, nm_text=None, objects=()):
    args = [sys.executable, SCRIPT, "--order", ORDER, "--root", str(root)]
    if nm_text is not None:
        nm = root / "nm.txt"
        nm.write_text(nm_text)
        args += ["--nm", str(nm)]
    args += [str(o) for o in objects]
    return subprocess.run(args, capture_output=True, text=True, cwd=str(root))


def problems(p):
    return [l for l in p.stderr.splitlines() if l.startswith("layers: ") and "problem(s)" not in l]


def test_clean_tree_passes(tmp_path):
    root = tree(tmp_path, ["cmd/cmd.h", "lib/cp.h", "upload/sync/sync.h", "syntax/syntax.h"])
    p = run(root, CLEAN_NM)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert p.stdout.startswith("layers: ok")


def test_cycle_upward_call_and_private_includes_fail(tmp_path):
    root = tree(tmp_path, ["cmd/cmd.h", "lib/cp.h", "syntax/js_lex_int.h",
                           "upload/s3/sigv4.h", "opts.h"])
    (root / "cmd" / "opts.h").write_text("")
    p = run(root, BAD_NM)
    assert p.returncode == 1, p.stderr
    got = problems(p)
    assert got == [
        "layers: cycle of 2 files: syntax/js_lex.c syntax/js_lex_scan.c: "
        "syntax/js_lex.c -> syntax/js_lex_scan.c (cp_js__string), "
        "syntax/js_lex_scan.c -> syntax/js_lex.c (cp_js__fail_helper)",
        "layers: lib/ calls into syntax/, which is not below it: "
        "lib/log.c -> syntax/js_lex.c (cp_js_next)",
        "layers: upload/sync/ calls into upload/target/, which is not below it: "
        "upload/sync/sync_run.c -> upload/target/target.c (cp_target_put)",
        "layers: cmd/main.c:3 includes syntax/js_lex_int.h, a private header (*_int.h/*_impl.h)",
        "layers: cmd/main.c:4 includes upload/s3/sigv4.h, which is not a public header "
        "(PUBLIC in scripts/layers.py)",
    ], p.stderr
    assert "layers: 5 problem(s)" in p.stderr


def test_every_scc_and_every_edge_in_it(tmp_path):
    nm = """\
build/upload/target/target.o:0000000000000000 T cp_remote_list_add
build/upload/target/target.o:                 U cp_target_file_open
build/upload/target/target.o:                 U cp_target_s3_open
build/upload/target/target_file.o:0000000000000000 T cp_target_file_open
build/upload/target/target_file.o:                 U cp_remote_list_add
build/upload/target/target_s3.o:0000000000000000 T cp_target_s3_open
build/upload/target/target_s3.o:                 U cp_remote_list_add
"""
    p = run(tree(tmp_path, []), nm)
    assert p.returncode == 1
    assert problems(p) == [
        "layers: cycle of 3 files: upload/target/target.c upload/target/target_file.c "
        "upload/target/target_s3.c: "
        "upload/target/target.c -> upload/target/target_file.c (cp_target_file_open), "
        "upload/target/target.c -> upload/target/target_s3.c (cp_target_s3_open), "
        "upload/target/target_file.c -> upload/target/target.c (cp_remote_list_add), "
        "upload/target/target_s3.c -> upload/target/target.c (cp_remote_list_add)"]


def test_folder_in_no_layer_fails(tmp_path):
    nm = CLEAN_NM + "build/upload/cdn/purge.o:0000000000000000 T cp_purge\n" \
                    "build/extra/x.o:0000000000000000 T cp_x\n"
    p = run(tree(tmp_path, []), nm)
    assert p.returncode == 1
    got = problems(p)
    assert len(got) == 2, got
    assert got[0].startswith("layers: extra/x.c is in no layer")
    assert got[1].startswith("layers: upload/cdn/purge.c is in no layer")


def test_public_table_is_checked(tmp_path):
    root = tree(tmp_path, [])
    os.remove(root / "upload" / "sync" / "sync.h")
    p = run(root, CLEAN_NM)
    assert p.returncode == 1
    assert problems(p) == ["layers: scripts/layers.py lists upload/sync/sync.h as public, "
                           "but it does not exist"]


@pytest.mark.skipif(not (shutil.which("cc") and shutil.which("nm")), reason="needs cc and nm")
def test_real_objects_with_a_cycle(tmp_path):
    root = tree(tmp_path, [])
    srcs = {"syntax/a.c": "void b(void); void a(void) { b(); }\n",
            "syntax/b.c": "void a(void); void b(void) { a(); }\n"}
    objs = []
    for src, text in srcs.items():
        (root / src).write_text(text)
        obj = root / "build" / src.replace(".c", ".o")
        obj.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cc", "-c", str(root / src), "-o", str(obj)], check=True)
        objs.append(os.path.relpath(obj, root))
    p = run(root, objects=objs)
    assert p.returncode == 1, p.stderr
    assert problems(p) == ["layers: cycle of 2 files: syntax/a.c syntax/b.c: "
                           "syntax/a.c -> syntax/b.c (b), syntax/b.c -> syntax/a.c (a)"]
