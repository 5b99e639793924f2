"""TLS (issue 15, "Secrets and overreach"): verification is always on.  A TLS
front with a self-signed certificate (tests/fixtures/tls) before the test S3
server: cdnpipe refuses it, saying why; with AWS_CA_BUNDLE, or the profile's
ca_bundle, naming that certificate, the same command works.
"""
import os
import socket
import ssl
import threading
from urllib.parse import urlsplit

import pytest

from conftest import FIXTURES

pytest_plugins = ["s3fixtures"]

CERT = os.path.join(FIXTURES, "tls", "cert.pem")
KEY = os.path.join(FIXTURES, "tls", "key.pem")


@pytest.fixture
def tls_front(s3):
    """https://127.0.0.1:PORT that forwards every connection to the proxy."""
    up = urlsplit(s3.url)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    stop = threading.Event()

    def pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve():
        while not stop.is_set():
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            try:
                t = ctx.wrap_socket(c, server_side=True)
            except (ssl.SSLError, OSError):
                c.close()  # the client refused our certificate
                continue
            u = socket.create_connection((up.hostname, up.port))
            threading.Thread(target=pump, args=(t, u), daemon=True).start()
            threading.Thread(target=pump, args=(u, t), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield "https://127.0.0.1:%d" % lsock.getsockname()[1]
    stop.set()
    lsock.close()


def test_a_certificate_no_store_trusts_is_refused(cdnpipe, s3, s3_bucket, cdnpipe_env,
                                                  tls_front, tmp_path):
    target = f"s3://{s3_bucket}/site"
    env = dict(cdnpipe_env, AWS_ENDPOINT_URL=tls_front)
    p = cdnpipe("releases", target, env=env)
    assert p.returncode == 1
    assert "certificate" in p.stderr.lower() or "tls" in p.stderr.lower(), p.stderr
    assert s3.proxy.log() == []  # nothing got through
    # trusted by name: AWS_CA_BUNDLE
    p = cdnpipe("releases", target, env=dict(env, AWS_CA_BUNDLE=CERT))
    assert p.returncode == 0, p.stderr
    # ... or the profile's ca_bundle
    cfg = tmp_path / "aws-config"
    cfg.write_text("[default]\nca_bundle = %s\n" % CERT)
    p = cdnpipe("releases", target, env=dict(env, AWS_CONFIG_FILE=str(cfg)))
    assert p.returncode == 0, p.stderr
