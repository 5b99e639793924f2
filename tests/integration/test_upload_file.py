"""cdnpipe upload to a file:// target: the folder must hold exactly what the
bucket would (same keys, same bytes), appear atomically, get the manifest
only after every asset, and a second run must copy nothing.  Checked with
os/filecmp, never with cdnpipe itself."""

import json
import os
import stat

import filetree
from upload_dist import make_dist


def tree(root):
    """Every file of a folder target, but the deploy history (.cdnpipe/)."""
    return filetree.tree(root, skip_top=(".cdnpipe",))


def inodes(root):
    return {k: (os.stat(os.path.join(root, k)).st_ino, os.stat(os.path.join(root, k)).st_mtime_ns)
            for k in tree(root)}


def test_same_layout_and_second_run_copies_nothing(cdnpipe, tmp_path):
    dist, out = tmp_path / "dist", tmp_path / "site"
    files = make_dist(dist, odd_names=True)
    p = cdnpipe("upload", dist, f"file://{out}", check=0)
    assert "uploaded" in p.stderr
    assert tree(out) == files  # every key, byte for byte, nothing else
    before = inodes(out)
    p = cdnpipe("upload", dist, f"file://{out}", "--json", check=0)
    rep = json.loads(p.stdout)
    assert rep["uploaded"] == 0 and rep["skipped"] == len(files)
    assert inodes(out) == before  # not rewritten: same inode, same mtime


def test_changed_files_replaced_and_nothing_deleted(cdnpipe, tmp_path):
    dist, out = tmp_path / "dist", tmp_path / "site"
    make_dist(dist)
    cdnpipe("upload", dist, f"file://{out}", check=0)
    (out / "old.css").write_bytes(b"from an earlier deploy")
    (dist / "robots.txt").write_bytes(b"User-agent: *\nDisallow: /x\n")  # other size
    p = cdnpipe("upload", dist, f"file://{out}", "--json", check=0)
    rep = json.loads(p.stdout)
    sent = {i["key"] for i in rep["items"] if i["action"] == "upload"}
    assert sent == {"robots.txt"}
    assert (out / "robots.txt").read_bytes() == b"User-agent: *\nDisallow: /x\n"
    assert (out / "old.css").read_bytes() == b"from an earlier deploy"
    # same size, other bytes: found by the MD5 ("ETag") of the file
    (dist / "robots.txt").write_bytes(b"User-agent: *\nDisallow: /y\n")
    rep = json.loads(cdnpipe("upload", dist, f"file://{out}", "--json", check=0).stdout)
    assert [i["key"] for i in rep["items"] if i["action"] == "upload"] == ["robots.txt"]
    assert (out / "robots.txt").read_bytes().endswith(b"/y\n")


def test_failed_asset_keeps_old_manifest(cdnpipe, tmp_path):
    dist, out = tmp_path / "dist", tmp_path / "site"
    files = make_dist(dist)
    cdnpipe("upload", dist, f"file://{out}", check=0)
    old_manifest = (out / "staticfiles.json").read_bytes()
    # a new build: one new asset, and a new manifest naming it
    files2 = make_dist(tmp_path / "dist2", extra={"css/new.css": b"a{b:c}\n"})
    new_key = json.loads(files2["staticfiles.json"])["paths"]["css/new.css"]
    # make that key impossible to write: a folder stands where the file goes
    (out / new_key).mkdir(parents=True)
    p = cdnpipe("upload", tmp_path / "dist2", f"file://{out}")
    assert p.returncode == 1
    assert new_key in p.stderr  # the summary names the failed key
    assert "manifest" in p.stderr
    assert (out / "staticfiles.json").read_bytes() == old_manifest
    assert not [k for k in tree(out) if ".tmp." in k]  # no half-written file left


def test_manifest_written_last(cdnpipe, tmp_path):
    dist, out = tmp_path / "dist", tmp_path / "site"
    make_dist(dist, extra={f"img/i{n}.png": bytes([n]) * 300 for n in range(60)})
    cdnpipe("upload", dist, f"file://{out}", "--concurrency", "8", check=0)
    m = os.stat(out / "staticfiles.json").st_mtime_ns
    others = [os.stat(out / k).st_mtime_ns for k in tree(out) if k != "staticfiles.json"]
    assert m >= max(others)


def test_dry_run_changes_nothing(cdnpipe, tmp_path):
    dist, out = tmp_path / "dist", tmp_path / "site"
    files = make_dist(dist)
    p = cdnpipe("upload", dist, f"file://{out}", "--dry-run", check=0)
    assert not out.exists()
    lines = p.stdout.splitlines()
    assert len(lines) == len(files)
    assert all(line.startswith("upload ") for line in lines)
    assert lines[-1].startswith("upload staticfiles.json")  # manifest last
    cdnpipe("upload", dist, f"file://{out}", check=0)
    (dist / "robots.txt").write_bytes(b"changed, longer than before\n")
    before = inodes(out)
    p = cdnpipe("upload", dist, f"file://{out}", "-n", check=0)
    plan = dict(line.split(" ", 1) for line in p.stdout.splitlines())
    assert plan.get("upload") is not None and "robots.txt" in plan["upload"]
    assert sum(1 for line in p.stdout.splitlines() if line.startswith("upload")) == 1
    assert inodes(out) == before


def test_encoding_gzip_and_none_layout(cdnpipe, tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist)
    out = tmp_path / "gz"
    cdnpipe("upload", dist, f"file://{out}", "--encoding=gzip", check=0)
    got = tree(out)
    assert not [k for k in got if k.endswith((".gz", ".br"))]
    for k, v in got.items():
        want = files.get(k + ".gz", files[k])
        assert v == want, k
    out = tmp_path / "none"
    cdnpipe("upload", dist, f"file://{out}", "--encoding=none", check=0)
    got = tree(out)
    assert got == {k: v for k, v in files.items() if not k.endswith((".gz", ".br"))}


def test_bad_arguments(cdnpipe, tmp_path):
    dist = tmp_path / "dist"
    make_dist(dist)
    assert cdnpipe("upload", dist, "ftp://x/y").returncode != 0
    assert cdnpipe("upload", tmp_path / "missing", f"file://{tmp_path}/o").returncode == 1
    assert cdnpipe("upload", dist, f"file://{tmp_path}/o", "--encoding=zstd").returncode == 2
    assert cdnpipe("upload", dist).returncode == 2
    p = cdnpipe("upload", dist, f"file://{dist}/public")  # would publish into itself
    assert p.returncode == 2 and "inside" in p.stderr
    assert not (dist / "public").exists()
    assert not (tmp_path / "o").exists()


def test_config_sections(cdnpipe, tmp_path):
    dist = tmp_path / "dist"
    files = make_dist(dist)
    (tmp_path / "cdnpipe.ini").write_text("[upload]\nencoding = none\n")
    out = tmp_path / "site"
    cdnpipe("upload", dist, f"file://{out}", check=0)  # cwd is tmp_path
    assert not [k for k in tree(out) if k.endswith((".gz", ".br"))]
    # a flag overrides the file
    out2 = tmp_path / "site2"
    cdnpipe("upload", dist, f"file://{out2}", "--encoding=siblings", check=0)
    assert tree(out2) == files
    # a typo in the config is an error naming file and line
    (tmp_path / "cdnpipe.ini").write_text("[upload]\n\nencodng = none\n")
    p = cdnpipe("upload", dist, f"file://{tmp_path}/o3")
    assert p.returncode == 2 and "cdnpipe.ini:3" in p.stderr
    assert not (tmp_path / "o3").exists()


def test_no_progress_line_off_a_terminal(cdnpipe, tmp_path):
    dist = tmp_path / "dist"
    make_dist(dist, extra={f"i{n}.png": b"x" * 5000 for n in range(100)})
    p = cdnpipe("upload", dist, f"file://{tmp_path}/out", check=0)
    assert "\r" not in p.stderr and "\033" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1  # the summary line only
    p = cdnpipe("upload", dist, f"file://{tmp_path}/out2", "-q", check=0)
    assert p.stderr == "" and p.stdout == ""
