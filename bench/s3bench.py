"""s3bench: cdnpipe against aws s3 sync, s3cmd sync and rclone sync on one local s3rver.

    s3bench.py upload   (bench/upload.sh, issue 3)  the built static corpus (and, as
                        client cdnpipe-deploy, `cdnpipe deploy` of its sources:
                        issue 14's no-change deploy)
    s3bench.py sync     (bench/sync.sh, issue 6)    the synthetic media tree

Each client runs into its own fresh bucket: a first run (everything is new),
then no-change re-runs (nothing to send).  Measured per run: wall time, the
client's CPU time (user + system) and its peak RSS, both from GNU time
(/usr/bin/time, which reports its child's rusage).  The clients
take turns within each repetition so the noise of a shared machine falls on
all of them alike; medians are printed with ratios to awscli and the issue's
targets.  Before a client's figures count, its bucket is listed and must
hold every local file with the right sizes (a client that silently sent
nothing would otherwise look fast).

Every client talks to s3rver directly, not through the verifying proxy of
tests/integration: the proxy is Python and would be the bottleneck.  The
server itself (one Node process) is shared by all clients and is often the
limit for first runs; that is the same for everyone.

Peer behaviour against s3rver, seen with BENCH_VIA=proxy: awscli and cdnpipe
make one listing on a no-change run; s3cmd lists and re-checks MD5s locally;
rclone HEADs every object and re-uploads every file (it finds no usable
mtime), and its read-back after each PUT can trip over s3rver's early PUT
answer ("corrupted on transfer: sizes differ N vs 0"): such a run is reported
and left out of the medians.

Peers are the Debian packages: /usr/bin/aws (awscli 2.9; the `aws` first on
PATH may be another), /usr/bin/s3cmd, /usr/bin/rclone, each configured only
through environment variables and temporary files made here (no host
config: every AWS_* variable of the host, AWS_CA_BUNDLE included, is
dropped; rclone's and s3cmd's configs are temporary files).  A missing peer
or a cdnpipe without the command is reported and skipped.

Knobs (environment): BENCH_REPEAT (first runs per client; default 3 for
upload, 1 for sync), BENCH_NOCHANGE (no-change re-runs per first run,
default 2), BENCH_CLIENTS (comma list, default all), BENCH_TIMEOUT (seconds
per run, default 300), BENCH_BUDGET (seconds for the whole benchmark,
default 420 for upload, 720 for sync: runs past it are skipped and said so),
BENCH_VIA=proxy (through the verifying proxy, printing each run's request
counts per S3 operation; slower for everyone), BENCH_MEDIA (an existing media tree to use instead of
writing one), BENCH_TMP (where temporary folders go), BENCH_CORPUS (the
corpus folder; default ../shared/corpus from the repository root),
BENCH_CDNPIPE (the binary; default build/cdnpipe), BENCH_BASELINE (an
earlier cdnpipe binary: adds a client "cdnpipe-base" run side by side with
"cdnpipe", to show a change's effect in one run).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "integration"))
import s3env  # noqa: E402

CDNPIPE = Path(os.environ.get("BENCH_CDNPIPE", REPO / "build" / "cdnpipe"))
CORPUS = Path(os.environ.get("BENCH_CORPUS", REPO.parent / "shared" / "corpus"))
PEERS = {"awscli": "/usr/bin/aws", "s3cmd": "/usr/bin/s3cmd", "rclone": "/usr/bin/rclone"}
BASELINE = os.environ.get("BENCH_BASELINE")
ORDER = (["cdnpipe"] + (["cdnpipe-base"] if BASELINE else []) + ["cdnpipe-deploy"] +
         ["awscli", "s3cmd", "rclone"])
TIME = "/usr/bin/time"  # GNU time (Debian package time)


def say(*a):
    print(*a, flush=True)


def run_measured(cmd, env, timeout, cwd=None):
    """Run cmd; return (exit code, wall s, cpu s, maxrss MiB, output tail).

    CPU and peak RSS come from /usr/bin/time (GNU time: the wait4 rusage of
    its child, reaped grandchildren included).  Not from this process's own
    wait4: Linux carries a process's peak RSS across exec, so a child forked
    from this Python process (boto3 loaded) would report Python's RSS."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as tf:
        t0 = time.monotonic()
        p = subprocess.Popen([TIME, "-f", "%U %S %M", "-o", tf.name, *cmd], env=env,
                             stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True)
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            p.wait()
            rc = "timeout"
        wall = time.monotonic() - t0
        out.seek(0)
        tail = out.read()[-3000:].decode(errors="replace")
        try:  # GNU time puts "Command exited with non-zero status N" first
            u, s_, m = tf.read().strip().splitlines()[-1].split()
            cpu, rss = float(u) + float(s_), int(m) / 1024.0
        except (ValueError, IndexError):
            cpu, rss = float("nan"), float("nan")
    return rc, wall, cpu, rss, tail


class Bench:
    def __init__(self, mode, tmp):
        self.mode = mode
        self.tmp = Path(tmp)
        self.env = None
        self.results = {}  # (client, phase) -> [(wall, cpu, rss)]
        self.notes = []

    # ---- server and clients
    def start(self):
        self.env = s3env.S3Env(buckets=[]).start()
        self.via_proxy = os.environ.get("BENCH_VIA") == "proxy"
        self.url = self.env.url if self.via_proxy else self.env.direct_url
        base = self.env.cdnpipe_env(direct=not self.via_proxy,
                                    cache_dir=self.tmp / "xdg-cache")
        base["HOME"] = str(self.tmp / "home")  # no ~/.aws, ~/.s3cfg, ~/.config/rclone
        (self.tmp / "home").mkdir(exist_ok=True)
        base.pop("RCLONE_CONFIG", None)
        self.base_env = base
        host = self.url.split("://", 1)[1]
        self.s3cfg = self.tmp / "s3cfg"
        self.s3cfg.write_text(
            "[default]\n"
            f"access_key = {s3env.ACCESS_KEY}\nsecret_key = {s3env.SECRET_KEY}\n"
            f"host_base = {host}\nhost_bucket = {host}\nuse_https = False\n"
            "signature_v2 = False\nbucket_location = us-east-1\n"
            "check_ssl_certificate = False\nguess_mime_type = True\n")
        self.rclone_cfg = self.tmp / "rclone.conf"
        self.rclone_cfg.write_text(
            "[bench]\ntype = s3\nprovider = Other\nenv_auth = false\n"
            f"access_key_id = {s3env.ACCESS_KEY}\nsecret_access_key = {s3env.SECRET_KEY}\n"
            f"endpoint = {self.url}\nregion = us-east-1\nforce_path_style = true\n")
        if self.via_proxy:
            say(f"s3rver behind the verifying proxy {self.url} (BENCH_VIA=proxy: "
                "every client goes through the Python proxy, which limits speed; "
                "request counts are shown)")
        else:
            say(f"s3rver {self.url} (clients talk to s3rver directly, not through the "
                "verifying proxy); data in a temporary folder")

    def stop(self):
        if self.env is not None:
            self.env.stop()
            self.env = None

    def available(self, want):
        ok = []
        for c in want:
            if c == "cdnpipe-deploy" and self.mode != "upload":
                continue
            if c in ("cdnpipe", "cdnpipe-base", "cdnpipe-deploy"):
                binary = Path(BASELINE) if c == "cdnpipe-base" else CDNPIPE
                if not binary.exists():
                    say(f"skip {c}: {binary} not built (make)")
                    continue
                cmd = ("deploy" if c == "cdnpipe-deploy" else
                       "upload" if self.mode == "upload" else "sync")
                r = subprocess.run([str(binary), cmd, "--help"], capture_output=True,
                                   text=True)
                if r.returncode != 0:
                    say(f"skip cdnpipe: `cdnpipe {cmd}` not available yet "
                        f"({(r.stderr or r.stdout).strip()[:120]})")
                    continue
            elif not os.path.exists(PEERS[c]):
                say(f"skip {c}: {PEERS[c]} missing (scripts/install-deps.sh bench)")
                continue
            ok.append(c)
        return ok

    def command(self, client, src, bucket, prefix):
        dst = f"s3://{bucket}/{prefix}"
        if client == "cdnpipe":
            return [str(CDNPIPE), self.mode, str(src), dst]
        if client == "cdnpipe-base":
            return [BASELINE, self.mode, str(src), dst]
        if client == "cdnpipe-deploy":
            # build + upload from the sources, into a temporary DIST each run:
            # a no-change run is what every CI job's deploy step does (its
            # build cache is kept between runs, as a CI cache would keep it)
            return [str(CDNPIPE), "deploy", str(CORPUS / "static"), dst]
        if client == "awscli":
            return [PEERS["awscli"], "--endpoint-url", self.url, "s3", "sync",
                    "--only-show-errors", str(src), dst]
        if client == "s3cmd":
            return [PEERS["s3cmd"], "-c", str(self.s3cfg), "--no-progress", "--quiet",
                    "sync", str(src) + "/", dst + "/"]
        if client == "rclone":
            return [PEERS["rclone"], "--config", str(self.rclone_cfg), "sync",
                    str(src), f"bench:{bucket}/{prefix}"]
        raise ValueError(client)

    # ---- one client, one repetition
    def measured(self, client, phase, cmd, env):
        """One timed run within the budget; None when it failed or was skipped."""
        left = self.deadline - time.monotonic()
        if left < 5:
            self.note(f"{client} {phase}: skipped, BENCH_BUDGET used up")
            return None
        if self.via_proxy:
            self.env.proxy.reset()
        rc, wall, cpu, rss, out = run_measured(cmd, env, min(self.timeout, left))
        if rc != 0:
            self.note(f"{client} {phase} run failed (exit {rc}): {out.strip()[-600:]}")
            return None
        if self.via_proxy:
            log = self.env.proxy.log()
            ops = {}
            for r in log:
                ops[r.op] = ops.get(r.op, 0) + 1
            say(f"    {phase}: {wall:.2f} s, {len(log)} requests: "
                + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
        return wall, cpu, rss

    def run_client(self, client, src, files, rep, nochange):
        bucket = self.env.new_bucket(f"{client}-{rep}")
        prefix = "static" if self.mode == "upload" else "media"
        cmd = self.command(client, src, bucket, prefix)
        env = dict(self.base_env)  # a first run starts with no sync state cache
        env["XDG_CACHE_HOME"] = str(self.tmp / f"xdg-cache-{client}-{rep}")
        first = self.measured(client, "first", cmd, env)
        if first is None:
            return
        missing = self.check_bucket(bucket, prefix, files)
        if missing:
            self.note(f"{client}: bucket incomplete after first run ({missing}); "
                      "its figures are left out")
            return
        self.results.setdefault((client, "first"), []).append(first)
        for _ in range(nochange):
            again = self.measured(client, "nochange", cmd, env)
            if again is None:
                break
            self.results.setdefault((client, "nochange"), []).append(again)
        # free the disk: s3rver keeps a bucket as a folder
        shutil.rmtree(self.env.server.data / bucket, ignore_errors=True)

    def check_bucket(self, bucket, prefix, files):
        listed = {}
        deadline = time.monotonic() + 30
        while True:
            listed = self.env.list_keys(bucket, prefix + "/")
            got = {k[len(prefix) + 1:]: n for k, n in listed.items()}
            bad = [k for k, n in files.items() if got.get(k) != n]
            if not bad or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # s3rver may still be writing the last objects
        if bad:
            return f"{len(bad)} of {len(files)} files missing or short, e.g. {bad[0]!r}"
        return ""

    def note(self, msg):
        self.notes.append(msg)
        say("  ! " + msg)

    # ---- report
    def report(self, targets):
        say("")
        say(f"{'client':12} {'phase':9} {'runs':>4} {'wall s':>8} {'cpu s':>8} "
            f"{'rss MiB':>8} {'wall/aws':>9} {'cpu/aws':>8}")
        med = {}
        for phase in ("first", "nochange"):
            for c in ORDER:
                rs = self.results.get((c, phase))
                if not rs:
                    continue
                med[c, phase] = (statistics.median(r[0] for r in rs),
                                 statistics.median(r[1] for r in rs),
                                 max(r[2] for r in rs))
            base = med.get(("awscli", phase))
            for c in ORDER:
                if (c, phase) not in med:
                    continue
                w, u, m = med[c, phase]
                rw = f"{w / base[0]:.2f}x" if base else "-"
                ru = f"{u / base[1]:.2f}x" if base and base[1] > 0 else "-"
                say(f"{c:12} {phase:9} {len(self.results[c, phase]):>4} {w:8.2f} {u:8.2f} "
                    f"{m:8.1f} {rw:>9} {ru:>8}")
        say("")
        for label, phase, kind, limit, *who in targets:
            a, b = med.get((who[0] if who else "cdnpipe", phase)), med.get(("awscli", phase))
            if kind == "rss":
                if a is None:
                    say(f"target {label}: n/a (no cdnpipe figures)")
                    continue
                v = max(med[("cdnpipe", p)][2] for p in ("first", "nochange")
                        if ("cdnpipe", p) in med)
                say(f"target {label}: {v:.1f} MiB {'OK' if v <= limit else 'MISSED'}")
                continue
            if a is None or b is None:
                say(f"target {label}: n/a (no cdnpipe or awscli figures)")
                continue
            i = 0 if kind == "wall" else 1
            r = a[i] / b[i] if b[i] > 0 else float("inf")
            say(f"target {label}: {r:.2f}x {'OK' if r <= limit else 'MISSED'}")
        for n in self.notes:
            say("note: " + n)


def tree_files(root):
    out = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = Path(dirpath) / n
            out[str(p.relative_to(root))] = p.stat().st_size
    return out


def prepare_upload(tmp):
    static = CORPUS / "static"
    if not static.is_dir():
        say(f"skip: corpus {static} is absent (it lives in shared/ beside the repo)")
        return None
    dist = tmp / "dist"
    why = "not built"
    if CDNPIPE.exists():
        # --no-minify: a fall-back while the minifiers are not in this build
        for extra in ([], ["--no-minify"]):
            r = subprocess.run([str(CDNPIPE), "build", str(static), "-o", str(dist), *extra],
                               capture_output=True, text=True)
            if r.returncode == 0:
                say(f"built {static} with cdnpipe build {' '.join(extra)}-> DIST")
                return dist
            why = ((r.stderr or r.stdout).strip().splitlines() or ["?"])[0][:160]
            say(f"note: cdnpipe build {' '.join(extra)}failed: {why}")
    say("note: no cdnpipe build; uploading a plain copy of the corpus instead")
    shutil.copytree(static, dist, symlinks=False)
    return dist


def prepare_media(tmp):
    given = os.environ.get("BENCH_MEDIA")
    if given:
        return Path(given), False
    gen = CORPUS / "make_media.py"
    if not gen.exists():
        say(f"skip: {gen} is absent (it lives in shared/ beside the repo)")
        return None, False
    need = 840 << 20
    free = shutil.disk_usage(tmp).free
    # the tree, plus one client's copy in s3rver at a time, plus slack
    if free < 3 * need:
        say(f"skip: {free >> 20} MiB free in {tmp}, need {3 * need >> 20} MiB "
            "(set BENCH_TMP to a roomier folder)")
        return None, False
    media = tmp / "media"
    t = time.monotonic()
    subprocess.run([sys.executable, str(gen), str(media)], check=True,
                   stdout=subprocess.DEVNULL)
    say(f"wrote the media tree with make_media.py in {time.monotonic() - t:.1f} s")
    return media, True


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("upload", "sync"):
        print("usage: s3bench.py upload|sync", file=sys.stderr)
        return 2
    repeat = int(os.environ.get("BENCH_REPEAT", "3" if mode == "upload" else "1"))
    nochange = int(os.environ.get("BENCH_NOCHANGE", "2"))
    timeout = float(os.environ.get("BENCH_TIMEOUT", "300"))
    budget = float(os.environ.get("BENCH_BUDGET", "420" if mode == "upload" else "720"))
    want = [c for c in os.environ.get("BENCH_CLIENTS", ",".join(ORDER)).split(",") if c]
    if BASELINE and "cdnpipe" in want and "cdnpipe-base" not in want:
        want.insert(want.index("cdnpipe") + 1, "cdnpipe-base")
    tmp = Path(tempfile.mkdtemp(prefix=f"cdnpipe-bench-{mode}-",
                                dir=os.environ.get("BENCH_TMP")))
    bench = Bench(mode, tmp)
    bench.timeout = timeout
    bench.deadline = time.monotonic() + budget
    try:
        if mode == "upload":
            src = prepare_upload(tmp)
        else:
            src, _ = prepare_media(tmp)
        if src is None:
            return 0
        files = tree_files(src)
        say(f"{mode}: {len(files)} files, {sum(files.values()) / 1e6:.1f} MB; "
            f"{repeat} first run(s) and {nochange} no-change re-run(s) each per client")
        if not os.path.exists(TIME):
            say(f"skip: {TIME} missing (Debian package time)")
            return 0
        bench.start()
        clients = bench.available(want)
        for rep in range(repeat):
            # each rep starts with another client, so none always runs first
            k = rep % len(clients) if clients else 0
            for c in clients[k:] + clients[:k]:
                say(f"  rep {rep + 1}: {c}")
                # flush what the tree's writing or the previous client's
                # uploads left dirty: no client pays another's writeback
                os.sync()
                bench.run_client(c, src, files, rep, nochange)
        if mode == "upload":
            targets = [("first upload <= 0.5x awscli wall", "first", "wall", 0.5),
                       ("no-change re-run <= 0.3x awscli wall", "nochange", "wall", 0.3),
                       ("first upload client CPU <= 0.1x awscli", "first", "cpu", 0.1),
                       ("no-change client CPU <= 0.1x awscli", "nochange", "cpu", 0.1),
                       ("no-change deploy (build + upload) <= 0.3x awscli sync wall",
                        "nochange", "wall", 0.3, "cdnpipe-deploy")]
        else:
            targets = [("first run <= 0.8x awscli wall", "first", "wall", 0.8),
                       ("no-change re-run <= 0.5x awscli wall", "nochange", "wall", 0.5),
                       ("peak memory <= 64 MiB", "first", "rss", 64)]
        bench.report(targets)
    finally:
        bench.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
