"""Source maps of `cdnpipe minify --source-map`, checked independently.

The map is decoded here (base64 VLQ, Source Map v3) and every segment is
followed back: the minified text at the generated position and the original
text at the source position must start with the same identifier (a selector,
a property name, an at-keyword), which is what a browser's devtools show.
"""
import json
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
CDNPIPE = ROOT / "build" / "cdnpipe"
FIXTURES = ROOT / "tests" / "fixtures" / "css"
B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def decode_vlq(s):
    values, shift, acc = [], 0, 0
    for ch in s:
        d = B64[ch]
        acc += (d & 31) << shift
        if d & 32:
            shift += 5
            continue
        values.append(-(acc >> 1) if acc & 1 else acc >> 1)
        shift = acc = 0
    return values


def segments(mappings):
    """Yields (gen_line, gen_col, src_line, src_col), absolute, 0-based."""
    src_line = src_col = 0
    for gen_line, line in enumerate(mappings.split(";")):
        gen_col = 0
        for seg in filter(None, line.split(",")):
            v = decode_vlq(seg)
            assert len(v) in (4, 5) and v[1] == 0, seg  # one source: index delta 0
            gen_col += v[0]
            src_line += v[2]
            src_col += v[3]
            yield gen_line, gen_col, src_line, src_col


WORD = re.compile(rb"[@*_.#:\[a-zA-Z-][\w-]*")


def test_every_segment_points_at_the_same_word(tmp_path):
    checked = 0
    for src in sorted(FIXTURES.glob("*.css")):
        out = tmp_path / src.name
        subprocess.run([str(CDNPIPE), "minify", "--source-map", str(src), "-o", str(out)], check=True)
        css = out.read_bytes()
        assert css.endswith(b"\n/*# sourceMappingURL=%s.map */" % src.name.encode())
        m = json.loads((tmp_path / (src.name + ".map")).read_text())
        assert m["version"] == 3 and m["file"] == src.name and m["sources"] == [src.name]
        gen_lines = css.split(b"\n")
        src_lines = src.read_bytes().splitlines()
        for gl, gc, sl, sc in segments(m["mappings"]):
            g = WORD.match(gen_lines[gl], gc)
            s = WORD.match(src_lines[sl], sc)
            kf = re.compile(rb"(from|to|[\d.]+%)", re.I)
            if kf.match(gen_lines[gl], gc) and kf.match(src_lines[sl], sc):
                continue  # a keyframe selector: from -> 0%, 100% -> to
            if not g or not s:  # a rule that starts with punctuation (error recovery)
                assert gen_lines[gl][gc:gc + 1] == src_lines[sl][sc:sc + 1], (src.name, gl, gc, sl, sc)
                continue
            # ::before may have become :before; otherwise the same word
            assert g.group().lstrip(b":") == s.group().lstrip(b":"), (src.name, g.group(), s.group())
            checked += 1
    assert checked > 200


def test_map_does_not_change_the_css(tmp_path):
    for src in sorted(FIXTURES.glob("*.css")):
        plain = subprocess.run([str(CDNPIPE), "minify", str(src)], check=True, capture_output=True).stdout
        out = tmp_path / src.name
        subprocess.run([str(CDNPIPE), "minify", "--source-map", str(src), "-o", str(out)], check=True)
        tail = b"\n/*# sourceMappingURL=%s.map */" % src.name.encode()
        assert out.read_bytes() == plain + tail, src.name
