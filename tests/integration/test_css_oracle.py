"""The browser as the CSS minifier's oracle.

Headless Chromium loads each original stylesheet and its minified twin; from
the CSSOM we take, for every style rule, the set of triples
(enclosing at-rule conditions with whitespace removed, each single selector,
each longhand property name with its !important flag).  A value the minifier
broke is dropped by the browser, a broken selector reads differently, a lost
rule is missing: any of them makes the two sets differ.  Value spellings and
declaration order may change, so values are not part of the triple; @font-face,
@keyframes, @import, @layer statements and @namespace are covered the same way.

Also checked: minifying twice gives the same bytes as minifying once, and the
minified output of every fixture keeps its url()/@import references.

Run by pytest; also usable from bench/minify.sh:
    /usr/bin/python3 tests/integration/test_css_oracle.py ORIG MIN [ORIG MIN...]
prints one line per pair that differs and exits 1 if any does.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
CDNPIPE = ROOT / "build" / "cdnpipe"
FIXTURES = ROOT / "tests" / "fixtures" / "css"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--allow-file-access-from-files"]

# Runs in the page once every stylesheet has loaded; writes {id: [triples]}.
PAGE_JS = r"""
// comments in a condition are no part of it (Chromium's conditionText keeps them)
function nows(s) { return (s || '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ''); }
function splitSelectors(text) {
  const out = []; let depth = 0, quote = null, cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) { cur += c; if (c === '\\') { cur += text[++i] || ''; } else if (c === quote) quote = null; continue; }
    if (c === '"' || c === "'") { quote = c; cur += c; continue; }
    if (c === '\\') { cur += c + (text[++i] || ''); continue; }
    if (c === '(' || c === '[') depth++;
    if (c === ')' || c === ']') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  out.push(cur.trim());
  return out;
}
function props(style, prefix, out) {
  for (let i = 0; i < style.length; i++) {
    const p = style.item(i);
    out.add(prefix + '\t' + p + (style.getPropertyPriority(p) ? '!important' : ''));
  }
}
function walk(rules, cond, out) {
  for (const r of rules) {
    const kind = r.constructor.name;
    if (kind === 'CSSStyleRule') {
      for (const sel of splitSelectors(r.selectorText)) {
        props(r.style, cond + '\t' + sel, out);
        if (r.cssRules && r.cssRules.length) walk(r.cssRules, cond + sel + '{', out);
      }
    } else if (kind === 'CSSMediaRule') {
      walk(r.cssRules, cond + '@media' + nows(r.media.mediaText) + '{', out);
    } else if (kind === 'CSSSupportsRule') {
      walk(r.cssRules, cond + '@supports' + nows(r.conditionText) + '{', out);
    } else if (kind === 'CSSContainerRule') {
      walk(r.cssRules, cond + '@container' + nows(r.conditionText) + '{', out);
    } else if (kind === 'CSSLayerBlockRule') {
      walk(r.cssRules, cond + '@layer' + r.name + '{', out);
    } else if (kind === 'CSSLayerStatementRule') {
      out.add(cond + '\t@layer\t' + r.nameList.join(','));
    } else if (kind === 'CSSKeyframesRule') {
      for (const k of r.cssRules) props(k.style, cond + '@keyframes ' + r.name + '{\t' + k.keyText, out);
      if (!r.cssRules.length) out.add(cond + '\t@keyframes ' + r.name);
    } else if (kind === 'CSSFontFaceRule') {
      props(r.style, cond + '@font-face{\t' + r.style.getPropertyValue('font-family'), out);
    } else if (kind === 'CSSPageRule') {
      props(r.style, cond + '@page' + nows(r.selectorText) + '{\t', out);
    } else if (kind === 'CSSImportRule') {
      out.add(cond + '\t@import\t' + r.href + '\t' + nows(r.media.mediaText) + '\t' +
              nows(r.layerName) + '\t' + nows(r.supportsText));
    } else if (kind === 'CSSNamespaceRule') {
      out.add(cond + '\t@namespace\t' + r.prefix + '\t' + r.namespaceURI);
    } else {
      out.add(cond + '\t' + kind);
    }
  }
}
window.addEventListener('load', () => {
  const result = {};
  for (const link of document.querySelectorAll('link[rel=stylesheet]')) {
    const out = new Set();
    try { walk(link.sheet ? link.sheet.cssRules : [], '', out); }
    catch (e) { out.add('ERROR ' + e); }
    result[link.id] = [...out].sort();
  }
  const pre = document.createElement('pre');
  pre.id = 'oracle';
  pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
});
"""


def cssom_triples(paths):
    """Loads every stylesheet in one headless Chromium; returns one set of
    triples per path, in order."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        links = []
        for k, p in enumerate(paths):
            # each sheet in its own folder, under its own name, so relative
            # @import URLs resolve the same way for both versions
            d = tmp / str(k)
            d.mkdir()
            shutil.copy(p, d / pathlib.Path(p).name)
            links.append('<link rel="stylesheet" id="s%d" href="%d/%s">' % (k, k, pathlib.Path(p).name))
        page = tmp / "oracle.html"
        page.write_text('<!doctype html><html><head><meta charset="utf-8">%s</head><body>'
                        '<script>%s</script></body></html>' % ("".join(links), PAGE_JS))
        r = subprocess.run([CHROMIUM, *FLAGS, "--dump-dom", page.as_uri()], capture_output=True,
                           timeout=300, text=True, errors="replace")
    dom = r.stdout
    start = dom.find('<pre id="oracle">')
    assert start >= 0, "chromium gave no result: %s" % r.stderr[-2000:]
    end = dom.find("</pre>", start)
    raw = dom[start + len('<pre id="oracle">'):end]
    raw = raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    result = json.loads(raw)
    return [set(result["s%d" % k]) for k in range(len(paths))]


def minify(src, dst, *extra):
    subprocess.run([str(CDNPIPE), "minify", *extra, str(src), "-o", str(dst)], check=True)


def compare_pairs(pairs):
    """[(original, minified)] -> [(original, missing, extra)] for pairs that differ."""
    sets = cssom_triples([p for pair in pairs for p in pair])
    bad = []
    for k, (orig, _) in enumerate(pairs):
        a, b = sets[2 * k], sets[2 * k + 1]
        if a != b:
            bad.append((orig, sorted(a - b), sorted(b - a)))
    return bad


def fixtures():
    return sorted(FIXTURES.glob("*.css"))


def test_fixtures_exist_and_are_varied():
    names = {p.name for p in fixtures()}
    assert len(names) >= 10
    # the oracle must see real rules, or it proves nothing
    sets = cssom_triples([FIXTURES / "selectors.css"])
    assert len(sets[0]) > 20


def test_oracle_notices_breakage(tmp_path):
    """The oracle is not blind: a minifier bug of each kind changes the set."""
    good = tmp_path / "good.css"
    good.write_text(".a{color:red;width:calc(1px + 2px)}@media (min-width:1px){.b .c{margin:0}}")
    broken_value = tmp_path / "v.css"
    broken_value.write_text(".a{color:red;width:calc(1px+2px)}@media (min-width:1px){.b .c{margin:0}}")
    broken_sel = tmp_path / "s.css"
    broken_sel.write_text(".a{color:red;width:calc(1px + 2px)}@media (min-width:1px){.b.c{margin:0}}")
    broken_cond = tmp_path / "c.css"
    broken_cond.write_text(".a{color:red;width:calc(1px + 2px)}@media(min-width:1px)and(x){.b .c{margin:0}}")
    bad = compare_pairs([(good, broken_value), (good, broken_sel), (good, broken_cond), (good, good)])
    assert [b[0] for b in bad] == [good, good, good]


def test_minified_fixtures_match_in_chromium(tmp_path):
    pairs = []
    for src in fixtures():
        dst = tmp_path / "min" / src.name
        dst.parent.mkdir(exist_ok=True)
        minify(src, dst)
        assert dst.stat().st_size < src.stat().st_size or src.stat().st_size < 64, src.name
        pairs.append((src, dst))
    bad = compare_pairs(pairs)
    msg = "\n".join("%s:\n  only in original: %s\n  only in minified: %s" % b for b in bad)
    assert not bad, msg


def computed_widths(css_path, ids):
    """Loads one stylesheet in headless Chromium; returns {id: computed width}
    for elements with those ids (the triples above do not look at values)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        shutil.copy(css_path, tmp / "s.css")
        body = "".join('<div id="%s"></div>' % i for i in ids)
        js = ("window.addEventListener('load', () => { const r = {};"
              " for (const i of %s) r[i] = getComputedStyle(document.getElementById(i)).width;"
              " const pre = document.createElement('pre'); pre.id = 'oracle';"
              " pre.textContent = JSON.stringify(r); document.body.appendChild(pre); });"
              % json.dumps(ids))
        page = tmp / "w.html"
        page.write_text('<!doctype html><html><head><link rel="stylesheet" href="s.css"></head>'
                        '<body style="width:500px">%s<script>%s</script></body></html>' % (body, js))
        r = subprocess.run([CHROMIUM, *FLAGS, "--dump-dom", page.as_uri()], capture_output=True,
                           timeout=300, text=True, errors="replace")
    dom = r.stdout
    start = dom.find('<pre id="oracle">')
    assert start >= 0, "chromium gave no result: %s" % r.stderr[-2000:]
    raw = dom[start + len('<pre id="oracle">'):dom.find("</pre>", start)]
    return json.loads(raw.replace("&quot;", '"').replace("&amp;", "&"))


def test_property_initial_value_and_empty_custom_computed(tmp_path):
    """@property --u{syntax:"*";initial-value:0px}: the value is a token list,
    and calc(var(--u) + 50px) is 50px only while it stays `0px` (as `0` the
    calc is invalid and width is auto); the empty --x: and (--foo: ) too."""
    src = FIXTURES / "property.css"
    out = tmp_path / "property.css"
    minify(src, out)
    text = out.read_text()
    assert "initial-value:0px}" in text and "--x: ;" in text and "(--foo: )" in text
    ids = ["t", "l", "e", "s"]
    want = {"t": "50px", "l": "20px", "e": "10px", "s": "30px"}
    assert computed_widths(src, ids) == want
    assert computed_widths(out, ids) == want


def test_idempotent(tmp_path):
    for src in fixtures():
        once, twice = tmp_path / ("1-" + src.name), tmp_path / ("2-" + src.name)
        minify(src, once)
        minify(once, twice)
        assert once.read_bytes() == twice.read_bytes(), src.name


def test_legal_comments_and_source_map(tmp_path):
    src = FIXTURES / "comments.css"
    out = tmp_path / "c.css"
    minify(src, out)
    text = out.read_text()
    assert "/*! Legal notice: keep me */" in text and "multi-line */" in text
    assert "plain comment" not in text and "inside" not in text
    # the input's map no longer matches: its comment goes
    assert "sourceMappingURL" not in text
    minify(src, out, "--legal-comments=none")
    assert "Legal" not in out.read_text()
    minify(src, out, "--legal-comments=eof")
    text = out.read_text()
    assert text.index("legal in block") > text.index(".e{")
    minify(src, out, "--source-map")
    text = out.read_text()
    assert text.endswith("\n/*# sourceMappingURL=c.css.map */")
    m = json.loads((tmp_path / "c.css.map").read_text())
    assert m["version"] == 3 and m["sources"] == ["comments.css"] and m["mappings"]
    assert m["sourcesContent"][0] == src.read_text()


def test_stdin_stdout_and_exit_codes(tmp_path):
    r = subprocess.run([str(CDNPIPE), "minify", "--type", "css", "-"], input=b"a { color : red ; }",
                       capture_output=True)
    assert r.returncode == 0 and r.stdout == b"a{color:red}"
    r = subprocess.run([str(CDNPIPE), "minify", "-"], input=b"a{}", capture_output=True)
    assert r.returncode == 2 and b"--type" in r.stderr
    r = subprocess.run([str(CDNPIPE), "minify", str(tmp_path / "missing.css")], capture_output=True)
    assert r.returncode == 1 and b"missing.css" in r.stderr
    r = subprocess.run([str(CDNPIPE), "minify", "--bogus"], capture_output=True)
    assert r.returncode == 2
    # several inputs with -o: OUT is a folder
    out = tmp_path / "out"
    r = subprocess.run([str(CDNPIPE), "minify", str(FIXTURES / "colors.css"),
                        str(FIXTURES / "values.css"), "-o", str(out)], capture_output=True)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["colors.css", "values.css"]


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit("usage: test_css_oracle.py ORIG MIN [ORIG MIN...]")
    bad = compare_pairs(list(zip(args[0::2], args[1::2])))
    for orig, missing, extra in bad:
        print("%s: %d triples lost, %d gained; e.g. lost %s gained %s"
              % (orig, len(missing), len(extra), missing[:3], extra[:3]))
    sys.exit(1 if bad else 0)
