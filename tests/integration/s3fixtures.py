"""pytest fixtures for tests that need S3: one s3rver + verifying proxy per
session, a clean proxy (no faults, empty request log) and a fresh bucket per
test.  Use them from a test module with

    pytest_plugins = ["s3fixtures"]

(or `from s3fixtures import *`).  Fixtures:

    s3            S3Env (see s3env.py), reset before and after the test
    s3_bucket     name of a new, empty bucket on it
    s3_client     boto3 client through the proxy (recorded, faults apply)
    s3_check      boto3 client straight to s3rver (for independent checks)
    cdnpipe_env   environment dict for running build/cdnpipe against the proxy,
                  with XDG_CACHE_HOME in this test's tmp_path

Example:

    def test_no_change_deploy_makes_no_put(s3, s3_bucket, cdnpipe_env, tmp_path):
        run([CDNPIPE, "upload", dist, f"s3://{s3_bucket}/static"], env=cdnpipe_env)
        s3.reset()
        run([CDNPIPE, "upload", dist, f"s3://{s3_bucket}/static"], env=cdnpipe_env)
        assert s3.proxy.count(method="PUT") == 0
"""

import pytest

import s3env as _s3env


@pytest.fixture(scope="session")
def s3_session():
    env = _s3env.S3Env(buckets=["cdnpipe-test"]).start()
    yield env
    env.stop()


@pytest.fixture
def s3(s3_session):
    s3_session.reset()
    yield s3_session
    s3_session.reset()


@pytest.fixture
def s3_bucket(s3, request):
    return s3.new_bucket(request.node.name)


@pytest.fixture
def s3_client(s3):
    return s3.client()


@pytest.fixture
def s3_check(s3):
    return s3.client(direct=True)


@pytest.fixture
def cdnpipe_env(s3, tmp_path):
    cache = tmp_path / "xdg-cache"
    cache.mkdir(exist_ok=True)
    return s3.cdnpipe_env(cache_dir=cache)
