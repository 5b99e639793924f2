"""Shared pytest fixtures: the built binary and a scratch folder.

Keep this small: each test module adds the fixtures of its own.
"""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.join(ROOT, "build", "cdnpipe")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


@pytest.fixture(scope="session")
def cdnpipe_bin():
    if not os.path.exists(BINARY):
        subprocess.run(["make", "-C", ROOT, "build/cdnpipe"], check=True)
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
