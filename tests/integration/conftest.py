"""Shared pytest fixtures: the built binary and a scratch folder.

Keep this small: each test module adds the fixtures of its own.
"""
import atexit
import os
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The build folder under test: build/ by default, build/asan for
# `make check-asan` (which also passes the compiler flags, for tests that
# compile a driver against the library).
BUILD = os.environ.get("CDNPIPE_BUILD") or os.path.join(ROOT, "build")
BUILD_CFLAGS = os.environ.get("CDNPIPE_CFLAGS", "-O1 -g").split()
BINARY = os.path.join(BUILD, "cdnpipe")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

# Tests talk to loopback only.  A run that finds no keys would otherwise ask
# the EC2 instance-metadata address for credentials, as the AWS tools do.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
# The build cache of every run goes to one folder of this session, not the
# user's ~/.cache (tests that look at the cache give their own --cache-dir).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="cdnpipe-test-cache.")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)


@pytest.fixture(scope="session")
def cdnpipe_bin():
    if not os.path.exists(BINARY):
        subprocess.run(["make", "-C", ROOT, os.path.relpath(BINARY, ROOT)], check=True)
    return BINARY


@pytest.fixture
def cdnpipe(cdnpipe_bin, tmp_path):
    """run(*args, cwd=tmp_path) -> CompletedProcess (text, captured)."""

    def run(*args, cwd=None, check=None, **kw):
        p = subprocess.run([cdnpipe_bin, *map(str, args)], cwd=str(cwd or tmp_path),
                           capture_output=True, text=True, **kw)
        if check is not None:
            assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
        return p

    return run


@pytest.fixture
def workdir(tmp_path):
    return tmp_path
