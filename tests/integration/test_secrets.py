"""No secret in any output (issue 15, "Secrets and overreach", first point):
every command, at the highest verbosity, in success and in each failure mode
(403 on everything, a wrong region, no server, TLS to a plain-HTTP server),
with known fake secrets - an AWS secret key, a session token, a CDN token -
and then every byte it wrote is searched: stdout, stderr, --json reports, the
cache folder (build cache, upload state, sync state and journals) and the
folders it wrote.  A signature or presigned query string must not appear
either.
"""
import os
import re
import secrets

import pytest

import fakecdn

pytest_plugins = ["s3fixtures"]

KEY = "S3RVER"  # s3rver knows this access key only (it checks no signature)
SECRET = "sweepSecret/" + secrets.token_hex(16)
TOKEN = "sweepToken" + secrets.token_hex(24)
CDN = "sweepCdn" + secrets.token_hex(12)
LEAKS = (SECRET, TOKEN, CDN, SECRET[:16], TOKEN[:16])
SIGNATURE = re.compile(r"Signature=[0-9a-f]{16}|X-Amz-Signature|x-amz-security-token:\s*\S")


@pytest.fixture
def world(s3, s3_bucket, cdnpipe_env, tmp_path):
    old = s3.proxy.credentials[KEY]
    s3.proxy.credentials[KEY] = SECRET  # the proxy verifies signatures with it
    cf = fakecdn.Cloudflare(token=CDN)
    env = dict(cdnpipe_env, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_SESSION_TOKEN=TOKEN, CLOUDFLARE_API_TOKEN=CDN, CLOUDFLARE_API_URL=cf.url)
    src = tmp_path / "src"
    (src / "css").mkdir(parents=True)
    (src / "css" / "app.css").write_text("body { color: red }\n" * 30)
    (src / "robots.txt").write_text("User-agent: *\n")
    media = tmp_path / "media"
    media.mkdir()
    (media / "photo.bin").write_bytes(os.urandom(3000))
    yield s3, s3_bucket, env, src, media, tmp_path
    cf.close()
    s3.proxy.credentials[KEY] = old


def commands(bucket, src, media, tmp):
    t = f"s3://{bucket}/site"
    purge = ["--purge", "cloudflare", "--purge-zone", "zone123", "--purge-base-url",
             "https://cdn.example.com/site/"]
    return [
        ["build", "-v", "-v", "--json", src, "-o", tmp / "dist"],
        ["upload", "-v", "-v", "--json", tmp / "dist", t],
        ["deploy", "-v", "-v", "--json", *purge, src, t],
        ["sync", "-v", "-v", "--json", media, f"s3://{bucket}/media"],
        ["sync", "-v", "-v", "--json", f"s3://{bucket}/media", tmp / "down"],
        ["url", "-v", "-v", "--json", "--target", t, "css/app.css"],
        ["releases", "-v", "-v", "--json", t],
        ["verify", "-v", "-v", "--json", t],
        ["prune", "-v", "-v", "--json", "--dry-run", "--min-age", "0s", t],
        ["rollback", "-v", "-v", "--json", *purge, t],
        ["purge", "-v", "-v", "--json", *purge, t, "robots.txt"],
    ]


def written(root):
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                yield p, open(p, "rb").read()
            except OSError:
                pass


def sweep(cdnpipe, env, cmds, where, places):
    found = []
    for c in cmds:
        p = cdnpipe(*c, env=env)
        if os.environ.get("SWEEP_DEBUG"):
            print(where, c[0], p.returncode, p.stderr.strip().splitlines()[-1:])
        text = p.stdout + p.stderr
        for leak in LEAKS:
            if leak in text:
                found.append(f"{where}: `cdnpipe {c[0]}` printed a secret")
        if SIGNATURE.search(text):
            found.append(f"{where}: `cdnpipe {c[0]}` printed a signature: "
                         f"{SIGNATURE.search(text).group(0)}")
    for root in places:
        for path, data in written(root):
            for leak in LEAKS:
                if leak.encode() in data:
                    found.append(f"{where}: {path} holds a secret")
    return found


def test_no_secret_in_any_output(cdnpipe, world):
    s3, bucket, env, src, media, tmp = world
    cache = env["XDG_CACHE_HOME"]
    cmds = commands(bucket, src, media, tmp)
    places = [cache, tmp / "dist", tmp / "down"]
    found = sweep(cdnpipe, env, cmds, "success", places)
    # the success run did work: a release, a synced file
    assert (tmp / "down" / "photo.bin").exists()

    s3.proxy.inject("403")
    found += sweep(cdnpipe, env, cmds, "403", places)
    s3.proxy.clear_faults()

    found += sweep(cdnpipe, dict(env, AWS_REGION="eu-west-9", AWS_DEFAULT_REGION="eu-west-9"),
                   cmds, "wrong region", places)
    found += sweep(cdnpipe, dict(env, AWS_ENDPOINT_URL="http://127.0.0.1:9"), cmds,
                   "no server", places)
    found += sweep(cdnpipe, dict(env, AWS_ENDPOINT_URL=s3.url.replace("http://", "https://")),
                   cmds, "TLS to a plain server", places)
    assert found == [], "\n".join(found)


def test_a_credentials_file_others_can_read_is_warned_of(cdnpipe, s3, s3_bucket, cdnpipe_env,
                                                         tmp_path):
    """Keys from ~/.aws/credentials that group or others can read: one warning
    naming the file and the fix; with mode 600, none.  The secret itself never
    shows."""
    cred = tmp_path / "credentials"
    cred.write_text("[default]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n")
    env = {k: v for k, v in cdnpipe_env.items()
           if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(cred)
    target = f"s3://{s3_bucket}/site"
    os.chmod(cred, 0o644)
    p = cdnpipe("releases", target, env=env)
    assert p.returncode == 0, p.stderr
    warned = [l for l in p.stderr.splitlines() if "group or others can read it" in l]
    assert len(warned) == 1 and str(cred) in warned[0] and "chmod 600" in warned[0]
    assert "mode 644" in warned[0]
    os.chmod(cred, 0o600)
    p = cdnpipe("releases", target, env=env)
    assert p.returncode == 0 and "can read it" not in p.stderr
